// The chip workflows as library calls, on a small programmed chip: chip evaluation, the
// fine-tuning workflow, a programmed chip from a program or a state, and yield over a population,
// for a dense network and a convolutional one with two copies of its kernel matrix.
#include <gtest/gtest.h>

#include <cstdlib>

#include "compiler/compile.h"
#include "compiler/plan.h"
#include "compiler/program_gen.h"
#include "compiler/pulse_io.h"
#include "compiler/chip_state_io.h"
#include "compiler/layer_shape.h"
#include "runtime/backend.h"
#include "runtime/chip_eval.h"
#include "runtime/chip_view.h"
#include "runtime/finetune.h"
#include "runtime/programmed_chip.h"
#include "runtime/yield.h"
#include "support/rng.h"
#include "tests/testing/small_chip.h"
#include "tests/testing/temp.h"

namespace xbar::runtime {
namespace {

constexpr int kSide = 4, kClasses = 4;

// Four classes of 4x4 images: class k lights row k of the image, with noise everywhere.
Dataset Bars(int samples, uint64_t seed) {
  Rng rng(seed);
  Dataset d;
  d.name = "bars";
  d.classes = kClasses;
  d.width = d.height = kSide;
  d.images = Eigen::MatrixXf(kSide * kSide, samples);
  for (int s = 0; s < samples; ++s) {
    const int label = s % kClasses;
    d.labels.push_back(static_cast<uint8_t>(label));
    for (int p = 0; p < kSide * kSide; ++p) {
      const double noise = 0.3 * std::abs(NormalDraw(rng));
      d.images(p, s) = static_cast<float>(std::min(1.0, (p / kSide == label ? 0.8 : 0.0) + noise));
    }
  }
  return d;
}

// A two-layer network that reads the bars, compiled onto a 4-tile chip of 8x8.
compiler::Plan BarsPlan() {
  std::srand(11);
  compiler::Model model;
  model.name = "bars";
  // Hidden unit k sums row k of the image; output k follows hidden unit k.
  Eigen::MatrixXf hidden = Eigen::MatrixXf::Random(kClasses, kSide * kSide) * 0.05f;
  for (int k = 0; k < kClasses; ++k) hidden.block(k, k * kSide, 1, kSide).array() += 0.5f;
  Eigen::MatrixXf out = Eigen::MatrixXf::Random(kClasses, kClasses) * 0.05f;
  out.diagonal().array() += 0.5f;
  model.weights = {hidden, out};
  compiler::CompileOptions options;
  options.compensate.enabled = false;
  auto plan = compiler::Compile(model, ::xbar::testing::SmallChip(4, 8, 8, 0, 0), options);
  EXPECT_TRUE(plan.has_value()) << plan.error().message;
  return *plan;
}

// The bars read by a convolution: 1x4x4 -> c2k3p1 (2x4x4, 16 output positions) -> 4. Channel 0's
// kernel keeps the pixel under its centre, output k sums channel 0's row k. Two copies of the
// kernel matrix on 16x16 tiles: 8 read cycles per step instead of 16.
compiler::Plan ConvBarsPlan() {
  auto layers = compiler::ParseArchitecture("c2k3p1-4", {1, kSide, kSide}, kClasses);
  EXPECT_TRUE(layers.has_value()) << layers.error().message;
  std::srand(13);
  compiler::Model model;
  model.name = "conv-bars";
  model.layers = *layers;
  Eigen::MatrixXf kernels = Eigen::MatrixXf::Random(2, 9) * 0.05f;
  kernels(0, 4) += 0.5f;
  Eigen::MatrixXf out = Eigen::MatrixXf::Random(kClasses, 2 * kSide * kSide) * 0.05f;
  for (int k = 0; k < kClasses; ++k) out.block(k, k * kSide, 1, kSide).array() += 0.5f;
  model.weights = {kernels, out};
  compiler::CompileOptions options;
  options.compensate.enabled = false;
  EXPECT_TRUE(compiler::SetPassOption(options, "conv", "replicas", "2").has_value());
  auto plan = compiler::Compile(model, ::xbar::testing::SmallChip(6, 16, 16, 0, 0), options);
  EXPECT_TRUE(plan.has_value()) << plan.error().message;
  EXPECT_EQ(plan->layers[0].replicas, 2);
  EXPECT_EQ(plan->layers[0].read_cycles(), 8);
  return *plan;
}

struct Programmed {
  compiler::Plan plan;
  device_models::ChipInstance chip;
  compiler::PulseProgram program;
};

Programmed Program(uint64_t chip_seed, compiler::Plan plan = BarsPlan()) {
  auto chip = device_models::ChipInstance::Create(plan.chip, chip_seed);
  EXPECT_TRUE(chip.has_value());
  std::vector<compiler::TileTargets> targets;
  for (const auto& tile : plan.tiles) targets.push_back({tile.physical_index, tile.target_g_s});
  auto program = compiler::GenerateProgram(targets, *chip, compiler::ProgramOptions{});
  EXPECT_TRUE(program.has_value());
  return {std::move(plan), std::move(*chip), std::move(*program)};
}

std::unique_ptr<ChipBackend> Behavioural() {
  auto backend = MakeBackend("behavioural");
  EXPECT_TRUE(backend.has_value());
  return std::move(*backend);
}

ChipEvalOptions TwoAges() {
  ChipEvalOptions options;
  options.ages_s = {3600, 86400 * 365.25};
  options.compensations = {DriftCompensation::kNone, DriftCompensation::kGlobal};
  options.seed = 3;
  options.threads = 1;
  return options;
}

TEST(ChipEvaluation, ReportsAccuracyEnergyAndLatencyPerAgeAndMode) {
  Programmed p = Program(5);
  const Dataset test = Bars(48, 1), calibration = Bars(32, 2);
  auto backend = Behavioural();
  auto report = EvaluateChip(p.plan, p.chip, test, calibration, *backend, TwoAges());
  ASSERT_TRUE(report.has_value()) << report.error().message;
  ASSERT_EQ(report->points.size(), 4u);  // ages outer, compensations inner
  EXPECT_EQ(report->points[1].age_s, 3600);
  EXPECT_EQ(report->points[1].compensation, DriftCompensation::kGlobal);
  EXPECT_EQ(report->points[2].compensation, DriftCompensation::kNone);
  for (const AgePoint& point : report->points) {
    EXPECT_GE(point.accuracy, 0.0);
    EXPECT_LE(point.accuracy, 1.0);
    EXPECT_EQ(point.images, 48);
    EXPECT_DOUBLE_EQ(point.accuracy, static_cast<double>(point.correct) / 48);
  }
  EXPECT_GT(report->energy_j(), 0);
  EXPECT_GT(report->read_energy_j, 0);
  EXPECT_GT(report->cycles_per_image, 0u);
  EXPECT_DOUBLE_EQ(report->latency_s, static_cast<double>(report->cycles_per_image) / p.plan.chip.clock_hz);
  // The same seed gives the same answer.
  auto again = EvaluateChip(p.plan, p.chip, test, calibration, *backend, TwoAges());
  ASSERT_TRUE(again.has_value());
  for (std::size_t i = 0; i < report->points.size(); ++i) {
    EXPECT_EQ(again->points[i].correct, report->points[i].correct) << i;
  }
  EXPECT_EQ(again->output_gain, report->output_gain);
}

TEST(ProgrammedChip, ReplaysAProgramOrRestoresAStateAndRefusesAnotherPlans) {
  Programmed p = Program(5);
  const std::string dir = ::xbar::testing::TempDir().string();
  const std::string program_path = dir + "/bars.xbpulse", state_path = dir + "/bars.xbcs";
  ASSERT_TRUE(compiler::WritePulseProgram(program_path, p.program).has_value());
  ASSERT_TRUE(compiler::WriteChipState(state_path, compiler::ProgrammedState(p.program, p.chip)).has_value());
  auto backend = Behavioural();
  compiler::PulseProgram read;
  auto replayed = ProgrammedChip(p.plan, program_path, "", *backend, &read);
  ASSERT_TRUE(replayed.has_value()) << replayed.error().message;
  EXPECT_EQ(replayed->seed(), 5u);
  EXPECT_EQ(read.targets_crc32, p.program.targets_crc32);
  auto restored = ProgrammedChip(p.plan, "", state_path, *backend, nullptr);
  ASSERT_TRUE(restored.has_value()) << restored.error().message;
  EXPECT_EQ(restored->seed(), 5u);
  // Another plan (other targets) refuses both, with the artifact check's messages.
  compiler::Plan other = p.plan;
  other.tiles.front().target_g_s.array() += 1e-7;
  auto wrong = ProgrammedChip(other, program_path, "", *backend, nullptr);
  ASSERT_FALSE(wrong.has_value());
  EXPECT_NE(wrong.error().message.find("(generate it from this plan)"), std::string::npos) << wrong.error().message;
  device_models::ChipState partial = compiler::ProgrammedState(p.program, p.chip);
  partial.tiles.erase(partial.tiles.begin());
  ASSERT_TRUE(compiler::WriteChipState(state_path, partial).has_value());
  auto missing = ProgrammedChip(p.plan, "", state_path, *backend, nullptr);
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message.find("of the plan is not in the chip state"), std::string::npos)
      << missing.error().message;
}

TEST(FinetuneWorkflow, DoesNotLoseAccuracyAndReprogramsOnlyChangedCells) {
  Programmed p = Program(7);
  const Dataset train = Bars(256, 4), test = Bars(64, 5), calibration = Bars(32, 6);
  auto backend = Behavioural();
  FinetuneOptions options;
  options.age_s = 86400;
  options.compensation = DriftCompensation::kGlobal;
  options.epochs = 2;
  options.learning_rate = 2e-2;  // large enough that some targets move beyond the verify tolerance
  options.threads = 1;
  options.seed = 9;
  auto run = FinetuneChip(p.plan, p.chip, train, test, calibration, *backend, options);
  ASSERT_TRUE(run.has_value()) << run.error().message;
  ASSERT_EQ(run->before.points.size(), 1u);
  ASSERT_EQ(run->after.points.size(), 1u);
  EXPECT_EQ(run->before.points[0].age_s, 86400);
  EXPECT_EQ(run->after.points[0].compensation, DriftCompensation::kGlobal);
  const double before = run->before.points[0].accuracy, after = run->after.points[0].accuracy;
  EXPECT_GE(after, before - 0.05) << "before " << before << ", after " << after;
  int64_t cells = 0;
  for (const auto& tile : p.plan.tiles) cells += int64_t{tile.rows} * tile.used_columns;
  EXPECT_GT(run->tuned.cells_changed, 0);
  EXPECT_LE(run->tuned.cells_changed, cells);
  EXPECT_EQ(run->delta.statistics.cells, run->tuned.cells_changed);
  EXPECT_EQ(run->tuned.plan.tiles.size(), p.plan.tiles.size());
}

// The weights each copy of every layer realises on `chip` as programmed (no drift, no read noise,
// no IR drop): one model per copy.
std::vector<compiler::Model> RealisedCopies(const compiler::Plan& plan, const device_models::ChipInstance& chip) {
  const auto g = ReadConductances(plan, chip, {.age_s = 0, .drift = false, .read_noise = false}, 1);
  std::vector<compiler::Model> copies;
  for (int r = 0; r < plan.layers[0].replicas; ++r) {
    auto model = compiler::WeightsFromPlan(plan, g, false, 1, r);
    EXPECT_TRUE(model.has_value()) << model.error().message;
    copies.push_back(std::move(*model));
  }
  return copies;
}

// Fine-tuning a convolution with two copies: it trains as a convolution (kernel matrices, the
// plan's geometry kept), and both copies take the same weight change on their own cells, so after
// reprogramming copy 1 computes what copy 0 computes.
TEST(FinetuneWorkflow, TrainsAConvolutionAndReprogramsEveryCopyOfItAlike) {
  Programmed p = Program(7, ConvBarsPlan());
  const std::vector<compiler::Model> before = RealisedCopies(p.plan, p.chip);
  const Dataset train = Bars(256, 4), test = Bars(64, 5), calibration = Bars(32, 6);
  auto backend = Behavioural();
  FinetuneOptions options;
  options.age_s = 86400;
  options.epochs = 3;
  options.batch_size = 32;
  options.learning_rate = 5e-2;  // kernels move by several verify tolerances
  options.trainable = {true, true};
  options.threads = 1;
  options.seed = 9;
  auto run = FinetuneChip(p.plan, p.chip, train, test, calibration, *backend, options);
  ASSERT_TRUE(run.has_value()) << run.error().message;
  const double accuracy_before = run->before.points[0].accuracy, accuracy_after = run->after.points[0].accuracy;
  EXPECT_GT(accuracy_before, 0.5);
  EXPECT_GE(accuracy_after, accuracy_before - 0.05) << "before " << accuracy_before << ", after " << accuracy_after;
  // The geometry survives: chip weights, tuned weights and the tuned plan are the convolution.
  const std::string network = compiler::DescribeArchitecture(p.plan.Shapes());
  EXPECT_EQ(network, "1x4x4-c2k3p1-4");
  EXPECT_EQ(compiler::DescribeArchitecture(run->tuned.chip_weights.layers), network);
  EXPECT_EQ(compiler::DescribeArchitecture(run->tuned.tuned_weights.layers), network);
  ASSERT_EQ(run->tuned.tuned_weights.weights[0].rows(), 2);
  EXPECT_EQ(run->tuned.tuned_weights.weights[0].cols(), 9);
  const compiler::Plan& tuned = run->tuned.plan;
  EXPECT_TRUE(tuned.Validate().has_value());
  EXPECT_EQ(compiler::DescribeArchitecture(tuned.Shapes()), network);
  EXPECT_EQ(tuned.conv_replicas, 2);
  EXPECT_EQ(tuned.layers[0].replicas, 2);
  EXPECT_EQ(tuned.layers[0].read_cycles(), 8);
  // Both copies' tiles are reprogrammed, as many cells in each (a stuck cell may differ).
  int64_t changed[2] = {0, 0};
  for (const auto& delta : run->tuned.delta) {
    for (const auto& tile : p.plan.tiles) {
      if (tile.physical_index != delta.tile || tile.layer != 0) continue;
      changed[tile.replica] += (delta.target_g_s.array() == delta.target_g_s.array()).count();
    }
  }
  EXPECT_GT(changed[0], 0);
  EXPECT_NEAR(changed[1], changed[0], 2 + changed[0] / 10);
  // What the chip realises now: copy 1 moved with copy 0. Both copies' cells take the same target
  // change and write-verify leaves a reprogrammed cell within the verify tolerance of its target,
  // so a weight (a pair of cells) changes in copy 1 as in copy 0 to within 4 tolerances (a stuck
  // device's free partner takes the whole change); a copy left alone would differ by the whole
  // change, far more.
  const std::vector<compiler::Model> after = RealisedCopies(tuned, p.chip);
  const double pair_tolerance = 2 * p.plan.layers[0].scale[0] * p.plan.chip.programming.verify_tolerance_s;
  const Eigen::MatrixXf change0 = after[0].weights[0] - before[0].weights[0];
  const Eigen::MatrixXf change1 = after[1].weights[0] - before[1].weights[0];
  ASSERT_GT(change0.cwiseAbs().maxCoeff(), 4 * pair_tolerance) << "the kernels hardly moved: nothing to compare";
  EXPECT_LE((change1 - change0).cwiseAbs().maxCoeff(), 2.002 * pair_tolerance) << change0 << "\n\n" << change1;
}

TEST(YieldLibrary, PopulationStatisticsAndTheWireBetweenRanks) {
  const compiler::Plan plan = BarsPlan();
  const Dataset test = Bars(32, 1), calibration = Bars(16, 2);
  auto backend = Behavioural();
  YieldOptions options;
  options.base_seed = 21;
  options.eval = TwoAges();
  auto chips = EvaluateYield(plan, test, calibration, *backend, options, {0, 1, 2});
  ASSERT_TRUE(chips.has_value()) << chips.error().message;
  ASSERT_EQ(chips->size(), 3u);
  const double t0 = plan.chip.device.nonidealities.drift.t0_s;
  const std::vector<YieldPoint> points = SummariseYield(*chips, options.eval, t0, 0.5);
  ASSERT_EQ(points.size(), 4u);
  for (std::size_t p = 0; p < points.size(); ++p) {
    const YieldStatistics& s = points[p].statistics;
    EXPECT_EQ(s.chips, 3);
    ASSERT_EQ(points[p].accuracies.size(), 3u);
    for (std::size_t c = 0; c < 3; ++c) EXPECT_EQ(points[p].accuracies[c], (*chips)[c].accuracies[p]);
    EXPECT_LE(s.min, s.p5);
    EXPECT_LE(s.p5, s.p50);
    EXPECT_LE(s.p50, s.p95);
    EXPECT_LE(s.p95, s.max);
    EXPECT_GE(s.mean, s.min);
    EXPECT_LE(s.mean, s.max);
  }
  EXPECT_EQ(points[3].age_s, 86400 * 365.25);
  EXPECT_EQ(points[3].compensation, DriftCompensation::kGlobal);
  // Chip 1 alone (another rank's share) is the same chip as in the population.
  auto one = EvaluateYield(plan, test, calibration, *backend, options, {1});
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->front().accuracies, (*chips)[1].accuracies);
  EXPECT_EQ(one->front().pulses, (*chips)[1].pulses);
  // Without ages, the one age is the drift reference time.
  options.eval.ages_s.clear();
  std::vector<ChipYield> first_age = *chips;
  for (ChipYield& c : first_age) c.accuracies.resize(2);
  const std::vector<YieldPoint> at_t0 = SummariseYield(first_age, options.eval, t0, 0.5);
  ASSERT_EQ(at_t0.size(), 2u);
  EXPECT_EQ(at_t0.front().age_s, t0);
}

