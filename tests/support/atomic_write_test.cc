// WriteFileAtomic under SIGKILL: a writer killed after any of its steps leaves the old file or the new one.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
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

// Steps of the writer seen so far, and the step at which the writer kills itself (-1: never).
int g_steps_seen = 0;
int g_kill_at = -1;
void CountAndMaybeDie(AtomicWriteStep) {
  if (g_steps_seen++ == g_kill_at) ::kill(::getpid(), SIGKILL);
}

TEST(WriteFileAtomic, AWriterKilledAtAnyStepLeavesTheOldOrTheNewFileWhole) {
  const fs::path dir = ::xbar::testing::TempDir() / "atomic_write_test";
  fs::create_directories(dir);
  const std::string name = "target.bin";
  const std::string path = (dir / name).string();
  const std::string old_bytes = Pattern(kAtomicWriteChunk / 2, 1);
  const std::string new_bytes = Pattern(4 * kAtomicWriteChunk + 17, 2);

  // The steps of one whole write: created, 5 chunks, synced, renamed.
  g_steps_seen = 0;
  g_kill_at = -1;
  SetAtomicWriteObserverForTesting(CountAndMaybeDie);
  ASSERT_TRUE(WriteFileAtomic((dir / "count.bin").string(), new_bytes).has_value());
  SetAtomicWriteObserverForTesting(nullptr);
  fs::remove(dir / "count.bin");
  const int steps = g_steps_seen;
  ASSERT_EQ(steps, 1 + 5 + 1 + 1);

  // Kill the writer after each step in turn (the last kill lands after the rename).
  for (int kill_at = 0; kill_at < steps; ++kill_at) {
    ASSERT_TRUE(WriteFileAtomic(path, old_bytes).has_value());
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      g_steps_seen = 0;
      g_kill_at = kill_at;
      SetAtomicWriteObserverForTesting(CountAndMaybeDie);
      // _exit: the child must not run the parent's atexit handlers (they remove the temp folder).
      ::_exit(WriteFileAtomic(path, new_bytes).has_value() ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "kill after step " << kill_at << ": the writer was not killed (status " << status << ")";

    const bool renamed = kill_at == steps - 1;
    const auto bytes = ReadFile(path);
    ASSERT_TRUE(bytes.has_value()) << "kill after step " << kill_at << ": " << bytes.error().message;
    EXPECT_TRUE(*bytes == (renamed ? new_bytes : old_bytes))
        << "kill after step " << kill_at << ": the file holds " << bytes->size() << " bytes, expected the "
        << (renamed ? "new " : "old ") << (renamed ? new_bytes : old_bytes).size();
    // A writer killed between mkstemp and rename leaves its temporary file: nothing can remove it.
    // It is named after the target (`target.bin.tmp.XXXXXX`), so it can be found and is ignored by git.
    const auto others = Others(dir, name);
    EXPECT_EQ(others.size(), renamed ? 0u : 1u) << "kill after step " << kill_at;
    for (const std::string& other : others) {
      EXPECT_TRUE(other.starts_with(name + ".tmp.") && other.size() == name.size() + 11) << other;
      fs::remove(dir / other);
    }
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace xbar
