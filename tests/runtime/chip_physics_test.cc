// The chip model applies the chip's physics, not the model's: its supply rails and drivers' range
// bound a network trained without them, and every read is costed in the array, the word-line
// drivers and the current stages (docs/inference.md "Energy").
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

#include "compiler/compile.h"
#include "runtime/analog_chip.h"
#include "runtime/chip_view.h"
#include "tests/testing/small_chip.h"

namespace xbar::runtime {
namespace {

// One dense layer of 4 outputs over 20 inputs on 8x8 tiles (3 row blocks x 1 column block), the
// model unbounded; read at the targets, without IR drop.
struct OneLayer {
  compiler::Plan plan;
  ChipView view;
};

OneLayer Compile(double rail_low_v, double rail_high_v) {
  std::srand(5);
  compiler::Model model;
  model.name = "one-layer";
  model.weights = {Eigen::MatrixXf::Random(4, 20)};
  model.encoding.steps = 10;
  model.encoding.period = 3;
  device_models::ChipSpec chip = ::xbar::testing::SmallChip(4, 8, 8, 0, 0);
  chip.analog.rail_low_v = rail_low_v;
  chip.analog.rail_high_v = rail_high_v;
  compiler::CompileOptions options;
  options.compensate.enabled = false;
  auto plan = compiler::Compile(model, chip, options);
  EXPECT_TRUE(plan.has_value()) << plan.error().message;
  ChipViewOptions view_options;
  view_options.ir_drop = false;
  auto view = ChipView::Create(*plan, compiler::TargetConductances(*plan), nullptr, view_options);
  EXPECT_TRUE(view.has_value()) << view.error().message;
  return {std::move(*plan), std::move(*view)};
}

TEST(ChipPhysics, TheChipsRailsAndDriversBoundAModelTrainedWithoutThem) {
  const OneLayer net = Compile(-0.8, 0.9);
  ASSERT_FALSE(net.plan.neuron.bounded());
  EXPECT_TRUE(net.view.neuron().bounded());
  EXPECT_EQ(net.view.neuron().rail_low_mv, -800);
  EXPECT_EQ(net.view.neuron().rail_high_mv, 900);
  EXPECT_EQ(net.view.drive_limit_mv(), net.plan.chip.analog.DriveLimitMv());
  // The rest of the neuron is the model's.
  EXPECT_EQ(net.view.neuron().c, net.plan.neuron.c);
  EXPECT_EQ(net.view.neuron().tau_steps, net.plan.neuron.tau_steps);
  EXPECT_EQ(net.plan.chip.OnChip(net.plan.neuron).rail_high_mv, 900);
}

TEST(ChipPhysics, EveryReadIsCostedInTheArrayTheDriversAndTheCurrentStages) {
  const OneLayer net = Compile(-1.0, 1.0);
  const ChipView& view = net.view;
  std::vector<uint8_t> codes(20);
  for (int i = 0; i < 20; ++i) codes[static_cast<std::size_t>(i)] = static_cast<uint8_t>(13 * i);
  AnalogChip chip(view);
  auto run = RunImage(chip, view, codes, false);
  ASSERT_TRUE(run.has_value()) << run.error().message;

  // Layer 0 is read at the impulses only (steps 0, 3, 6, 9), every tile once, at these word lines.
  Eigen::VectorXd in(20);
  for (int i = 0; i < 20; ++i) in(i) = codes[static_cast<std::size_t>(i)] / kInputCodeMax * view.v_read_v();
  const double sense_s = view.timing().sense_cycles / view.clock_hz();
  double read_j = 0, driver_j = 0, stage_c = 0;
  for (const ChipView::Tile& tile : view.tiles()) {
    const Eigen::VectorXd v = in.segment(tile.row_offset, tile.rows);
    for (int r = 0; r < tile.rows; ++r) {
      read_j += v(r) * v(r) * tile.row_conductance_s(r) * sense_s;
      driver_j += 1.0 * v(r) * tile.row_conductance_s(r) * sense_s;  // inputs >= 0: the +1 V rail
    }
    const Eigen::VectorXd i = tile.transfer * v;
    for (int c = 0; c < tile.used_columns; ++c) stage_c += tile.stage_gain(c) * std::abs(i(c)) * sense_s;
  }
  const double impulses = 4;
  const ReadCost& cost = run->energy.reads;
  EXPECT_NEAR(cost.read_j, impulses * read_j, 1e-12 * impulses * read_j);
  EXPECT_NEAR(cost.driver_j, impulses * driver_j, 1e-12 * impulses * driver_j);
  EXPECT_NEAR(cost.stage_c, impulses * stage_c, 1e-12 * impulses * stage_c);
  EXPECT_GT(cost.driver_j, cost.read_j);  // the drivers draw from the rails, not from the word lines
  EXPECT_GT(cost.stage_c, 0);

  // Each bit line's current stage is its output's ChipSpec::CurrentStageGain; both lines of a
  // differential pair alike.
  const ChipView::Tile& tile = view.tiles().front();
  for (int o = 0; o < tile.outputs; ++o) {
    const double k = std::abs(net.plan.chip.CurrentStageGain(net.plan.neuron, view.layers()[0].gain(tile.column_offset + o),
                                                             sense_s));
    EXPECT_DOUBLE_EQ(tile.stage_gain(tile.columns.plus_column(o)), k);
    EXPECT_DOUBLE_EQ(tile.stage_gain(tile.columns.minus_column(o)), k);
  }
  EXPECT_DOUBLE_EQ(view.MaxCurrentStageGain(), [&] {
    double k = 0;
    for (const ChipView::Tile& t : view.tiles()) k = std::max(k, t.stage_gain.maxCoeff());
    return k;
  }());

  // The synapses carry the drive: the output stage's current summed over steps and neurons.
  EXPECT_GT(run->energy.synapse_out_units, 0);
  EXPECT_GT(run->energy.synapse_in_units, 0);
}

}  // namespace
}  // namespace xbar::runtime
