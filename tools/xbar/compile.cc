// xbar compile: map a model onto a chip's tiles and write the plan (.xbp).
#include <cstdio>
#include <map>
#include <optional>

#include "compiler/chip_io.h"
#include "compiler/compile.h"
#include "compiler/chip_state_io.h"
#include "compiler/plan_io.h"
#include "runtime/dataset.h"
#include "runtime/results.h"
#include "tools/xbar/cli.h"

namespace xbar::tools {

int RunCompile(int argc, char** argv) {
  const std::string name = "compile";
  CommonOptions common;
  std::string model_path, chip_path, out_path, faults_path, activity;
  int64_t activity_images = 10000;
  std::optional<uint64_t> faults_chip_seed;
  bool list_passes = false;
  ModelOptions model_options;
  po::options_description desc("options");
  AddCommonOptions(desc, common);
  AddModelOptions(desc, model_options);
  desc.add_options()
      ("model", po::value(&model_path), "model: .xbm, .onnx, or .npy weight files separated by commas")
      ("chip", po::value(&chip_path), "chip description (.textproto, e.g. chips/default.textproto)")
      ("out,o", po::value(&out_path), "plan file to write (.xbp)")
      ("faults", po::value(&faults_path),
       "chip state (.xbcs, e.g. from xbar program --state) whose stuck cells the remap pass moves the weights off")
      ("activity", po::value(&activity),
       "remap: weigh each first-layer input by its mean square over this data set's training images (mnist, "
       "fashion-mnist); default: all inputs alike")
      ("activity-images", po::value(&activity_images)->default_value(activity_images), "training images for --activity")
      ("list-passes", po::bool_switch(&list_passes), "list the passes, their options and statistics, and exit");
  // One flag per pass option, from the passes' own metadata.
  std::map<std::string, std::pair<std::string, std::string>> pass_flags;
  for (const auto& pass : compiler::Passes()) {
    for (const auto& option : pass.options) {
      const std::string flag = std::string(pass.name) + "-" + std::string(option.name);
      pass_flags[flag] = {std::string(pass.name), std::string(option.name)};
      desc.add_options()(flag.c_str(), po::value<std::string>(),
                         (std::string(option.help) + " (default " + std::string(option.default_value) + ")").c_str());
    }
  }
  po::positional_options_description positional;
  positional.add("model", 1);
  po::variables_map vm;
  if (auto code = Parse(name, "MODEL --chip CHIP -o PLAN [options]", argc, argv, desc, &positional, vm)) return *code;
  if (list_passes) {
    std::printf("%s", compiler::FormatPassList().c_str());
    return 0;
  }
  if (model_path.empty() || chip_path.empty() || out_path.empty()) {
    return ReportError(name, Error{ErrorCode::kInvalidArgument,
                                   "MODEL, --chip and -o are required (xbar compile MODEL --chip CHIP -o PLAN)"});
  }
  compiler::CompileOptions options;
  options.threads = common.threads;
  for (const auto& [flag, target] : pass_flags) {
    if (!vm.count(flag)) continue;
    auto ok = compiler::SetPassOption(options, target.first, target.second, vm[flag].as<std::string>());
    if (!ok) return ReportError(name, ok.error());
  }
  if (auto ok = FinishModelOptions(model_options); !ok) return ReportError(name, ok.error());
  auto model = LoadModel(model_path, model_options, vm);
  if (!model) return ReportError(name, model.error());
  auto chip = compiler::ReadChipText(chip_path);
  if (!chip) return ReportError(name, chip.error());
  if (!faults_path.empty()) {
    auto state = compiler::ReadChipState(faults_path);
    if (!state) return ReportError(name, state.error());
    if (state->chip_name != chip->name || state->tile_rows != chip->tiles.rows || state->tile_columns != chip->tiles.columns) {
      return ReportError(name, Error{ErrorCode::kInvalidArgument,
                                     faults_path + ": a state of chip '" + state->chip_name + "' (" +
                                         std::to_string(state->tile_rows) + "x" + std::to_string(state->tile_columns) +
                                         " tiles), not of " + chip_path + " ('" + chip->name + "')"});
    }
    options.remap.faults = std::move(state->tiles);
    faults_chip_seed = state->chip_seed;
  }
  if (!activity.empty()) {
    if (faults_path.empty()) {
      return ReportError(name, Error{ErrorCode::kInvalidArgument, "--activity weighs the remap pass: give --faults too"});
    }
    if (activity_images < 1) {
      return ReportError(name, Error{ErrorCode::kInvalidArgument,
                                     "--activity-images = " + std::to_string(activity_images) + " must be >= 1"});
    }
    auto data = runtime::LoadDataset(activity, runtime::DataDir(common.data_dir), runtime::Split::kTrain, activity_images);
    if (!data) return ReportError(name, data.error());
    if (data->images.rows() != model->weights.front().cols()) {
      return ReportError(name, Error{ErrorCode::kInvalidArgument,
                                     "--activity " + activity + " has " + std::to_string(data->images.rows()) +
                                         " inputs, the model's first layer " +
                                         std::to_string(model->weights.front().cols())});
    }
    const Eigen::VectorXd mean_square = data->images.cast<double>().array().square().rowwise().mean();
    options.remap.input_weight = {std::vector<double>(mean_square.data(), mean_square.data() + mean_square.size())};
  }
  auto plan = compiler::Compile(*model, *chip, options);
  if (!plan) return ReportError(name, plan.error());
  plan->faults_chip_seed = faults_chip_seed;
  if (auto ok = compiler::WritePlan(out_path, *plan); !ok) return ReportError(name, ok.error());

  FILE* out = common.json ? stderr : stdout;  // with --json stdout holds the JSON alone
  const auto& geometry = plan->chip.tiles;
  std::fprintf(out, "%s on %s: %d of %d tiles of %dx%d (%.1f%%), %.1f%% of their usable cells; %s mapping, %s scale\n",
              plan->model_name.c_str(), plan->chip.name.c_str(), plan->TilesUsed(), geometry.count, geometry.rows,
              geometry.columns, 100.0 * plan->TilesUsed() / geometry.count, 100 * plan->CellUtilisation(),
              compiler::MappingSchemeName(plan->scheme), compiler::ScaleGranularityName(plan->scale_granularity));
  runtime::CompileRecord record;
  record.model = model_path;
  record.chip = chip_path;
  record.plan = out_path;
  record.scheme = compiler::MappingSchemeName(plan->scheme);
  record.scale = compiler::ScaleGranularityName(plan->scale_granularity);
  record.tiles_used = plan->TilesUsed();
  record.tiles_available = geometry.count;
  record.cell_utilisation = plan->CellUtilisation();
  record.seconds = plan->compile_seconds;
  for (std::size_t l = 0; l < plan->layers.size(); ++l) {
    const auto& layer = plan->layers[l];
    std::fprintf(out, "  layer %zu (%d -> %d): %zu tiles, quantisation error %.2f%% rms, %.3f%% clipped\n", l,
                layer.inputs, layer.outputs, layer.tiles.size(), 100 * layer.rms_error, 100 * layer.clipped_fraction);
    record.layers.push_back({layer.inputs, layer.outputs, static_cast<int64_t>(layer.tiles.size()), layer.rms_error,
                             layer.max_abs_error, layer.clipped_fraction});
  }
  for (const auto& report : plan->passes) {
    runtime::CompilePassRecord& pass = record.passes.emplace_back(report.pass, report.seconds);
    for (const auto& stat : report.statistics) pass.statistics.emplace_back(stat.name, stat.value);
    std::map<std::string, double> value;
    for (const auto& stat : report.statistics) value[stat.name] = stat.value;
    if (report.pass == "remap") {
      std::fprintf(out, "  remapped %.0f of %.0f tiles with stuck cells (%.0f rows, %.0f bit lines moved): %.0f weights "
                   "a stuck cell leaves wrong before, %.0f after (stuck cells at gain %.2f)\n",
                   value["tiles-remapped"], value["tiles-with-faults"], value["rows-moved"], value["columns-moved"],
                   value["harmful-before"], value["harmful-after"], value["stuck-gain"]);
    }
    if (report.pass == "compensate") {
      std::fprintf(out, "  IR-drop residual ||M^T - G|| / ||G||, mean over tiles: %.2f%% before, %.2f%% after "
                  "compensation (worst tile %.2f%%)\n",
                  100 * value["residual-before"], 100 * value["residual-after"], 100 * value["residual-after-max"]);
    }
  }
  if (!plan->compensated) std::fprintf(out, "  IR-drop compensation off\n");
  std::fprintf(out, "wrote %s in %.1f s\n", out_path.c_str(), plan->compile_seconds);
  EmitJson(common, runtime::ToJson(record));
  return 0;
}

}  // namespace xbar::tools
