// The JSON results of the xbar commands (eval, infer, finetune, yield, program, compile): one writer
// and one reader per result type, both generated from one list of keys, so they cannot disagree.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "runtime/chip_eval.h"
#include "support/error.h"
#include "support/json.h"

namespace xbar::runtime {

/// xbar eval: a model's test accuracy in software.
struct EvalRecord {
  std::string model;
  std::string dataset;
  int64_t steps = 0;
  int64_t period = 0;
  int64_t samples = 0;
  int64_t correct = 0;
  double accuracy = 0;  // correct / samples, in [0, 1]
  double loss = 0;
  double seconds = 0;
  // How the run used the voltage ranges (runtime/voltage_range.h): the largest |membrane| of any
  // neuron, V; the fraction of neuron-steps at a supply rail; of hidden neuron-steps, the fraction
  // whose word-line drive was clipped. 0 for a model without rails or drive limit.
  double peak_membrane_v = 0;
  double membrane_at_rail_fraction = 0;
  double drive_clipped_fraction = 0;
};

/// xbar infer: a chip evaluation (EvaluateChip's report) and the run that produced it.
struct InferRecord {
  std::string plan;
  std::string dataset;
  std::string backend;
  uint64_t chip_seed = 0;
  uint64_t seed = 1;
  bool ir_drop = true;
  bool read_noise = true;
  bool drift = true;
  ChipEvalReport report;
  /// Present when the chip was programmed from a pulse program (not restored from a state).
  std::optional<double> programming_energy_j;
  std::optional<int64_t> programming_pulses;
  /// NIR plans on spike trains (`dataset` is then the spike file): the first point's outputs summed
  /// per sample (output spikes, for a spiking output layer), and the labels file the accuracies
  /// count against (absent: the points' accuracies are not measured).
  std::optional<double> outputs_per_sample;
  std::optional<std::string> labels;
};

/// xbar finetune: accuracy before and after chip-in-the-loop fine-tuning, and the delta program.
struct FinetuneRecord {
  std::string dataset;
  std::string age;           // as given, e.g. "1d"
  std::string compensation;  // none, global or column
  double accuracy_before = 0;
  double accuracy_after = 0;
  int64_t images = 0;
  int64_t cells_reprogrammed = 0;
  int64_t delta_pulses = 0;
  double delta_energy_j = 0;
  double finetune_seconds = 0;
};

/// One (age, compensation) point of a yield run: statistics over the chips and every chip's accuracy.
struct YieldPointRecord {
  double age_s = 0;
  DriftCompensation compensation = DriftCompensation::kNone;
  double mean = 0, p5 = 0, p50 = 0, p95 = 0, min = 0, max = 0;
  double threshold = 0;
  double fraction_above = 0;
  std::vector<double> accuracies;  // chip order
};

/// The seeds of one chip of a yield run (written as decimal strings: 64-bit seeds do not fit a
/// JSON number exactly).
struct YieldSeedsRecord {
  uint64_t chip = 0, program = 0, read = 0;
};

/// xbar yield: the accuracy distribution over a population of chip instances.
struct YieldRecord {
  std::string plan;
  std::optional<std::string> program;  // null when no pulse program gave the recipe
  std::string dataset;
  std::string backend;
  int64_t images = 0;
  uint64_t base_seed = 1;
  std::string scheme;
  bool ir_drop = true;
  bool read_noise = true;
  bool drift = true;
  int64_t chips = 0;
  std::vector<YieldPointRecord> points;  // ages outer, compensations inner
  std::vector<YieldSeedsRecord> seeds;   // chip order
  std::vector<int64_t> failed_cells;     // chip order
  std::vector<int64_t> pulses;           // chip order
  int64_t ranks = 1;
  int64_t threads_per_rank = 1;
  double seconds = 0;
  double chips_per_second = 0;
};

/// xbar program: a write-verify run (generated or replayed) and its replay on a backend.
struct ProgramRecord {
  std::string program;  // the pulse program written or replayed
  std::string backend;
  int64_t reads_matched = 0;
  int64_t controller_cycles = 0;
  std::string scheme;
  int64_t cells = 0;
  int64_t pulses = 0;
  double pulses_per_cell_mean = 0;
  double pulses_per_cell_p99 = 0;
  int64_t failed = 0;
  std::vector<std::pair<std::string, int64_t>> outcomes;  // cells per outcome, by outcome name
  double error_mean_s = 0;
  double error_p99_s = 0;
  double chip_time_s = 0;
  double chip_time_serial_s = 0;
  double energy_j = 0;
  double seconds = 0;
};

/// One layer of a compiled plan.
struct CompileLayerRecord {
  int64_t inputs = 0, outputs = 0, tiles = 0;
  double rms_error = 0, max_abs_error = 0, clipped_fraction = 0;
  int64_t neurons = 0;      // neuron circuits of the layer's outputs
  int64_t replicas = 1;     // copies of the weight matrix
  int64_t read_cycles = 1;  // per step it is read: ceil(positions / replicas)
};

/// One compile pass: its time and statistics, in the order the pass reported them.
struct CompilePassRecord {
  std::string pass;
  double seconds = 0;
  std::vector<std::pair<std::string, double>> statistics;
};

/// xbar compile: the plan written and its figures.
struct CompileRecord {
  std::string model;
  std::string chip;
  std::string plan;
  std::string scheme;
  std::string scale;
  int64_t tiles_used = 0;
  int64_t tiles_available = 0;
  double cell_utilisation = 0;
  int64_t neurons = 0;               // neuron circuits the network needs
  int64_t neurons_available = 0;     // on the chip
  std::string conv_replicas;         // the --conv-replicas choice: "1", "4", "auto"
  int64_t read_cycles_per_step = 0;  // Σ over layers of ceil(positions / replicas)
  int64_t cycles_per_image = 0;      // controller cycles of one image (as xbar infer counts them)
  double latency_s = 0;              // cycles_per_image at the chip's clock
  std::vector<CompileLayerRecord> layers;
  std::vector<CompilePassRecord> passes;
  double seconds = 0;
};

/// The JSON object of each result (the command's --json output).
Json ToJson(const EvalRecord& record);
Json ToJson(const InferRecord& record);
Json ToJson(const FinetuneRecord& record);
Json ToJson(const YieldRecord& record);
Json ToJson(const ProgramRecord& record);
Json ToJson(const CompileRecord& record);

/// Reads a result back from its JSON object; `where` names it in errors. A missing key or a value
/// of the wrong type is kDataLoss naming the key: "WHERE: \"points\"[2].\"accuracy\" is missing".
/// Accuracies must lie in [0, 1] and ages be >= 0.
Expected<EvalRecord> EvalRecordFromJson(const Json& json, const std::string& where);
Expected<InferRecord> InferRecordFromJson(const Json& json, const std::string& where);
Expected<FinetuneRecord> FinetuneRecordFromJson(const Json& json, const std::string& where);
Expected<YieldRecord> YieldRecordFromJson(const Json& json, const std::string& where);
Expected<ProgramRecord> ProgramRecordFromJson(const Json& json, const std::string& where);
Expected<CompileRecord> CompileRecordFromJson(const Json& json, const std::string& where);

/// Reads the file a command's --json output was saved to (or yield's --out).
Expected<EvalRecord> ReadEvalRecord(const std::string& path);
Expected<InferRecord> ReadInferRecord(const std::string& path);
Expected<FinetuneRecord> ReadFinetuneRecord(const std::string& path);
Expected<YieldRecord> ReadYieldRecord(const std::string& path);
Expected<ProgramRecord> ReadProgramRecord(const std::string& path);
Expected<CompileRecord> ReadCompileRecord(const std::string& path);

}  // namespace xbar::runtime
