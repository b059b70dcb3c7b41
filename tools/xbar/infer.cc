// xbar infer: the test set through a programmed chip, at one or more ages, on either backend.
#include <algorithm>
#include <cstdio>
#include <sstream>

#include "compiler/chip_state_io.h"
#include "compiler/plan_io.h"
#include "compiler/program_gen.h"
#include "compiler/pulse_io.h"
#include "device_models/chip_instance.h"
#include "runtime/backend.h"
#include "runtime/chip_eval.h"
#include "support/duration.h"
#include "support/format.h"
#include "tools/xbar/cli.h"
#include "tools/xbar/programmed_chip.h"

namespace xbar::tools {
namespace {

Expected<std::vector<runtime::DriftCompensation>> ParseCompensations(const std::string& text) {
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

}  // namespace

int RunInfer(int argc, char** argv) {
  const std::string name = "infer";
  CommonOptions common;
  std::string plan_path, program_path, state_path, dataset = "mnist", backend_name = "behavioural";
  std::string ages_text, compensation_text = "none,column", trace_path;
  uint64_t cycle_budget = 10'000'000;
  int64_t limit = 0, calibration_images = 256;
  bool no_ir_drop = false, no_read_noise = false, no_drift = false;
  runtime::InferenceTiming timing;
  po::options_description desc("options");
  AddCommonOptions(desc, common);
  desc.add_options()
      ("plan", po::value(&plan_path)->required(), "plan from xbar compile (.xbp)")
      ("program", po::value(&program_path), "pulse program (.xbpulse): programs a fresh chip instance")
      ("chip-state", po::value(&state_path), "or a programmed chip state (.xbcs)")
      ("dataset", po::value(&dataset)->default_value(dataset), "mnist or fashion-mnist (test split)")
      ("backend", po::value(&backend_name)->default_value(backend_name),
       "behavioural, or rtl: the SystemVerilog controller under Verilator drives the chip model")
      ("age", po::value(&ages_text), "time since programming, e.g. 1d (default: the drift t0)")
      ("ages", po::value(&ages_text), "several ages, e.g. 1s,1h,1d,1mo,1y,10y")
      ("compensation", po::value(&compensation_text)->default_value(compensation_text),
       "drift compensation modes to report, from none, global, column")
      ("limit", po::value(&limit)->default_value(0), "test images (0: all)")
      ("calibration-images", po::value(&calibration_images)->default_value(calibration_images),
       "training images that calibrate the output amplifier")
      ("no-ir-drop", po::bool_switch(&no_ir_drop), "read the tiles without wire resistance")
      ("no-read-noise", po::bool_switch(&no_read_noise), "read without read noise")
      ("no-drift", po::bool_switch(&no_drift), "conductances do not drift")
      ("sense-cycles", po::value(&timing.sense_cycles)->default_value(timing.sense_cycles),
       "clock cycles the tiles integrate their currents")
      ("neuron-cycles", po::value(&timing.neuron_cycles)->default_value(timing.neuron_cycles),
       "clock cycles of one neuron-array step")
      ("trace", po::value(&trace_path), "rtl backend: write a VCD waveform here (one worker)")
      ("cycle-budget", po::value(&cycle_budget)->default_value(cycle_budget),
       "rtl backend: clock cycles one command may take before the run fails");
  po::positional_options_description positional;
  positional.add("plan", 1);
  po::variables_map vm;
  if (auto code = Parse(name,
                        "PLAN.xbp (--program P.xbpulse | --chip-state S.xbcs) [--dataset mnist] "
                        "[--ages 1s,1h,1d] [--backend rtl]",
                        argc, argv, desc, &positional, vm)) {
    return *code;
  }
  if (vm.count("age") && vm.count("ages")) {
    return ReportError(name, Error{ErrorCode::kInvalidArgument, "give --age or --ages, not both"});
  }
  if (program_path.empty() == state_path.empty()) {
    return ReportError(name, Error{ErrorCode::kInvalidArgument, "give exactly one of --program and --chip-state"});
  }
  if (limit < 0 || calibration_images < 1) {
    return ReportError(name, Error{ErrorCode::kInvalidArgument,
                                   "--limit must be >= 0 and --calibration-images >= 1"});
  }
  runtime::ChipEvalOptions options;
  if (!ages_text.empty()) {
    auto ages = ParseDurations(ages_text);
    if (!ages) return ReportError(name, WithContext(ages.error(), vm.count("age") ? "--age" : "--ages"));
    options.ages_s = *ages;
  }
  auto compensations = ParseCompensations(compensation_text);
  if (!compensations) return ReportError(name, compensations.error());
  options.compensations = *compensations;
  options.ir_drop = !no_ir_drop;
  options.read_noise = !no_read_noise;
  options.drift = !no_drift;
  options.timing = timing;
  options.seed = common.seed;
  options.limit = limit;
  options.threads = common.threads;

  auto backend = runtime::MakeBackend(backend_name, {.trace_path = trace_path, .cycle_budget = cycle_budget});
  if (!backend) return ReportError(name, WithContext(backend.error(), "--backend"));
  auto plan = compiler::ReadPlan(plan_path);
  if (!plan) return ReportError(name, plan.error());
  compiler::PulseProgram program;
  auto chip = ProgrammedChip(*plan, program_path, state_path, **backend, &program);
  if (!chip) return ReportError(name, chip.error());
  const std::string data_dir = runtime::DataDir(common.data_dir);
  auto test = runtime::LoadDataset(dataset, data_dir, runtime::Split::kTest, limit);
  if (!test) return ReportError(name, test.error());
  auto calibration = runtime::LoadDataset(dataset, data_dir, runtime::Split::kTrain, calibration_images);
  if (!calibration) return ReportError(name, calibration.error());

  auto report = runtime::EvaluateChip(*plan, *chip, *test, *calibration, **backend, options);
  if (!report) return ReportError(name, WithContext(report.error(), std::string((*backend)->name()) + " backend"));

  const auto& r = *report;
  if (!common.quiet) {
    std::fprintf(stderr, "%s on the %s backend, %lld images, output gain %.4g\n", dataset.c_str(),
                 std::string((*backend)->name()).c_str(), static_cast<long long>(r.points.front().images),
                 r.output_gain);
    std::fprintf(stderr, "  %-8s %-12s %9s\n", "age", "compensation", "accuracy");
    for (const auto& p : r.points) {
      std::fprintf(stderr, "  %-8s %-12s %8.2f%%\n", FormatDuration(p.age_s).c_str(),
                   std::string(runtime::DriftCompensationName(p.compensation)).c_str(), 100 * p.accuracy);
    }
    std::fprintf(stderr,
                 "  per image: %llu controller cycles = %.1f us at %.0f MHz; energy %.3g J (tile reads %.3g, "
                 "neurons %.3g, output adc %.3g); %.1f s\n",
                 static_cast<unsigned long long>(r.cycles_per_image), r.latency_s * 1e6, plan->chip.clock_hz / 1e6,
                 r.energy_j(), r.read_energy_j, r.neuron_energy_j, r.adc_energy_j, r.seconds);
  }
  Json points = Json::Array();
  for (const auto& p : r.points) {
    points.Push(Json::Object()
                    .Set("age", FormatDuration(p.age_s))
                    .Set("age_s", p.age_s)
                    .Set("compensation", std::string(runtime::DriftCompensationName(p.compensation)))
                    .Set("accuracy", p.accuracy)
                    .Set("correct", p.correct)
                    .Set("images", p.images)
                    .Set("global_gain", p.global_gain)
                    .Set("min_column_gain", p.min_column_gain)
                    .Set("max_column_gain", p.max_column_gain)
                    .Set("seconds", p.seconds));
  }
  Json result = Json::Object()
                    .Set("plan", plan_path)
                    .Set("dataset", dataset)
                    .Set("backend", std::string((*backend)->name()))
                    .Set("chip_seed", chip->seed())
                    .Set("seed", common.seed)
                    .Set("ir_drop", options.ir_drop)
                    .Set("read_noise", options.read_noise)
                    .Set("drift", options.drift)
                    .Set("output_gain", r.output_gain)
                    .Set("points", points)
                    .Set("cycles_per_image", r.cycles_per_image)
                    .Set("latency_s", r.latency_s)
                    .Set("energy_per_image_j", r.energy_j())
                    .Set("read_energy_per_image_j", r.read_energy_j)
                    .Set("neuron_energy_per_image_j", r.neuron_energy_j)
                    .Set("adc_energy_per_image_j", r.adc_energy_j)
                    .Set("tile_reads_per_image", r.tile_reads_per_image)
                    .Set("seconds", r.seconds);
  if (!program_path.empty()) {
    result.Set("programming_energy_j", program.statistics.pulse_energy_j + program.statistics.read_energy_j);
    result.Set("programming_pulses", program.statistics.pulses);
  }
  EmitJson(common, result);
  return 0;
}

Expected<device_models::ChipInstance> ProgrammedChip(const compiler::Plan& plan, const std::string& program_path,
                                                     const std::string& state_path, runtime::ChipBackend& backend,
                                                     compiler::PulseProgram* program_out) {
  if (!program_path.empty()) {
    auto program = compiler::ReadPulseProgram(program_path);
    if (!program) return std::unexpected(program.error());
    std::vector<compiler::TileTargets> targets;
    for (const auto& tile : plan.tiles) targets.push_back({tile.physical_index, tile.target_g_s});
    const uint32_t expected = compiler::TargetsChecksum(targets);
    if (program->chip_name != plan.chip.name || program->targets_crc32 != expected) {
      return Fail(ErrorCode::kInvalidArgument,
                  program_path + ": pulse program for chip '" + program->chip_name + "' and targets crc32 " +
                      std::to_string(program->targets_crc32) + ", the plan is for chip '" + plan.chip.name +
                      "' with targets crc32 " + std::to_string(expected) + " (generate it from this plan)");
    }
    if (auto ok = plan.CheckChipInstance(program->chip_seed); !ok) return std::unexpected(ok.error());
    auto chip = device_models::ChipInstance::Create(plan.chip, program->chip_seed);
    if (!chip) return std::unexpected(chip.error());
    auto replay = backend.Replay(*program, *chip);
    if (!replay) return std::unexpected(WithContext(replay.error(), program_path));
    if (replay->read_mismatches > 0) {
      return Fail(ErrorCode::kDataLoss, program_path + ": " + std::to_string(replay->read_mismatches) +
                                            " verify reads differ on replay (first: " + replay->first_mismatch + ")");
    }
    if (program_out != nullptr) *program_out = std::move(*program);
    return chip;
  }
  auto state = compiler::ReadChipState(state_path);
  if (!state) return std::unexpected(state.error());
  if (auto ok = plan.CheckChipInstance(state->chip_seed); !ok) return std::unexpected(WithContext(ok.error(), state_path));
  auto chip = device_models::ChipInstance::Create(plan.chip, state->chip_seed);
  if (!chip) return std::unexpected(chip.error());
  if (auto ok = chip->Restore(*state); !ok) return std::unexpected(WithContext(ok.error(), state_path));
  for (const auto& tile : plan.tiles) {
    const bool listed = std::any_of(state->tiles.begin(), state->tiles.end(),
                                    [&](const device_models::TileState& t) { return t.tile == tile.physical_index; });
    if (!listed) {
      return Fail(ErrorCode::kInvalidArgument, state_path + ": tile " + std::to_string(tile.physical_index) +
                                                   " of the plan is not in the chip state (programmed for another plan?)");
    }
  }
  return chip;
}

}  // namespace xbar::tools
