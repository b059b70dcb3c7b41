// The one check that a plan, a pulse program and a chip state belong together: each rule and its message.
#include "compiler/artifact_check.h"

#include <gtest/gtest.h>

#include "compiler/compile.h"
#include "tests/testing/small_chip.h"

namespace xbar::compiler {
namespace {

struct Artifacts {
  Plan plan;
  PulseProgram program;
  device_models::ChipState state;
};

Plan SmallPlan(unsigned seed) {
  std::srand(seed);
  Model model;
  model.name = "random";
  model.weights.push_back(Eigen::MatrixXf::Random(4, 10) * 0.1f);
  CompileOptions options;
  options.compensate.enabled = false;
  auto plan = Compile(model, ::xbar::testing::SmallChip(4, 8, 8, 0, 0), options);
  EXPECT_TRUE(plan.has_value()) << plan.error().message;
  return *plan;
}

Artifacts Programmed(unsigned model_seed, uint64_t chip_seed) {
  Artifacts a{SmallPlan(model_seed), {}, {}};
  auto chip = device_models::ChipInstance::Create(a.plan.chip, chip_seed);
  EXPECT_TRUE(chip.has_value());
  std::vector<TileTargets> targets;
  for (const auto& tile : a.plan.tiles) targets.push_back({tile.physical_index, tile.target_g_s});
  auto program = GenerateProgram(targets, *chip, ProgramOptions{});
  EXPECT_TRUE(program.has_value());
  a.program = *program;
  a.state = ProgrammedState(a.program, *chip);
  return a;
}

TEST(ArtifactCheck, AcceptsAPlanWithItsOwnProgramAndState) {
  const Artifacts a = Programmed(1, 5);
  EXPECT_NE(a.program.targets_crc32, 0u);
  EXPECT_EQ(a.program.targets_crc32, PlanTargetsChecksum(a.plan));
  EXPECT_TRUE(CheckProgramFitsPlan(a.plan, a.program, "p.xbpulse").has_value());
  EXPECT_TRUE(CheckStateFitsPlan(a.plan, a.state, "s.xbcs").has_value());
  EXPECT_TRUE(CheckChipSeed(a.plan, 12345, "m.xbp").has_value());  // a plan not remapped fits any instance
}

TEST(ArtifactCheck, ProgramOfAnotherPlan_bad) {
  const Artifacts a = Programmed(1, 5), b = Programmed(2, 5);
  auto r = CheckProgramFitsPlan(a.plan, b.program, "b.xbpulse");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message, "b.xbpulse: pulse program for chip 'small' and targets crc32 " +
                                   std::to_string(b.program.targets_crc32) +
                                   ", the plan is for chip 'small' with targets crc32 " +
                                   std::to_string(PlanTargetsChecksum(a.plan)) + " (generate it from this plan)");
}

TEST(ArtifactCheck, ProgramWithoutChecksum_bad) {
  // A zero CRC ("unknown") is not accepted, even when the chip matches.
  Artifacts a = Programmed(1, 5);
  a.program.targets_crc32 = 0;
  auto r = CheckProgramFitsPlan(a.plan, a.program, "old.xbpulse");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "old.xbpulse: pulse program for chip 'small' and targets crc32 0, the plan is for "
                               "chip 'small' with targets crc32 " +
                                   std::to_string(PlanTargetsChecksum(a.plan)) + " (generate it from this plan)");
}

TEST(ArtifactCheck, ProgramForAnotherChip_bad) {
  Artifacts a = Programmed(1, 5);
  a.program.chip_name = "big";
  auto r = CheckProgramFitsPlan(a.plan, a.program, "p.xbpulse");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message.rfind("p.xbpulse: pulse program for chip 'big' and targets crc32 ", 0), 0u)
      << r.error().message;
}

TEST(ArtifactCheck, RemappedPlanOnAnotherInstance_bad) {
  Artifacts a = Programmed(1, 5);
  a.plan.faults_chip_seed = 3;
  const std::string tail =
      "the plan was remapped around the stuck cells of chip instance 3 (xbar compile --faults); it does not fit "
      "chip instance 5";
  auto program = CheckProgramFitsPlan(a.plan, a.program, "p.xbpulse");
  ASSERT_FALSE(program.has_value());
  EXPECT_EQ(program.error().message, "p.xbpulse: " + tail);
  auto state = CheckStateFitsPlan(a.plan, a.state, "s.xbcs");
  ASSERT_FALSE(state.has_value());
  EXPECT_EQ(state.error().message, "s.xbcs: " + tail);
  auto seed = CheckChipSeed(a.plan, 5, "m.xbp");
  ASSERT_FALSE(seed.has_value());
  EXPECT_EQ(seed.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(seed.error().message, "m.xbp: " + tail);
  EXPECT_TRUE(CheckChipSeed(a.plan, 3, "m.xbp").has_value());
}

TEST(ArtifactCheck, StateWithoutEveryPlanTile_bad) {
  Artifacts a = Programmed(1, 5);
  ASSERT_FALSE(a.state.tiles.empty());
  const int missing = a.state.tiles.front().tile;
  a.state.tiles.erase(a.state.tiles.begin());
  auto r = CheckStateFitsPlan(a.plan, a.state, "s.xbcs");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message, "s.xbcs: tile " + std::to_string(missing) +
                                   " of the plan is not in the chip state (programmed for another plan?)");
}

TEST(ArtifactCheck, StateOfAnotherChip_bad) {
  Artifacts a = Programmed(1, 5);
  a.state.chip_name = "big";
  auto r = CheckStateFitsPlan(a.plan, a.state, "s.xbcs");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "s.xbcs: chip state of chip 'big', the plan is for chip 'small'");
}

// xbar compile --faults: the state must be of the chip compiled for (name and tile size).
TEST(ArtifactCheck, StateFitsTheChipItWasReadFrom) {
  Artifacts a = Programmed(1, 5);
  EXPECT_TRUE(CheckStateFitsChip(a.state, a.plan.chip, "s.xbcs", "c.textproto").has_value());
  device_models::ChipSpec other = a.plan.chip;
  other.tiles.rows += 1;
  auto r = CheckStateFitsChip(a.state, other, "s.xbcs", "c.textproto");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message, "s.xbcs: a state of chip 'small' (" + std::to_string(a.state.tile_rows) + "x" +
                                   std::to_string(a.state.tile_columns) + " tiles), not of c.textproto ('small')");
  other = a.plan.chip;
  other.name = "big";
  EXPECT_FALSE(CheckStateFitsChip(a.state, other, "s.xbcs", "c.textproto").has_value());
}

}  // namespace
}  // namespace xbar::compiler
