// Monte-Carlo chip yield: draw, program and evaluate chip instances; statistics; the wire between ranks.
#include "runtime/yield.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "compiler/artifact_check.h"
#include "device_models/chip_instance.h"
#include "runtime/results.h"
#include "support/format.h"
#include "support/rng.h"

namespace xbar::runtime {
namespace {

constexpr uint64_t kProgramStream = 1;  // DeriveSeed streams of a chip's seed
constexpr uint64_t kReadStream = 2;
constexpr std::size_t kChipHeader = 3;  // index, failed cells, pulses

}  // namespace

YieldChipSeeds YieldSeeds(uint64_t base_seed, int64_t index) {
  YieldChipSeeds seeds;
  seeds.chip = DeriveSeed(base_seed, static_cast<uint64_t>(index));
  seeds.program = DeriveSeed(seeds.chip, kProgramStream);
  seeds.read = DeriveSeed(seeds.chip, kReadStream);
  return seeds;
}

Expected<std::vector<ChipYield>> EvaluateYield(const compiler::Plan& plan, const Dataset& test,
                                               const Dataset& calibration, ChipBackend& backend,
                                               const YieldOptions& options, const std::vector<int64_t>& indices,
                                               const std::function<void(const ChipYield&)>& done) {
  return EvaluateYield(
      plan,
      [&](const device_models::ChipInstance& chip, const ChipEvalOptions& eval) {
        return EvaluateChip(plan, chip, test, calibration, backend, eval);
      },
      options, indices, done);
}

Expected<std::vector<ChipYield>> EvaluateYield(const compiler::Plan& plan, const ChipEvaluation& evaluate,
                                               const YieldOptions& options, const std::vector<int64_t>& indices,
                                               const std::function<void(const ChipYield&)>& done) {
  const std::vector<compiler::TileTargets> targets = compiler::PlanTargets(plan);
  std::vector<ChipYield> out;
  out.reserve(indices.size());
  for (int64_t index : indices) {
    const auto start = std::chrono::steady_clock::now();
    ChipYield result;
    result.index = index;
    result.seeds = YieldSeeds(options.base_seed, index);
    const std::string context =
        "chip " + std::to_string(index) + " (chip seed " + std::to_string(result.seeds.chip) + ")";
    auto chip = compiler::CreateChipInstance(plan, result.seeds.chip);
    if (!chip) return std::unexpected(WithContext(chip.error(), context));
    compiler::ProgramOptions program_options = options.program;
    program_options.seed = result.seeds.program;
    program_options.threads = options.eval.threads;
    auto program = compiler::GenerateProgram(targets, *chip, program_options);
    if (!program) return std::unexpected(WithContext(program.error(), context));
    result.failed_cells = program->statistics.failed();
    result.pulses = program->statistics.pulses;
    ChipEvalOptions eval = options.eval;
    eval.seed = result.seeds.read;
    auto report = evaluate(*chip, eval);
    if (!report) return std::unexpected(WithContext(report.error(), context));
    for (const AgePoint& p : report->points) result.accuracies.push_back(p.accuracy);
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (done) done(result);
    out.push_back(std::move(result));
  }
  return out;
}

std::vector<int64_t> ChipsOfRank(int64_t chips, int rank, int ranks) {
  XBAR_CHECK(ranks >= 1 && rank >= 0 && rank < ranks && chips >= 0);
  std::vector<int64_t> mine;
  for (int64_t i = rank; i < chips; i += ranks) mine.push_back(i);
  return mine;
}

double Percentile(const std::vector<double>& sorted, double q) {
  XBAR_CHECK(!sorted.empty() && q >= 0 && q <= 1);
  const double h = static_cast<double>(sorted.size() - 1) * q;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

YieldStatistics ComputeYieldStatistics(const std::vector<double>& accuracies, double threshold) {
  XBAR_CHECK(!accuracies.empty());
  std::vector<double> sorted = accuracies;
  std::sort(sorted.begin(), sorted.end());
  YieldStatistics s;
  s.chips = static_cast<int64_t>(sorted.size());
  double sum = 0;
  int64_t above = 0;
  for (double a : accuracies) {  // in the given (chip) order, so the mean is the same for any split
    sum += a;
    above += a >= threshold ? 1 : 0;
  }
  s.mean = sum / static_cast<double>(s.chips);
  s.p5 = Percentile(sorted, 0.05);
  s.p50 = Percentile(sorted, 0.50);
  s.p95 = Percentile(sorted, 0.95);
  s.min = sorted.front();
  s.max = sorted.back();
  s.threshold = threshold;
  s.fraction_above = static_cast<double>(above) / static_cast<double>(s.chips);
  return s;
}

std::vector<YieldPoint> SummariseYield(const std::vector<ChipYield>& chips, const ChipEvalOptions& eval, double t0_s,
                                       double threshold) {
  const std::vector<double> ages = eval.ages_s.empty() ? std::vector<double>{t0_s} : eval.ages_s;
  const std::size_t modes = eval.compensations.size();
  std::vector<YieldPoint> points(ages.size() * modes);
  for (std::size_t p = 0; p < points.size(); ++p) {
    points[p].age_s = ages[p / modes];
    points[p].compensation = eval.compensations[p % modes];
    for (const ChipYield& c : chips) {
      XBAR_CHECK(c.accuracies.size() == points.size());
      points[p].accuracies.push_back(c.accuracies[p]);
    }
    points[p].statistics = ComputeYieldStatistics(points[p].accuracies, threshold);
  }
  return points;
}

Expected<void> CheckYieldRun(int64_t chips, double threshold) {
  if (chips < 1 || chips > kMaxYieldChips) {
    return Fail(ErrorCode::kInvalidArgument,
                "--chips " + std::to_string(chips) + " must lie in [1, " + std::to_string(kMaxYieldChips) + "]");
  }
  if (!(threshold >= 0 && threshold <= 1)) {
    return Fail(ErrorCode::kInvalidArgument, "--threshold " + FormatNumber(threshold) + " must lie in [0, 1]");
  }
  return {};
}

Expected<void> CheckPlanFitsPopulation(const compiler::Plan& plan, const std::string& plan_path) {
  if (!plan.faults_chip_seed) return {};
  return Fail(ErrorCode::kInvalidArgument,
              plan_path + ": remapped around the stuck cells of chip instance " + std::to_string(*plan.faults_chip_seed) +
                  " (xbar compile --faults), it fits that instance only; a population needs a plan compiled "
                  "without --faults");
}

void UseProgramRecipe(const compiler::PulseProgram& program, YieldOptions& options) {
  options.program.scheme = program.scheme;
  options.program.tolerance_s = program.tolerance_s;
  options.program.max_pulses = program.max_pulses;
  options.program.read_time_s = program.read_time_s;
}

void FillYieldRecord(const std::vector<ChipYield>& chips, const ChipEvalOptions& eval, double t0_s, double threshold,
                     YieldRecord& record) {
  for (const YieldPoint& p : SummariseYield(chips, eval, t0_s, threshold)) {
    const YieldStatistics& s = p.statistics;
    record.points.push_back({p.age_s, p.compensation, s.mean, s.p5, s.p50, s.p95, s.min, s.max, s.threshold,
                             s.fraction_above, p.accuracies});
  }
  for (const ChipYield& c : chips) {
    record.seeds.push_back({c.seeds.chip, c.seeds.program, c.seeds.read});
    record.failed_cells.push_back(c.failed_cells);
    record.pulses.push_back(c.pulses);
  }
}

std::vector<double> PackChipYields(const std::vector<ChipYield>& chips, std::size_t points) {
  std::vector<double> wire;
  wire.reserve(chips.size() * (kChipHeader + points));
  for (const ChipYield& c : chips) {
    XBAR_CHECK(c.accuracies.size() == points);
    wire.push_back(static_cast<double>(c.index));
    wire.push_back(static_cast<double>(c.failed_cells));
    wire.push_back(static_cast<double>(c.pulses));
    wire.insert(wire.end(), c.accuracies.begin(), c.accuracies.end());
  }
  return wire;
}

Expected<std::vector<ChipYield>> UnpackChipYields(const std::vector<double>& wire, std::size_t points, int64_t chips,
                                                  uint64_t base_seed) {
  const std::size_t stride = kChipHeader + points;
  if (chips < 0 || wire.size() != static_cast<std::size_t>(chips) * stride) {
    return Fail(ErrorCode::kDataLoss, "yield wire: " + std::to_string(wire.size()) + " values, expected " +
                                          std::to_string(chips) + " chips of " + std::to_string(stride));
  }
  std::vector<ChipYield> out(static_cast<std::size_t>(chips));
  std::vector<bool> seen(out.size(), false);
  for (std::size_t at = 0; at < wire.size(); at += stride) {
    const double index = wire[at];
    if (!(index >= 0 && index < static_cast<double>(chips)) || index != std::floor(index) ||
        seen[static_cast<std::size_t>(index)]) {
      return Fail(ErrorCode::kDataLoss, "yield wire: chip index " + FormatNumber(index) +
                                            " is out of range or repeated");
    }
    const auto i = static_cast<std::size_t>(index);
    seen[i] = true;
    ChipYield& c = out[i];
    c.index = static_cast<int64_t>(i);
    c.seeds = YieldSeeds(base_seed, c.index);
    c.failed_cells = static_cast<int64_t>(wire[at + 1]);
    c.pulses = static_cast<int64_t>(wire[at + 2]);
    c.accuracies.assign(wire.begin() + static_cast<std::ptrdiff_t>(at + kChipHeader),
                        wire.begin() + static_cast<std::ptrdiff_t>(at + stride));
  }
  return out;
}

}  // namespace xbar::runtime
