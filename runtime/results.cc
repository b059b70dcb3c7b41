// The commands' JSON results: each type lists its keys once (Fields), and one writer and one reader
// walk that list.
#include "runtime/results.h"

#include <cmath>
#include <concepts>
#include <type_traits>

#include "support/duration.h"
#include "support/file_io.h"
#include "support/format.h"

namespace xbar::runtime {
namespace {

template <class R, class T>
concept Is = std::same_as<std::remove_const_t<R>, T>;

// A 64-bit unsigned value written as a decimal string.
template <class T>
struct Decimal {
  T& value;
};
template <class T>
Decimal(T&) -> Decimal<T>;

// An optional value left out of the object when empty (a plain std::optional is written as null).
template <class T>
struct Omittable {
  T& value;
};
template <class T>
Omittable(T&) -> Omittable<T>;

// ---- The keys of every result type, in the order they are written. `r` is const when writing;
// derived values (an age as text, a total) go through a local that the reader discards.

template <class R, class F>
  requires Is<R, EvalRecord>
void Fields(R& r, F& f) {
  f("model", r.model);
  f("dataset", r.dataset);
  f("steps", r.steps);
  f("period", r.period);
  f("samples", r.samples);
  f("correct", r.correct);
  f("accuracy", r.accuracy);
  f("loss", r.loss);
  f("seconds", r.seconds);
  f("peak_membrane_v", r.peak_membrane_v);
  f("membrane_at_rail_fraction", r.membrane_at_rail_fraction);
  f("drive_clipped_fraction", r.drive_clipped_fraction);
}

template <class R, class F>
  requires Is<R, AgePoint>
void Fields(R& r, F& f) {
  std::string age = FormatDuration(r.age_s);
  f("age", age);
  f("age_s", r.age_s);
  f("compensation", r.compensation);
  f("accuracy", r.accuracy);
  f("correct", r.correct);
  f("images", r.images);
  f("global_gain", r.global_gain);
  f("min_column_gain", r.min_column_gain);
  f("max_column_gain", r.max_column_gain);
  f("seconds", r.seconds);
}

template <class R, class F>
  requires Is<R, InferRecord>
void Fields(R& r, F& f) {
  f("plan", r.plan);
  f("dataset", r.dataset);
  f("backend", r.backend);
  f("chip_seed", r.chip_seed);
  f("seed", r.seed);
  f("ir_drop", r.ir_drop);
  f("read_noise", r.read_noise);
  f("drift", r.drift);
  auto& report = r.report;
  f("output_gain", report.output_gain);
  f("points", report.points);
  f("cycles_per_image", report.cycles_per_image);
  f("latency_s", report.latency_s);
  double energy_j = report.energy_j();
  f("energy_per_image_j", energy_j);
  f("read_energy_per_image_j", report.read_energy_j);
  f("driver_energy_per_image_j", report.driver_energy_j);
  f("current_stage_energy_per_image_j", report.current_stage_energy_j);
  f("synapse_energy_per_image_j", report.synapse_energy_j);
  f("neuron_energy_per_image_j", report.neuron_energy_j);
  f("adc_energy_per_image_j", report.adc_energy_j);
  f("tile_reads_per_image", report.tile_reads_per_image);
  f("peak_membrane_v", report.peak_membrane_v);
  f("membrane_at_rail_fraction", report.membrane_at_rail_fraction);
  f("drive_clipped_fraction", report.drive_clipped_fraction);
  f("seconds", report.seconds);
  f("programming_energy_j", Omittable{r.programming_energy_j});
  f("programming_pulses", Omittable{r.programming_pulses});
  f("outputs_per_sample", Omittable{r.outputs_per_sample});
  f("labels", Omittable{r.labels});
}

template <class R, class F>
  requires Is<R, FinetuneRecord>
void Fields(R& r, F& f) {
  f("dataset", r.dataset);
  f("age", r.age);
  f("compensation", r.compensation);
  f("accuracy_before", r.accuracy_before);
  f("accuracy_after", r.accuracy_after);
  f("images", r.images);
  f("cells_reprogrammed", r.cells_reprogrammed);
  f("delta_pulses", r.delta_pulses);
  f("delta_energy_j", r.delta_energy_j);
  f("finetune_seconds", r.finetune_seconds);
}

template <class R, class F>
  requires Is<R, YieldPointRecord>
void Fields(R& r, F& f) {
  std::string age = FormatDuration(r.age_s);
  f("age", age);
  f("age_s", r.age_s);
  f("compensation", r.compensation);
  f("mean", r.mean);
  f("p5", r.p5);
  f("p50", r.p50);
  f("p95", r.p95);
  f("min", r.min);
  f("max", r.max);
  f("threshold", r.threshold);
  f("fraction_above", r.fraction_above);
  f("accuracies", r.accuracies);
}

template <class R, class F>
  requires Is<R, YieldSeedsRecord>
void Fields(R& r, F& f) {
  f("chip", Decimal{r.chip});
  f("program", Decimal{r.program});
  f("read", Decimal{r.read});
}

template <class R, class F>
  requires Is<R, YieldRecord>
void Fields(R& r, F& f) {
  f("plan", r.plan);
  f("program", r.program);
  f("dataset", r.dataset);
  f("backend", r.backend);
  f("images", r.images);
  f("base_seed", Decimal{r.base_seed});
  f("scheme", r.scheme);
  f("ir_drop", r.ir_drop);
  f("read_noise", r.read_noise);
  f("drift", r.drift);
  f("chips", r.chips);
  f("points", r.points);
  f("seeds", r.seeds);
  f("failed_cells", r.failed_cells);
  f("pulses", r.pulses);
  f("ranks", r.ranks);
  f("threads_per_rank", r.threads_per_rank);
  f("seconds", r.seconds);
  f("chips_per_second", r.chips_per_second);
}

template <class R, class F>
  requires Is<R, ProgramRecord>
void Fields(R& r, F& f) {
  f("program", r.program);
  f("backend", r.backend);
  f("reads_matched", r.reads_matched);
  f("controller_cycles", r.controller_cycles);
  f("scheme", r.scheme);
  f("cells", r.cells);
  f("pulses", r.pulses);
  f("pulses_per_cell_mean", r.pulses_per_cell_mean);
  f("pulses_per_cell_p99", r.pulses_per_cell_p99);
  f("failed", r.failed);
  f("outcomes", r.outcomes);
  f("error_mean_s", r.error_mean_s);
  f("error_p99_s", r.error_p99_s);
  f("chip_time_s", r.chip_time_s);
  f("chip_time_serial_s", r.chip_time_serial_s);
  f("energy_j", r.energy_j);
  f("seconds", r.seconds);
}

template <class R, class F>
  requires Is<R, CompileLayerRecord>
void Fields(R& r, F& f) {
  f("inputs", r.inputs);
  f("outputs", r.outputs);
  f("tiles", r.tiles);
  f("rms_error", r.rms_error);
  f("max_abs_error", r.max_abs_error);
  f("clipped_fraction", r.clipped_fraction);
  f("neurons", r.neurons);
  f("replicas", r.replicas);
  f("read_cycles", r.read_cycles);
}

template <class R, class F>
  requires Is<R, CompileRecord>
void Fields(R& r, F& f) {
  f("model", r.model);
  f("chip", r.chip);
  f("plan", r.plan);
  f("scheme", r.scheme);
  f("scale", r.scale);
  f("tiles_used", r.tiles_used);
  f("tiles_available", r.tiles_available);
  f("cell_utilisation", r.cell_utilisation);
  f("neurons", r.neurons);
  f("neurons_available", r.neurons_available);
  f("conv_replicas", r.conv_replicas);
  f("read_cycles_per_step", r.read_cycles_per_step);
  f("cycles_per_image", r.cycles_per_image);
  f("latency_s", r.latency_s);
  f("layers", r.layers);
  f("passes", r.passes);
  f("seconds", r.seconds);
}

// ---- Writing.

struct Writer {
  Json out = Json::object();

