// A temporary folder private to this test process (ctest runs tests as parallel processes),
// removed when the process exits.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

namespace xbar::testing {

inline std::filesystem::path& TempDirSlot() {
  static std::filesystem::path dir;
  return dir;
}

inline void RemoveTempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(TempDirSlot(), ignored);
}

/// $TMPDIR/xbar_test.<pid>, created on first use.
inline std::filesystem::path TempDir() {
  static const bool created = [] {
    TempDirSlot() = std::filesystem::temp_directory_path() / ("xbar_test." + std::to_string(::getpid()));
    std::filesystem::create_directories(TempDirSlot());
    std::atexit(RemoveTempDir);
    return true;
  }();
  (void)created;
  return TempDirSlot();
}

}  // namespace xbar::testing
