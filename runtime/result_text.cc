// The xbar commands' results as records and as the text they print (result_text.h).
#include "runtime/result_text.h"

#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <map>
#include <optional>
#include <utility>

#include "runtime/latency.h"
#include "support/duration.h"

namespace xbar::runtime {
namespace {

// Appends printf-formatted text to `out`.
[[gnu::format(printf, 2, 3)]] void Append(std::string& out, const char* format, ...) {
  va_list args;
  va_start(args, format);
  va_list again;
  va_copy(again, args);
  const int size = std::vsnprintf(nullptr, 0, format, args);
  va_end(args);
  std::string text(static_cast<std::size_t>(size) + 1, '\0');
  std::vsnprintf(text.data(), text.size(), format, again);
  va_end(again);
  text.resize(static_cast<std::size_t>(size));
  out += text;
}

// The --conv-replicas choice as given: "auto" or the number.
std::string ConvReplicasName(int replicas) {
  return replicas == compiler::kAutoReplicas ? "auto" : std::to_string(replicas);
}

}  // namespace

CompileRecord MakeCompileRecord(const compiler::Plan& plan, const std::string& model_path,
                                const std::string& chip_path, const std::string& plan_path) {
  CompileRecord record;
  record.model = model_path;
  record.chip = chip_path;
  record.plan = plan_path;
  record.scheme = compiler::MappingSchemeName(plan.scheme);
  record.scale = compiler::ScaleGranularityName(plan.scale_granularity);
  record.tiles_used = plan.TilesUsed();
  record.tiles_available = plan.chip.tiles.count;
  record.cell_utilisation = plan.CellUtilisation();
  record.neurons = plan.Neurons();
  record.neurons_available = plan.chip.neurons;
  record.conv_replicas = ConvReplicasName(plan.conv_replicas);
  const PlanLatency latency = EstimateLatency(plan);
  record.read_cycles_per_step = latency.read_cycles_per_step;
  record.cycles_per_image = static_cast<int64_t>(latency.cycles_per_image);
  record.latency_s = latency.seconds;
  record.seconds = plan.compile_seconds;
  for (const auto& layer : plan.layers) {
    record.layers.push_back({layer.inputs, layer.outputs, static_cast<int64_t>(layer.tiles.size()), layer.rms_error,
                             layer.max_abs_error, layer.clipped_fraction, layer.neurons(), layer.replicas,
                             layer.read_cycles()});
  }
  for (const auto& report : plan.passes) {
    CompilePassRecord& pass = record.passes.emplace_back(report.pass, report.seconds);
    for (const auto& stat : report.statistics) pass.statistics.emplace_back(stat.name, stat.value);
  }
  return record;
}

std::string CompileSummary(const compiler::Plan& plan, const std::string& plan_path) {
  std::string out;
  const auto& geometry = plan.chip.tiles;
  Append(out, "%s on %s: %d of %d tiles of %dx%d (%.1f%%), %.1f%% of their usable cells; %s mapping, %s scale\n",
         plan.model_name.c_str(), plan.chip.name.c_str(), plan.TilesUsed(), geometry.count, geometry.rows,
         geometry.columns, 100.0 * plan.TilesUsed() / geometry.count, 100 * plan.CellUtilisation(),
         compiler::MappingSchemeName(plan.scheme), compiler::ScaleGranularityName(plan.scale_granularity));
  for (std::size_t l = 0; l < plan.layers.size(); ++l) {
    const auto& layer = plan.layers[l];
    std::string what = std::to_string(layer.inputs) + " -> " + std::to_string(layer.outputs);
    if (!layer.shape.plain_dense()) {
      what = layer.shape.ToString() + ": " + what + " on " + layer.shape.input().ToString();
      if (layer.positions() > 1) {
        what += ", " + std::to_string(layer.positions()) + " positions, " + std::to_string(layer.replicas) +
                (layer.replicas == 1 ? " replica" : " replicas");
      }
    }
    Append(out, "  layer %zu (%s): %zu tiles, quantisation error %.2f%% rms, %.3f%% clipped\n", l, what.c_str(),
           layer.tiles.size(), 100 * layer.rms_error, 100 * layer.clipped_fraction);
  }
  const PlanLatency latency = EstimateLatency(plan);
  Append(out,
         "  %lld of %d neurons; %lld read cycles per step (conv replicas %s): %llu controller cycles = %.1f us "
         "per image at %.0f MHz\n",
         static_cast<long long>(plan.Neurons()), plan.chip.neurons, static_cast<long long>(latency.read_cycles_per_step),
         ConvReplicasName(plan.conv_replicas).c_str(), static_cast<unsigned long long>(latency.cycles_per_image),
         latency.seconds * 1e6, plan.chip.clock_hz / 1e6);
  for (const auto& report : plan.passes) {
    std::map<std::string, double> value;
    for (const auto& stat : report.statistics) value[stat.name] = stat.value;
    if (report.pass == "remap") {
      Append(out,
             "  remapped %.0f of %.0f tiles with stuck cells (%.0f rows, %.0f bit lines moved): %.0f weights "
             "a stuck cell leaves wrong before, %.0f after (stuck cells at gain %.2f)\n",
             value["tiles-remapped"], value["tiles-with-faults"], value["rows-moved"], value["columns-moved"],
             value["harmful-before"], value["harmful-after"], value["stuck-gain"]);
    }
    if (report.pass == "compensate") {
      Append(out,
             "  IR-drop residual ||M^T - G|| / ||G||, mean over tiles: %.2f%% before, %.2f%% after "
             "compensation (worst tile %.2f%%)\n",
             100 * value["residual-before"], 100 * value["residual-after"], 100 * value["residual-after-max"]);
    }
  }
  if (!plan.compensated) out += "  IR-drop compensation off\n";
  Append(out, "wrote %s in %.1f s\n", plan_path.c_str(), plan.compile_seconds);
  return out;
}

ProgramRecord MakeProgramRecord(const compiler::PulseProgram& program, compiler::ProgramScheme scheme,
                                const ReplayResult& replay, const std::string& backend,
                                const std::string& program_path, double seconds) {
  const auto& s = program.statistics;
  ProgramRecord record;
  record.program = program_path;
  record.backend = backend;
  record.reads_matched = replay.reads;
  record.controller_cycles = static_cast<int64_t>(replay.cycles);
  record.scheme = std::string(compiler::ProgramSchemeName(scheme));
  record.cells = s.cells;
  record.pulses = s.pulses;
  record.pulses_per_cell_mean = s.pulses_mean;
  record.pulses_per_cell_p99 = s.pulses_p99;
  record.failed = s.failed();
  record.error_mean_s = s.error_mean_s;
  record.error_p99_s = s.error_p99_s;
  record.chip_time_s = s.time_parallel_tiles_s;
  record.chip_time_serial_s = s.time_s;
  record.energy_j = s.pulse_energy_j + s.read_energy_j;
  record.seconds = seconds;
  for (int k = 0; k < compiler::kCellOutcomes; ++k) {
    record.outcomes.emplace_back(compiler::CellOutcomeName(static_cast<compiler::CellOutcome>(k)), s.outcomes[k]);
  }
  return record;
}

std::string ProgramSummary(const ProgramRecord& r, std::size_t tiles) {
  const std::string cycles =
      r.backend == "rtl" ? ", " + std::to_string(r.controller_cycles) + " controller cycles" : std::string();
  std::string out;
  Append(out,
         "%s: %lld cells on %zu tiles, %.2f pulses per cell (p99 %.0f), %lld failed (%.2f %%), "
         "error %.3f uS mean / %.3f uS p99, %.3f s and %.3g J on the chip, %.1f s to simulate "
         "(%s backend, %lld reads matched%s)\n",
         r.scheme.c_str(), static_cast<long long>(r.cells), tiles, r.pulses_per_cell_mean, r.pulses_per_cell_p99,
         static_cast<long long>(r.failed),
         r.cells ? 100.0 * static_cast<double>(r.failed) / static_cast<double>(r.cells) : 0.0, r.error_mean_s * 1e6,
         r.error_p99_s * 1e6, r.chip_time_s, r.energy_j, r.seconds, r.backend.c_str(),
         static_cast<long long>(r.reads_matched), cycles.c_str());
  return out;
}

FinetuneRecord MakeFinetuneRecord(const FinetuneChipResult& run, const std::string& dataset, double age_s,
                                  const std::string& compensation) {
  const auto& s = run.delta.statistics;
  FinetuneRecord record;
  record.dataset = dataset;
  record.age = FormatDuration(age_s);
  record.compensation = compensation;
  record.accuracy_before = run.before.points.front().accuracy;
  record.accuracy_after = run.after.points.front().accuracy;
  record.images = run.after.points.front().images;
  record.cells_reprogrammed = run.tuned.cells_changed;
  record.delta_pulses = s.pulses;
  record.delta_energy_j = s.pulse_energy_j + s.read_energy_j;
  record.finetune_seconds = run.tuned.seconds;
  return record;
}

std::string FinetuneSummary(const FinetuneRecord& r) {
  std::string out;
  Append(out,
         "%s at %s (%s compensation), %lld test images: %.2f%% before, %.2f%% after fine-tuning; "
         "%lld cells reprogrammed with %lld pulses (%.3g J); %.1f s\n",
         r.dataset.c_str(), r.age.c_str(), r.compensation.c_str(), static_cast<long long>(r.images),
         100 * r.accuracy_before, 100 * r.accuracy_after, static_cast<long long>(r.cells_reprogrammed),
         static_cast<long long>(r.delta_pulses), r.delta_energy_j, r.finetune_seconds);
  return out;
}

InferRecord MakeInferRecord(ChipEvalReport report, const ChipEvalOptions& options, const std::string& plan_path,
                            const std::string& dataset, const std::string& backend, uint64_t chip_seed,
                            const compiler::PulseProgram* program) {
  InferRecord record;
  record.plan = plan_path;
  record.dataset = dataset;
  record.backend = backend;
  record.chip_seed = chip_seed;
  record.seed = options.seed;
  record.ir_drop = options.ir_drop;
  record.read_noise = options.read_noise;
  record.drift = options.drift;
  record.report = std::move(report);
  if (program != nullptr) {
    record.programming_energy_j = program->statistics.pulse_energy_j + program->statistics.read_energy_j;
    record.programming_pulses = program->statistics.pulses;
  }
  return record;
}

std::string InferSummary(const InferRecord& r, double clock_hz) {
  const ChipEvalReport& report = r.report;
  std::string out;
  const bool spikes = r.outputs_per_sample.has_value();
  const char* unit = spikes ? "spike trains" : "images";
  Append(out, "%s on the %s backend, %lld %s, output gain %.4g\n", r.dataset.c_str(), r.backend.c_str(),
         static_cast<long long>(report.points.front().images), unit, report.output_gain);
  if (spikes) {
    Append(out, "  outputs %.4g per sample at the first point; accuracy %s\n", *r.outputs_per_sample,
           r.labels ? ("against " + *r.labels).c_str() : "not measured (no --labels)");
  }
  Append(out, "  %-8s %-12s %9s\n", "age", "compensation", "accuracy");
  for (const auto& p : report.points) {
    if (spikes && !r.labels) {
      Append(out, "  %-8s %-12s %9s\n", FormatDuration(p.age_s).c_str(),
             std::string(DriftCompensationName(p.compensation)).c_str(), "-");
      continue;
    }
    Append(out, "  %-8s %-12s %8.2f%%\n", FormatDuration(p.age_s).c_str(),
           std::string(DriftCompensationName(p.compensation)).c_str(), 100 * p.accuracy);
  }
  Append(out,
         "  per %s: %llu controller cycles = %.1f us at %.0f MHz; energy %.3g J (tile reads %.3g, "
         "drivers %.3g, current stages %.3g, synapses %.3g, neurons %.3g, output adc %.3g); %.1f s\n",
         spikes ? "sample" : "image", static_cast<unsigned long long>(report.cycles_per_image), report.latency_s * 1e6,
         clock_hz / 1e6,
         report.energy_j(), report.read_energy_j, report.driver_energy_j, report.current_stage_energy_j,
         report.synapse_energy_j, report.neuron_energy_j, report.adc_energy_j, report.seconds);
  return out;
}

YieldRecord MakeYieldRecord(const YieldOptions& options, const std::string& plan_path, const std::string& program_path,
                            const std::string& dataset, int64_t images, int64_t chips, int64_t ranks, double seconds) {
  YieldRecord record;
  record.plan = plan_path;
  record.program = program_path.empty() ? std::nullopt : std::optional(program_path);
  record.dataset = dataset;
  record.backend = "behavioural";
  record.images = images;
  record.base_seed = options.base_seed;
  record.scheme = std::string(compiler::ProgramSchemeName(options.program.scheme));
  record.ir_drop = options.eval.ir_drop;
  record.read_noise = options.eval.read_noise;
  record.drift = options.eval.drift;
  record.chips = chips;
  record.ranks = ranks;
  record.threads_per_rank = options.eval.threads;
  record.seconds = seconds;
  record.chips_per_second = static_cast<double>(chips) / seconds;
  return record;
}

std::string YieldSummary(const YieldRecord& r, double threshold) {
  std::string out;
  Append(out, "%s: %lld chips (base seed %llu) on %lld rank%s x %lld threads, %lld images, %.1f s (%.3g chips/s)\n",
         r.dataset.c_str(), static_cast<long long>(r.chips), static_cast<unsigned long long>(r.base_seed),
         static_cast<long long>(r.ranks), r.ranks > 1 ? "s" : "", static_cast<long long>(r.threads_per_rank),
         static_cast<long long>(r.images), r.seconds, r.chips_per_second);
  for (const auto& p : r.points) {
    Append(out,
           "  %-5s %-7s mean %6.2f %%  p5 %6.2f %%  p50 %6.2f %%  p95 %6.2f %%  min %6.2f %%  "
           "max %6.2f %%  >= %.2f %%: %lld of %lld chips (%.1f %%)\n",
           FormatDuration(p.age_s).c_str(), std::string(DriftCompensationName(p.compensation)).c_str(), 100 * p.mean,
           100 * p.p5, 100 * p.p50, 100 * p.p95, 100 * p.min, 100 * p.max, 100 * threshold,
           static_cast<long long>(std::llround(p.fraction_above * static_cast<double>(r.chips))),
           static_cast<long long>(r.chips), 100 * p.fraction_above);
  }
  return out;
}

std::string TrainBanner(const std::string& dataset, const std::string& network, int64_t images,
                        const TrainOptions& options) {
  return "train " + dataset + " " + network + ", " + std::to_string(images) + " images, T=" +
         std::to_string(options.encoding.steps) + " P=" + std::to_string(options.encoding.period) + ", batch " +
         std::to_string(options.batch_size) + ", " + std::to_string(options.epochs) + " epochs, seed " +
         std::to_string(options.seed);
}

std::string EpochSummary(const EpochStats& s, int epochs) {
  std::string out;
  Append(out, "epoch %d/%d  loss %.4f  train %.2f%%", s.epoch, epochs, s.train_loss, 100 * s.train_accuracy);
  if (s.test_accuracy >= 0) Append(out, "  test %.2f%%", 100 * s.test_accuracy);
  Append(out, "  %.1f s  %.0f samples/s", s.seconds, s.samples_per_s);
  return out;
}

Json ToJson(const EpochStats& s) {
  return Json::object({{"epoch", s.epoch},
                       {"train_loss", s.train_loss},
                       {"train_accuracy", s.train_accuracy},
                       {"test_accuracy", s.test_accuracy >= 0 ? Json(s.test_accuracy) : Json()},
                       {"seconds", s.seconds},
                       {"samples_per_s", s.samples_per_s}});
}

}  // namespace xbar::runtime
