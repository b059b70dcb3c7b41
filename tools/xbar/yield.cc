// xbar yield: accuracy over a population of chip instances (Monte-Carlo yield), on one machine or
// split over MPI ranks (chip i on rank i % ranks); the result does not depend on the split.
#include <omp.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "compiler/artifact_check.h"
#include "compiler/plan_io.h"
#include "compiler/pulse_io.h"
#include "runtime/backend.h"
#include "runtime/mpi_world.h"
#include "runtime/result_text.h"
#include "runtime/yield.h"
#include "support/file_io.h"
#include "support/format.h"
#include "support/progress.h"
#include "tools/xbar/cli.h"

namespace xbar::tools {
namespace {

// Everything a rank needs before it evaluates its chips.
struct Setup {
  compiler::Plan plan;
  runtime::Dataset test, calibration;
  SpikeData spikes;  // NIR plans
  runtime::YieldOptions options;
  int64_t samples() const {
    return static_cast<int64_t>(plan.populations.empty() ? test.labels.size() : spikes.labels.size());
  }
};

struct Flags {
  std::string plan_path, program_path, dataset = "mnist", out_path;
  int64_t chips = 0;
  double threshold = 0.98;
  ChipEvalFlags eval;
  SpikeFlags spikes;
};

Expected<Setup> Prepare(const Flags& f, const CommonOptions& common, const po::variables_map& vm, int local_ranks) {
  if (auto ok = runtime::CheckYieldRun(f.chips, f.threshold); !ok) return std::unexpected(ok.error());
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
  if (!s.plan.populations.empty() || f.spikes.any()) {
    // A NIR plan's chips run spike trains, and their accuracy needs the labels.
    if (s.plan.populations.empty()) {
      return Fail(ErrorCode::kInvalidArgument, "--spikes and --labels are for plans of NIR populations; " +
                                                   f.plan_path + " is not one (it takes --dataset)");
    }
    if (f.spikes.labels.empty()) {
      return Fail(ErrorCode::kInvalidArgument, "a NIR plan's yield runs --spikes IN.npy against --labels Y.npy");
    }
    auto data = ReadSpikeData(f.spikes, s.plan.layers.back().neurons());
    if (!data) return std::unexpected(data.error());
    s.spikes = std::move(*data);
    return s;
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

// Every rank stops when one failed; only the rank the world picks says why.
int Stop(const runtime::MpiWorld::Failure& failure, const std::string& name) {
  if (!failure.quiet) return ReportError(name, failure.error);
  return failure.error.code == ErrorCode::kInvalidArgument ? 2 : 1;
}

}  // namespace

int RunYield(int argc, char** argv) {
  const auto start = std::chrono::steady_clock::now();
  const std::string name = "yield";
  runtime::MpiWorld world;
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
  AddSpikeOptions(desc, f.spikes, "NIR plans (instead of --dataset; with --labels)", false);
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
                      "PLAN.xbp --chips N [--program P.xbpulse] [--dataset mnist | --spikes IN.npy --labels Y.npy] "
                      "[--ages 1d,1y] "
                      "[--compensation global] [--threshold 0.98] [--out R.json]   (mpirun -np K xbar yield ...)",
                      argc, argv, desc, &positional, vm);
    std::cout.clear();
    std::cerr.clear();
    if (code) return *code;
  }

  auto setup = Prepare(f, common, vm, world.local_size());
  // A rank that fails says why (a deterministic error only once); all stop.
  if (auto failure = world.AgreeOnFailure(setup ? nullptr : &setup.error())) return Stop(*failure, name);

  const runtime::YieldOptions& options = setup->options;
  // Also the parallel loops that take no thread count (drawing a chip's devices): --threads holds.
  omp_set_num_threads(options.eval.threads);
  const std::size_t points = std::max<std::size_t>(options.eval.ages_s.size(), 1) * options.eval.compensations.size();
  const std::vector<int64_t> mine = runtime::ChipsOfRank(f.chips, world.rank(), world.size());
  auto backend = runtime::MakeBackend("behavioural");
  XBAR_CHECK(backend.has_value());
  Progress progress(world.size() > 1 ? "chips of rank 0" : "chips", mine.size(), common.quiet || !root);
  uint64_t done = 0;
  const runtime::SpikeInputs spikes{setup->spikes.spikes, f.spikes.spikes, &setup->spikes.labels, f.spikes.labels};
  auto evaluate = [&](const device_models::ChipInstance& chip, const runtime::ChipEvalOptions& eval) {
    if (!setup->plan.populations.empty()) return runtime::EvaluateChipSpikes(setup->plan, chip, spikes, **backend, eval);
    return runtime::EvaluateChip(setup->plan, chip, setup->test, setup->calibration, **backend, eval);
  };
  auto results = runtime::EvaluateYield(setup->plan, evaluate, options, mine, [&](const runtime::ChipYield& c) {
    progress.Update(++done, "chip " + std::to_string(c.index) + " " + FormatNumber(100 * c.accuracies.front()) + " %");
  });
  progress.Finish();
  if (auto failure = world.AgreeOnFailure(results ? nullptr : &results.error())) return Stop(*failure, name);
  const std::vector<double> all = world.GatherToRoot(runtime::PackChipYields(*results, points));
  if (!root) return 0;

  // Rank 0: every chip in chip order, then the statistics per point.
  auto chips = runtime::UnpackChipYields(all, points, f.chips, options.base_seed);
  XBAR_CHECK(chips.has_value());
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  runtime::YieldRecord record =
      runtime::MakeYieldRecord(options, f.plan_path, f.program_path,
                               setup->plan.populations.empty() ? f.dataset : f.spikes.spikes, setup->samples(), f.chips,
                               world.size(), seconds);
  runtime::FillYieldRecord(*chips, options.eval, setup->plan.chip.device.nonidealities.drift.t0_s, f.threshold,
                           record);
  if (!common.quiet) std::fputs(runtime::YieldSummary(record, f.threshold).c_str(), stderr);
  const Json result = runtime::ToJson(record);
  if (!f.out_path.empty()) {
    if (auto ok = WriteFileAtomic(f.out_path, DumpJson(result) + "\n"); !ok) return ReportError(name, ok.error());
  }
  EmitJson(common, result);
  return 0;
}

}  // namespace xbar::tools
