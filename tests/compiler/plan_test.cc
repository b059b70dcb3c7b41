// What a plan asks of a chip: its targets, and the chip instance it may go onto (created or restored).
#include "compiler/plan.h"

#include <gtest/gtest.h>

#include <string>

#include "compiler/artifact_check.h"
#include "compiler/compile.h"
#include "tests/testing/small_chip.h"

namespace xbar::compiler {
namespace {

Plan SmallPlan() {
  std::srand(3);
  Model m;
  m.name = "plan";
  m.weights.push_back(Eigen::MatrixXf::Random(6, 10));  // two tiles of 8 rows
  CompileOptions options;
  options.compensate.enabled = false;
  auto plan = Compile(m, ::xbar::testing::SmallChip(4, 8, 16, 0, 0), options);
  XBAR_CHECK(plan.has_value());
  return *plan;
}

TEST(PlanTargets, OneEntryPerTileWithItsPhysicalIndexAndTargets) {
  Plan plan = SmallPlan();
  ASSERT_EQ(plan.tiles.size(), 2u);
  plan.tiles[1].physical_index = 3;
  const std::vector<TileTargets> targets = PlanTargets(plan);
  ASSERT_EQ(targets.size(), 2u);
  for (std::size_t t = 0; t < targets.size(); ++t) {
    EXPECT_EQ(targets[t].tile, plan.tiles[t].physical_index);
    const Eigen::ArrayXXd a = targets[t].target_g_s.array(), b = plan.tiles[t].target_g_s.array();
    EXPECT_TRUE((a == b || (a.isNaN() && b.isNaN())).all());
    EXPECT_GT(b.isNaN().count(), 0);
  }
  EXPECT_EQ(PlanTargetsChecksum(plan), TargetsChecksum(targets));
  const uint32_t before = PlanTargetsChecksum(plan);
  plan.tiles[0].target_g_s(0, 0) += 1e-7;
  EXPECT_NE(PlanTargetsChecksum(plan), before);
}

TEST(CreateChipInstance, ARemappedPlanFitsOnlyItsOwnInstance) {
  Plan plan = SmallPlan();
  auto any = CreateChipInstance(plan, 9);
  ASSERT_TRUE(any.has_value());
  EXPECT_EQ(any->seed(), 9u);
  plan.faults_chip_seed = 4;
  EXPECT_TRUE(CreateChipInstance(plan, 4).has_value());
  auto other = CreateChipInstance(plan, 5);
  ASSERT_FALSE(other.has_value());
  EXPECT_EQ(other.error().message,
            "the plan was remapped around the stuck cells of chip instance 4 (xbar compile --faults); it does not "
            "fit chip instance 5");
}

TEST(RestoreChipInstance, RestoresTheStateAndWantsEveryPlanTileInIt) {
  const Plan plan = SmallPlan();
  auto chip = CreateChipInstance(plan, 7);
  ASSERT_TRUE(chip.has_value());
  chip->DrawTile(0);
  chip->DrawTile(1);
  chip->SetConductance(1, 2, 3, 12e-6);
  const std::vector<int> both = {0, 1};
  auto restored = RestoreChipInstance(plan, chip->State(both));
  ASSERT_TRUE(restored.has_value()) << restored.error().message;
  EXPECT_EQ(restored->Conductance(1, 2, 3), chip->Conductance(1, 2, 3));
  const std::vector<int> first = {0};
  auto missing = RestoreChipInstance(plan, chip->State(first));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().message, "chip state: tile 1 of the plan is not in the chip state (programmed for another plan?)");
  Plan remapped = plan;
  remapped.faults_chip_seed = 8;
  EXPECT_FALSE(RestoreChipInstance(remapped, chip->State(both)).has_value());
}

}  // namespace
}  // namespace xbar::compiler
