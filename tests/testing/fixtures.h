// Expensive artefacts shared by the tests of one ctest run (CTest fixture mnist_chip,
// tests/fixtures/mnist_chip.sh): the MNIST model compiled onto the default chip and programmed.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#include "tests/testing/temp.h"

namespace xbar::testing {

/// The folder holding the fixture's files: $XBAR_FIXTURE_DIR when ctest set it up, else made here
/// once per process (a test run by hand, outside ctest) with the same script.
inline std::filesystem::path MnistChipDir() {
  static const std::filesystem::path dir = [] {
    if (const char* env = std::getenv("XBAR_FIXTURE_DIR"); env != nullptr && *env != '\0' &&
        std::filesystem::exists(std::filesystem::path(env) / "mnist.xbcs")) {
      return std::filesystem::path(env);
    }
    const std::filesystem::path out = TempDir() / "fixtures";
    const std::string command = std::string(XBAR_SOURCE_DIR) + "/tests/fixtures/mnist_chip.sh " +
                                std::string(XBAR_BINARY_DIR) + "/tools/xbar " + XBAR_SOURCE_DIR + " " +
                                out.string() + " >/dev/null";
    if (std::system(command.c_str()) != 0) std::abort();
    return out;
  }();
  return dir;
}

/// models/mnist.xbm on chips/default.textproto, default compile options (IR-drop compensated).
inline std::string MnistPlan() { return (MnistChipDir() / "mnist.xbp").string(); }
/// The same without IR-drop compensation.
inline std::string MnistPlainPlan() { return (MnistChipDir() / "mnist-plain.xbp").string(); }
/// MnistPlan() programmed by `xbar program` (seed 1, chip seed 1): pulse program and chip state.
inline std::string MnistProgram() { return (MnistChipDir() / "mnist.xbpulse").string(); }
inline std::string MnistState() { return (MnistChipDir() / "mnist.xbcs").string(); }

}  // namespace xbar::testing
