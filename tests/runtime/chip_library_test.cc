// The chip workflows as library calls, on a small programmed chip: chip evaluation, the
// fine-tuning workflow, a programmed chip from a program or a state, and yield over a population.
#include <gtest/gtest.h>

#include <cstdlib>

#include "compiler/compile.h"
#include "compiler/plan.h"
#include "compiler/program_gen.h"
#include "compiler/pulse_io.h"
#include "compiler/chip_state_io.h"
#include "runtime/backend.h"
#include "runtime/chip_eval.h"
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

struct Programmed {
  compiler::Plan plan;
  device_models::ChipInstance chip;
  compiler::PulseProgram program;
};

Programmed Program(uint64_t chip_seed) {
  compiler::Plan plan = BarsPlan();
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

}  // namespace
}  // namespace xbar::runtime
