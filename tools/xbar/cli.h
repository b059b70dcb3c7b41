// Shared pieces of the xbar subcommands: common options, parsing, error reporting.
#pragma once

#include <boost/program_options.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compiler/import.h"
#include "compiler/model.h"
#include "device_models/tile_circuit.h"
#include "runtime/chip_eval.h"
#include "support/error.h"
#include "support/json.h"

namespace xbar::tools {

namespace po = boost::program_options;

/// Options every subcommand takes.
struct CommonOptions {
  bool json = false;
  uint64_t seed = 1;
  std::string data_dir;
  int threads = 0;
  bool quiet = false;
};

/// Adds --help, --json, --seed, --data-dir, --threads, --quiet to `desc`.
void AddCommonOptions(po::options_description& desc, CommonOptions& common);

/// Neuron and encoding options of the commands that train or read a model (--steps --period
/// --input-gain --inter-layer-scale --readout-scale --membrane ..., and a NIR graph's --dt and
/// --reset); defaults are `xbar train`'s.
struct ModelOptions {
  compiler::ImportOptions import;
  std::string membrane = "implicit";
  double step_scale = 1;  // one time step = this many steps of the published neuron
  std::string rails_mv;   // "LO,HI": the membrane's supply rails (empty: none)
  std::string reset = "auto";  // NIR models: --reset
};

/// Adds the model options to `desc`, writing into `options`.
void AddModelOptions(po::options_description& desc, ModelOptions& options);

/// Turns --membrane into the neuron's update rule, --rails-mv into its rails and --reset into a
/// NIR graph's reset rule (usage error naming the value). The other values
/// are checked where the model is made (Encoding::Validate), after any .xbm file's own are merged.
Expected<void> FinishModelOptions(ModelOptions& options);

/// Reads the model named by `spec` (.xbm, .onnx or comma-separated .npy files) with
/// compiler::ImportModel. ONNX and .npy weights get all the model options; a .xbm file keeps its
/// own neuron and encoding except for the options given explicitly on the command line (`vm`).
Expected<compiler::Model> LoadModel(const std::string& spec, const ModelOptions& options,
                                    const po::variables_map& vm);

/// The flags of a chip evaluation (xbar infer, xbar yield), mapped onto runtime::ChipEvalOptions.
struct ChipEvalFlags {
  std::string ages_text;
  std::string compensation_text;
  int64_t limit = 0;
  int64_t calibration_images = 256;
  bool no_ir_drop = false, no_read_noise = false, no_drift = false;
  runtime::InferenceTiming timing;
};

/// Adds --age, --ages (help: "several ages, e.g. AGES_EXAMPLE") and --compensation (default
/// `flags.compensation_text`).
void AddChipEvalAgeOptions(po::options_description& desc, ChipEvalFlags& flags, const char* ages_example);

/// Adds --limit, --calibration-images (help `calibration_help`), --no-ir-drop, --no-read-noise,
/// --no-drift.
void AddChipEvalReadOptions(po::options_description& desc, ChipEvalFlags& flags, const char* calibration_help);

/// Adds --sense-cycles and --neuron-cycles.
void AddTimingOptions(po::options_description& desc, ChipEvalFlags& flags);

/// The evaluation the flags ask for (seed and threads from `common`); usage errors name the flag:
/// --age with --ages, a bad age or compensation list, --limit < 0, --calibration-images < 1.
Expected<runtime::ChipEvalOptions> FinishChipEvalOptions(const ChipEvalFlags& flags, const CommonOptions& common,
                                                         const po::variables_map& vm);

/// The inputs of a command that uses a programmed chip: a plan and either its pulse program or
/// its chip state.
struct ProgrammedChipFlags {
  std::string plan_path, program_path, state_path;
};

/// Adds --plan (help `plan_help`), --program (help `program_help`) and --chip-state (help
/// `state_help`; none when empty).
void AddProgrammedChipOptions(po::options_description& desc, ProgrammedChipFlags& flags, const char* plan_help,
                              const char* program_help, const char* state_help);

/// Usage error unless exactly one of --program and --chip-state was given.
Expected<void> CheckProgramOrState(const ProgrammedChipFlags& flags);

/// Spike trains in and out (NIR models and plans; docs/nir.md): the inputs, optional labels, and
/// where the outputs and the output neurons' membranes go.
struct SpikeFlags {
  std::string spikes, labels, out, membranes;
  /// Whether any of them was given.
  bool any() const { return !spikes.empty() || !labels.empty() || !out.empty() || !membranes.empty(); }
};
/// --spikes, --labels and, with `outputs`, --out, --membranes; `what` says what runs them ("NIR
/// models", "NIR plans").
void AddSpikeOptions(po::options_description& desc, SpikeFlags& flags, const std::string& what, bool outputs = true);
/// Checks the output folders and reads the spikes and the labels (whole classes below `classes`).
struct SpikeData {
  NpyTensor spikes;
  std::vector<int> labels;
};
Expected<SpikeData> ReadSpikeData(const SpikeFlags& flags, int64_t classes);
/// Writes --out and --membranes of `batch`, if given.
Expected<void> WriteSpikeOutputs(const SpikeFlags& flags, const runtime::NirBatch& batch);

/// Adds the wire resistances of a tile: --r-row, --r-col (required), --r-driver, --r-sense.
void AddWireOptions(po::options_description& desc, device_models::TileWires& wires);

/// Parses argv for subcommand `name`. Returns an exit code when the caller should stop (0 after
/// --help, 2 on a usage error), nullopt when it should run.
std::optional<int> Parse(const std::string& name, const std::string& usage, int argc, char** argv,
                         const po::options_description& desc,
                         const po::positional_options_description* positional,
                         po::variables_map& vm);

/// Prints "xbar NAME: error: MESSAGE" on stderr; returns 2 for usage errors, 1 otherwise.
int ReportError(const std::string& name, const Error& error);

/// Prints the JSON result on stdout (one line) when --json was given.
void EmitJson(const CommonOptions& common, const Json& result);

/// kNotFound unless the folder a result file `path` goes to exists (nothing to check when empty):
/// "PATH: folder DIR does not exist".
Expected<void> CheckOutputFolder(const std::string& path);

/// The command line as one string (for provenance).
std::string CommandLine(int argc, char** argv);

}  // namespace xbar::tools
