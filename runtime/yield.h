// Monte-Carlo chip yield: many chip instances drawn from one base seed, each programmed by
// write-verify and run over the test set at several ages, and the accuracy distribution over them
// (docs/yield.md). Chip i's result depends only on the plan, the recipe, the base seed and i.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "compiler/plan.h"
#include "compiler/program_gen.h"
#include "runtime/backend.h"
#include "runtime/chip_eval.h"
#include "runtime/dataset.h"
#include "support/error.h"

namespace xbar::runtime {

struct YieldRecord;  // runtime/results.h

/// The seeds of chip `index` of a population: the chip instance (devices, stuck cells) is
/// DeriveSeed(base_seed, index); its programming noise and its read noise are streams of that seed.
struct YieldChipSeeds {
  uint64_t chip = 0;
  uint64_t program = 0;
  uint64_t read = 0;
};
YieldChipSeeds YieldSeeds(uint64_t base_seed, int64_t index);

/// What to do with every chip of the population.
struct YieldOptions {
  /// Base seed of the population (a pulse program's header chip_seed, or --seed).
  uint64_t base_seed = 1;
  /// The write-verify recipe; its seed is replaced by each chip's programming seed.
  compiler::ProgramOptions program;
  /// Ages, compensations, switches, image limit and threads; its seed is replaced by each chip's
  /// read seed.
  ChipEvalOptions eval;
};

/// One chip's outcome.
struct ChipYield {
  int64_t index = 0;
  YieldChipSeeds seeds;
  /// Accuracy per (age, compensation) point, ages outer, compensations inner (as EvaluateChip).
  std::vector<double> accuracies;
  /// Cells write-verify did not converge (stuck, out of window, budget spent), and all pulses.
  int64_t failed_cells = 0;
  int64_t pulses = 0;
  double seconds = 0;
};

/// Draws, programs and evaluates the chips listed in `indices` (in that order), one after another,
/// each with options.eval.threads workers. `done` (may be empty) is called after every chip.
/// Errors are those of compiler::CheckChipSeed (a plan remapped around one instance's stuck cells
/// fits no other), GenerateProgram and EvaluateChip, prefixed with the chip and its seed.
Expected<std::vector<ChipYield>> EvaluateYield(const compiler::Plan& plan, const Dataset& test,
                                               const Dataset& calibration, ChipBackend& backend,
                                               const YieldOptions& options, const std::vector<int64_t>& indices,
                                               const std::function<void(const ChipYield&)>& done = {});

/// How a programmed chip is evaluated with a chip's eval options (its read seed in place).
using ChipEvaluation =
    std::function<Expected<ChipEvalReport>(const device_models::ChipInstance& chip, const ChipEvalOptions& eval)>;
/// The same loop with any evaluation: a NIR plan's on spike trains (EvaluateChipSpikes, labels
/// given) as xbar yield --spikes runs it.
Expected<std::vector<ChipYield>> EvaluateYield(const compiler::Plan& plan, const ChipEvaluation& evaluate,
                                               const YieldOptions& options, const std::vector<int64_t>& indices,
                                               const std::function<void(const ChipYield&)>& done = {});

/// The chips of `chips` that rank `rank` of `ranks` evaluates: index i goes to rank i % ranks.
std::vector<int64_t> ChipsOfRank(int64_t chips, int rank, int ranks);

/// Percentile `q` in [0, 1] of `sorted` (ascending, non-empty), by linear interpolation between
/// the closest ranks: h = (n - 1) q, x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]).
/// NumPy's default (method "linear"); q = 0 is the minimum, q = 1 the maximum.
double Percentile(const std::vector<double>& sorted, double q);

/// Summary of one point's accuracies over the chips.
struct YieldStatistics {
  int64_t chips = 0;
  double mean = 0;
  double p5 = 0, p50 = 0, p95 = 0;
  double min = 0, max = 0;
  /// Threshold and the fraction of chips whose accuracy is >= it.
  double threshold = 0;
  double fraction_above = 0;
};

/// Statistics of `accuracies` (any order, non-empty; a bug otherwise) against `threshold`.
YieldStatistics ComputeYieldStatistics(const std::vector<double>& accuracies, double threshold);

/// One (age, compensation) point over a whole population.
struct YieldPoint {
  double age_s = 0;
  DriftCompensation compensation = DriftCompensation::kNone;
  YieldStatistics statistics;
  std::vector<double> accuracies;  // chip order
};

/// The points of a population: `chips` holds every chip once, in index order (UnpackChipYields);
/// ages and compensations are those of `eval` (no ages: the drift reference time `t0_s`). A bug
/// if a chip has not one accuracy per point.
std::vector<YieldPoint> SummariseYield(const std::vector<ChipYield>& chips, const ChipEvalOptions& eval, double t0_s,
                                       double threshold);

/// The most chip instances one yield run draws.
constexpr int64_t kMaxYieldChips = 1'000'000;

/// A yield run's size and good-chip threshold: kInvalidArgument unless `chips` lies in [1,
/// kMaxYieldChips] (--chips) and `threshold` in [0, 1] (--threshold).
Expected<void> CheckYieldRun(int64_t chips, double threshold);

/// A plan remapped around one chip instance's stuck cells (xbar compile --faults) fits no
/// population: kInvalidArgument naming `plan_path`.
Expected<void> CheckPlanFitsPopulation(const compiler::Plan& plan, const std::string& plan_path);

/// A pulse program's header as the population's write-verify recipe: scheme, tolerance, pulse
/// budget and read time.
void UseProgramRecipe(const compiler::PulseProgram& program, YieldOptions& options);

/// Fills the population's part of `record` from every chip (in index order): the points
/// (SummariseYield) and per chip its seeds, failed cells and pulses.
void FillYieldRecord(const std::vector<ChipYield>& chips, const ChipEvalOptions& eval, double t0_s, double threshold,
                     YieldRecord& record);

/// The chips' results on the wire between ranks, as doubles (counts below 2^53 are exact): per chip
/// its index, failed cells, pulses, then its `points` accuracies. Seeds and seconds stay behind.
std::vector<double> PackChipYields(const std::vector<ChipYield>& chips, std::size_t points);

/// The chips in the concatenation of every rank's PackChipYields, in index order, seeds from
/// `base_seed`. kDataLoss unless the wire holds each of the `chips` chips exactly once.
Expected<std::vector<ChipYield>> UnpackChipYields(const std::vector<double>& wire, std::size_t points, int64_t chips,
                                                  uint64_t base_seed);

}  // namespace xbar::runtime
