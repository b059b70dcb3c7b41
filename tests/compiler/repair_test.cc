// Partner re-targeting at library level: a stuck cell's partner takes up its error, so the weight holds.
#include "compiler/repair.h"

#include <gtest/gtest.h>

#include <cmath>

#include "compiler/compile.h"
#include "compiler/layer_shape.h"
#include "tests/testing/conv_model.h"
#include "tests/testing/small_chip.h"

namespace xbar::compiler {
namespace {

constexpr double kLsb = 1e-10;  // verify LSB of the hand-made program, S: reads are near-exact

// A program in which every used cell of every tile converged (its one read is its target), except
// the cell at used row `r`, used bit line `c` of plan tile `failing`, which is reported `outcome` at
// `final_s`.
PulseProgram ProgramWithOneFailure(const Plan& plan, int r, int c, CellOutcome outcome, double final_s,
                                   std::size_t failing = 0) {
  PulseProgram program;
  program.chip_name = plan.chip.name;
  program.tolerance_s = plan.chip.programming.verify_tolerance_s;
  program.verify_lsb_s = kLsb;
  program.targets_crc32 = PlanTargetsChecksum(plan);
  for (std::size_t t = 0; t < plan.tiles.size(); ++t) {
    const PlanTile& tile = plan.tiles[t];
    TileProgram tp;
    tp.tile = tile.physical_index;
    for (int u = 0; u < tile.rows; ++u) {
      for (int v = 0; v < tile.used_columns; ++v) {
        const int wl = tile.row_map[static_cast<std::size_t>(u)], bl = tile.column_map[static_cast<std::size_t>(v)];
        const bool failed = t == failing && u == r && v == c;
        tp.cells.push_back({static_cast<uint16_t>(wl), static_cast<uint16_t>(bl), 0,
                            failed ? outcome : CellOutcome::kConverged});
        const double g = failed ? final_s : tile.target_g_s(wl, bl);
        tp.read_codes.push_back(static_cast<uint32_t>(std::lround(g / kLsb)));
      }
    }
    program.tiles.push_back(std::move(tp));
  }
  return program;
}

Model OneLayer(PairLayout* layout) {
  Model m;
  m.name = "pair";
  Eigen::MatrixXf w(2, 3);
  w << 1.0f, -0.5f, 0.25f, 0.3f, -1.0f, 0.1f;
  m.weights.push_back(w);
  *layout = {MappingScheme::kDifferential, 2};
  return m;
}

TEST(RetargetPartners, AStuckCellsPartnerTakesUpItsErrorSoTheWeightStaysWithinALevelStep) {
  PairLayout layout;
  const Model model = OneLayer(&layout);
  CompileOptions options;
  options.compensate.enabled = false;
  auto plan = Compile(model, ::xbar::testing::SmallChip(1, 8, 8, 0, 0), options);
  ASSERT_TRUE(plan.has_value()) << plan.error().message;
  const PlanTile& tile = plan->tiles[0];
  // Weight (0, 1) = -0.5: G+ at level 0, G- mid-window. G+ sticks 3 uS high.
  const int r = 1, plus = layout.plus_column(0), minus = layout.minus_column(0);
  const int wl = tile.row_map[r], plus_bl = tile.column_map[plus], minus_bl = tile.column_map[minus];
  const double g_plus = tile.target_g_s(wl, plus_bl), g_minus = tile.target_g_s(wl, minus_bl);
  ASSERT_EQ(g_plus, plan->chip.device.memristor.g_min_s);
  const double stuck_s = g_plus + 3e-6;
  const PulseProgram program = ProgramWithOneFailure(*plan, r, plus, CellOutcome::kStuck, stuck_s);

  auto repaired = RetargetPartners(*plan, program);
  ASSERT_TRUE(repaired.has_value()) << repaired.error().message;
  EXPECT_EQ(repaired->failed_cells, 1);
  EXPECT_EQ(repaired->stuck_cells, 1);
  EXPECT_EQ(repaired->partners_retargeted, 1);
  EXPECT_EQ(repaired->unrepaired, 0);
  // The partner, and only it, is to be reprogrammed, by the stuck cell's error.
  ASSERT_EQ(repaired->delta.size(), 1u);
  const Eigen::MatrixXd& delta = repaired->delta[0].target_g_s;
  EXPECT_EQ((delta.array() == delta.array()).count(), 1);
  const double read_plus = std::lround(stuck_s / kLsb) * kLsb;
  EXPECT_DOUBLE_EQ(delta(wl, minus_bl), g_minus + (read_plus - g_plus));

  // Read back as weights: the repaired pair gives the planned weight; without the repair the
  // stuck cell moves it by more than a level step.
  const double scale = plan->layers[0].scale[0];
  const double step = scale * plan->chip.LevelSpacingS();
  const double planned = scale * (g_plus - g_minus);
  const PlanTile& after = repaired->plan.tiles[0];
  const double with_repair = scale * (after.target_g_s(wl, plus_bl) - after.target_g_s(wl, minus_bl));
  const double without = scale * (read_plus - g_minus);
  EXPECT_EQ(after.target_g_s(wl, plus_bl), read_plus);  // the plan records what the stuck cell holds
  EXPECT_LT(std::abs(with_repair - planned), 1e-9 * std::abs(planned));
  EXPECT_LT(std::abs(with_repair - planned), step / 2);
  EXPECT_GT(std::abs(without - planned), step);
}

// A stuck cell in the second copy of a convolution's kernel matrix: its partner in that copy takes
// up the error, so both copies still hold the kernel of the plan; the plan keeps its geometry.
TEST(RetargetPartners, AStuckCellInAConvolutionsSecondCopyKeepsBothCopiesAlike) {
  Model model = ::xbar::testing::RandomConvModel("c2k3-3", Shape3{1, 5, 5}, 3, 3, 0.5f);
  model.weights[0](1, 0) = 1.0f;   // the clip
  model.weights[0](0, 1) = -0.5f;  // G+ at g_min, G- mid-window: a stuck-high G+ has a partner to move
  CompileOptions options;
  options.compensate.enabled = false;
  ASSERT_TRUE(SetPassOption(options, "conv", "replicas", "3").has_value());
  auto plan = Compile(model, ::xbar::testing::SmallChip(8, 16, 16, 0, 0), options);
  ASSERT_TRUE(plan.has_value()) << plan.error().message;
  ASSERT_EQ(plan->layers[0].replicas, 3);
  std::size_t failing = plan->tiles.size();
  for (std::size_t t = 0; t < plan->tiles.size(); ++t) {
    if (plan->tiles[t].layer == 0 && plan->tiles[t].replica == 1) failing = t;
  }
  ASSERT_LT(failing, plan->tiles.size());
  const PlanTile& tile = plan->tiles[failing];
  const PairLayout layout = plan->Layout(tile);
  // Kernel element 1 of output channel 0: used row 1 (the tile holds the whole 9 x 2 matrix).
  const int r = 1, wl = tile.row_map[r], plus_bl = tile.column_map[layout.plus_column(0)];
  ASSERT_EQ(tile.target_g_s(wl, plus_bl), plan->chip.device.memristor.g_min_s);
  const PulseProgram program = ProgramWithOneFailure(*plan, r, layout.plus_column(0), CellOutcome::kStuck,
                                                     plan->chip.device.memristor.g_min_s + 3e-6, failing);
  auto repaired = RetargetPartners(*plan, program);
  ASSERT_TRUE(repaired.has_value()) << repaired.error().message;
  EXPECT_EQ(repaired->stuck_cells, 1);
  EXPECT_EQ(repaired->partners_retargeted, 1);
  EXPECT_EQ(repaired->unrepaired, 0);
  ASSERT_EQ(repaired->delta.size(), 1u);
  EXPECT_EQ(repaired->delta[0].tile, tile.physical_index);
  const Plan& fixed = repaired->plan;
  EXPECT_TRUE(fixed.Validate().has_value());
  EXPECT_EQ(DescribeArchitecture(fixed.Shapes()), "1x5x5-c2k3-3");
  EXPECT_EQ(fixed.layers[0].replicas, 3);
  // Read back as weights: every copy of the repaired plan holds the planned kernels; copy 1 with
  // the stuck cell and no repair would not.
  auto planned = WeightsFromPlan(*plan, TargetConductances(*plan), false, 0, 0);
  ASSERT_TRUE(planned.has_value());
  const double step = plan->layers[0].scale[0] * plan->chip.LevelSpacingS();
  for (int copy = 0; copy < 3; ++copy) {
    auto held = WeightsFromPlan(fixed, TargetConductances(fixed), false, 0, copy);
    ASSERT_TRUE(held.has_value());
    EXPECT_LT((held->weights[0] - planned->weights[0]).cwiseAbs().maxCoeff(), 1e-3 * step) << "copy " << copy;
  }
  Plan unrepaired = *plan;
  unrepaired.tiles[failing].target_g_s(wl, plus_bl) = fixed.tiles[failing].target_g_s(wl, plus_bl);
  auto broken = WeightsFromPlan(unrepaired, TargetConductances(unrepaired), false, 0, 1);
  ASSERT_TRUE(broken.has_value());
  EXPECT_GT((broken->weights[0] - planned->weights[0]).cwiseAbs().maxCoeff(), step);
}

TEST(RetargetPartners, AProgramOfAnotherPlanOrANonPositiveGainIsRefused) {
  PairLayout layout;
  const Model model = OneLayer(&layout);
  CompileOptions options;
  options.compensate.enabled = false;
  auto plan = Compile(model, ::xbar::testing::SmallChip(1, 8, 8, 0, 0), options);
  ASSERT_TRUE(plan.has_value());
  PulseProgram program = ProgramWithOneFailure(*plan, 0, 0, CellOutcome::kConverged, 0);
  EXPECT_FALSE(RetargetPartners(*plan, program, 0.0).has_value());
  program.targets_crc32 ^= 1;
  auto other = RetargetPartners(*plan, program);
  ASSERT_FALSE(other.has_value());
  EXPECT_NE(other.error().message.find("(a program of another plan)"), std::string::npos) << other.error().message;
}

// The offset scheme has no partner: the failed cell is counted unrepaired and nothing is re-targeted.
TEST(RetargetPartners, OffsetSchemeCellsHaveNoPartner) {
  PairLayout layout;
  const Model model = OneLayer(&layout);
  auto chip = ::xbar::testing::SmallChip(1, 8, 8, 0, 0);
  chip.columns_per_neuron = 1;
  CompileOptions options;
  options.compensate.enabled = false;
  auto plan = Compile(model, chip, options);
  ASSERT_TRUE(plan.has_value()) << plan.error().message;
  const PlanTile& tile = plan->tiles[0];
  const double g = tile.target_g_s(tile.row_map[1], tile.column_map[0]);
  auto repaired = RetargetPartners(*plan, ProgramWithOneFailure(*plan, 1, 0, CellOutcome::kStuck, g + 3e-6));
  ASSERT_TRUE(repaired.has_value());
  EXPECT_EQ(repaired->failed_cells, 1);
  EXPECT_EQ(repaired->unrepaired, 1);
  EXPECT_EQ(repaired->partners_retargeted, 0);
  EXPECT_TRUE(repaired->delta.empty());
}

}  // namespace
}  // namespace xbar::compiler
