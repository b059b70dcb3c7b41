// Remapping around stuck cells: the maps move cells without changing a weight, stuck lines go onto
// the spares, rarely driven inputs onto damaged rows, and every reader of a plan follows the maps.
#include "compiler/remap.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "compiler/compile.h"
#include "compiler/plan_io.h"
#include "runtime/analog_chip.h"
#include "runtime/finetune.h"
#include "tests/testing/small_chip.h"
#include "tests/testing/temp.h"

namespace xbar::compiler {
namespace {

namespace dm = device_models;

using ::xbar::testing::SmallChip;

Model RandomModel(int inputs, int outputs) {
  std::srand(3);
  Model m;
  m.name = "random";
  m.weights.push_back(Eigen::MatrixXf::Random(outputs, inputs) * 0.1f);
  return m;
}

Plan Compiled(const Model& model, const dm::ChipSpec& chip, const RemapOptions& remap = {}) {
  CompileOptions options;
  options.compensate.enabled = chip.wires.r_row_ohm > 0;
  options.remap = remap;
  auto plan = Compile(model, chip, options);
  EXPECT_TRUE(plan.has_value()) << plan.error().message;
  return std::move(*plan);
}

/// A fault map of physical tile `tile`: every cell free but those listed, stuck on at g_max.
dm::TileState Faults(const dm::ChipSpec& chip, int tile, const std::vector<std::pair<int, int>>& stuck_on) {
  dm::TileState state;
  state.tile = tile;
  state.g_s = Eigen::MatrixXd::Constant(chip.tiles.rows, chip.tiles.columns, chip.device.memristor.g_min_s);
  state.stuck.assign(static_cast<std::size_t>(chip.tiles.rows) * chip.tiles.columns, dm::StuckState::kNone);
  for (auto [r, c] : stuck_on) {
    state.g_s(r, c) = chip.device.memristor.g_max_s;
    state.stuck[static_cast<std::size_t>(r) * chip.tiles.columns + c] = dm::StuckState::kOn;
  }
  return state;
}

void ExpectSameWeights(const Plan& a, const Plan& b, bool ir_drop) {
  auto wa = WeightsFromPlan(a, TargetConductances(a), ir_drop);
  auto wb = WeightsFromPlan(b, TargetConductances(b), ir_drop);
  ASSERT_TRUE(wa.has_value() && wb.has_value());
  for (std::size_t l = 0; l < wa->weights.size(); ++l) EXPECT_TRUE(wa->weights[l] == wb->weights[l]) << "layer " << l;
}

// Tile 0 of a 24 -> 6 layer on 16 x 16 tiles with 4 spare rows and columns (12 x 12 used): row 3
// has six stuck-on cells and bit line 7 is stuck on from top to bottom. Both fit on the spares.
TEST(Remap, MovesStuckLinesOntoTheSparesAndKeepsEveryWeight) {
  const dm::ChipSpec chip = SmallChip(4, 16, 16, 4, 4);
  const Model model = RandomModel(24, 6);
  std::vector<std::pair<int, int>> stuck;
  for (int c = 0; c < 6; ++c) stuck.emplace_back(3, c);
  for (int r = 0; r < 16; ++r) stuck.emplace_back(r, 7);
  RemapOptions remap;
  remap.faults = {Faults(chip, 0, stuck)};
  const Plan plain = Compiled(model, chip);
  const Plan moved = Compiled(model, chip, remap);
  ASSERT_TRUE(moved.Validate().has_value());
  const PlanTile& tile = moved.tiles[0];
  EXPECT_FALSE(tile.IsTopLeft());
  EXPECT_TRUE(moved.tiles[1].IsTopLeft());  // no faults known there
  for (int r = 0; r < tile.rows; ++r) {
    for (int c = 0; c < tile.used_columns; ++c) {
      const int wl = tile.row_map[static_cast<std::size_t>(r)], bl = tile.column_map[static_cast<std::size_t>(c)];
      EXPECT_FALSE(wl == 3 && bl < 6) << "row " << r << " on the damaged word line";
      EXPECT_NE(bl, 7) << "bit line " << c << " on the stuck bit line";
    }
  }
  // Pairs stay on physical pairs.
  for (int k = 0; k < tile.outputs; ++k) EXPECT_EQ(tile.column_map[2 * k] / 2, tile.column_map[2 * k + 1] / 2);
  const auto& stats = moved.passes[3];
  ASSERT_EQ(stats.pass, "remap");
  auto stat = [&](const std::string& name) {
    for (const auto& s : stats.statistics) {
      if (s.name == name) return s.value;
    }
    return -1.0;
  };
  EXPECT_EQ(stat("tiles-with-faults"), 1);
  EXPECT_EQ(stat("tiles-remapped"), 1);
  EXPECT_GT(stat("harmful-before"), 0);
  EXPECT_EQ(stat("harmful-after"), 0);
  // The cells moved, the weights did not: dequantised from the targets, exactly equal.
  ExpectSameWeights(plain, moved, false);
}

// No spare rows: the damaged word line 5 should carry the input that is never driven (weight 0).
TEST(Remap, PutsAnInputThatIsNeverDrivenOnTheDamagedRow) {
  const dm::ChipSpec chip = SmallChip(4, 12, 16, 0, 4);
  const Model model = RandomModel(12, 6);
  std::vector<std::pair<int, int>> stuck;
  for (int c = 0; c < 12; c += 2) stuck.emplace_back(5, c + (c / 2) % 2);
  RemapOptions remap;
  remap.faults = {Faults(chip, 0, stuck)};
  remap.input_weight = {std::vector<double>(12, 1.0)};
  remap.input_weight[0][9] = 0;
  Plan plan = Compiled(model, chip);
  const Plan plain = plan;
  auto report = RemapAroundStuckCells(plan, remap);
  ASSERT_TRUE(report.has_value()) << report.error().message;
  EXPECT_EQ(plan.tiles[0].row_map[9], 5);
  EXPECT_GT(report->cost_before, 0);
  EXPECT_EQ(report->cost_after, 0);
  ExpectSameWeights(plain, plan, false);
  // Bad weights are refused with the layer and the count.
  remap.input_weight = {std::vector<double>(11, 1.0)};
  auto bad = RemapAroundStuckCells(plan, remap);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message, "remap: layer 0 has 12 inputs but 11 input weights");
}

// Every reader of a plan follows the maps: the plan file, the chip view (transfer matrices with and
// without IR drop) and the fine-tuning read-back give the weights of the plain placement.
TEST(Remap, PlanFilesChipViewsAndReadBackFollowTheMaps) {
  const dm::ChipSpec chip = SmallChip(4, 16, 16, 4, 4, 2.0);
  const Model model = RandomModel(24, 6);
  std::vector<std::pair<int, int>> stuck;
  for (int r = 0; r < 16; ++r) stuck.emplace_back(r, 2);
  stuck.emplace_back(0, 9);
  RemapOptions remap;
  remap.faults = {Faults(chip, 0, stuck), Faults(chip, 1, {{4, 4}, {4, 5}, {11, 0}})};
  const Plan moved = Compiled(model, chip, remap);
  ASSERT_FALSE(moved.tiles[0].IsTopLeft());

  const std::string path = (::xbar::testing::TempDir() / "xbar_remap_plan.xbp").string();
  ASSERT_TRUE(WritePlan(path, moved).has_value());
  auto read = ReadPlan(path);
  ASSERT_TRUE(read.has_value()) << read.error().message;
  for (std::size_t t = 0; t < moved.tiles.size(); ++t) {
    EXPECT_EQ(read->tiles[t].row_map, moved.tiles[t].row_map);
    EXPECT_EQ(read->tiles[t].column_map, moved.tiles[t].column_map);
    EXPECT_TRUE(read->tiles[t].levels == moved.tiles[t].levels);
    const Eigen::ArrayXXd a = read->tiles[t].target_g_s.array(), b = moved.tiles[t].target_g_s.array();
    EXPECT_TRUE((a == b || (a.isNaN() && b.isNaN())).all()) << "tile " << t;
  }
  std::filesystem::remove(path);

  for (bool ir_drop : {false, true}) {
    runtime::ChipViewOptions options;
    options.ir_drop = ir_drop;
    auto view = runtime::ChipView::Create(moved, TargetConductances(moved), nullptr, options);
    ASSERT_TRUE(view.has_value()) << view.error().message;
    const Model got = runtime::ChipWeights(moved, *view);
    auto expected = WeightsFromPlan(moved, TargetConductances(moved), ir_drop);
    ASSERT_TRUE(expected.has_value());
    EXPECT_TRUE(got.weights[0].isApprox(expected->weights[0], 1e-12)) << "ir_drop " << ir_drop;
  }

  // A map that uses a line twice is refused.
  Plan broken = moved;
  broken.tiles[0].row_map[1] = broken.tiles[0].row_map[0];
  auto ok = broken.Validate();
  ASSERT_FALSE(ok.has_value());
  EXPECT_NE(ok.error().message.find("row map uses line"), std::string::npos) << ok.error().message;
}

}  // namespace
}  // namespace xbar::compiler
