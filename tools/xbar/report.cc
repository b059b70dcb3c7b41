// xbar report: flags onto runtime::report::ReportOptions; the figures and one HTML page of a programmed chip.
#include <cstdio>

#include "runtime/report/report.h"
#include "runtime/report/report_json.h"
#include "tools/xbar/cli.h"

namespace xbar::tools {

int RunReport(int argc, char** argv) {
  const std::string name = "report";
  CommonOptions common;
  runtime::report::ReportOptions o;
  po::options_description desc("options");
  AddCommonOptions(desc, common);
  desc.add_options()
      ("plan", po::value(&o.plan_path)->required(), "plan from xbar compile (.xbp)")
      ("state", po::value(&o.state_path)->required(), "programmed chip state from xbar program --state (.xbcs)")
      ("program", po::value(&o.program_path), "pulse program from xbar program (.xbpulse): pulses per cell")
      ("infer", po::value(&o.infer_path)->required(), "xbar infer --json output: accuracy over age, energy, latency")
      ("infer-rtl", po::value(&o.rtl_path), "xbar infer --backend rtl --json output: the RTL subset")
      ("finetune", po::value(&o.finetune_path), "xbar finetune --json output: accuracy before and after")
      ("eval", po::value(&o.eval_path), "xbar eval --json output: the software model's accuracy")
      ("tile", po::value(&o.tile)->default_value(o.tile), "plan tile of the IR-drop map")
      ("bins", po::value(&o.bins)->default_value(o.bins), "bins of the conductance histogram")
      ("out,o", po::value(&o.out_dir)->required(), "folder to write the figures and report.html into");
  po::positional_options_description positional;
  positional.add("plan", 1);
  po::variables_map vm;
  if (auto code = Parse(name,
                        "PLAN.xbp --state S.xbcs [--program P.xbpulse] --infer I.json [--infer-rtl R.json] "
                        "[--finetune F.json] [--eval E.json] [--tile N] -o DIR",
                        argc, argv, desc, &positional, vm)) {
    return *code;
  }
  auto report = runtime::report::MakeReport(o);
  if (!report) return ReportError(name, report.error());
  if (!common.quiet) {
    std::fprintf(stderr, "wrote %s: %zu figures (SVG and PNG), report.json, report.html\n", o.out_dir.c_str(),
                 report->figures.size());
  }
  EmitJson(common, runtime::report::ReportSummaryJson(*report));
  return 0;
}

}  // namespace xbar::tools
