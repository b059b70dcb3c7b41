// Expensive artefacts shared by the tests of one ctest run (CTest fixtures mnist_chip,
// mnist_compensated, small_chip and conv_chip, tests/fixtures/*.sh): networks compiled onto the
// default chip and programmed.
// Read-only: a test that changes one copies it first.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#include "tests/testing/temp.h"

namespace xbar::testing {

/// The folder holding fixture `name`'s files (`probe` one of them): $XBAR_FIXTURE_DIR when ctest set
/// it up, else made here once per process (a test run by hand, outside ctest) with the same script.
inline std::filesystem::path FixtureDir(const std::string& name, const std::string& probe) {
  if (const char* env = std::getenv("XBAR_FIXTURE_DIR");
      env != nullptr && *env != '\0' && std::filesystem::exists(std::filesystem::path(env) / probe)) {
    return std::filesystem::path(env);
  }
  const std::filesystem::path out = TempDir() / "fixtures";
  if (!std::filesystem::exists(out / probe)) {
    const std::string command = std::string(XBAR_SOURCE_DIR) + "/tests/fixtures/" + name + ".sh " +
                                std::string(XBAR_BINARY_DIR) + "/tools/xbar " + out.string() + " >/dev/null";
    if (std::system(command.c_str()) != 0) std::abort();
  }
  return out;
}

inline std::filesystem::path MnistChipDir() { return FixtureDir("mnist_chip", "mnist-plain.xbcs"); }
inline std::filesystem::path SmallChipDir() { return FixtureDir("small_chip", "small.xbpulse"); }
inline std::filesystem::path ConvChipDir() { return FixtureDir("conv_chip", "conv.xbcs"); }

/// models/mnist-rails-hwa.xbm on chips/default.textproto, default compile options (IR-drop compensated).
inline std::string MnistPlan() { return (FixtureDir("mnist_compensated", "mnist.xbp") / "mnist.xbp").string(); }
/// The same without IR-drop compensation.
inline std::string MnistPlainPlan() { return (MnistChipDir() / "mnist-plain.xbp").string(); }
/// MnistPlainPlan() programmed by `xbar program` (seed 1, chip seed 1): pulse program and chip state.
inline std::string MnistPlainProgram() { return (MnistChipDir() / "mnist-plain.xbpulse").string(); }
inline std::string MnistPlainState() { return (MnistChipDir() / "mnist-plain.xbcs").string(); }

/// A small trained network (784-32-10, 30 steps) on the default chip: its plan (IR-drop compensated),
/// the same without compensation (other targets, another plan), and the first programmed (chip seed 5).
inline std::string SmallModel() { return (SmallChipDir() / "small.xbm").string(); }
inline std::string SmallPlan() { return (SmallChipDir() / "small.xbp").string(); }
inline std::string SmallPlainPlan() { return (SmallChipDir() / "small-plain.xbp").string(); }
inline std::string SmallProgram() { return (SmallChipDir() / "small.xbpulse").string(); }

/// A small convolutional network (1x28x28-c4k5s2p2-c8k5s2p2-10, 10 steps, trained hardware-aware)
/// on the default chip with two copies of each convolution: model, plan, and the plan programmed
/// (chip seed 5) as pulse program and chip state.
inline std::string ConvModel() { return (ConvChipDir() / "conv.xbm").string(); }
inline std::string ConvPlan() { return (ConvChipDir() / "conv.xbp").string(); }
inline std::string ConvProgram() { return (ConvChipDir() / "conv.xbpulse").string(); }
inline std::string ConvState() { return (ConvChipDir() / "conv.xbcs").string(); }

}  // namespace xbar::testing
