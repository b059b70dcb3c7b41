// Inference on the programmed chip: the chip model against the software network, and the
// co-simulation contract — the RTL controller driving the chip model through DPI-C gives the same
// decisions, accumulators, membrane samples, energy and cycle counts as the behavioural backend.
#include <gtest/gtest.h>

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
#include "tests/testing/fixtures.h"

namespace xbar::runtime {
namespace {

namespace dm = device_models;

constexpr uint64_t kChipSeed = 3;

struct Fixture {
  compiler::Plan plan;
  Dataset data;
  Dataset calibration;  // training images
};

// The shipped MNIST model on the default chip (no IR-drop compensation: the shared fixture's plain
// plan, tests/testing/fixtures.h), and test images.
const Fixture& Mnist() {
  static const Fixture f = [] {
    Fixture out;
    auto plan = compiler::ReadPlan(::xbar::testing::MnistPlainPlan());
    EXPECT_TRUE(plan.has_value()) << plan.error().message;
    out.plan = std::move(*plan);
    auto data = LoadDataset("mnist", DataDir(""), Split::kTest, 64);
    EXPECT_TRUE(data.has_value()) << data.error().message;
    out.data = std::move(*data);
    auto calibration = LoadDataset("mnist", DataDir(""), Split::kTrain, 64);
    EXPECT_TRUE(calibration.has_value()) << calibration.error().message;
    out.calibration = std::move(*calibration);
    return out;
  }();
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
  EXPECT_LT(*gain, 1.0);  // the output membranes run beyond the ADC's +-1 V
  view->set_output_gain(*gain);

  InferOptions infer{.limit = 12, .record_samples = true, .threads = 2};
  auto behavioural = MakeBackend("behavioural");
  auto rtl = MakeBackend("rtl");
  ASSERT_TRUE(behavioural.has_value() && rtl.has_value());
  auto b = (*behavioural)->Infer(*view, f.data, infer);
  ASSERT_TRUE(b.has_value()) << b.error().message;
  auto r = (*rtl)->Infer(*view, f.data, infer);
  ASSERT_TRUE(r.has_value()) << r.error().message;

  ASSERT_EQ(b->images.size(), 12u);
  ASSERT_EQ(r->images.size(), 12u);
  for (std::size_t i = 0; i < b->images.size(); ++i) {
    EXPECT_EQ(r->images[i].decision, b->images[i].decision) << "image " << i;
    EXPECT_EQ(r->images[i].accumulators, b->images[i].accumulators) << "image " << i;
    ASSERT_EQ(b->images[i].samples.size(),
              static_cast<std::size_t>(view->steps() * view->outputs()));
    EXPECT_EQ(r->images[i].samples, b->images[i].samples) << "image " << i;
  }
  EXPECT_EQ(r->correct, b->correct);
  EXPECT_GE(b->correct, 11);
  EXPECT_EQ(r->energy.read_j, b->energy.read_j);
  EXPECT_EQ(r->energy.neuron_power_steps_w, b->energy.neuron_power_steps_w);
  EXPECT_EQ(r->energy.tile_reads, b->energy.tile_reads);
  EXPECT_EQ(r->energy.conversions, 12 * view->steps() * view->outputs());
  // The controller's cycles are the timing model's.
  EXPECT_EQ(r->cycles_per_image, b->cycles_per_image);
  EXPECT_EQ(b->cycles_per_image, InputLoadCycles(784) + view->InferenceCycles());
  EXPECT_EQ(b->cycles_per_image, 14705u);  // docs/rtl.md: MNIST on the default chip, S = 10, N = 5

  // The comparison can fail: another read-noise realisation moves the samples.
  const auto g_other = ReadConductances(f.plan, chip, {.age_s = 86400, .seed = 13});
  auto other = ChipView::Create(f.plan, g_other, &g_ref, options);
  ASSERT_TRUE(other.has_value());
  other->set_output_gain(*gain);
  auto o = (*behavioural)->Infer(*other, f.data, {.limit = 2, .record_samples = true});
  ASSERT_TRUE(o.has_value());
  EXPECT_NE(o->images[0].samples, b->images[0].samples);
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
