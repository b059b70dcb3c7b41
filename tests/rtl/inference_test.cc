// Inference on the programmed chip: the chip model against the software network, and the
// co-simulation contract — the RTL controller driving the chip model through DPI-C gives the same
// decisions, accumulators, membrane samples, energy and cycle counts as the behavioural backend.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <span>
#include <string>
#include <vector>

#include "compiler/artifact_check.h"
#include "compiler/compile.h"
#include "compiler/plan_io.h"
#include "compiler/program_gen.h"
#include "runtime/backend.h"
#include "runtime/analog_chip.h"
#include "runtime/dataset.h"
#include "runtime/finetune.h"
#include "runtime/rtl_chip.h"
#include "runtime/snn.h"
#include "support/rng.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/small_chip.h"

namespace xbar::runtime {
namespace {

namespace dm = device_models;

constexpr uint64_t kChipSeed = 3;

struct Fixture {
  compiler::Plan plan;
  Dataset data;
  Dataset calibration;  // training images
};

// `plan` with the first `tests` MNIST test images and `calibration` training images.
Fixture WithMnistImages(Expected<compiler::Plan> plan, int64_t tests, int64_t calibration) {
  EXPECT_TRUE(plan.has_value()) << plan.error().message;
  Fixture out;
  out.plan = std::move(*plan);
  auto data = LoadDataset("mnist", DataDir(""), Split::kTest, tests);
  EXPECT_TRUE(data.has_value()) << data.error().message;
  out.data = std::move(*data);
  auto train = LoadDataset("mnist", DataDir(""), Split::kTrain, calibration);
  EXPECT_TRUE(train.has_value()) << train.error().message;
  out.calibration = std::move(*train);
  return out;
}

// The shipped MNIST model on the default chip (no IR-drop compensation: the shared fixture's plain
// plan, tests/testing/fixtures.h), and test images.
const Fixture& Mnist() {
  static const Fixture f = WithMnistImages(compiler::ReadPlan(::xbar::testing::MnistPlainPlan()), 64, 64);
  return f;
}

// The plan's targets read through ideal tiles (no IR drop, no drift, no noise).
ChipView IdealView(const compiler::Plan& plan, const InferenceTiming& timing = {}) {
  ChipViewOptions options;
  options.ir_drop = false;
  options.timing = timing;
  auto view = ChipView::Create(plan, compiler::TargetConductances(plan), nullptr, options);
  EXPECT_TRUE(view.has_value()) << view.error().message;
  return std::move(*view);
}

// A chip instance programmed with the plan by write-verify.
dm::ChipInstance Programmed(const compiler::Plan& plan) {
  auto chip = compiler::CreateChipInstance(plan, kChipSeed);
  EXPECT_TRUE(chip.has_value());
  compiler::ProgramOptions options;
  options.seed = 5;
  auto program = compiler::GenerateProgram(compiler::PlanTargets(plan), *chip, options);
  EXPECT_TRUE(program.has_value()) << program.error().message;
  return std::move(*chip);
}

// Without nonidealities and before the ADC, the chip computes the plan's network: its output
// membrane voltages match the software network run with the plan's dequantised weights.
TEST(ChipModel, IdealChipComputesThePlansNetwork) {
  const Fixture& f = Mnist();
  const ChipView view = IdealView(f.plan);
  auto weights = compiler::WeightsFromPlan(f.plan, compiler::TargetConductances(f.plan), false);
  ASSERT_TRUE(weights.has_value());
  std::vector<Mat<double>> w;
  for (const auto& m : weights->weights) w.push_back(m.cast<double>());
  SnnEngine<double> engine(f.plan.neuron, f.plan.encoding);
  AnalogChip chip(view);
  double worst = 0, scale = 0;
  for (int i = 0; i < 8; ++i) {
    auto result = RunImage(chip, view, InputCodes(f.data.images.col(i)), false);
    ASSERT_TRUE(result.has_value()) << result.error().message;
    const Mat<double> x = f.data.images.col(i).cast<double>();
    engine.Forward(w, x, true);
    const auto& v_sw = engine.recorded_v(1, f.plan.encoding.steps);
    const auto& v_chip = chip.output_v();
    worst = std::max(worst, (v_sw - v_chip).abs().maxCoeff());
    scale = std::max(scale, v_sw.abs().maxCoeff());
  }
  std::printf("ideal chip vs software network: max |dv| %.3g mV of %.3g mV\n", worst, scale);
  // Weights pass through float in WeightsFromPlan: agreement to float precision, not better.
  EXPECT_LT(worst, 1e-5 * scale);
  EXPECT_GT(scale, 10.0);
}

// With supply rails on the membranes and drivers that clip the hidden layers' word-line drives,
// the ideal chip still computes the software network (which holds and clips the same way), and
// both count the same membrane samples at the rails and the same clipped drives. The limits are
// set from an unbounded run so that both bind for part of the samples.
TEST(ChipModel, IdealChipHoldsTheRailsAndClipsTheDrivesAsTheSoftwareNetwork) {
  compiler::Plan plan = Mnist().plan;
  const Dataset& data = Mnist().data;
  auto weights = compiler::WeightsFromPlan(plan, compiler::TargetConductances(plan), false);
  ASSERT_TRUE(weights.has_value());
  std::vector<Mat<double>> w;
  for (const auto& m : weights->weights) w.push_back(m.cast<double>());
  const int images = 6;
  const Mat<double> x = data.images.leftCols(images).cast<double>();
  VoltageRange free;
  SnnEngine<double> probe(plan.neuron, plan.encoding);
  probe.set_voltage_range(&free);
  probe.Forward(w, x, false);
  // The chip's rails and drivers bind (the chip model applies them, ChipSpec::OnChip), and the
  // software network holds and clips at the same limits.
  plan.chip.analog.rail_low_v = -0.4e-3 * free.peak_membrane_mv;
  plan.chip.analog.rail_high_v = 0.4e-3 * free.peak_membrane_mv;
  plan.chip.analog.driver_range_v = 0.2e-3 * free.peak_membrane_mv * plan.chip.analog.driver_gain;
  plan.neuron = plan.chip.OnChip(plan.neuron);
  plan.encoding.drive_limit_mv = plan.chip.analog.DriveLimitMv();
  ASSERT_TRUE(plan.neuron.Validate().has_value());

  VoltageRange software;
  SnnEngine<double> engine(plan.neuron, plan.encoding);
  engine.set_voltage_range(&software);
  engine.Forward(w, x, true);
  const ChipView view = IdealView(plan);
  AnalogChip chip(view);
  AnalogEnergy energy;
  double worst = 0, scale = 0;
  for (int i = 0; i < images; ++i) {
    auto result = RunImage(chip, view, InputCodes(data.images.col(i)), false);
    ASSERT_TRUE(result.has_value()) << result.error().message;
    Accumulate(energy, result->energy);
    const auto& v_sw = engine.recorded_v(1, plan.encoding.steps).col(i);
    worst = std::max(worst, (v_sw - chip.output_v().col(0)).abs().maxCoeff());
    scale = std::max(scale, v_sw.abs().maxCoeff());
  }
  const VoltageRange& hw = energy.range;
  std::printf("rails +-%.0f mV, drive limit %.0f mV: at rail %.3f %% (software %.3f %%), drives clipped %.3f %% "
              "(software %.3f %%), peak %.0f mV; max |dv| %.3g mV of %.3g mV\n",
              plan.neuron.rail_high_mv, plan.encoding.drive_limit_mv, 100 * hw.at_rail_fraction(),
              100 * software.at_rail_fraction(), 100 * hw.clipped_fraction(), 100 * software.clipped_fraction(),
              hw.peak_membrane_mv, worst, scale);
  EXPECT_LT(worst, 1e-5 * scale);
  EXPECT_LE(hw.peak_membrane_mv, plan.neuron.rail_high_mv);
  EXPECT_EQ(hw.membrane_samples, software.membrane_samples);
  EXPECT_EQ(hw.drive_samples, software.drive_samples);
  EXPECT_GT(hw.at_rail, 0u);
  EXPECT_GT(hw.drive_clipped, 0u);
  EXPECT_LT(hw.drive_clipped, hw.drive_samples);
  // Float weights: a sample within rounding of a limit may fall either side.
  EXPECT_NEAR(static_cast<double>(hw.at_rail), static_cast<double>(software.at_rail), 1e-3 * hw.membrane_samples);
  EXPECT_NEAR(static_cast<double>(hw.drive_clipped), static_cast<double>(software.drive_clipped),
              1e-3 * hw.drive_samples);
}

// The weights fine-tuning reads back from a view are the plan's dequantisation of what the view
// sees: with ideal tiles, exactly WeightsFromPlan of the same conductances.
TEST(ChipModel, ChipWeightsOfIdealTilesAreThePlansWeights) {
  const Fixture& f = Mnist();
  const ChipView view = IdealView(f.plan);
  auto expected = compiler::WeightsFromPlan(f.plan, compiler::TargetConductances(f.plan), false);
  ASSERT_TRUE(expected.has_value());
  const compiler::Model got = ChipWeights(f.plan, view);
  ASSERT_EQ(got.weights.size(), expected->weights.size());
  for (std::size_t l = 0; l < got.weights.size(); ++l) {
    EXPECT_TRUE(got.weights[l] == expected->weights[l]) << "layer " << l;
    EXPECT_GT(got.weights[l].cwiseAbs().maxCoeff(), 0.0f);
  }
}

// Runs the first `images` images of `data` on both backends and expects the contract: identical
// decisions, accumulators, every output sample, energy and cycles. Returns the behavioural run.
InferenceRun ExpectBackendsAgree(const ChipView& view, const Dataset& data, int images) {
  const InferOptions infer{.limit = images, .record_samples = true, .threads = 2};
  auto behavioural = MakeBackend("behavioural");
  auto rtl = MakeBackend("rtl");
  EXPECT_TRUE(behavioural.has_value() && rtl.has_value());
  auto b = (*behavioural)->Infer(view, data, infer);
  auto r = (*rtl)->Infer(view, data, infer);
  EXPECT_TRUE(b.has_value()) << b.error().message;
  EXPECT_TRUE(r.has_value()) << r.error().message;
  if (!b || !r) return {};
  EXPECT_EQ(b->images.size(), static_cast<std::size_t>(images));
  EXPECT_EQ(r->images.size(), b->images.size());
  for (std::size_t i = 0; i < b->images.size() && i < r->images.size(); ++i) {
    EXPECT_EQ(r->images[i].decision, b->images[i].decision) << "image " << i;
    EXPECT_EQ(r->images[i].accumulators, b->images[i].accumulators) << "image " << i;
    EXPECT_EQ(b->images[i].samples.size(), static_cast<std::size_t>(view.steps() * view.outputs()));
    EXPECT_EQ(r->images[i].samples, b->images[i].samples) << "image " << i;
  }
  EXPECT_EQ(r->correct, b->correct);
  EXPECT_EQ(r->energy.reads.read_j, b->energy.reads.read_j);
  EXPECT_EQ(r->energy.reads.stage_c, b->energy.reads.stage_c);
  EXPECT_EQ(r->energy.neuron_power_steps_w, b->energy.neuron_power_steps_w);
  EXPECT_EQ(r->energy.tile_reads, b->energy.tile_reads);
  EXPECT_EQ(r->energy.conversions, int64_t{images} * view.steps() * view.outputs());
  // The controller's cycles are the timing model's.
  EXPECT_EQ(r->cycles_per_image, b->cycles_per_image);
  EXPECT_EQ(b->cycles_per_image, InputLoadCycles(view.inputs()) + view.InferenceCycles());
  return std::move(*b);
}

// The contract of the two backends: same programmed chip, same read conditions, same images ->
// identical decisions, accumulators, every membrane sample, energy and cycles.
TEST(RtlInference, CoSimulationIsBitIdenticalWithBehavioural) {
  const Fixture& f = Mnist();
  dm::ChipInstance chip = Programmed(f.plan);
  ReadConditions reference{.age_s = f.plan.chip.device.nonidealities.drift.t0_s, .seed = 11};
  ReadConditions present{.age_s = 86400, .seed = 12};
  const auto g_ref = ReadConductances(f.plan, chip, reference);
  const auto g_now = ReadConductances(f.plan, chip, present);
  ChipViewOptions options;
  options.compensation = DriftCompensation::kColumn;
  auto view = ChipView::Create(f.plan, g_now, &g_ref, options);
  ASSERT_TRUE(view.has_value()) << view.error().message;
  auto gain = CalibrateOutputGain(*view, f.calibration);
  ASSERT_TRUE(gain.has_value()) << gain.error().message;
  EXPECT_GE(*gain, 1.0);  // the chip's rails hold the output membranes within the ADC's +-1 V
  view->set_output_gain(*gain);

  const InferenceRun b = ExpectBackendsAgree(*view, f.data, 12);
  ASSERT_EQ(b.images.size(), 12u);
  EXPECT_GE(b.correct, 11);
  EXPECT_EQ(b.cycles_per_image, 14705u);  // docs/rtl.md: MNIST on the default chip, S = 10, N = 5

  // The comparison can fail: another read-noise realisation moves the samples.
  const auto g_other = ReadConductances(f.plan, chip, {.age_s = 86400, .seed = 13});
  auto other = ChipView::Create(f.plan, g_other, &g_ref, options);
  ASSERT_TRUE(other.has_value());
  other->set_output_gain(*gain);
  auto behavioural = MakeBackend("behavioural");
  ASSERT_TRUE(behavioural.has_value());
  auto o = (*behavioural)->Infer(*other, f.data, {.limit = 2, .record_samples = true});
  ASSERT_TRUE(o.has_value());
  EXPECT_NE(o->images[0].samples, b.images[0].samples);
}

// A small convolutional network with random weights, compiled onto a chip of the controller's shape
// (256 tiles of 128x128) with ideal wires and 3 copies of each convolution: conv 16x5x5 stride 2
// with bias (196 positions, 66 read cycles, the last with one of three copies reading), average
// pooling 2, conv 8x3x3 (144 fan-in rows: 2 tiles per copy; 49 positions, 17 cycles), sum pooling
// 7, dense 10 with bias.
const Fixture& SmallConv() {
  static const Fixture f = [] {
    compiler::Model model;
    model.name = "small-conv";
    model.encoding = {.steps = 8, .period = 3, .input_gain = 0.1, .inter_layer_scale = 1e3, .readout_scale = 100};
    auto layers = compiler::ParseArchitecture("c16k5s2p2b-a2-c8k3p1-s7-10b", {1, 28, 28}, 10);
    EXPECT_TRUE(layers.has_value()) << layers.error().message;
    model.layers = *layers;
    Rng rng(21);
    for (const auto& layer : model.layers) {
      Eigen::MatrixXf w(layer.matrix_rows(), layer.matrix_cols());
      for (Eigen::Index i = 0; i < w.size(); ++i) w(i) = static_cast<float>(NormalDraw(rng) / std::sqrt(layer.fan_in()));
      model.weights.push_back(std::move(w));
    }
    compiler::CompileOptions options;
    options.conv.replicas = 3;
    options.compensate.enabled = false;
    return WithMnistImages(compiler::Compile(model, ::xbar::testing::SmallChip(256, 128, 128, 0, 0), options), 8, 16);
  }();
  return f;
}

// The chip reads a convolution position by position in its read cycles: with ideal tiles its
// output membranes are the software network's (the plan's weights; padding, bias rows, average
// and sum pooling, replicas), and so are its decisions.
TEST(ChipModel, IdealChipComputesTheConvolutionalNetwork) {
  const Fixture& f = SmallConv();
  ASSERT_EQ(f.plan.layers[0].replicas, 3);
  ASSERT_EQ(f.plan.layers[0].read_cycles(), 66);
  ASSERT_EQ(f.plan.layers[1].read_cycles(), 17);
  ASSERT_EQ(f.plan.layers[1].tiles_per_replica(), 2);
  ChipView view = IdealView(f.plan);
  ASSERT_EQ(view.layers()[0].read_cycles, 66);
  auto gain = CalibrateOutputGain(view, f.calibration);
  ASSERT_TRUE(gain.has_value()) << gain.error().message;
  view.set_output_gain(*gain);
  auto weights = compiler::WeightsFromPlan(f.plan, compiler::TargetConductances(f.plan), false);
  ASSERT_TRUE(weights.has_value()) << weights.error().message;
  std::vector<Mat<double>> w;
  for (const auto& m : weights->weights) w.push_back(m.cast<double>());
  // The software network within the chip's rails and drivers' range, as the chip model holds it.
  compiler::Encoding encoding = f.plan.encoding;
  encoding.drive_limit_mv = view.drive_limit_mv();
  SnnEngine<double> engine(view.neuron(), encoding, weights->layers);
  AnalogChip chip(view);
  double worst = 0, scale = 0;
  for (int i = 0; i < f.data.size(); ++i) {
    auto result = RunImage(chip, view, InputCodes(f.data.images.col(i)), false);
    ASSERT_TRUE(result.has_value()) << result.error().message;
    const Mat<double> x = f.data.images.col(i).cast<double>();
    const Mat<double> logits = engine.Forward(w, x, true);
    const auto& v_sw = engine.recorded_v(2, f.plan.encoding.steps);
    worst = std::max(worst, (v_sw - chip.output_v()).abs().maxCoeff());
    scale = std::max(scale, v_sw.abs().maxCoeff());
    Eigen::Index best = 0;
    logits.col(0).maxCoeff(&best);
    EXPECT_EQ(result->decision, static_cast<int>(best)) << "image " << i;
  }
  std::printf("ideal chip vs software conv network: max |dv| %.3g mV of %.3g mV\n", worst, scale);
  EXPECT_LT(worst, 1e-5 * scale);
  EXPECT_GT(scale, 1.0);
}

// Copy r of a convolution reads output positions p with p % R == r: with copy 1 of layer 0 dark
// (every conductance 0), exactly the neurons of positions 1, 4, 7, ... get no drive.
TEST(ChipModel, ConvolutionCopyRReadsPositionsCongruentToR) {
  const Fixture& f = SmallConv();
  auto g = compiler::TargetConductances(f.plan);
  for (std::size_t t = 0; t < g.size(); ++t) {
    if (f.plan.tiles[t].layer == 0 && f.plan.tiles[t].replica == 1) g[t].setZero();
  }
  ChipViewOptions options;
  options.ir_drop = false;
  auto view = ChipView::Create(f.plan, g, nullptr, options);
  ASSERT_TRUE(view.has_value()) << view.error().message;
  AnalogChip chip(*view);
  ASSERT_TRUE(RunImage(chip, *view, InputCodes(f.data.images.col(0)), false).has_value());
  const auto& v = chip.membrane_v(0);
  const int positions = f.plan.layers[0].positions();
  const double rest = v(1, 0);  // channel 0, position 1: no drive
  int undriven_elsewhere = 0;
  for (Eigen::Index n = 0; n < v.rows(); ++n) {
    if (n % positions % 3 == 1) {
      EXPECT_EQ(v(n, 0), rest) << "neuron " << n;
    } else {
      undriven_elsewhere += v(n, 0) == rest ? 1 : 0;
    }
  }
  EXPECT_LT(undriven_elsewhere, v.rows() / 20);
}

// The co-simulation contract on the convolutional plan, programmed and read at 1 day with drift
// and read noise (so the copies of a kernel differ): decisions, samples, energy and cycles equal.
TEST(RtlInference, CoSimulationIsBitIdenticalOnAConvolutionalPlan) {
  const Fixture& f = SmallConv();
  dm::ChipInstance chip = Programmed(f.plan);
  const auto g_now = ReadConductances(f.plan, chip, {.age_s = 86400, .seed = 12});
  ChipViewOptions options;
  options.ir_drop = false;
  auto view = ChipView::Create(f.plan, g_now, nullptr, options);
  ASSERT_TRUE(view.has_value()) << view.error().message;
  auto gain = CalibrateOutputGain(*view, f.calibration);
  ASSERT_TRUE(gain.has_value()) << gain.error().message;
  view->set_output_gain(*gain);
  // A replica's tiles differ from replica 0's: a position read by the wrong copy would show.
  const auto& tiles = view->tiles();
  const auto copy = std::find_if(tiles.begin(), tiles.end(), [](const auto& t) { return t.layer == 0 && t.replica == 1; });
  ASSERT_NE(copy, tiles.end());
  EXPECT_NE(copy->transfer, tiles[static_cast<std::size_t>(view->layers()[0].tiles[0])].transfer);

  const InferenceRun b = ExpectBackendsAgree(*view, f.data, 4);
  ASSERT_EQ(b.images.size(), 4u);
  // Tile reads per image: layer 0 at 3 impulses, 196 positions x 1 tile; layer 1 at 8 steps, 49
  // positions x 2 row tiles; layer 2 at 8 steps, 1 tile.
  EXPECT_EQ(b.energy.tile_reads, 4 * (3 * 196 + 8 * 49 * 2 + 8 * 1));
  EXPECT_NE(b.images[0].samples, std::vector<int32_t>(b.images[0].samples.size(), 0));
  // 342 sense requests: 3 impulses x 66 read cycles of layer 0, 8 steps x 17 of layer 1, 8 of
  // layer 2. 3 + 8 x 3 x (2 + 5) + 342 x (10 + 1) + 8 x 10 x (8 + 1) + 10 + 1.
  EXPECT_EQ(view->InferenceCycles(), 3u + 168 + 3762 + 720 + 11);
}

// Sends one command to `c` and returns its response (kAnalogFail, with a test failure, when the
// harness fails).
RtlResponse Send(RtlChip& c, RtlOpcode op, uint32_t arg, uint32_t value = 0, uint32_t tile = 0, bool set = false) {
  RtlCommand cmd{.opcode = static_cast<uint8_t>(op), .tile = tile, .set = set, .arg = arg, .value = value};
  auto r = c.Execute(cmd, "test");
  EXPECT_TRUE(r.has_value());
  return r.value_or(RtlResponse{RtlStatus::kAnalogFail, 0});
}

// Configures `c` for the view's two layers: 7 steps, impulse period 3, 10 outputs, sense and
// neuron cycles 3 and 2, every tile of the view scheduled in its layer. An OpInfer before the
// configuration and before the schedule is refused.
void ConfigureSmall(RtlChip& c, const ChipView& view) {
  EXPECT_EQ(Send(c, RtlOpcode::kInfer, 0).status, RtlStatus::kBadArg);  // not configured
  Send(c, RtlOpcode::kConfig, static_cast<uint32_t>(RtlConfig::kSteps), 7);
  Send(c, RtlOpcode::kConfig, static_cast<uint32_t>(RtlConfig::kPeriod), 3);
  Send(c, RtlOpcode::kConfig, static_cast<uint32_t>(RtlConfig::kLayers), 2);
  Send(c, RtlOpcode::kConfig, static_cast<uint32_t>(RtlConfig::kOutputs), 10);
  Send(c, RtlOpcode::kConfig, static_cast<uint32_t>(RtlConfig::kSenseCycles), 3);
  Send(c, RtlOpcode::kConfig, static_cast<uint32_t>(RtlConfig::kNeuronCycles), 2);
  EXPECT_EQ(Send(c, RtlOpcode::kInfer, 0).status, RtlStatus::kBadArg);  // empty schedule
  for (std::size_t l = 0; l < 2; ++l) {
    for (int p : view.layers()[l].tiles) {
      const auto tile = static_cast<uint32_t>(view.tiles()[static_cast<std::size_t>(p)].physical);
      EXPECT_EQ(Send(c, RtlOpcode::kSchedule, static_cast<uint32_t>(l), 0, tile, true).status, RtlStatus::kOk);
    }
  }
}

// Counters of the inference sequencer, and the timing model against the controller.
TEST(RtlInference, CountersAndCycles) {
  const Fixture& f = Mnist();
  const ChipView view = IdealView(f.plan, {.sense_cycles = 3, .neuron_cycles = 2});
  AnalogChip analog(view);
  auto rtl = RtlChip::Create(nullptr, {}, &analog);
  ASSERT_TRUE(rtl.has_value()) << rtl.error().message;
  RtlChip& c = **rtl;
  auto send = [&](RtlOpcode op, uint32_t arg) { return Send(c, op, arg); };
  ConfigureSmall(c, view);
  const uint64_t before = c.cycles();
  const auto done = send(RtlOpcode::kInfer, 0);
  const uint64_t cycles = c.cycles() - before;
  ASSERT_EQ(done.status, RtlStatus::kOk);
  EXPECT_LT(done.data, 10u);
  // 7 steps with impulses at 0, 3, 6: layer 0 read 3 times (119 tiles), layer 1 7 times (9).
  EXPECT_EQ(send(RtlOpcode::kCounter, static_cast<uint32_t>(RtlCounter::kLayerReads)).data, 3u * 119 + 7u * 9);
  EXPECT_EQ(send(RtlOpcode::kCounter, static_cast<uint32_t>(RtlCounter::kNeuronSteps)).data, 14u);
  EXPECT_EQ(send(RtlOpcode::kCounter, static_cast<uint32_t>(RtlCounter::kConversions)).data, 70u);
  EXPECT_EQ(send(RtlOpcode::kCounter, static_cast<uint32_t>(RtlCounter::kInferences)).data, 1u);
  // 3 + 7 x 2 x (1 + 3) + 10 reads x 4 + 7 x 10 x 9 + 10 + 1
  EXPECT_EQ(cycles, 3u + 56 + 40 + 630 + 11);
  send(RtlOpcode::kClearCounters, 0);
  EXPECT_EQ(send(RtlOpcode::kCounter, static_cast<uint32_t>(RtlCounter::kLayerReads)).data, 0u);
  EXPECT_EQ(send(RtlOpcode::kCounter, static_cast<uint32_t>(RtlCounter::kInferences)).data, 0u);
}

// The inference sequencer waits for the analog front end: answers 2 cycles late give the same
// decision and accumulators, and every one of the 95 analog requests (begin, 10 layer reads, 14
// neuron steps, 70 conversions) takes 2 cycles more.
TEST(RtlInference, SlowAnalogAnswersCostOnlyCycles) {
  const Fixture& f = Mnist();
  const ChipView view = IdealView(f.plan, {.sense_cycles = 3, .neuron_cycles = 2});
  const auto infer = [&](int latency, uint64_t& cycles) {
    AnalogChip analog(view);
    RtlOptions options;
    options.analog_latency = latency;
    auto rtl = RtlChip::Create(nullptr, options, &analog);
    EXPECT_TRUE(rtl.has_value()) << rtl.error().message;
    RtlChip& c = **rtl;
    ConfigureSmall(c, view);
    const auto codes = InputCodes(f.data.images.col(0));
    for (std::size_t i = 0; i < codes.size(); ++i) {
      const RtlCommand input{.opcode = static_cast<uint8_t>(RtlOpcode::kInput), .row = static_cast<uint32_t>(i),
                             .arg = codes[i]};
      auto r = c.Execute(input, "test");
      EXPECT_TRUE(r.has_value() && r->status == RtlStatus::kOk);
    }
    const uint64_t before = c.cycles();
    std::vector<uint64_t> out{Send(c, RtlOpcode::kInfer, 0).data};
    cycles = c.cycles() - before;
    for (uint32_t o = 0; o < 10; ++o) out.push_back(Send(c, RtlOpcode::kResult, o).data);
    return out;
  };
  uint64_t fast_cycles = 0, slow_cycles = 0;
  const std::vector<uint64_t> fast = infer(0, fast_cycles);
  const std::vector<uint64_t> slow = infer(2, slow_cycles);
  EXPECT_EQ(slow, fast);
  EXPECT_NE(fast, std::vector<uint64_t>(11, 0));  // the inputs drove the outputs
  EXPECT_EQ(slow_cycles, fast_cycles + 2 * (1 + 10 + 14 + 70));
}

// A front end that records the requests the sequencer makes, as text, and answers every one.
class RecordingAnalog final : public rtl::InferenceAnalog {
 public:
  bool Begin() override { return Log("begin"); }
  bool SetInput(uint32_t index, uint32_t code) override {
    return Log("input " + std::to_string(index) + " " + std::to_string(code));
  }
  bool ReadLayer(uint32_t layer, uint32_t cycle, std::span<const uint32_t> enables) override {
    int tiles = 0;
    for (uint32_t w : enables) tiles += std::popcount(w);
    return Log("read " + std::to_string(layer) + " " + std::to_string(cycle) + " tiles " + std::to_string(tiles));
  }
  bool StepNeurons(uint32_t layer) override { return Log("step " + std::to_string(layer)); }
  int64_t SampleOutput(uint32_t index) override {
    Log("sample " + std::to_string(index));
    return index == 1 ? 3 : -2;
  }
  const std::string& last_error() const override { return error_; }
  const std::vector<std::string>& calls() const { return calls_; }

