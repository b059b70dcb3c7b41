// The report's one JSON adapter: reads xbar infer/finetune/eval --json results, writes report.json.
#include "runtime/report/report_json.h"

#include <cmath>
#include <limits>

#include "support/duration.h"
#include "support/file_io.h"
#include "support/format.h"

namespace xbar::runtime::report {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Expected<Json> ReadJsonObject(const std::string& path, const std::string& what) {
  auto text = ReadFile(path);
  if (!text) return std::unexpected(text.error());
  auto json = Json::Parse(*text, path);
  if (!json) return json;
  if (!json->is_object()) {
    return Fail(ErrorCode::kDataLoss, path + ": expected a JSON object (the --json output of " + what + ")");
  }
  return json;
}

double OptionalNumber(const Json& object, std::string_view key, double otherwise = kNaN) {
  const Json* v = object.Find(key);
  return v != nullptr && v->is_number() ? v->AsNumber() : otherwise;
}

int64_t OptionalCount(const Json& object, std::string_view key) {
  const double v = OptionalNumber(object, key);
  return std::isfinite(v) ? static_cast<int64_t>(v) : 0;
}

std::string OptionalString(const Json& object, std::string_view key) {
  const Json* v = object.Find(key);
  return v != nullptr && v->is_string() ? v->AsString() : std::string();
}

Expected<double> RequiredNumber(const Json& object, std::string_view key, const std::string& where) {
  const Json* v = object.Find(key);
  if (v == nullptr || !v->is_number()) {
    return Fail(ErrorCode::kDataLoss, where + ": \"" + std::string(key) + "\" is missing or not a number");
  }
  return v->AsNumber();
}

Expected<double> RequiredFraction(const Json& object, std::string_view key, const std::string& where) {
  auto v = RequiredNumber(object, key, where);
  if (v && !(*v >= 0 && *v <= 1)) {
    return Fail(ErrorCode::kDataLoss,
                where + ": \"" + std::string(key) + "\" = " + FormatNumber(*v) + " must lie in [0, 1]");
  }
  return v;
}

Expected<AgePoint> ReadAgePoint(const Json& p, const std::string& where) {
  if (!p.is_object()) return Fail(ErrorCode::kDataLoss, where + " is not an object");
  AgePoint a;
  auto age = RequiredNumber(p, "age_s", where);
  if (!age) return std::unexpected(age.error());
  if (!(*age >= 0) || !std::isfinite(*age)) {
    return Fail(ErrorCode::kDataLoss, where + ": \"age_s\" = " + FormatNumber(*age) + " must be >= 0");
  }
  a.age_s = *age;
  auto accuracy = RequiredFraction(p, "accuracy", where);
  if (!accuracy) return std::unexpected(accuracy.error());
  a.accuracy = *accuracy;
  const std::string compensation = OptionalString(p, "compensation");
  auto mode = ParseDriftCompensation(compensation.empty() ? "none" : compensation);
  if (!mode) return Fail(ErrorCode::kDataLoss, where + ": " + mode.error().message);
  a.compensation = *mode;
  a.images = OptionalCount(p, "images");
  a.correct = OptionalCount(p, "correct");
  a.global_gain = OptionalNumber(p, "global_gain", 1);
  a.min_column_gain = OptionalNumber(p, "min_column_gain", 1);
  a.max_column_gain = OptionalNumber(p, "max_column_gain", 1);
  a.seconds = OptionalNumber(p, "seconds", 0);
  return a;
}

}  // namespace

Expected<ChipRun> ReadChipRun(const std::string& path) {
  auto json = ReadJsonObject(path, "xbar infer");
  if (!json) return std::unexpected(json.error());
  ChipRun run;
  run.dataset = OptionalString(*json, "dataset");
  run.backend = OptionalString(*json, "backend");
  const Json* points = json->Find("points");
  if (points == nullptr || !points->is_array() || points->size() == 0) {
    return Fail(ErrorCode::kDataLoss, path + ": \"points\" is missing or not a non-empty array (is it the --json "
                                             "output of xbar infer?)");
  }
  ChipEvalReport& r = run.evaluation;
  for (std::size_t i = 0; i < points->size(); ++i) {
    auto point = ReadAgePoint((*points)[i], path + ": points[" + std::to_string(i) + "]");
    if (!point) return std::unexpected(point.error());
    r.points.push_back(*point);
  }
  r.output_gain = OptionalNumber(*json, "output_gain", 1);
  r.cycles_per_image = static_cast<uint64_t>(OptionalCount(*json, "cycles_per_image"));
  r.latency_s = OptionalNumber(*json, "latency_s");
  r.read_energy_j = OptionalNumber(*json, "read_energy_per_image_j");
  r.neuron_energy_j = OptionalNumber(*json, "neuron_energy_per_image_j");
  r.adc_energy_j = OptionalNumber(*json, "adc_energy_per_image_j");
  r.tile_reads_per_image = OptionalNumber(*json, "tile_reads_per_image", 0);
  r.seconds = OptionalNumber(*json, "seconds", 0);
  return run;
}

