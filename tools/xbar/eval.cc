// xbar eval: test accuracy of a model on a data set.
#include <cstdio>

#include "runtime/dataset.h"
#include "runtime/results.h"
#include "runtime/trainer.h"
#include "tools/xbar/cli.h"

namespace xbar::tools {

int RunEval(int argc, char** argv) {
  const std::string name = "eval";
  CommonOptions common;
  ModelOptions model_options;
  std::string model_path, dataset;
  int64_t limit = 0;
  po::options_description desc("options");
  AddCommonOptions(desc, common);
  desc.add_options()
      ("model", po::value(&model_path)->required(),
       "model: a .xbm file, a .onnx file (Conv/MatMul/Gemm layers) or .npy weight files (inputs x "
       "outputs) separated by commas. ONNX and .npy weights get the neuron and encoding options "
       "below; a .xbm file keeps its own, except for those options given explicitly")
      ("dataset", po::value(&dataset), "mnist or fashion-mnist (default: the one it was trained on)")
      ("limit", po::value(&limit)->default_value(0), "evaluate on the first N test images (0: all)");
  AddModelOptions(desc, model_options);
  po::positional_options_description positional;
  positional.add("model", 1);
  po::variables_map vm;
  if (auto code = Parse(name, "--model MODEL [--dataset D] [options]", argc, argv, desc, &positional, vm)) {
    return *code;
  }
  if (limit < 0) {
    return ReportError(name, Error{ErrorCode::kInvalidArgument, "--limit = " + std::to_string(limit) + " must be >= 0"});
  }
  if (auto ok = FinishModelOptions(model_options); !ok) return ReportError(name, ok.error());
  auto model = LoadModel(model_path, model_options, vm);
  if (!model) return ReportError(name, model.error());
  if (dataset.empty()) dataset = model->training.dataset;
  if (dataset.empty() || dataset == "import") {
    return ReportError(name, Error{ErrorCode::kInvalidArgument, "--dataset is needed: " + model_path +
                                                                    " does not name the data set it was trained on"});
  }
  auto data = runtime::LoadDataset(dataset, runtime::DataDir(common.data_dir), runtime::Split::kTest, limit);
  if (!data) return ReportError(name, data.error());
  auto result = runtime::Evaluate(*model, *data, common.threads, common.quiet);
  if (!result) return ReportError(name, result.error());
  // The result line is the output; with --json the JSON object is, and the line goes to stderr.
  std::fprintf(common.json ? stderr : stdout, "%s on %s test (%llu images): accuracy %.2f%% (%llu correct), loss %.4f, %.1f s\n",
              model->name.c_str(), dataset.c_str(), static_cast<unsigned long long>(result->samples),
              100 * result->accuracy(), static_cast<unsigned long long>(result->correct), result->loss,
              result->seconds);
  EmitJson(common, runtime::ToJson(runtime::EvalRecord{.model = model_path,
                                                       .dataset = dataset,
                                                       .steps = model->encoding.steps,
                                                       .period = model->encoding.period,
                                                       .samples = static_cast<int64_t>(result->samples),
                                                       .correct = static_cast<int64_t>(result->correct),
                                                       .accuracy = result->accuracy(),
                                                       .loss = result->loss,
                                                       .seconds = result->seconds,
                                                       .peak_membrane_v = result->range.peak_membrane_mv * 1e-3,
                                                       .membrane_at_rail_fraction = result->range.at_rail_fraction(),
                                                       .drive_clipped_fraction = result->range.clipped_fraction()}));
  return 0;
}

}  // namespace xbar::tools
