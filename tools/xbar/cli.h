// Shared pieces of the xbar subcommands: common options, parsing, error reporting.
#pragma once

#include <boost/program_options.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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