Expected<FinetuneRun> ReadFinetuneRun(const std::string& path) {
  auto json = ReadJsonObject(path, "xbar finetune");
  if (!json) return std::unexpected(json.error());
  FinetuneRun r;
  auto before = RequiredFraction(*json, "accuracy_before", path);
  if (!before) return std::unexpected(before.error());
  auto after = RequiredFraction(*json, "accuracy_after", path);
  if (!after) return std::unexpected(after.error());
  r.accuracy_before = *before;
  r.accuracy_after = *after;
  r.age = OptionalString(*json, "age");
  r.compensation = OptionalString(*json, "compensation");
  r.cells_reprogrammed = OptionalCount(*json, "cells_reprogrammed");
  r.delta_pulses = OptionalCount(*json, "delta_pulses");
  r.images = OptionalCount(*json, "images");
  return r;
}

Expected<EvalResult> ReadEvalResult(const std::string& path) {
  auto json = ReadJsonObject(path, "xbar eval");
  if (!json) return std::unexpected(json.error());
  auto accuracy = RequiredFraction(*json, "accuracy", path);
  if (!accuracy) return std::unexpected(accuracy.error());
  auto samples = RequiredNumber(*json, "samples", path);
  if (!samples) return std::unexpected(samples.error());
  EvalResult r;
  r.samples = *samples > 0 ? static_cast<uint64_t>(*samples) : 0;
  const double correct = OptionalNumber(*json, "correct");
  r.correct = static_cast<uint64_t>(std::isfinite(correct) ? correct : std::llround(*accuracy * r.samples));
  r.loss = OptionalNumber(*json, "loss", 0);
  r.seconds = OptionalNumber(*json, "seconds", 0);
  return r;
}

Json ReportSummaryJson(const Report& report) {
  const ReportOptions& o = report.options;
  const ReportInputs& in = report.inputs;
  const ChipEvalReport& e = in.infer.evaluation;
  Json accuracy = Json::Array();
  for (const auto& p : e.points) {
    accuracy.Push(Json::Object()
                      .Set("age", FormatDuration(p.age_s))
                      .Set("age_s", p.age_s)
                      .Set("compensation", std::string(DriftCompensationName(p.compensation)))
                      .Set("accuracy", p.accuracy)
                      .Set("images", p.images));
  }
  const ConductanceHistogram& c = report.conductance;
  const IrDropMap& d = report.ir_drop;
  Json summary = Json::Object()
                     .Set("plan", o.plan_path)
                     .Set("state", o.state_path)
                     .Set("infer", o.infer_path)
                     .Set("dataset", in.infer.dataset)
                     .Set("backend", in.infer.backend)
                     .Set("accuracy", accuracy)
                     .Set("per_image", Json::Object()
                                           .Set("cycles", e.cycles_per_image)
                                           .Set("latency_s", e.latency_s)
                                           .Set("energy_j", e.energy_j())
                                           .Set("read_energy_j", e.read_energy_j)
                                           .Set("neuron_energy_j", e.neuron_energy_j)
                                           .Set("adc_energy_j", e.adc_energy_j))
                     .Set("conductance", Json::Object()
                                             .Set("cells", c.cells)
                                             .Set("error_mean_s", c.error_mean_s)
                                             .Set("tolerance_s", c.tolerance_s)
                                             .Set("within_tolerance", c.within_tolerance))
                     .Set("ir_drop", Json::Object()
                                         .Set("tile", d.plan_tile)
                                         .Set("physical_tile", d.physical_tile)
                                         .Set("v_read_v", d.v_read_v)
                                         .Set("min_cell_voltage_pct", d.min_used)
                                         .Set("mean_cell_voltage_pct", d.mean_used));
  if (in.software) {
    summary.Set("software",
                Json::Object().Set("accuracy", in.software->accuracy()).Set("images", in.software->samples));
  }
  if (const auto& p = report.pulses) {
    summary.Set("program", Json::Object()
                               .Set("path", o.program_path)
                               .Set("cells", p->cells)
                               .Set("pulses", p->pulses)
                               .Set("pulses_per_cell_mean", p->mean)
                               .Set("pulses_per_cell_max", static_cast<int64_t>(p->max))
                               .Set("failed", p->failed)
                               .Set("energy_j", p->energy_j)
                               .Set("chip_time_s", p->chip_time_s));
  }
  if (const auto& f = in.finetune) {
    summary.Set("finetune", Json::Object()
                                .Set("age", f->age)
                                .Set("compensation", f->compensation)
                                .Set("accuracy_before", f->accuracy_before)
                                .Set("accuracy_after", f->accuracy_after)
                                .Set("cells_reprogrammed", f->cells_reprogrammed)
                                .Set("delta_pulses", f->delta_pulses));
  }
  if (in.rtl) {
    Json points = Json::Array();
    for (const auto& p : in.rtl->evaluation.points) {
      const AgePoint* b = report.Behavioural(p);
      points.Push(Json::Object()
                      .Set("age", FormatDuration(p.age_s))
                      .Set("compensation", std::string(DriftCompensationName(p.compensation)))
                      .Set("accuracy", p.accuracy)
                      .Set("images", p.images)
                      .Set("behavioural_accuracy", b ? b->accuracy : kNaN)
                      .Set("behavioural_images", b ? b->images : 0));
    }
    summary.Set("rtl", Json::Object().Set("infer", o.rtl_path).Set("points", points));
  }
  Json figures = Json::Array();
  for (const auto& stem : report.figures) figures.Push(stem + ".svg");
  summary.Set("figures", figures);
  return summary;
}

}  // namespace xbar::runtime::report