  template <class T>
  void operator()(const char* key, const T& value) {
    out[key] = Value(value);
  }
  template <class T>
  void operator()(const char* key, Omittable<T> value) {
    if (value.value) out[key] = Value(*value.value);
  }

  template <class T>
  static Json Value(const T& value) {
    if constexpr (std::is_arithmetic_v<T> || std::is_same_v<T, std::string>) {
      return value;
    } else if constexpr (std::is_same_v<T, DriftCompensation>) {
      return std::string(DriftCompensationName(value));
    } else {
      Writer w;
      Fields(value, w);
      return w.out;
    }
  }
  template <class T>
  static Json Value(const Decimal<T>& value) {
    return std::to_string(value.value);
  }
  template <class T>
  static Json Value(const std::optional<T>& value) {
    return value ? Value(*value) : Json();
  }
  template <class T>
  static Json Value(const std::vector<T>& values) {
    Json array = Json::array();
    for (const auto& v : values) array.push_back(Value(v));
    return array;
  }
  template <class T>
  static Json Value(const std::vector<std::pair<std::string, T>>& members) {
    Json object = Json::object();
    for (const auto& [name, v] : members) object[name] = Value(v);
    return object;
  }
  static Json Value(const std::vector<CompilePassRecord>& passes) {
    Json object = Json::object();
    for (const auto& pass : passes) {
      Json stats = Json::object({{"seconds", pass.seconds}});
      for (const auto& [name, v] : pass.statistics) stats[name] = v;
      object[pass.pass] = stats;
    }
    return object;
  }
};

template <class T>
Json Write(const T& record) {
  Writer w;
  Fields(record, w);
  return w.out;
}

// ---- Reading: the first problem found, naming the path of keys to it.

// `where` then a key: "file.json: \"points\"" at the top, "...[2].\"accuracy\"" below it.
std::string KeyPath(const std::string& where, const std::string& key) {
  return where + (where.ends_with(':') ? " \"" : ".\"") + key + "\"";
}

struct Reader {
  const Json& in;
  std::string where;
  std::optional<Error> error = std::nullopt;

