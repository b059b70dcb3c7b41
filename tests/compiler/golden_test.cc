// Format compatibility pinned by committed artefacts (tests/data/golden/README.md): today's readers
// read them and write them back byte for byte, and the compiler and the programmer reproduce them.
#include <gtest/gtest.h>

#include <filesystem>
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
  ExpectSameBytes("plan.xbp", [&](const std::string& p) { return WritePlan(p, *plan); });
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
  ExpectSameBytes("program.xbpulse", [&](const std::string& p) { return WritePulseProgram(p, *program); });
  ExpectSameBytes("state.xbcs", [&](const std::string& p) { return WriteChipState(p, ProgrammedState(*program, *chip)); });
}

}  // namespace
}  // namespace xbar::compiler
