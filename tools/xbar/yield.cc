// xbar yield: accuracy over a population of chip instances (Monte-Carlo yield), on one machine or
// split over MPI ranks (chip i on rank i % ranks); the result does not depend on the split.
#include <omp.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "compiler/artifact_check.h"
#include "compiler/plan_io.h"
#include "compiler/pulse_io.h"
#include "runtime/backend.h"
#include "runtime/results.h"
#include "runtime/yield.h"
#include "support/duration.h"
#include "support/file_io.h"
#include "support/format.h"
#include "support/progress.h"
#include "tools/xbar/cli.h"
#include "tools/xbar/mpi_world.h"

namespace xbar::tools {
namespace {

constexpr int64_t kMaxChips = 1'000'000;

// Everything a rank needs before it evaluates its chips.
struct Setup {
  compiler::Plan plan;
  runtime::Dataset test, calibration;
  runtime::YieldOptions options;
};

struct Flags {
  std::string plan_path, program_path, dataset = "mnist", out_path;
  int64_t chips = 0;
  double threshold = 0.98;
  ChipEvalFlags eval;
};

Expected<Setup> Prepare(const Flags& f, const CommonOptions& common, const po::variables_map& vm, int local_ranks) {
  if (f.chips < 1 || f.chips > kMaxChips) {
    return Fail(ErrorCode::kInvalidArgument,
                "--chips " + std::to_string(f.chips) + " must lie in [1, " + std::to_string(kMaxChips) + "]");
  }
  if (!(f.threshold >= 0 && f.threshold <= 1)) {
    return Fail(ErrorCode::kInvalidArgument, "--threshold " + FormatNumber(f.threshold) + " must lie in [0, 1]");
  }
  if (common.threads < 0) {
    return Fail(ErrorCode::kInvalidArgument, "--threads " + std::to_string(common.threads) + " must be >= 0");
  }
  Setup s;
  auto eval = FinishChipEvalOptions(f.eval, common, vm);
  if (!eval) return std::unexpected(eval.error());
  s.options.eval = *eval;
  // Threads per rank: --threads, else this machine's cores shared by the ranks on it.
  s.options.eval.threads = common.threads > 0 ? common.threads : std::max(1, omp_get_num_procs() / local_ranks);
  if (auto ok = CheckOutputFolder(f.out_path); !ok) return std::unexpected(ok.error());
  auto plan = compiler::ReadPlan(f.plan_path);
  if (!plan) return std::unexpected(plan.error());
  s.plan = std::move(*plan);
  if (auto ok = runtime::CheckPlanFitsPopulation(s.plan, f.plan_path); !ok) return std::unexpected(ok.error());
  s.options.base_seed = common.seed;
  if (!f.program_path.empty()) {
    auto program = compiler::ReadPulseProgram(f.program_path);
    if (!program) return std::unexpected(program.error());
    if (auto ok = compiler::CheckProgramFitsPlan(s.plan, *program, f.program_path); !ok) {
      return std::unexpected(ok.error());
    }
    runtime::UseProgramRecipe(*program, s.options);
    if (vm["seed"].defaulted()) s.options.base_seed = program->chip_seed;
  }
  const std::string data_dir = runtime::DataDir(common.data_dir);
  auto test = runtime::LoadDataset(f.dataset, data_dir, runtime::Split::kTest, f.eval.limit);
  if (!test) return std::unexpected(test.error());
  s.test = std::move(*test);
  auto calibration = runtime::LoadDataset(f.dataset, data_dir, runtime::Split::kTrain, f.eval.calibration_images);
  if (!calibration) return std::unexpected(calibration.error());
  s.calibration = std::move(*calibration);
  return s;
}

void PrintYield(const runtime::YieldRecord& r, double threshold) {
  std::fprintf(stderr, "%s: %lld chips (base seed %llu) on %lld rank%s x %lld threads, %lld images, %.1f s (%.3g chips/s)\n",
               r.dataset.c_str(), static_cast<long long>(r.chips), static_cast<unsigned long long>(r.base_seed),
               static_cast<long long>(r.ranks), r.ranks > 1 ? "s" : "", static_cast<long long>(r.threads_per_rank),
               static_cast<long long>(r.images), r.seconds, r.chips_per_second);
  for (const auto& p : r.points) {
    std::fprintf(stderr,
                 "  %-5s %-7s mean %6.2f %%  p5 %6.2f %%  p50 %6.2f %%  p95 %6.2f %%  min %6.2f %%  "
                 "max %6.2f %%  >= %.2f %%: %lld of %lld chips (%.1f %%)\n",
                 FormatDuration(p.age_s).c_str(), std::string(runtime::DriftCompensationName(p.compensation)).c_str(),
                 100 * p.mean, 100 * p.p5, 100 * p.p50, 100 * p.p95, 100 * p.min, 100 * p.max, 100 * threshold,
                 static_cast<long long>(std::llround(p.fraction_above * static_cast<double>(r.chips))),
                 static_cast<long long>(r.chips), 100 * p.fraction_above);
  }
}

}  // namespace

int RunYield(int argc, char** argv) {
  const auto start = std::chrono::steady_clock::now();
  const std::string name = "yield";
  MpiWorld world;
  const bool root = world.rank() == 0;
  CommonOptions common;
  Flags f;
  f.eval.compensation_text = "global";
  po::options_description desc("options");
  AddCommonOptions(desc, common);
  desc.add_options()
      ("plan", po::value(&f.plan_path)->required(), "plan from xbar compile (.xbp)")
      ("program", po::value(&f.program_path),
       "pulse program (.xbpulse) whose header is the recipe: write-verify scheme, tolerance, pulse budget, "
       "and the base chip seed (unless --seed is given); it must be generated from this plan")
      ("chips", po::value(&f.chips)->required(), "chip instances to draw, program and evaluate")
      ("dataset", po::value(&f.dataset)->default_value(f.dataset), "mnist or fashion-mnist (test split)");
  AddChipEvalAgeOptions(desc, f.eval, "1d,1y");
  desc.add_options()("threshold", po::value(&f.threshold)->default_value(f.threshold, "0.98"),
                     "accuracy a chip must reach to count as good, in [0, 1]");
  AddChipEvalReadOptions(desc, f.eval, "training images that calibrate each chip's output amplifier");
  desc.add_options()("out,o", po::value(&f.out_path), "also write the JSON result to this file");
  po::positional_options_description positional;
  positional.add("plan", 1);
  po::variables_map vm;
  {
    // Every rank parses the same command line; only rank 0 speaks.
    if (!root) {
      std::cout.setstate(std::ios::badbit);
      std::cerr.setstate(std::ios::badbit);
    }
    auto code = Parse(name,
                      "PLAN.xbp --chips N [--program P.xbpulse] [--dataset mnist] [--ages 1d,1y] "
                      "[--compensation global] [--threshold 0.98] [--out R.json]   (mpirun -np K xbar yield ...)",
                      argc, argv, desc, &positional, vm);
    std::cout.clear();
    std::cerr.clear();
    if (code) return *code;
  }

  auto setup = Prepare(f, common, vm, world.local_size());
  // A rank that fails says why (a deterministic error only once); all stop.
  if (auto code = world.StopIfAnyFailed(setup ? nullptr : &setup.error(), name)) return *code;

  const runtime::YieldOptions& options = setup->options;
  // Also the parallel loops that take no thread count (drawing a chip's devices): --threads holds.
  omp_set_num_threads(options.eval.threads);
  const std::size_t points = std::max<std::size_t>(options.eval.ages_s.size(), 1) * options.eval.compensations.size();
  const std::vector<int64_t> mine = runtime::ChipsOfRank(f.chips, world.rank(), world.size());
  auto backend = runtime::MakeBackend("behavioural");
  XBAR_CHECK(backend.has_value());
  Progress progress(world.size() > 1 ? "chips of rank 0" : "chips", mine.size(), common.quiet || !root);
  uint64_t done = 0;
  auto results = runtime::EvaluateYield(setup->plan, setup->test, setup->calibration, **backend, options, mine,
                                        [&](const runtime::ChipYield& c) {
                                          progress.Update(++done, "chip " + std::to_string(c.index) + " " +
                                                                      FormatNumber(100 * c.accuracies.front()) + " %");
                                        });
  progress.Finish();
  if (auto code = world.StopIfAnyFailed(results ? nullptr : &results.error(), name)) return *code;
  const std::vector<double> all = world.GatherToRoot(runtime::PackChipYields(*results, points));
  if (!root) return 0;

  // Rank 0: every chip in chip order, then the statistics per point.
  auto chips = runtime::UnpackChipYields(all, points, f.chips, options.base_seed);
  XBAR_CHECK(chips.has_value());
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  runtime::YieldRecord record;
  record.plan = f.plan_path;
  record.program = f.program_path.empty() ? std::nullopt : std::optional(f.program_path);
  record.dataset = f.dataset;
  record.backend = "behavioural";
  record.images = static_cast<int64_t>(setup->test.labels.size());
  record.base_seed = options.base_seed;
  record.scheme = std::string(compiler::ProgramSchemeName(options.program.scheme));
  record.ir_drop = options.eval.ir_drop;
  record.read_noise = options.eval.read_noise;
  record.drift = options.eval.drift;
  record.chips = f.chips;
  record.ranks = world.size();
  record.threads_per_rank = options.eval.threads;
  record.seconds = seconds;
  record.chips_per_second = static_cast<double>(f.chips) / seconds;
  runtime::FillYieldRecord(*chips, options.eval, setup->plan.chip.device.nonidealities.drift.t0_s, f.threshold,
                           record);
  if (!common.quiet) PrintYield(record, f.threshold);
  const Json result = runtime::ToJson(record);
  if (!f.out_path.empty()) {
    if (auto ok = WriteFileAtomic(f.out_path, DumpJson(result) + "\n"); !ok) return ReportError(name, ok.error());
  }
  EmitJson(common, result);
  return 0;
}

}  // namespace xbar::tools
