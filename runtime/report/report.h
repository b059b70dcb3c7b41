// xbar report as a library: a programmed chip's artefacts and results in, figures and one HTML page out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compiler/plan.h"
#include "compiler/program_gen.h"
#include "device_models/chip_instance.h"
#include "runtime/chip_eval.h"
#include "runtime/report/figure_data.h"
#include "runtime/trainer.h"
#include "support/error.h"

namespace xbar::runtime::report {

/// What to read and where to write. The paths also label the figures' data and the page.
struct ReportOptions {
  std::string plan_path;      // plan (.xbp), required
  std::string state_path;     // programmed chip state (.xbcs), required
  std::string program_path;   // pulse program (.xbpulse); empty: no pulses figure
  std::string infer_path;     // xbar infer --json output, required
  std::string rtl_path;       // xbar infer --backend rtl --json output; empty: none
  std::string finetune_path;  // xbar finetune --json output; empty: none
  std::string eval_path;      // xbar eval --json output; empty: none
  std::string out_dir;        // folder for the figures, report.json and report.html (created)
  int tile = 0;               // plan tile of the IR-drop map
  int bins = 100;             // bins of the conductance histogram, [1, 10000]
};

/// One run of the test set through the programmed chip (xbar infer).
struct ChipRun {
  std::string dataset;  // e.g. "mnist"; empty: not known
  std::string backend;  // "behavioural" or "rtl"; empty: not known
  ChipEvalReport evaluation;
};

/// A chip-in-the-loop fine-tuning run (xbar finetune), as the command prints it.
struct FinetuneRun {
  std::string age;           // as written, e.g. "1d"
  std::string compensation;  // drift compensation mode
  double accuracy_before = 0, accuracy_after = 0;  // [0, 1]
  int64_t images = 0;        // test images; 0: not known
  int64_t cells_reprogrammed = 0;
  int64_t delta_pulses = 0;
};

/// Everything the report reads, parsed.
struct ReportInputs {
  compiler::Plan plan;
  device_models::ChipState state;
  std::optional<compiler::PulseProgram> program;
  ChipRun infer;
  std::optional<ChipRun> rtl;
  std::optional<FinetuneRun> finetune;
  std::optional<EvalResult> software;  // the model itself (xbar eval)
};

/// The report: its inputs and the data of its figures and tables.
struct Report {
  ReportOptions options;
  ReportInputs inputs;
  ConductanceHistogram conductance;
  std::optional<PulseHistogram> pulses;  // with a pulse program
  IrDropMap ir_drop;
  AccuracyTable accuracy;                // of inputs.infer
  std::vector<std::string> figures;      // stems drawn, in page order

  /// The main run's point at the age and compensation of `rtl_point`, if it has one.
  const AgePoint* Behavioural(const AgePoint& rtl_point) const {
    return accuracy.Find(rtl_point.compensation, rtl_point.age_s);
  }
};

/// kInvalidArgument unless options.bins lies in [1, 10000] (a usage error).
Expected<void> CheckBins(const ReportOptions& options);
/// kInvalidArgument unless options.tile is a tile of `plan` (a usage error).
Expected<void> CheckTile(const ReportOptions& options, const compiler::Plan& plan);
/// kInvalidArgument unless `program` was generated from `plan`'s targets (its targets checksum
/// matches; 0, written before checksums existed, is accepted).
Expected<void> CheckProgram(const ReportOptions& options, const compiler::Plan& plan,
                            const compiler::PulseProgram& program);

/// Reads every input named in `options` and checks they belong together (bins, tile, state,
/// program), in that order; errors name the file, those of the JSON results also the option
/// (e.g. "--infer: PATH: ...").
Expected<ReportInputs> ReadReportInputs(const ReportOptions& options);

/// Checks the inputs as ReadReportInputs does and computes the figures' data (one nodal solve of
/// the IR-drop tile). Writes nothing.
Expected<Report> BuildReport(const ReportOptions& options, ReportInputs inputs);

/// Writes into options.out_dir (created if missing): every figure's .dat, .gp, .svg and .png,
/// report.json and report.html. Needs gnuplot (kFailedPrecondition naming the script otherwise).
Expected<void> WriteReport(const Report& report);

/// ReadReportInputs, BuildReport and WriteReport: nothing is written before every input has been
/// read and checked.
Expected<Report> MakeReport(const ReportOptions& options);

}  // namespace xbar::runtime::report
