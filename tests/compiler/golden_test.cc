// Format compatibility pinned by committed artefacts (tests/data/golden/README.md): today's readers
// read them and write them back byte for byte, and the compiler and the programmer reproduce them
// (byte for byte in the Release build that made them).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <fstream>
#include <string>

#include "compiler/chip_io.h"
#include "compiler/chip_state_io.h"
#include "compiler/artifact_check.h"
#include "compiler/compile.h"
#include "compiler/model_io.h"
#include "compiler/plan_io.h"
#include "compiler/program_gen.h"
#include "compiler/pulse_io.h"
#include "device_models/chip_instance.h"
#include "tests/testing/temp.h"

namespace xbar::compiler {
namespace {

namespace fs = std::filesystem;

fs::path Golden(const std::string& name) { return fs::path(XBAR_SOURCE_DIR) / "tests/data/golden" / name; }

std::string Bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// `write(path)` writes a file; its bytes must be the golden file's.
template <typename Write>
void ExpectSameBytes(const std::string& golden, Write write) {
  const fs::path out = testing::TempDir() / ("golden_" + golden);
  auto ok = write(out.string());
  ASSERT_TRUE(ok.has_value()) << ok.error().message;
  const std::string want = Bytes(Golden(golden)), got = Bytes(out);
  EXPECT_GT(want.size(), 0u);
  EXPECT_TRUE(got == want) << golden << ": " << got.size() << " bytes written, golden has " << want.size();
}

// The golden files were made by the Release build (-O3 -march=x86-64-v3, CMakeLists.txt: the same
// bits on every machine of the kind). It reproduces them byte for byte. A sanitizer build instruments the arithmetic and GCC then fuses multiply-adds differently
// (its C++ default is -ffp-contract=fast), so the last bits of conductances differ: there the same
// code runs under ASan and UBSan and the reproduction is checked structurally and numerically.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kBitExactBuild = false;
#else
constexpr bool kBitExactBuild = true;
#endif

// Largest |a - b| over the cells both have (NaN where neither is a target), relative to max |b|;
// +inf when the shapes or the NaN patterns differ.
double RelativeDifference(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return std::numeric_limits<double>::infinity();
  double diff = 0, scale = 0;
  for (Eigen::Index i = 0; i < a.size(); ++i) {
    const double x = a.data()[i], y = b.data()[i];
    if (std::isnan(x) != std::isnan(y)) return std::numeric_limits<double>::infinity();
    if (std::isnan(x)) continue;
    diff = std::max(diff, std::abs(x - y));
    scale = std::max(scale, std::abs(y));
  }
  return scale > 0 ? diff / scale : diff;
}

TEST(Golden, ReadersReadEveryArtefactAndWriteItBackByteForByte) {
  auto model = ReadModel(Golden("model.xbm").string());
  ASSERT_TRUE(model.has_value()) << model.error().message;
  EXPECT_EQ(model->LayerSizes(), (std::vector<int>{784, 16, 10}));
  ExpectSameBytes("model.xbm", [&](const std::string& p) { return WriteModel(p, *model); });

  auto plan = ReadPlan(Golden("plan.xbp").string());
  ASSERT_TRUE(plan.has_value()) << plan.error().message;
  EXPECT_EQ(plan->tiles.size(), 8u);
  ExpectSameBytes("plan.xbp", [&](const std::string& p) { return WritePlan(p, *plan); });

  auto program = ReadPulseProgram(Golden("program.xbpulse").string());
  ASSERT_TRUE(program.has_value()) << program.error().message;
  EXPECT_EQ(program->chip_seed, 5u);
  ExpectSameBytes("program.xbpulse", [&](const std::string& p) { return WritePulseProgram(p, *program); });

  auto state = ReadChipState(Golden("state.xbcs").string());
  ASSERT_TRUE(state.has_value()) << state.error().message;
  EXPECT_EQ(state->chip_seed, 5u);
  ExpectSameBytes("state.xbcs", [&](const std::string& p) { return WriteChipState(p, *state); });
}

TEST(Golden, CompilingTheModelReproducesThePlan) {
  auto model = ReadModel(Golden("model.xbm").string());
  auto chip = ReadChipText(Golden("chip.textproto").string());
  auto golden = ReadPlan(Golden("plan.xbp").string());
  ASSERT_TRUE(model && chip && golden);
  auto plan = Compile(*model, *chip, CompileOptions{});
  ASSERT_TRUE(plan.has_value()) << plan.error().message;
  // Wall times are the only fields that may differ.
  plan->compile_seconds = golden->compile_seconds;
  ASSERT_EQ(plan->passes.size(), golden->passes.size());
  for (std::size_t i = 0; i < plan->passes.size(); ++i) plan->passes[i].seconds = golden->passes[i].seconds;
  if (kBitExactBuild) {
    ExpectSameBytes("plan.xbp", [&](const std::string& p) { return WritePlan(p, *plan); });
    return;
  }
  ASSERT_EQ(plan->tiles.size(), golden->tiles.size());
  for (std::size_t t = 0; t < plan->tiles.size(); ++t) {
    const PlanTile &a = plan->tiles[t], &b = golden->tiles[t];
    EXPECT_EQ(a.physical_index, b.physical_index) << "tile " << t;
    EXPECT_EQ(a.row_map, b.row_map) << "tile " << t;
    EXPECT_EQ(a.column_map, b.column_map) << "tile " << t;
    EXPECT_LT(RelativeDifference(a.target_g_s, b.target_g_s), 1e-9) << "tile " << t;
  }
}

TEST(Golden, ProgrammingThePlanReproducesTheProgramAndTheChipState) {
  auto plan = ReadPlan(Golden("plan.xbp").string());
  ASSERT_TRUE(plan.has_value()) << plan.error().message;
  auto chip = CreateChipInstance(*plan, 5);
  ASSERT_TRUE(chip.has_value()) << chip.error().message;
  ProgramOptions options;
  options.seed = 3;
  auto program = GenerateProgram(PlanTargets(*plan), *chip, options);
  ASSERT_TRUE(program.has_value()) << program.error().message;
  if (kBitExactBuild) {
    ExpectSameBytes("program.xbpulse", [&](const std::string& p) { return WritePulseProgram(p, *program); });
    ExpectSameBytes("state.xbcs", [&](const std::string& p) { return WriteChipState(p, ProgrammedState(*program, *chip)); });
    return;
  }
  auto golden = ReadPulseProgram(Golden("program.xbpulse").string());
  auto golden_state = ReadChipState(Golden("state.xbcs").string());
  ASSERT_TRUE(golden && golden_state);
  EXPECT_EQ(program->statistics.cells, golden->statistics.cells);
  EXPECT_EQ(program->statistics.pulses, golden->statistics.pulses);
  EXPECT_EQ(program->statistics.failed(), golden->statistics.failed());
  const auto state = ProgrammedState(*program, *chip);
  ASSERT_EQ(state.tiles.size(), golden_state->tiles.size());
  for (std::size_t t = 0; t < state.tiles.size(); ++t) {
    EXPECT_LT(RelativeDifference(state.tiles[t].g_s, golden_state->tiles[t].g_s), 1e-9) << "tile " << t;
  }
}

}  // namespace
}  // namespace xbar::compiler
