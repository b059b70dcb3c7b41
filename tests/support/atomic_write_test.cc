// WriteFileAtomic under SIGKILL: a writer killed at any moment leaves the old file or the new one.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "support/file_io.h"
#include "support/rng.h"
#include "tests/testing/temp.h"

namespace xbar {
namespace {

namespace fs = std::filesystem;

/// `bytes` bytes of a pattern that differs from position to position and from `seed` to seed, so
/// that any mix of two contents, or a short one, compares unequal to both.
std::string Pattern(std::size_t bytes, uint64_t seed) {
  std::string out(bytes, '\0');
  Rng rng(seed);
  for (std::size_t k = 0; k < bytes; k += 8) {
    const uint64_t v = rng();
    for (std::size_t i = 0; i < 8 && k + i < bytes; ++i) out[k + i] = static_cast<char>(v >> (8 * i));
  }
  return out;
}

/// Names in `dir` other than `name` itself.
std::vector<std::string> Others(const fs::path& dir, const std::string& name) {
  std::vector<std::string> others;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().filename() != name) others.push_back(entry.path().filename().string());
  }
  return others;
}

TEST(WriteFileAtomic, AWriterKilledAtAnyMomentLeavesTheOldOrTheNewFileWhole) {
  const fs::path dir = ::xbar::testing::TempDir() / "atomic_write_test";
  fs::create_directories(dir);
  const std::string name = "target.bin";
  const std::string path = (dir / name).string();
  const std::string old_bytes = Pattern(1 << 20, 1);
  const std::string new_bytes = Pattern(32 << 20, 2);

  // How long one whole write takes here: the kills are spread over it.
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(WriteFileAtomic((dir / "timing.bin").string(), new_bytes).has_value());
  const auto write_us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
  fs::remove(dir / "timing.bin");

  Rng rng(7);
  constexpr int kRuns = 20;
  int old_seen = 0, new_seen = 0, temp_files_left = 0;
  for (int run = 0; run < kRuns; ++run) {
    ASSERT_TRUE(WriteFileAtomic(path, old_bytes).has_value());
    const auto delay_us = static_cast<int64_t>(UniformIndex(rng, static_cast<uint64_t>(write_us + 1)));
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      // _exit: the child must not run the parent's atexit handlers (they remove the temp folder).
      ::_exit(WriteFileAtomic(path, new_bytes).has_value() ? 0 : 1);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
    ::kill(child, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0))
        << "run " << run << ": the writer failed by itself (status " << status << ")";

    const auto bytes = ReadFile(path);
    ASSERT_TRUE(bytes.has_value()) << "run " << run << ": " << bytes.error().message;
    if (*bytes == old_bytes) {
      ++old_seen;
    } else if (*bytes == new_bytes) {
      ++new_seen;
    } else {
      FAIL() << "run " << run << " (killed after " << delay_us << " us): the file holds " << bytes->size()
             << " bytes that are neither the old " << old_bytes.size() << " nor the new " << new_bytes.size();
    }
    // A writer killed between mkstemp and rename leaves its temporary file: nothing can remove it.
    // It is named after the target (`target.bin.tmp.XXXXXX`), so it can be found and is ignored by git.
    for (const std::string& other : Others(dir, name)) {
      EXPECT_TRUE(other.starts_with(name + ".tmp.") && other.size() == name.size() + 11) << other;
      fs::remove(dir / other);
      ++temp_files_left;
    }
  }
  std::printf("[          ] one write: %lld us; %d runs: old file %d times, new file %d times; "
              "%d temporary files left behind\n",
              static_cast<long long>(write_us), kRuns, old_seen, new_seen, temp_files_left);
  // The kills did land before the rename (else this test proves nothing about a half-done write).
  EXPECT_GT(old_seen, 0);
  EXPECT_GT(temp_files_left, 0);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace xbar
