// xbar yield: accuracy over a population of chip instances (Monte-Carlo yield), on one machine or
// split over MPI ranks (chip i on rank i % ranks); the result does not depend on the split.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "compiler/plan_io.h"
#include "compiler/program_gen.h"
#include "compiler/pulse_io.h"
#include "runtime/backend.h"
#include "runtime/chip_eval.h"
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

Expected<std::vector<runtime::DriftCompensation>> ParseCompensationList(const std::string& text) {
  std::vector<runtime::DriftCompensation> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    auto c = runtime::ParseDriftCompensation(item);
    if (!c) return std::unexpected(WithContext(c.error(), "--compensation"));
    out.push_back(*c);
  }
  if (out.empty()) return Fail(ErrorCode::kInvalidArgument, "--compensation is empty");
  return out;
}

// Everything a rank needs before it evaluates its chips.
struct Setup {
  compiler::Plan plan;
  runtime::Dataset test, calibration;
  runtime::YieldOptions options;
  std::string program_path;
};

// Per chip on the wire to rank 0: index, failed cells, pulses, then one accuracy per point.
constexpr std::size_t kChipHeader = 3;

}  // namespace

int RunYield(int argc, char** argv) {
  const auto start = std::chrono::steady_clock::now();
  const std::string name = "yield";
  MpiWorld world;
  const bool root = world.rank() == 0;
  CommonOptions common;
  std::string plan_path, program_path, dataset = "mnist", ages_text, compensation_text = "global", out_path;
  int64_t chips = 0, limit = 0, calibration_images = 256;
  double threshold = 0.98;
  bool no_ir_drop = false, no_read_noise = false, no_drift = false;
  po::options_description desc("options");
  AddCommonOptions(desc, common);
  desc.add_options()
      ("plan", po::value(&plan_path)->required(), "plan from xbar compile (.xbp)")
      ("program", po::value(&program_path),
       "pulse program (.xbpulse) whose header is the recipe: write-verify scheme, tolerance, pulse budget, "
       "and the base chip seed (unless --seed is given); it must be generated from this plan")
      ("chips", po::value(&chips)->required(), "chip instances to draw, program and evaluate")
      ("dataset", po::value(&dataset)->default_value(dataset), "mnist or fashion-mnist (test split)")
      ("age", po::value(&ages_text), "time since programming, e.g. 1d (default: the drift t0)")
      ("ages", po::value(&ages_text), "several ages, e.g. 1d,1y")
      ("compensation", po::value(&compensation_text)->default_value(compensation_text),
       "drift compensation modes to report, from none, global, column")
      ("threshold", po::value(&threshold)->default_value(threshold, "0.98"),
       "accuracy a chip must reach to count as good, in [0, 1]")
      ("limit", po::value(&limit)->default_value(0), "test images (0: all)")
      ("calibration-images", po::value(&calibration_images)->default_value(calibration_images),
       "training images that calibrate each chip's output amplifier")
      ("no-ir-drop", po::bool_switch(&no_ir_drop), "read the tiles without wire resistance")
      ("no-read-noise", po::bool_switch(&no_read_noise), "read without read noise")
      ("no-drift", po::bool_switch(&no_drift), "conductances do not drift")
      ("out,o", po::value(&out_path), "also write the JSON result to this file");
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

  auto setup = [&]() -> Expected<Setup> {
    if (vm.count("age") && vm.count("ages")) return Fail(ErrorCode::kInvalidArgument, "give --age or --ages, not both");
    if (chips < 1 || chips > kMaxChips) {
      return Fail(ErrorCode::kInvalidArgument,
                  "--chips " + std::to_string(chips) + " must lie in [1, " + std::to_string(kMaxChips) + "]");
    }
    if (!(threshold >= 0 && threshold <= 1)) {
      return Fail(ErrorCode::kInvalidArgument, "--threshold " + FormatNumber(threshold) + " must lie in [0, 1]");
    }
    if (limit < 0) return Fail(ErrorCode::kInvalidArgument, "--limit " + std::to_string(limit) + " must be >= 0");
    if (calibration_images < 1) {
      return Fail(ErrorCode::kInvalidArgument,
                  "--calibration-images " + std::to_string(calibration_images) + " must be >= 1");
    }
    if (common.threads < 0) {
      return Fail(ErrorCode::kInvalidArgument, "--threads " + std::to_string(common.threads) + " must be >= 0");
    }
    Setup s;
    runtime::ChipEvalOptions& eval = s.options.eval;
    if (!ages_text.empty()) {
      auto ages = ParseDurations(ages_text);
      if (!ages) return std::unexpected(WithContext(ages.error(), vm.count("age") ? "--age" : "--ages"));
      eval.ages_s = *ages;
    }
    auto compensations = ParseCompensationList(compensation_text);
    if (!compensations) return std::unexpected(compensations.error());
    eval.compensations = *compensations;
    eval.ir_drop = !no_ir_drop;
    eval.read_noise = !no_read_noise;
    eval.drift = !no_drift;
    eval.limit = limit;
    // Threads per rank: --threads, else this machine's cores shared by the ranks on it.
    eval.threads = common.threads > 0 ? common.threads : std::max(1, omp_get_num_procs() / world.local_size());
    if (!out_path.empty()) {
      const std::filesystem::path out_dir = std::filesystem::absolute(out_path).parent_path();
      if (!std::filesystem::is_directory(out_dir)) {
        return Fail(ErrorCode::kNotFound, out_path + ": folder " + out_dir.string() + " does not exist");
      }
    }
    auto plan = compiler::ReadPlan(plan_path);
    if (!plan) return std::unexpected(plan.error());
    s.plan = std::move(*plan);
    if (s.plan.faults_chip_seed) {
      return Fail(ErrorCode::kInvalidArgument,
                  plan_path + ": remapped around the stuck cells of chip instance " +
                      std::to_string(*s.plan.faults_chip_seed) +
                      " (xbar compile --faults), it fits that instance only; a population needs a plan "
                      "compiled without --faults");
    }
    s.options.base_seed = common.seed;
    if (!program_path.empty()) {
      auto program = compiler::ReadPulseProgram(program_path);
      if (!program) return std::unexpected(program.error());
      std::vector<compiler::TileTargets> targets;
      for (const auto& tile : s.plan.tiles) targets.push_back({tile.physical_index, tile.target_g_s});
      const uint32_t expected = compiler::TargetsChecksum(targets);
      if (program->chip_name != s.plan.chip.name || program->targets_crc32 != expected) {
        return Fail(ErrorCode::kInvalidArgument,
                    program_path + ": pulse program for chip '" + program->chip_name + "' and targets crc32 " +
                        std::to_string(program->targets_crc32) + ", the plan is for chip '" + s.plan.chip.name +
                        "' with targets crc32 " + std::to_string(expected) + " (generate it from this plan)");
      }
      s.options.program.scheme = program->scheme;
      s.options.program.tolerance_s = program->tolerance_s;
      s.options.program.max_pulses = program->max_pulses;
      s.options.program.read_time_s = program->read_time_s;
      if (vm["seed"].defaulted()) s.options.base_seed = program->chip_seed;
    }
    const std::string data_dir = runtime::DataDir(common.data_dir);
    auto test = runtime::LoadDataset(dataset, data_dir, runtime::Split::kTest, limit);
    if (!test) return std::unexpected(test.error());
    s.test = std::move(*test);
    auto calibration = runtime::LoadDataset(dataset, data_dir, runtime::Split::kTrain, calibration_images);
    if (!calibration) return std::unexpected(calibration.error());
    s.calibration = std::move(*calibration);
    return s;
  }();
  // A rank that fails says why (with a deterministic error that is rank 0 alone); all stop.
  auto stop = [&](const Error& error, bool failed_here, int first_failure) {
    if (failed_here) {
      if (world.rank() == first_failure) {
        return ReportError(name, world.size() > 1 && world.rank() > 0
                                     ? WithContext(error, "rank " + std::to_string(world.rank()))
                                     : error);
      }
      return error.code == ErrorCode::kInvalidArgument ? 2 : 1;
    }
    return 1;
  };
  if (int first = world.FirstFailure(setup.has_value()); first >= 0) {
    return stop(setup ? Error{} : setup.error(), !setup, first);
  }

  const runtime::YieldOptions& options = setup->options;
  // Also the parallel loops that take no thread count (drawing a chip's devices): --threads holds.
  omp_set_num_threads(options.eval.threads);
  const std::size_t points = std::max<std::size_t>(options.eval.ages_s.size(), 1) * options.eval.compensations.size();
  const std::vector<int64_t> mine = runtime::ChipsOfRank(chips, world.rank(), world.size());
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
  if (int first = world.FirstFailure(results.has_value()); first >= 0) {
    return stop(results ? Error{} : results.error(), !results, first);
  }

  std::vector<double> wire;
  for (const auto& c : *results) {
    XBAR_CHECK(c.accuracies.size() == points);
    wire.push_back(static_cast<double>(c.index));
    wire.push_back(static_cast<double>(c.failed_cells));
    wire.push_back(static_cast<double>(c.pulses));
    wire.insert(wire.end(), c.accuracies.begin(), c.accuracies.end());
  }
  const std::vector<double> all = world.GatherToRoot(wire);
  if (!root) return 0;

  // Rank 0: every chip in chip order, then the statistics per point.
  const std::size_t stride = kChipHeader + points;
  XBAR_CHECK(all.size() == static_cast<std::size_t>(chips) * stride);
  std::vector<std::vector<double>> accuracy(points, std::vector<double>(static_cast<std::size_t>(chips)));
  Json failed_cells = Json::Array(), pulses = Json::Array(), chip_seeds = Json::Array();
  std::vector<const double*> by_chip(static_cast<std::size_t>(chips), nullptr);
  for (std::size_t at = 0; at < all.size(); at += stride) {
    const auto index = static_cast<std::size_t>(all[at]);
    XBAR_CHECK(index < by_chip.size() && by_chip[index] == nullptr);
    by_chip[index] = &all[at];
  }
  for (std::size_t i = 0; i < by_chip.size(); ++i) {
    const double* c = by_chip[i];
    failed_cells.Push(static_cast<int64_t>(c[1]));
    pulses.Push(static_cast<int64_t>(c[2]));
    // Decimal strings: 64-bit seeds do not fit a JSON number (or Json's int64) exactly.
    const runtime::YieldChipSeeds seeds = runtime::YieldSeeds(options.base_seed, static_cast<int64_t>(i));
    chip_seeds.Push(Json::Object()
                        .Set("chip", std::to_string(seeds.chip))
                        .Set("program", std::to_string(seeds.program))
                        .Set("read", std::to_string(seeds.read)));
    for (std::size_t p = 0; p < points; ++p) accuracy[p][i] = c[kChipHeader + p];
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double t0 = setup->plan.chip.device.nonidealities.drift.t0_s;
  const std::vector<double> ages = options.eval.ages_s.empty() ? std::vector<double>{t0} : options.eval.ages_s;
  const int64_t images = static_cast<int64_t>(setup->test.labels.size());
  if (!common.quiet) {
    std::fprintf(stderr,
                 "%s: %lld chips (base seed %llu) on %d rank%s x %d threads, %lld images, %.1f s "
                 "(%.3g chips/s)\n",
                 dataset.c_str(), static_cast<long long>(chips), static_cast<unsigned long long>(options.base_seed),
                 world.size(), world.size() > 1 ? "s" : "", options.eval.threads, static_cast<long long>(images),
                 seconds, static_cast<double>(chips) / seconds);
  }
  Json json_points = Json::Array();
  for (std::size_t p = 0; p < points; ++p) {
    const double age = ages[p / options.eval.compensations.size()];
    const auto compensation =
        std::string(runtime::DriftCompensationName(options.eval.compensations[p % options.eval.compensations.size()]));
    const runtime::YieldStatistics s = runtime::ComputeYieldStatistics(accuracy[p], threshold);
    if (!common.quiet) {
      std::fprintf(stderr,
                   "  %-5s %-7s mean %6.2f %%  p5 %6.2f %%  p50 %6.2f %%  p95 %6.2f %%  min %6.2f %%  "
                   "max %6.2f %%  >= %.2f %%: %lld of %lld chips (%.1f %%)\n",
                   FormatDuration(age).c_str(), compensation.c_str(), 100 * s.mean, 100 * s.p5, 100 * s.p50,
                   100 * s.p95, 100 * s.min, 100 * s.max, 100 * threshold,
                   static_cast<long long>(std::llround(s.fraction_above * static_cast<double>(s.chips))),
                   static_cast<long long>(s.chips), 100 * s.fraction_above);
    }
    Json per_chip = Json::Array();
    for (double a : accuracy[p]) per_chip.Push(a);
    json_points.Push(Json::Object()
                         .Set("age", FormatDuration(age))
                         .Set("age_s", age)
                         .Set("compensation", compensation)
                         .Set("mean", s.mean)
                         .Set("p5", s.p5)
                         .Set("p50", s.p50)
                         .Set("p95", s.p95)
                         .Set("min", s.min)
                         .Set("max", s.max)
                         .Set("threshold", s.threshold)
                         .Set("fraction_above", s.fraction_above)
                         .Set("accuracies", per_chip));
  }
  Json result = Json::Object()
                    .Set("plan", plan_path)
                    .Set("program", program_path.empty() ? Json() : Json(program_path))
                    .Set("dataset", dataset)
                    .Set("backend", "behavioural")
                    .Set("images", images)
                    .Set("base_seed", std::to_string(options.base_seed))
                    .Set("scheme", std::string(compiler::ProgramSchemeName(options.program.scheme)))
                    .Set("ir_drop", options.eval.ir_drop)
                    .Set("read_noise", options.eval.read_noise)
                    .Set("drift", options.eval.drift)
                    .Set("chips", chips)
                    .Set("points", json_points)
                    .Set("seeds", chip_seeds)
                    .Set("failed_cells", failed_cells)
                    .Set("pulses", pulses)
                    .Set("ranks", world.size())
                    .Set("threads_per_rank", options.eval.threads)
                    .Set("seconds", seconds)
                    .Set("chips_per_second", static_cast<double>(chips) / seconds);
  if (!out_path.empty()) {
    if (auto ok = WriteFileAtomic(out_path, result.Dump() + "\n"); !ok) return ReportError(name, ok.error());
  }
  EmitJson(common, result);
  return 0;
}

}  // namespace xbar::tools