 private:
  bool Log(std::string call) {
    calls_.push_back(std::move(call));
    return true;
  }
  std::vector<std::string> calls_;
  std::string error_;
};

// A layer set to C read cycles is read C times per step, cycle 0 .. C-1, before its neurons step;
// layer 0 only at the impulses. The cycle count follows the timing model with C_l sense requests
// per read of layer l.
TEST(RtlInference, LayersAreReadInTheirReadCycles) {
  RecordingAnalog analog;
  auto rtl = RtlChip::Create(nullptr, {}, &analog);
  ASSERT_TRUE(rtl.has_value()) << rtl.error().message;
  RtlChip& c = **rtl;
  constexpr uint32_t kSteps = 4, kPeriod = 2, kSense = 3, kNeuron = 2, kOutputs = 2;
  for (auto [reg, value] : {std::pair{RtlConfig::kSteps, kSteps}, {RtlConfig::kPeriod, kPeriod},
                            {RtlConfig::kLayers, 2u}, {RtlConfig::kOutputs, kOutputs},
                            {RtlConfig::kSenseCycles, kSense}, {RtlConfig::kNeuronCycles, kNeuron}}) {
    ASSERT_EQ(Send(c, RtlOpcode::kConfig, static_cast<uint32_t>(reg), value).status, RtlStatus::kOk);
  }
  for (uint32_t tile : {4u, 5u}) ASSERT_EQ(Send(c, RtlOpcode::kSchedule, 0, 0, tile, true).status, RtlStatus::kOk);
  ASSERT_EQ(Send(c, RtlOpcode::kSchedule, 1, 0, 40, true).status, RtlStatus::kOk);
  ASSERT_EQ(Send(c, RtlOpcode::kReadCycles, 0, 2).status, RtlStatus::kOk);
  ASSERT_EQ(Send(c, RtlOpcode::kReadCycles, 1, 3).status, RtlStatus::kOk);
  const uint64_t before = c.cycles();
  const RtlResponse done = Send(c, RtlOpcode::kInfer, 0);
  const uint64_t cycles = c.cycles() - before;
  ASSERT_EQ(done.status, RtlStatus::kOk);
  EXPECT_EQ(done.data, 1u);  // output 1 samples 3, output 0 -2

  std::vector<std::string> expected{"begin"};
  for (uint32_t t = 0; t < kSteps; ++t) {
    if (t % kPeriod == 0) {
      for (int cycle : {0, 1}) expected.push_back("read 0 " + std::to_string(cycle) + " tiles 2");
    }
    expected.push_back("step 0");
    for (int cycle : {0, 1, 2}) expected.push_back("read 1 " + std::to_string(cycle) + " tiles 1");
    expected.push_back("step 1");
    for (uint32_t o = 0; o < kOutputs; ++o) expected.push_back("sample " + std::to_string(o));
  }
  EXPECT_EQ(analog.calls(), expected);
  // 2 impulses x 2 cycles of layer 0 and 4 steps x 3 cycles of layer 1: 16 sense requests.
  const uint64_t senses = 2 * 2 + kSteps * 3;
  EXPECT_EQ(cycles, 3 + kSteps * 2 * (2 + kNeuron) + senses * (kSense + 1) + kSteps * kOutputs * (8 + 1) +
                        kOutputs + 1);
  EXPECT_EQ(Send(c, RtlOpcode::kCounter, static_cast<uint32_t>(RtlCounter::kLayerReads)).data, 2u * 2 * 2 + 4u * 3);
  EXPECT_EQ(Send(c, RtlOpcode::kResult, 1).data, kSteps * 3);

  // Back to one read cycle: the layer is read once per step again.
  ASSERT_EQ(Send(c, RtlOpcode::kReadCycles, 1, 1).status, RtlStatus::kOk);
  const std::size_t calls = analog.calls().size();
  ASSERT_EQ(Send(c, RtlOpcode::kInfer, 0).status, RtlStatus::kOk);
  EXPECT_EQ(analog.calls().size() - calls, expected.size() - kSteps * 2);
}

// Bad commands and bad schedules get error answers, never a hang.
TEST(RtlInference, RejectsBadCommandsAndSchedules) {
  const Fixture& f = Mnist();
  const ChipView view = IdealView(f.plan);
  AnalogChip analog(view);
  auto rtl = RtlChip::Create(nullptr, {.trace_path = "", .cycle_budget = 200}, &analog);
  ASSERT_TRUE(rtl.has_value());
  RtlChip& c = **rtl;
  auto send = [&](RtlCommand cmd) { return c.Execute(cmd, "test"); };
  const auto op = [](RtlOpcode o) { return static_cast<uint8_t>(o); };
  const RtlShape shape = RtlControllerShape();
  EXPECT_EQ(send({.opcode = op(RtlOpcode::kSchedule), .tile = static_cast<uint32_t>(shape.tiles), .set = true})->status,
            RtlStatus::kBadAddress);
  EXPECT_EQ(send({.opcode = op(RtlOpcode::kSchedule), .tile = 0, .arg = static_cast<uint32_t>(shape.max_layers)})->status,
            RtlStatus::kBadArg);
  EXPECT_EQ(send({.opcode = op(RtlOpcode::kInput), .row = static_cast<uint32_t>(shape.inputs)})->status,
            RtlStatus::kBadAddress);
  EXPECT_EQ(send({.opcode = op(RtlOpcode::kInput), .row = 784, .arg = 1})->status, RtlStatus::kAnalogFail);
  EXPECT_NE(analog.last_error().find("outside the network's 784 inputs"), std::string::npos) << analog.last_error();
  EXPECT_EQ(send({.opcode = op(RtlOpcode::kInput), .row = 0, .arg = 256})->status, RtlStatus::kAnalogFail);
  EXPECT_EQ(send({.opcode = op(RtlOpcode::kResult), .arg = static_cast<uint32_t>(shape.max_outputs)})->status,
            RtlStatus::kBadArg);
  EXPECT_EQ(send({.opcode = op(RtlOpcode::kConfig), .arg = 99})->status, RtlStatus::kBadArg);
  EXPECT_EQ(send({.opcode = op(RtlOpcode::kReadCycles), .arg = static_cast<uint32_t>(shape.max_layers), .value = 1})->status,
            RtlStatus::kBadArg);
  EXPECT_EQ(send({.opcode = op(RtlOpcode::kReadCycles), .arg = 0, .value = 0})->status, RtlStatus::kBadArg);
  EXPECT_EQ(send({.opcode = op(RtlOpcode::kCounter), .arg = 99})->status, RtlStatus::kBadArg);
  EXPECT_EQ(send({.opcode = 15})->status, RtlStatus::kBadOpcode);

  // A tile of layer 1 scheduled in layer 0: the chip model refuses the read.
  for (auto [reg, value] : {std::pair{RtlConfig::kSteps, 2u}, {RtlConfig::kPeriod, 1u}, {RtlConfig::kLayers, 2u},
                            {RtlConfig::kOutputs, 10u}, {RtlConfig::kSenseCycles, 1u}, {RtlConfig::kNeuronCycles, 1u}}) {
    ASSERT_EQ(send({.opcode = op(RtlOpcode::kConfig), .arg = static_cast<uint32_t>(reg), .value = value})->status,
              RtlStatus::kOk);
  }
  const auto tile_of = [&](std::size_t layer) {
    return static_cast<uint32_t>(view.tiles()[static_cast<std::size_t>(view.layers()[layer].tiles[0])].physical);
  };
  send({.opcode = op(RtlOpcode::kSchedule), .tile = tile_of(1), .set = true, .arg = 0});
  send({.opcode = op(RtlOpcode::kSchedule), .tile = tile_of(1), .set = true, .arg = 1});
  EXPECT_EQ(send({.opcode = op(RtlOpcode::kInfer)})->status, RtlStatus::kAnalogFail);
  EXPECT_NE(analog.last_error().find("holds no part of it"), std::string::npos) << analog.last_error();
  send({.opcode = op(RtlOpcode::kSchedule), .tile = tile_of(1), .set = false, .arg = 0});

  // A dense layer is read in one read cycle: the chip model refuses a second.
  send({.opcode = op(RtlOpcode::kSchedule), .tile = tile_of(0), .set = true, .arg = 0});
  ASSERT_EQ(send({.opcode = op(RtlOpcode::kReadCycles), .arg = 1, .value = 2})->status, RtlStatus::kOk);
  EXPECT_EQ(send({.opcode = op(RtlOpcode::kInfer)})->status, RtlStatus::kAnalogFail);
  EXPECT_EQ(analog.last_error(), "layer 1 read in cycle 1, the layer has 1 read cycles per step");
  ASSERT_EQ(send({.opcode = op(RtlOpcode::kReadCycles), .arg = 1, .value = 1})->status, RtlStatus::kOk);

  // An inference longer than the cycle budget is an error naming the operation.
  ASSERT_EQ(send({.opcode = op(RtlOpcode::kConfig), .arg = static_cast<uint32_t>(RtlConfig::kSteps), .value = 100})->status,
            RtlStatus::kOk);
  auto timeout = send({.opcode = op(RtlOpcode::kInfer)});
  ASSERT_FALSE(timeout.has_value());
  EXPECT_NE(timeout.error().message.find("test: no response from the rtl controller within 200 cycles"),
            std::string::npos)
      << timeout.error().message;
}

}  // namespace
}  // namespace xbar::runtime
