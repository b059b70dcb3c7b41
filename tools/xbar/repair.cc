// xbar repair: re-target the partners of the cells a write-verify run could not program (stuck,
// stalled), and reprogram only those partners.
#include <cstdio>

#include "compiler/chip_state_io.h"
#include "compiler/plan_io.h"
#include "compiler/program_gen.h"
#include "compiler/pulse_io.h"
#include "compiler/repair.h"
#include "runtime/backend.h"
#include "support/duration.h"
#include "support/rng.h"
#include "tools/xbar/cli.h"
#include "runtime/programmed_chip.h"

namespace xbar::tools {

int RunRepair(int argc, char** argv) {
  const std::string name = "repair";
  CommonOptions common;
  std::string plan_path, program_path, out_plan, delta_path, out_state, age_text = "1d";
  po::options_description desc("options");
  AddCommonOptions(desc, common);
  desc.add_options()
      ("plan", po::value(&plan_path)->required(), "plan the chip was programmed with (.xbp)")
      ("program", po::value(&program_path)->required(), "the write-verify run that programmed it (.xbpulse)")
      ("out,o", po::value(&out_plan)->required(), "repaired plan to write (.xbp)")
      ("delta", po::value(&delta_path)->required(), "pulse program of the re-targeted partners (.xbpulse)")
      ("state", po::value(&out_state), "also write the repaired chip state (.xbcs)")
      ("age", po::value(&age_text)->default_value(age_text),
       "age of use: a stuck cell does not drift, its partner does (drift compensation scales both)");
  po::positional_options_description positional;
  positional.add("plan", 1);
  po::variables_map vm;
  if (auto code = Parse(name, "PLAN.xbp --program P.xbpulse -o REPAIRED.xbp --delta D.xbpulse [--state S.xbcs]",
                        argc, argv, desc, &positional, vm)) {
    return *code;
  }
  auto backend = runtime::MakeBackend("behavioural");
  if (!backend) return ReportError(name, backend.error());
  auto plan = compiler::ReadPlan(plan_path);
  if (!plan) return ReportError(name, plan.error());
  compiler::PulseProgram program;
  auto chip = runtime::ProgrammedChip(*plan, program_path, "", **backend, &program);
  if (!chip) return ReportError(name, chip.error());
  auto age = ParseDuration(age_text);
  if (!age) return ReportError(name, WithContext(age.error(), "--age"));
  const double stuck_gain = compiler::StuckGainAtAge(*plan, *age);
  auto repair = compiler::RetargetPartners(*plan, program, stuck_gain);
  if (!repair) return ReportError(name, WithContext(repair.error(), program_path));
  compiler::ProgramOptions options;
  options.seed = DeriveSeed(common.seed, 4);
  options.threads = common.threads;
  auto delta = compiler::GenerateProgram(repair->delta, *chip, options);
  if (!delta) return ReportError(name, WithContext(delta.error(), "repair program"));
  if (auto ok = compiler::WritePlan(out_plan, repair->plan); !ok) return ReportError(name, ok.error());
  if (auto ok = compiler::WritePulseProgram(delta_path, *delta); !ok) return ReportError(name, ok.error());
  if (!out_state.empty()) {
    auto ok = compiler::WriteChipState(out_state, chip->State(plan->PhysicalTiles()));
    if (!ok) return ReportError(name, ok.error());
  }
  const auto& s = delta->statistics;
  if (!common.quiet) {
    std::fprintf(stderr,
                 "%lld cells missed their targets (%lld stuck); %lld partners re-targeted and reprogrammed "
                 "with %lld pulses (%lld of them failed too); %lld failed cells left beyond repair\n",
                 static_cast<long long>(repair->failed_cells), static_cast<long long>(repair->stuck_cells),
                 static_cast<long long>(repair->partners_retargeted), static_cast<long long>(s.pulses),
                 static_cast<long long>(s.failed()), static_cast<long long>(repair->unrepaired));
  }
  EmitJson(common, Json::object({{"failed_cells", repair->failed_cells},
                                 {"stuck_cells", repair->stuck_cells},
                                 {"partners_retargeted", repair->partners_retargeted},
                                 {"partner_pulses", s.pulses},
                                 {"partners_failed", s.failed()},
                                 {"unrepaired", repair->unrepaired},
                                 {"stuck_gain", stuck_gain}}));
  return 0;
}

}  // namespace xbar::tools
