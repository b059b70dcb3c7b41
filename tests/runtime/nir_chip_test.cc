// NIR plans on the chip model: spike trains through the programmed chip (IR drop, programming
// error, drift, read noise, drift compensation) give exactly the spikes of the software run of the
// network the chip realises (what xbar export writes), the rails hold the membranes and the run
// says how often, and the chip refuses what its circuits cannot run in one line.
#include <gtest/gtest.h>

#include <random>

#include "compiler/artifact_check.h"
#include "compiler/chip_io.h"
#include "compiler/compile.h"
#include "compiler/import.h"
#include "compiler/nir_import.h"
#include "compiler/program_gen.h"
#include "runtime/backend.h"
#include "runtime/chip_eval.h"
#include "runtime/chip_spikes.h"
#include "runtime/nir_sim.h"
#include "support/rng.h"
#include "tests/testing/nir_graph.h"

namespace xbar::runtime {
namespace {

struct Programmed {
  compiler::Plan plan;
  device_models::ChipInstance chip;
};

device_models::ChipSpec DefaultChip() {
  auto chip = compiler::ReadChipText(std::string(XBAR_SOURCE_DIR) + "/chips/default.textproto");
  EXPECT_TRUE(chip.has_value()) << chip.error().message;
  return chip.value_or(device_models::ChipSpec{});
}

// A NIR file compiled onto `spec` and programmed by write-verify (chip seed 3, program seed 4).
Programmed Program(const std::string& file, const device_models::ChipSpec& spec) {
  auto model = compiler::ImportModel(testing::kNirDir + file);
  EXPECT_TRUE(model.has_value()) << model.error().message;
  auto plan = compiler::Compile(*model, spec, {});
  EXPECT_TRUE(plan.has_value()) << plan.error().message;
  auto chip = compiler::CreateChipInstance(*plan, 3);
  EXPECT_TRUE(chip.has_value()) << chip.error().message;
  compiler::ProgramOptions options;
  options.seed = 4;
  auto program = compiler::GenerateProgram(compiler::PlanTargets(*plan), *chip, options);
  EXPECT_TRUE(program.has_value()) << program.error().message;
  return {std::move(*plan), std::move(*chip)};
}

// The chip read at one day, read noise, IR drop and per-bit-line drift compensation on.
ChipView ViewAtOneDay(const Programmed& p) {
  ChipEvalOptions options;
  options.seed = 5;
  const auto reference = ReferenceReads(p.plan, p.chip, options);
  const auto present = ReadsAtAge(p.plan, p.chip, 86400.0, options);
  ChipViewOptions view_options;
  view_options.compensation = DriftCompensation::kColumn;
  auto view = ChipView::Create(p.plan, present, &reference, view_options);
  EXPECT_TRUE(view.has_value()) << view.error().message;
  return std::move(*view);
}

// N seeded spike trains of `steps` steps, each input spiking with probability `rate` per step.
NpyTensor Spikes(int64_t n, int64_t steps, const std::vector<int64_t>& shape, double rate, uint64_t seed) {
  NpyTensor t;
  t.shape = {n, steps};
  t.shape.insert(t.shape.end(), shape.begin(), shape.end());
  int64_t size = 1;
  for (int64_t d : t.shape) size *= d;
  Rng rng(seed);
  std::bernoulli_distribution spike(rate);
  t.values.resize(static_cast<std::size_t>(size));
  for (double& v : t.values) v = spike(rng) ? 1.0 : 0.0;
  return t;
}

// The software run of the network the chip realises through `view`, as xbar export writes it.
NirBatch RunRealised(const Programmed& p, const ChipView& view, const NpyTensor& spikes) {
  auto graph = compiler::NirFromModel(RealisedModel(p.plan, view));
  EXPECT_TRUE(graph.has_value()) << graph.error().message;
  auto net = NirNetwork::Create(std::move(*graph), {}, "realised.nir");
  EXPECT_TRUE(net.has_value()) << net.error().message;
  auto batch = RunNirSpikes(*net, spikes, "in.npy", 2);
  EXPECT_TRUE(batch.has_value()) << batch.error().message;
  return std::move(*batch);
}

// A test chip whose comparator threshold is 1 mV, so that membranes of +-1000 thresholds stay
// within the rails (no comparator is that fine: it takes the rails out of reach, so that the test
// sees the arithmetic alone; random spike trains drive these networks' membranes to -100
// thresholds and beyond, TheRailsHold... below).
device_models::ChipSpec WideRailsChip() {
  device_models::ChipSpec spec = DefaultChip();
  spec.spiking.threshold_v = 0.001;
  return spec;
}

TEST(NirChip, SpikesEqualTheSoftwareRunOfWhatTheChipRealises) {
  const struct {
    const char* file;
    int64_t steps;
    double rate;
  } cases[] = {{"braille_noDelay_bias_zero.nir", 60, 0.3}, {"cnn_sinabs.nir", 12, 0.1}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file);
    const Programmed p = Program(c.file, WideRailsChip());
    const ChipView view = ViewAtOneDay(p);
    const NpyTensor spikes = Spikes(3, c.steps, SpikeInputShape(view), c.rate, 7);
    auto chip = RunChipSpikes(view, spikes, "in.npy", 2);
    ASSERT_TRUE(chip.has_value()) << chip.error().message;
    const NirBatch software = RunRealised(p, view, spikes);
    EXPECT_EQ(chip->energy.range.at_rail, 0u);  // the rails out of reach: nothing but the weights differs
    EXPECT_GT(chip->batch.output_total, 0);
    EXPECT_EQ(chip->batch.outputs.values, software.outputs.values);
    EXPECT_EQ(chip->batch.decisions, software.decisions);
    // The membranes differ by the rounding of the realised weights to the model's float32 (2^-24
    // relative), summed over a few hundred inputs and steps.
    double worst = 0;
    for (std::size_t i = 0; i < software.membranes.values.size(); ++i) {
      worst = std::max(worst, std::abs(chip->batch.membranes.values[i] - software.membranes.values[i]) /
                                  (1 + std::abs(software.membranes.values[i])));
    }
    EXPECT_LT(worst, 1e-5);
    // The same on one thread.
    auto serial = RunChipSpikes(view, spikes, "in.npy", 1);
    ASSERT_TRUE(serial.has_value());
    EXPECT_EQ(serial->batch.membranes.values, chip->batch.membranes.values);
    EXPECT_EQ(serial->energy.reads.read_j, chip->energy.reads.read_j);
  }
}

TEST(NirChip, TheRailsHoldTheMembranesAndTheRunSaysHowOften) {
  // The default chip: threshold 50 mV, rails +-1 V, so a membrane stays within +-20 thresholds.
  // Dense random input drives the Sinabs network's IF membranes far below zero.
  const Programmed p = Program("cnn_sinabs.nir", DefaultChip());
  const ChipView view = ViewAtOneDay(p);
  EXPECT_DOUBLE_EQ(view.layers()[0].volts_per_unit, 0.05);
  EXPECT_DOUBLE_EQ(view.layers()[0].population.v_min, -20.0);
  const NpyTensor spikes = Spikes(2, 12, SpikeInputShape(view), 0.3, 8);
  auto chip = RunChipSpikes(view, spikes, "in.npy", 2);
  ASSERT_TRUE(chip.has_value()) << chip.error().message;
  const VoltageRange& range = chip->energy.range;
  EXPECT_GT(range.at_rail, 0u);
  EXPECT_EQ(range.membrane_samples, uint64_t{2 * 12 * 8970});
  EXPECT_DOUBLE_EQ(range.peak_membrane_mv, 1000.0);
  double lowest = 0;
  for (double v : chip->batch.membranes.values) lowest = std::min(lowest, v);
  EXPECT_GE(lowest, -20.0);
  EXPECT_GT(chip->energy.spiking_charge_c, 0);
  EXPECT_GT(chip->energy.reads.read_j, 0);
}

TEST(NirChip, TheRtlControllerGivesTheBehaviouralChipsSpikesBitForBit) {
  // The convolutional and the recurrent network on the default chip (its rails as they are): the
  // SystemVerilog controller under Verilator, step by step (OpInput, OpStep, OpResult), drives the
  // same chip model; every output, membrane, decision, joule and cycle is equal.
  const struct {
    const char* file;
    int64_t steps;
    double rate;
  } cases[] = {{"braille_noDelay_bias_zero.nir", 40, 0.3}, {"cnn_sinabs.nir", 6, 0.1}};
  auto behavioural = MakeBackend("behavioural");
  auto rtl = MakeBackend("rtl");
  ASSERT_TRUE(behavioural.has_value() && rtl.has_value());
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file);
    const Programmed p = Program(c.file, DefaultChip());
    const ChipView view = ViewAtOneDay(p);
    const NpyTensor spikes = Spikes(2, c.steps, SpikeInputShape(view), c.rate, 10);
    auto a = (*behavioural)->InferSpikes(view, spikes, "in.npy", 2);
    auto b = (*rtl)->InferSpikes(view, spikes, "in.npy", 2);
    ASSERT_TRUE(a.has_value()) << a.error().message;
    ASSERT_TRUE(b.has_value()) << b.error().message;
    EXPECT_GT(a->batch.output_total, 0);
    EXPECT_EQ(a->batch.outputs.values, b->batch.outputs.values);
    EXPECT_EQ(a->batch.membranes.values, b->batch.membranes.values);
    EXPECT_EQ(a->batch.decisions, b->batch.decisions);
    EXPECT_EQ(a->energy.reads.read_j, b->energy.reads.read_j);
    EXPECT_EQ(a->energy.spiking_charge_c, b->energy.spiking_charge_c);
    EXPECT_EQ(a->energy.range.at_rail, b->energy.range.at_rail);
    // The behavioural backend's cycle model is what the controller counts.
    EXPECT_EQ(a->cycles_per_sample, b->cycles_per_sample);
    EXPECT_EQ(a->cycles_per_sample, SpikeCycles(view, c.steps));
  }
}

