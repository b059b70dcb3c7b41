// xbar compile: map a model onto a chip's tiles and write the plan (.xbp).
#include <cmath>
#include <cstdio>
#include <map>
#include <utility>
#include <optional>

#include "compiler/artifact_check.h"
#include "compiler/chip_io.h"
#include "compiler/compile.h"
#include "compiler/chip_state_io.h"
#include "compiler/plan_io.h"
#include "runtime/dataset.h"
#include "runtime/rails.h"
#include "runtime/result_text.h"
#include "runtime/trainer.h"
#include "support/format.h"
#include "tools/xbar/cli.h"

namespace xbar::tools {

int RunCompile(int argc, char** argv) {
  const std::string name = "compile";
  CommonOptions common;
  std::string model_path, chip_path, out_path, faults_path, activity;
  int64_t activity_images = 10000;
  std::string rails_check;
  int64_t rails_check_images = 500;
  std::optional<uint64_t> faults_chip_seed;
  bool list_passes = false;
  ModelOptions model_options;
  po::options_description desc("options");
  AddCommonOptions(desc, common);
  AddModelOptions(desc, model_options);
  desc.add_options()
      ("model", po::value(&model_path), "model: .xbm, .onnx, .nir (a NIR graph, docs/nir.md), or .npy weight files separated by commas")
      ("chip", po::value(&chip_path), "chip description (.textproto, e.g. chips/default.textproto)")
      ("out,o", po::value(&out_path), "plan file to write (.xbp)")
      ("faults", po::value(&faults_path),
       "chip state (.xbcs, e.g. from xbar program --state) whose stuck cells the remap pass moves the weights off")
      ("activity", po::value(&activity),
       "remap: weigh each first-layer input by its mean square over this data set's training images (mnist, "
       "fashion-mnist); default: all inputs alike")
      ("activity-images", po::value(&activity_images)->default_value(activity_images), "training images for --activity")
      ("rails-check", po::value(&rails_check),
       "run the model on this data set's test images (mnist, fashion-mnist) as trained and within the chip's rails "
       "and drive limit, and say how often its membranes would sit at a rail, where, and the accuracy (default: "
       "the data set it was trained on, when its rails or drive limit are wider than the chip's; none: never)")
      ("rails-check-images", po::value(&rails_check_images)->default_value(rails_check_images),
       "test images for --rails-check")
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
    if (auto ok = compiler::CheckStateFitsChip(*state, *chip, faults_path, chip_path); !ok) {
      return ReportError(name, ok.error());
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
    auto weights = runtime::InputActivity(*data, model->Shapes().front(), activity);
    if (!weights) return ReportError(name, weights.error());
    options.remap.input_weight = {std::move(*weights)};
  }
  // A model whose limits are wider than the chip's is measured within them on the data set it was
  // trained on, unless told otherwise: the warning then says how often and where it saturates.
  const std::string rail_warning = runtime::RailWarning(*model, *chip);
  bool rails_check_auto = false;
  if (rails_check.empty() && !rail_warning.empty() && !model->training.dataset.empty() &&
      model->training.dataset != "import") {
    rails_check = model->training.dataset;
    rails_check_auto = true;
  }
  if (rails_check == "none") rails_check.clear();
  if (model->Spiking() && !rails_check.empty()) {
    return ReportError(name, Error{ErrorCode::kInvalidArgument, "--rails-check runs MIF networks on images; '" +
                                                                    model_path + "' is a network of NIR populations"});
  }
  std::string rails_text;
  if (!rails_check.empty()) {
    if (rails_check_images < 1) {
      return ReportError(name, Error{ErrorCode::kInvalidArgument,
                                     "--rails-check-images = " + std::to_string(rails_check_images) + " must be >= 1"});
    }
    auto data = runtime::LoadDataset(rails_check, runtime::DataDir(common.data_dir), runtime::Split::kTest,
                                     rails_check_images);
    if (!data && rails_check_auto) {
      rails_text = "rails check not run: " + data.error().message + " (--rails-check DATASET to choose one)\n";
    } else {
      if (!data) return ReportError(name, data.error());
      auto check = runtime::CheckRails(*model, *chip, *data, common.threads);
      if (!check) return ReportError(name, check.error());
      rails_text = runtime::RailsCheckText(*check, data->name);
    }
  }
  auto plan = compiler::Compile(*model, *chip, options);
  if (!plan) return ReportError(name, plan.error());
  plan->faults_chip_seed = faults_chip_seed;
  if (auto ok = compiler::WritePlan(out_path, *plan); !ok) return ReportError(name, ok.error());

  // With --json stdout holds the JSON alone.
  std::fputs(runtime::CompileSummary(*plan, out_path).c_str(), common.json ? stderr : stdout);
  std::fputs(rail_warning.c_str(), stderr);
  std::fputs(rails_text.c_str(), rails_check_auto || common.json ? stderr : stdout);
  EmitJson(common, runtime::ToJson(runtime::MakeCompileRecord(*plan, model_path, chip_path, out_path)));
  return 0;
}

}  // namespace xbar::tools
