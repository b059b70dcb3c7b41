// xbar program: write-verify programming of a plan's cells on a simulated chip instance.
#include <chrono>
#include <cstdio>

#include "compiler/artifact_check.h"
#include "compiler/chip_state_io.h"
#include "compiler/plan_io.h"
#include "compiler/program_gen.h"
#include "compiler/pulse_io.h"
#include "runtime/program_replay.h"
#include "runtime/backend.h"
#include "runtime/result_text.h"
#include "tools/xbar/cli.h"

namespace xbar::tools {

int RunProgram(int argc, char** argv) {
  const std::string name = "program";
  CommonOptions common;
  std::string plan_path, out_path, csv_path, state_path, scheme = "predicted", backend = "behavioural";
  std::string replay_path, trace_path;
  uint64_t cycle_budget = 1'000'000;
  compiler::ProgramOptions options;
  uint64_t chip_seed = 1;
  po::options_description desc("options");
  AddCommonOptions(desc, common);
  desc.add_options()
      ("plan", po::value(&plan_path)->required(), "plan from xbar compile (.xbp)")
      ("out,o", po::value(&out_path), "pulse program to write (.xbpulse); not with --replay")
      ("replay", po::value(&replay_path), "replay this pulse program instead of generating one")
      ("backend", po::value(&backend)->default_value(backend),
       "behavioural, or rtl: every pulse and verify read also goes through the SystemVerilog controller "
       "under Verilator, and its reads must match")
      ("trace", po::value(&trace_path), "rtl backend: write a VCD waveform here")
      ("cycle-budget", po::value(&cycle_budget)->default_value(cycle_budget),
       "rtl backend: clock cycles one command may take before the run fails")
      ("csv", po::value(&csv_path), "also write the pulses as CSV for instruments")
      ("state", po::value(&state_path), "also write the programmed chip state (.xbcs)")
      ("chip-seed", po::value(&chip_seed)->default_value(chip_seed),
       "seed of the chip instance (device-to-device spreads, stuck cells)")
      ("scheme", po::value(&scheme)->default_value(scheme), "write-verify scheme: predicted, ispp or fixed")
      ("tolerance", po::value(&options.tolerance_s)->default_value(0.0),
       "verify band, siemens (0: the chip's verify tolerance)")
      ("max-pulses", po::value(&options.max_pulses)->default_value(0), "pulse budget per cell (0: the chip's)");
  po::positional_options_description positional;
  positional.add("plan", 1);
  po::variables_map vm;
  if (auto code = Parse(name, "PLAN.xbp (-o PROGRAM.xbpulse | --replay PROGRAM.xbpulse) [--csv P.csv] [--state S.xbcs] [--backend rtl]", argc, argv,
                        desc, &positional, vm)) {
    return *code;
  }
  if (backend != "behavioural" && backend != "rtl") {
    return ReportError(name, Error{ErrorCode::kInvalidArgument, "--backend '" + backend + "' must be behavioural or rtl"});
  }
  if (replay_path.empty() == out_path.empty()) {
    return ReportError(name, Error{ErrorCode::kInvalidArgument, "give exactly one of -o (generate a program) and --replay"});
  }
  auto parsed_scheme = compiler::ProgramSchemeByName(scheme == "predicted" ? "model-predicted" : scheme);
  if (!parsed_scheme) return ReportError(name, parsed_scheme.error());
  options.scheme = *parsed_scheme;
  options.seed = common.seed;
  options.threads = common.threads;
  auto plan = compiler::ReadPlan(plan_path);
  if (!plan) return ReportError(name, plan.error());
  const auto t0 = std::chrono::steady_clock::now();
  compiler::PulseProgram program;
  if (replay_path.empty()) {
    auto chip = compiler::CreateChipInstance(*plan, chip_seed, plan_path);
    if (!chip) return ReportError(name, chip.error());
    auto generated = compiler::GenerateProgram(compiler::PlanTargets(*plan), *chip, options);
    if (!generated) return ReportError(name, generated.error());
    program = std::move(*generated);
  } else {
    auto loaded = compiler::ReadPulseProgram(replay_path);
    if (!loaded) return ReportError(name, loaded.error());
    program = std::move(*loaded);
    if (auto ok = compiler::CheckProgramFitsPlan(*plan, program, replay_path); !ok) return ReportError(name, ok.error());
    chip_seed = program.chip_seed;
  }
  // Every pulse and verify read again on a fresh instance of the same chip, through the chosen
  // backend: the reads must be the ones the program recorded.
  auto chip = compiler::CreateChipInstance(*plan, chip_seed, plan_path);
  if (!chip) return ReportError(name, chip.error());
  auto chosen = runtime::MakeBackend(backend, {.trace_path = trace_path, .cycle_budget = cycle_budget});
  if (!chosen) return ReportError(name, chosen.error());
  Expected<runtime::ReplayResult> replay = (*chosen)->Replay(program, *chip);
  if (!replay) return ReportError(name, WithContext(replay.error(), backend + " backend"));
  if (auto ok = runtime::CheckReplayMatched(*replay, backend); !ok) return ReportError(name, ok.error());
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!out_path.empty()) {
    if (auto ok = compiler::WritePulseProgram(out_path, program); !ok) return ReportError(name, ok.error());
  }
  if (!csv_path.empty()) {
    if (auto ok = compiler::WritePulseCsv(csv_path, program); !ok) return ReportError(name, ok.error());
  }
  if (!state_path.empty()) {
    if (auto ok = compiler::WriteChipState(state_path, compiler::ProgrammedState(program, *chip)); !ok) {
      return ReportError(name, ok.error());
    }
  }
  const runtime::ProgramRecord record = runtime::MakeProgramRecord(
      program, options.scheme, *replay, backend, out_path.empty() ? replay_path : out_path, seconds);
  if (!common.quiet) std::fputs(runtime::ProgramSummary(record, program.tiles.size()).c_str(), stderr);
  EmitJson(common, runtime::ToJson(record));
  return 0;
}

}  // namespace xbar::tools