  void Failed(const std::string& what) {
    if (!error) error = Error{ErrorCode::kDataLoss, what};
  }

  template <class T>
  void operator()(const char* key, T&& target) {
    if (error) return;
    const std::string path = KeyPath(where, key);
    const auto it = in.find(key);
    if (it == in.end()) {
      if constexpr (IsOmittable<std::remove_cvref_t<T>>::value) return;
      return Failed(path + " is missing");
    }
    if (auto ok = Read(*it, target, path); !ok) Failed(ok.error().message);
  }

  template <class T>
  struct IsOmittable : std::false_type {};
  template <class T>
  struct IsOmittable<Omittable<T>> : std::true_type {};

  static Expected<void> Wrong(const std::string& path, const char* what) {
    return Fail(ErrorCode::kDataLoss, path + " is not " + what);
  }

  template <class T>
  static Expected<void> Read(const Json& j, T& out, const std::string& path) {
    if constexpr (std::is_same_v<T, bool>) {
      if (!j.is_boolean()) return Wrong(path, "true or false");
      out = j.get<bool>();
    } else if constexpr (std::is_integral_v<T>) {
      if (!j.is_number_integer()) return Wrong(path, "an integer");
      if constexpr (std::is_unsigned_v<T>) {
        if (j.is_number_unsigned()) {
          out = j.get<T>();
        } else {
          if (j.get<int64_t>() < 0) return Wrong(path, "an integer >= 0");
          out = static_cast<T>(j.get<int64_t>());
        }
      } else {
        out = j.get<T>();
      }
    } else if constexpr (std::is_floating_point_v<T>) {
      // Non-finite numbers are written as null.
      if (j.is_null()) {
        out = std::nan("");
      } else if (!j.is_number()) {
        return Wrong(path, "a number");
      } else {
        out = j.get<T>();
      }
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (!j.is_string()) return Wrong(path, "a string");
      out = j.get<std::string>();
    } else if constexpr (std::is_same_v<T, DriftCompensation>) {
      if (!j.is_string()) return Wrong(path, "a string");
      auto mode = ParseDriftCompensation(j.get<std::string>());
      if (!mode) return Fail(ErrorCode::kDataLoss, path + ": " + mode.error().message);
      out = *mode;
    } else {
      if (!j.is_object()) return Wrong(path, "an object");
      Reader r{j, path, std::nullopt};
      Fields(out, r);
      if (r.error) return std::unexpected(*r.error);
    }
    return {};
  }
  template <class T>
  static Expected<void> Read(const Json& j, Decimal<T>& out, const std::string& path) {
    if (!j.is_string()) return Wrong(path, "a decimal string");
    const std::string& text = j.get_ref<const std::string&>();
    std::size_t used = 0;
    try {
      out.value = std::stoull(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (text.empty() || used != text.size() || text[0] == '-') return Wrong(path, "a decimal string");
    return {};
  }
  template <class T>
  static Expected<void> Read(const Json& j, Omittable<T>& out, const std::string& path) {
    typename T::value_type v{};
    if (auto ok = Read(j, v, path); !ok) return ok;
    out.value = v;
    return {};
  }
  template <class T>
  static Expected<void> Read(const Json& j, std::optional<T>& out, const std::string& path) {
    if (j.is_null()) {
      out.reset();
      return {};
    }
    T v{};
    if (auto ok = Read(j, v, path); !ok) return ok;
    out = std::move(v);
    return {};
  }
  template <class T>
  static Expected<void> Read(const Json& j, std::vector<T>& out, const std::string& path) {
    if (!j.is_array()) return Wrong(path, "an array");
    out.assign(j.size(), T{});
    for (std::size_t i = 0; i < j.size(); ++i) {
      if (auto ok = Read(j[i], out[i], path + "[" + std::to_string(i) + "]"); !ok) return ok;
    }
    return {};
  }
  template <class T>
  static Expected<void> Read(const Json& j, std::vector<std::pair<std::string, T>>& out, const std::string& path) {
    if (!j.is_object()) return Wrong(path, "an object");
    out.clear();
    for (const auto& [name, value] : j.items()) {
      out.emplace_back(name, T{});
      if (auto ok = Read(value, out.back().second, KeyPath(path, name)); !ok) return ok;
    }
    return {};
  }
  static Expected<void> Read(const Json& j, std::vector<CompilePassRecord>& out, const std::string& path) {
    std::vector<std::pair<std::string, std::vector<std::pair<std::string, double>>>> passes;
    if (auto ok = Read(j, passes, path); !ok) return ok;
    out.clear();
    for (auto& [name, stats] : passes) {
      CompilePassRecord pass{name, 0, {}};
      bool timed = false;
      for (auto& [stat, value] : stats) {
        if (stat == "seconds") {
          pass.seconds = value;
          timed = true;
        } else {
          pass.statistics.emplace_back(stat, value);
        }
      }
      if (!timed) return Fail(ErrorCode::kDataLoss, KeyPath(KeyPath(path, name), "seconds") + " is missing");
      out.push_back(std::move(pass));
    }
    return {};
  }
};

template <class T>
Expected<T> ReadRecord(const Json& json, const std::string& where) {
  T record{};
  if (!json.is_object()) return Fail(ErrorCode::kDataLoss, where + ": expected a JSON object");
  Reader r{json, where + ":", std::nullopt};
  Fields(record, r);
  if (r.error) return std::unexpected(*r.error);
  return record;
}

Expected<void> CheckFraction(double value, const std::string& where) {
  if (!(value >= 0 && value <= 1)) {
    return Fail(ErrorCode::kDataLoss, where + " = " + FormatNumber(value) + " must lie in [0, 1]");
  }
  return {};
}

template <class T>
Expected<T> ReadRecordFile(const std::string& path, Expected<T> (*from_json)(const Json&, const std::string&)) {
  auto text = ReadFile(path);
  if (!text) return std::unexpected(text.error());
  auto json = ParseJson(*text, path);
  if (!json) return std::unexpected(json.error());
  return from_json(*json, path);
}

}  // namespace

Json ToJson(const EvalRecord& record) { return Write(record); }
Json ToJson(const InferRecord& record) { return Write(record); }
Json ToJson(const FinetuneRecord& record) { return Write(record); }
Json ToJson(const YieldRecord& record) { return Write(record); }
Json ToJson(const ProgramRecord& record) { return Write(record); }
Json ToJson(const CompileRecord& record) { return Write(record); }

Expected<EvalRecord> EvalRecordFromJson(const Json& json, const std::string& where) {
  auto r = ReadRecord<EvalRecord>(json, where);
  if (r) {
    for (auto [v, key] : {std::pair{r->accuracy, "accuracy"}, {r->membrane_at_rail_fraction, "membrane_at_rail_fraction"},
                          {r->drive_clipped_fraction, "drive_clipped_fraction"}}) {
      if (auto ok = CheckFraction(v, where + ": \"" + key + "\""); !ok) return std::unexpected(ok.error());
    }
  }
  return r;
}

Expected<InferRecord> InferRecordFromJson(const Json& json, const std::string& where) {
  auto r = ReadRecord<InferRecord>(json, where);
  if (!r) return r;
  if (r->report.points.empty()) return Fail(ErrorCode::kDataLoss, where + ": \"points\" is empty");
  for (std::size_t i = 0; i < r->report.points.size(); ++i) {
    const AgePoint& p = r->report.points[i];
    const std::string at = where + ": \"points\"[" + std::to_string(i) + "]";
    if (auto ok = CheckFraction(p.accuracy, at + ".\"accuracy\""); !ok) return std::unexpected(ok.error());
    if (!(p.age_s >= 0) || !std::isfinite(p.age_s)) {
      return Fail(ErrorCode::kDataLoss, at + ".\"age_s\" = " + FormatNumber(p.age_s) + " must be >= 0");
    }
  }
  return r;
}

Expected<FinetuneRecord> FinetuneRecordFromJson(const Json& json, const std::string& where) {
  auto r = ReadRecord<FinetuneRecord>(json, where);
  if (!r) return r;
  if (auto ok = CheckFraction(r->accuracy_before, where + ": \"accuracy_before\""); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = CheckFraction(r->accuracy_after, where + ": \"accuracy_after\""); !ok) {
    return std::unexpected(ok.error());
  }
  return r;
}

Expected<YieldRecord> YieldRecordFromJson(const Json& json, const std::string& where) {
  return ReadRecord<YieldRecord>(json, where);
}

Expected<ProgramRecord> ProgramRecordFromJson(const Json& json, const std::string& where) {
  return ReadRecord<ProgramRecord>(json, where);
}

Expected<CompileRecord> CompileRecordFromJson(const Json& json, const std::string& where) {
  return ReadRecord<CompileRecord>(json, where);
}

Expected<EvalRecord> ReadEvalRecord(const std::string& path) { return ReadRecordFile(path, &EvalRecordFromJson); }
Expected<InferRecord> ReadInferRecord(const std::string& path) { return ReadRecordFile(path, &InferRecordFromJson); }
Expected<FinetuneRecord> ReadFinetuneRecord(const std::string& path) {
  return ReadRecordFile(path, &FinetuneRecordFromJson);
}
Expected<YieldRecord> ReadYieldRecord(const std::string& path) { return ReadRecordFile(path, &YieldRecordFromJson); }
Expected<ProgramRecord> ReadProgramRecord(const std::string& path) {
  return ReadRecordFile(path, &ProgramRecordFromJson);
}
Expected<CompileRecord> ReadCompileRecord(const std::string& path) {
  return ReadRecordFile(path, &CompileRecordFromJson);
}

}  // namespace xbar::runtime
