// Shared pieces of the xbar subcommands: common options, parsing, error reporting.
#pragma once

#include <boost/program_options.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compiler/import.h"
#include "compiler/model.h"
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
/// --input-gain --inter-layer-scale --readout-scale --membrane); defaults are `xbar train`'s.
struct ModelOptions {
  compiler::ImportOptions import;
  std::string membrane = "implicit";
};

/// Adds the model options to `desc`, writing into `options`.
void AddModelOptions(po::options_description& desc, ModelOptions& options);

/// Turns --membrane into the neuron's update rule (usage error naming the value). The other values
/// are checked where the model is made (Encoding::Validate), after any .xbm file's own are merged.
Expected<void> FinishModelOptions(ModelOptions& options);

/// Reads the model named by `spec` (.xbm, .onnx or comma-separated .npy files) with
/// compiler::ImportModel. ONNX and .npy weights get all the model options; a .xbm file keeps its
/// own neuron and encoding except for the options given explicitly on the command line (`vm`).
Expected<compiler::Model> LoadModel(const std::string& spec, const ModelOptions& options,
                                    const po::variables_map& vm);

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

/// Parses "256" or "512,256" into sizes; a usage error names the text.
Expected<std::vector<int>> ParseSizes(const std::string& text, const std::string& option);

/// The command line as one string (for provenance).
std::string CommandLine(int argc, char** argv);

}  // namespace xbar::tools