// Yield over chips holding a convolution twice: one accuracy per chip and point, each a fraction,
// and chip 1 alone is the chip of the population.
TEST(YieldLibrary, ConvPlanGivesEveryChipOneAccuracyPerPoint) {
  const compiler::Plan plan = ConvBarsPlan();
  const Dataset test = Bars(32, 1), calibration = Bars(16, 2);
  auto backend = Behavioural();
  YieldOptions options;
  options.base_seed = 21;
  options.eval = TwoAges();
  auto chips = EvaluateYield(plan, test, calibration, *backend, options, {0, 1});
  ASSERT_TRUE(chips.has_value()) << chips.error().message;
  ASSERT_EQ(chips->size(), 2u);
  for (const ChipYield& chip : *chips) {
    ASSERT_EQ(chip.accuracies.size(), 4u);
    for (double a : chip.accuracies) {
      EXPECT_GE(a, 0.0);
      EXPECT_LE(a, 1.0);
      EXPECT_DOUBLE_EQ(a * 32, std::round(a * 32));  // a count of 32 test images
    }
    EXPECT_GT(chip.accuracies[1], 0.5);  // 1 h, global compensation: the bars are read
    EXPECT_GT(chip.pulses, 0);
  }
  const std::vector<YieldPoint> points =
      SummariseYield(*chips, options.eval, plan.chip.device.nonidealities.drift.t0_s, 0.5);
  ASSERT_EQ(points.size(), 4u);
  for (const YieldPoint& point : points) EXPECT_EQ(point.statistics.chips, 2);
  auto one = EvaluateYield(plan, test, calibration, *backend, options, {1});
  ASSERT_TRUE(one.has_value()) << one.error().message;
  EXPECT_EQ(one->front().accuracies, (*chips)[1].accuracies);
}

}  // namespace
}  // namespace xbar::runtime
