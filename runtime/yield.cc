#include "runtime/yield.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "device_models/chip_instance.h"
#include "support/rng.h"

namespace xbar::runtime {
namespace {

constexpr uint64_t kProgramStream = 1;  // DeriveSeed streams of a chip's seed
constexpr uint64_t kReadStream = 2;

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
    auto report = EvaluateChip(plan, *chip, test, calibration, backend, eval);
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

}  // namespace xbar::runtime