TEST(NirChip, RefusesCountsTheInputRegisterCannotHoldAndPlansItCannotPlace) {
  const Programmed p = Program("lif_norse.nir", DefaultChip());
  const ChipView view = ViewAtOneDay(p);
  NpyTensor spikes = Spikes(1, 4, SpikeInputShape(view), 0.5, 9);
  spikes.values[2] = 256;
  auto run = RunChipSpikes(view, spikes, "in.npy", 1);
  ASSERT_FALSE(run.has_value());
  EXPECT_EQ(run.error().message,
            "in.npy, sample 0: spike count 256 at step 2, input 0 is not a whole number in [0, 255]");
  spikes.values[2] = 0.5;
  EXPECT_FALSE(RunChipSpikes(view, spikes, "in.npy", 1).has_value());

  auto model = compiler::ImportModel(testing::kNirDir + "braille_noDelay_bias_zero.nir");
  ASSERT_TRUE(model.has_value());
  device_models::ChipSpec spec = DefaultChip();
  spec.spiking.kinds = {device_models::SpikingKind::kIF, device_models::SpikingKind::kLIF};
  auto plan = compiler::Compile(*model, spec, {});
  ASSERT_FALSE(plan.has_value());
  EXPECT_EQ(plan.error().message,
            "layer 0's CubaLIF neurons have no circuit on the chip, whose spiking_neurons.kinds are IF, LIF (use "
            "another --chip)");
  spec = DefaultChip();
  spec.spiking.count = 40;
  plan = compiler::Compile(*model, spec, {});
  ASSERT_FALSE(plan.has_value());
  EXPECT_EQ(plan.error().message,
            "network needs 45 integrate-and-fire neurons but the chip has 40 (use a larger --chip)");
}

}  // namespace
}  // namespace xbar::runtime
