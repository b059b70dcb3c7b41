// The report's JSON: reads the infer, finetune and eval results through their records
// (runtime/results.h, the code that writes them) and writes report.json.
#include "runtime/report/report_json.h"

#include <limits>

#include "runtime/results.h"
#include "support/duration.h"
#include "support/format.h"

namespace xbar::runtime::report {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

Expected<ChipRun> ReadChipRun(const std::string& path) {
  auto record = ReadInferRecord(path);
  if (!record) return std::unexpected(record.error());
  return ChipRun{.dataset = record->dataset, .backend = record->backend, .evaluation = std::move(record->report)};
}

Expected<FinetuneRun> ReadFinetuneRun(const std::string& path) {
  auto record = ReadFinetuneRecord(path);
  if (!record) return std::unexpected(record.error());
  return FinetuneRun{.age = record->age,
                     .compensation = record->compensation,
                     .accuracy_before = record->accuracy_before,
                     .accuracy_after = record->accuracy_after,
                     .images = record->images,
                     .cells_reprogrammed = record->cells_reprogrammed,
                     .delta_pulses = record->delta_pulses};
}

Expected<EvalResult> ReadEvalResult(const std::string& path) {
  auto record = ReadEvalRecord(path);
  if (!record) return std::unexpected(record.error());
  return EvalResult{.samples = static_cast<uint64_t>(record->samples),
                    .correct = static_cast<uint64_t>(record->correct),
                    .loss = record->loss,
                    .seconds = record->seconds};
}

Json ReportSummaryJson(const Report& report) {
  const ReportOptions& o = report.options;
  const ReportInputs& in = report.inputs;
  const ChipEvalReport& e = in.infer.evaluation;
  Json accuracy = Json::array();
  for (const auto& p : e.points) {
    accuracy.push_back({{"age", FormatDuration(p.age_s)},
                        {"age_s", p.age_s},
                        {"compensation", std::string(DriftCompensationName(p.compensation))},
                        {"accuracy", p.accuracy},
                        {"images", p.images}});
  }
  const ConductanceHistogram& c = report.conductance;
  const IrDropMap& d = report.ir_drop;
  Json summary = {{"plan", o.plan_path},
                  {"state", o.state_path},
                  {"infer", o.infer_path},
                  {"dataset", in.infer.dataset},
                  {"backend", in.infer.backend},
                  {"accuracy", accuracy},
                  {"per_image",
                   {{"cycles", e.cycles_per_image},
                    {"latency_s", e.latency_s},
                    {"energy_j", e.energy_j()},
                    {"read_energy_j", e.read_energy_j},
                    {"driver_energy_j", e.driver_energy_j},
                    {"current_stage_energy_j", e.current_stage_energy_j},
                    {"synapse_energy_j", e.synapse_energy_j},
                    {"neuron_energy_j", e.neuron_energy_j},
                    {"adc_energy_j", e.adc_energy_j}}},
                  {"conductance",
                   {{"cells", c.cells},
                    {"error_mean_s", c.error_mean_s},
                    {"tolerance_s", c.tolerance_s},
                    {"within_tolerance", c.within_tolerance}}},
                  {"ir_drop",
                   {{"tile", d.plan_tile},
                    {"physical_tile", d.physical_tile},
                    {"v_read_v", d.v_read_v},
                    {"min_cell_voltage_pct", d.min_used},
                    {"mean_cell_voltage_pct", d.mean_used}}}};
  if (in.software) {
    summary["software"] = {{"accuracy", in.software->accuracy()}, {"images", in.software->samples}};
  }
  if (const auto& p = report.pulses) {
    summary["program"] = {{"path", o.program_path},
                          {"cells", p->cells},
                          {"pulses", p->pulses},
                          {"pulses_per_cell_mean", p->mean},
                          {"pulses_per_cell_max", static_cast<int64_t>(p->max)},
                          {"failed", p->failed},
                          {"energy_j", p->energy_j},
                          {"chip_time_s", p->chip_time_s}};
  }
  if (const auto& f = in.finetune) {
    summary["finetune"] = {{"age", f->age},
                           {"compensation", f->compensation},
                           {"accuracy_before", f->accuracy_before},
                           {"accuracy_after", f->accuracy_after},
                           {"cells_reprogrammed", f->cells_reprogrammed},
                           {"delta_pulses", f->delta_pulses}};
  }
  if (in.rtl) {
    Json points = Json::array();
    for (const auto& p : in.rtl->evaluation.points) {
      const AgePoint* b = report.Behavioural(p);
      points.push_back({{"age", FormatDuration(p.age_s)},
                        {"compensation", std::string(DriftCompensationName(p.compensation))},
                        {"accuracy", p.accuracy},
                        {"images", p.images},
                        {"behavioural_accuracy", b ? b->accuracy : kNaN},
                        {"behavioural_images", b ? b->images : 0}});
    }
    summary["rtl"] = {{"infer", o.rtl_path}, {"points", points}};
  }
  Json figures = Json::array();
  for (const auto& stem : report.figures) figures.push_back(stem + ".svg");
  summary["figures"] = figures;
  return summary;
}

}  // namespace xbar::runtime::report
