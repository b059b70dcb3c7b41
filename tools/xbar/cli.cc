// Shared pieces of the xbar subcommands.
#include "tools/xbar/cli.h"

#include <filesystem>
#include <iostream>

#include "compiler/pass_options.h"
#include "support/format.h"

namespace xbar::tools {

void AddCommonOptions(po::options_description& desc, CommonOptions& common) {
  desc.add_options()
      ("help,h", "show this help and exit")
      ("json", po::bool_switch(&common.json), "print the result as one JSON object on stdout, last")
      ("seed", po::value(&common.seed)->default_value(1), "seed of every random draw")
      ("data-dir", po::value(&common.data_dir),
       "data set folder (default: $XBAR_DATA, else ./data)")
      ("threads", po::value(&common.threads)->default_value(0), "worker threads (0: all cores)")
      ("quiet,q", po::bool_switch(&common.quiet), "no progress output");
}

void AddModelOptions(po::options_description& desc, ModelOptions& options) {
  auto& e = options.import.encoding;
  desc.add_options()
      ("steps", po::value(&e.steps)->default_value(e.steps), "time steps per sample, T")
      ("period", po::value(&e.period)->default_value(e.period),
       "input impulse period, P (impulses at 0, P, 2P, ...)")
      ("input-gain", po::value(&e.input_gain)->default_value(e.input_gain, FormatNumber(e.input_gain)),
       "pixel to first-layer drive")
      ("inter-layer-scale",
       po::value(&e.inter_layer_scale)->default_value(e.inter_layer_scale, FormatNumber(e.inter_layer_scale)),
       "next layer's input = membrane voltage (mV) / this")
      ("readout-scale", po::value(&e.readout_scale)->default_value(e.readout_scale, FormatNumber(e.readout_scale)),
       "logits = time-mean output voltage (mV) / this")
      ("membrane", po::value(&options.membrane)->default_value(options.membrane),
       "membrane update: implicit or explicit")
      ("step-scale", po::value(&options.step_scale)->default_value(options.step_scale),
       "one time step lasts this many steps of the published neuron (its tau, tau_a and C divided by "
       "it): T = 20 with 5 spans the time of T = 100 (docs/mif.md)")
      ("rails-mv", po::value(&options.rails_mv),
       "LO,HI: the membranes' supply rails, mV (they hold the membrane; default none)")
      ("drive-limit-mv", po::value(&e.drive_limit_mv),
       "hidden layers' word-line drivers clip at this membrane voltage, mV (default none)")
      ("dt", po::value(&options.import.nir.dt_s)->default_value(options.import.nir.dt_s),
       "NIR models (.nir): time step, s, of the leaky neurons' update")
      ("reset", po::value(&options.reset)->default_value(options.reset),
       "NIR models: neuron reset after a spike: auto (the file's v_reset; before NIR 1.0, IF by subtraction and "
       "LIF/CubaLIF to zero), zero or subtract (docs/nir.md)");
}

Expected<void> FinishModelOptions(ModelOptions& options) {
  auto reset = compiler::ParseNirReset(options.reset);
  if (!reset) return std::unexpected(reset.error());
  options.import.nir.reset = *reset;
  if (options.membrane == "implicit") {
    options.import.neuron.membrane_update = device_models::MembraneUpdate::kImplicit;
  } else if (options.membrane == "explicit") {
    options.import.neuron.membrane_update = device_models::MembraneUpdate::kExplicit;
  } else {
    return Fail(ErrorCode::kInvalidArgument, "--membrane '" + options.membrane + "' must be implicit or explicit");
  }
  auto scaled = options.import.neuron.WithStepScale(options.step_scale);
  if (!scaled) return std::unexpected(scaled.error());
  options.import.neuron = *scaled;
  if (!options.rails_mv.empty()) {
    const std::string& text = options.rails_mv;
    const auto comma = text.find(',');
    if (comma == std::string::npos) {
      return Fail(ErrorCode::kInvalidArgument, "--rails-mv '" + text + "' must be LO,HI in mV");
    }
    auto lo = compiler::ParseOptionNumber("--rails-mv", std::string_view(text).substr(0, comma));
    if (!lo) return std::unexpected(lo.error());
    auto hi = compiler::ParseOptionNumber("--rails-mv", std::string_view(text).substr(comma + 1));
    if (!hi) return std::unexpected(hi.error());
    options.import.neuron.rail_low_mv = *lo;
    options.import.neuron.rail_high_mv = *hi;
    if (auto ok = options.import.neuron.Validate(); !ok) return std::unexpected(WithContext(ok.error(), "--rails-mv"));
  }
  return {};
}

Expected<compiler::Model> LoadModel(const std::string& spec, const ModelOptions& options,
                                    const po::variables_map& vm) {
  auto format = compiler::ModelFormatOf(spec);
  if (!format) return std::unexpected(format.error());
  auto model = compiler::ImportModel(spec, options.import);
  if (!model || *format != compiler::ModelFormat::kXbm) return model;
  auto given = [&](const char* option) { return vm.count(option) && !vm[option].defaulted(); };
  const auto& e = options.import.encoding;
  if (given("steps")) model->encoding.steps = e.steps;
  if (given("period")) model->encoding.period = e.period;
  if (given("input-gain")) model->encoding.input_gain = e.input_gain;
  if (given("inter-layer-scale")) model->encoding.inter_layer_scale = e.inter_layer_scale;
  if (given("readout-scale")) model->encoding.readout_scale = e.readout_scale;
  if (given("membrane")) model->neuron.membrane_update = options.import.neuron.membrane_update;
  if (given("step-scale")) {
    auto scaled = model->neuron.WithStepScale(options.step_scale);
    if (!scaled) return std::unexpected(scaled.error());
    model->neuron = *scaled;
  }
  if (given("rails-mv")) {
    model->neuron.rail_low_mv = options.import.neuron.rail_low_mv;
    model->neuron.rail_high_mv = options.import.neuron.rail_high_mv;
    if (auto ok = model->neuron.Validate(); !ok) return std::unexpected(WithContext(ok.error(), "--rails-mv"));
  }
  if (given("drive-limit-mv")) model->encoding.drive_limit_mv = e.drive_limit_mv;
  if (auto ok = model->encoding.Validate(); !ok) return std::unexpected(ok.error());
  return model;
}

std::optional<int> Parse(const std::string& name, const std::string& usage, int argc, char** argv,
                         const po::options_description& desc,
                         const po::positional_options_description* positional,
                         po::variables_map& vm) {
  try {
    po::command_line_parser parser(argc, argv);
    parser.options(desc);
    if (positional != nullptr) parser.positional(*positional);
    po::store(parser.run(), vm);
    if (vm.count("help")) {
      std::cout << "usage: xbar " << name << " " << usage << "\n\n" << desc << "\n";
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "xbar " << name << ": error: " << e.what() << " (see xbar " << name
              << " --help)\n";
    return 2;
  }
  return std::nullopt;
}

int ReportError(const std::string& name, const Error& error) {
  std::cerr << "xbar " << name << ": error: " << error.message << "\n";
  return error.code == ErrorCode::kInvalidArgument ? 2 : 1;
}

void EmitJson(const CommonOptions& common, const Json& result) {
  if (common.json) std::cout << DumpJson(result) << std::endl;
}

Expected<void> CheckOutputFolder(const std::string& path) {
  if (path.empty()) return {};
  const std::filesystem::path dir = std::filesystem::absolute(path).parent_path();
  if (!std::filesystem::is_directory(dir)) {
    return Fail(ErrorCode::kNotFound, path + ": folder " + dir.string() + " does not exist");
  }
  return {};
}


std::string CommandLine(int argc, char** argv) {
  std::string line = "xbar";
  for (int i = 1; i < argc; ++i) line += std::string(" ") + argv[i];
  return line;
}

}  // namespace xbar::tools
