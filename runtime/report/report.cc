// xbar report as a library: a programmed chip's artefacts and results in, figures and one HTML page out.
#include "runtime/report/report.h"

#include <filesystem>
#include <system_error>

#include "compiler/artifact_check.h"
#include "compiler/chip_state_io.h"
#include "compiler/plan_io.h"
#include "compiler/pulse_io.h"
#include "runtime/report/figures.h"
#include "runtime/report/gnuplot.h"
#include "runtime/report/html.h"
#include "runtime/report/report_json.h"
#include "support/file_io.h"

namespace xbar::runtime::report {
namespace {

namespace fs = std::filesystem;

/// Reads an optional JSON result: nullopt for an empty path, errors prefixed with `option`.
template <typename T>
Expected<std::optional<T>> ReadOptional(const std::string& path, const std::string& option,
                                        Expected<T> (*read)(const std::string&)) {
  if (path.empty()) return std::optional<T>();
  auto result = read(path);
  if (!result) return std::unexpected(WithContext(result.error(), option));
  return std::optional<T>(std::move(*result));
}

}  // namespace

Expected<void> CheckBins(const ReportOptions& options) {
  if (options.bins < 1 || options.bins > 10000) {
    return Fail(ErrorCode::kInvalidArgument, "--bins = " + std::to_string(options.bins) + " must lie in [1, 10000]");
  }
  return {};
}

Expected<void> CheckTile(const ReportOptions& options, const compiler::Plan& plan) {
  if (options.tile < 0 || options.tile >= static_cast<int>(plan.tiles.size())) {
    return Fail(ErrorCode::kInvalidArgument, "--tile " + std::to_string(options.tile) + " must lie in [0, " +
                                                 std::to_string(plan.tiles.size() - 1) + "] (tiles of " +
                                                 options.plan_path + ")");
  }
  return {};
}

Expected<ReportInputs> ReadReportInputs(const ReportOptions& options) {
  if (auto ok = CheckBins(options); !ok) return std::unexpected(ok.error());
  ReportInputs in;
  auto plan = compiler::ReadPlan(options.plan_path);
  if (!plan) return std::unexpected(plan.error());
  in.plan = std::move(*plan);
  if (auto ok = CheckTile(options, in.plan); !ok) return std::unexpected(ok.error());
  auto state = compiler::ReadChipState(options.state_path);
  if (!state) return std::unexpected(state.error());
  in.state = std::move(*state);
  if (auto tiles = StateTilesOfPlan(in.plan, in.state, options.state_path); !tiles) {
    return std::unexpected(tiles.error());
  }
  if (!options.program_path.empty()) {
    auto program = compiler::ReadPulseProgram(options.program_path);
    if (!program) return std::unexpected(program.error());
    if (auto ok = compiler::CheckProgramFitsPlan(in.plan, *program, options.program_path); !ok) return std::unexpected(ok.error());
    in.program = std::move(*program);
  }
  auto infer = ReadChipRun(options.infer_path);
  if (!infer) return std::unexpected(WithContext(infer.error(), "--infer"));
  in.infer = std::move(*infer);
  auto rtl = ReadOptional<ChipRun>(options.rtl_path, "--infer-rtl", ReadChipRun);
  if (!rtl) return std::unexpected(rtl.error());
  in.rtl = std::move(*rtl);
  auto finetune = ReadOptional<FinetuneRun>(options.finetune_path, "--finetune", ReadFinetuneRun);
  if (!finetune) return std::unexpected(finetune.error());
  in.finetune = std::move(*finetune);
  auto software = ReadOptional<EvalResult>(options.eval_path, "--eval", ReadEvalResult);
  if (!software) return std::unexpected(software.error());
  in.software = *software;
  return in;
}

Expected<Report> BuildReport(const ReportOptions& options, ReportInputs inputs) {
  if (auto ok = CheckBins(options); !ok) return std::unexpected(ok.error());
  if (auto ok = CheckTile(options, inputs.plan); !ok) return std::unexpected(ok.error());
  auto state_tiles = StateTilesOfPlan(inputs.plan, inputs.state, options.state_path);
  if (!state_tiles) return std::unexpected(state_tiles.error());
  if (inputs.program) {
    if (auto ok = compiler::CheckProgramFitsPlan(inputs.plan, *inputs.program, options.program_path); !ok) return std::unexpected(ok.error());
  }
  if (inputs.infer.evaluation.points.empty()) {
    return Fail(ErrorCode::kInvalidArgument, options.infer_path + ": the chip run has no accuracy points");
  }
  Report r;
  r.conductance = ConductanceData(inputs.plan, *state_tiles, options.bins);
  if (inputs.program) r.pulses = PulseData(*inputs.program);
  auto ir_drop = IrDropData(inputs.plan, options.tile, *(*state_tiles)[options.tile], options.state_path);
  if (!ir_drop) return std::unexpected(ir_drop.error());
  r.ir_drop = std::move(*ir_drop);
  r.accuracy = AccuracyData(inputs.infer.evaluation);
  r.figures = {"accuracy_age", "conductance", "irdrop"};
  if (r.pulses) r.figures.insert(r.figures.begin() + 2, "pulses");
  r.options = options;
  r.inputs = std::move(inputs);
  return r;
}

Expected<void> WriteReport(const Report& report) {
  const std::string& out_dir = report.options.out_dir;
  const fs::path dir(out_dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) {
    return Fail(ErrorCode::kFailedPrecondition,
                out_dir + ": cannot create the output folder" +
                    (ec ? " (" + ec.message() + ")" : std::string(" (a file is in the way)")));
  }
  if (auto ok = DrawFigures(dir, ReportFigures(report)); !ok) return ok;
  if (auto ok = WriteFileAtomic((dir / "report.json").string(), DumpJson(ReportSummaryJson(report)) + "\n"); !ok) {
    return ok;
  }
  return WriteFileAtomic((dir / "report.html").string(), ReportHtml(report));
}

Expected<Report> MakeReport(const ReportOptions& options) {
  auto inputs = ReadReportInputs(options);
  if (!inputs) return std::unexpected(inputs.error());
  auto report = BuildReport(options, std::move(*inputs));
  if (!report) return report;
  if (auto ok = WriteReport(*report); !ok) return std::unexpected(ok.error());
  return report;
}

}  // namespace xbar::runtime::report
