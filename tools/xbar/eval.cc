// xbar eval: test accuracy of a model on a data set.
#include <cstdio>

#include <chrono>

#include "compiler/nir.h"
#include "runtime/dataset.h"
#include "runtime/nir_sim.h"
#include "runtime/results.h"
#include "support/format.h"
#include "support/npy.h"
#include "runtime/trainer.h"
#include "tools/xbar/cli.h"

namespace xbar::tools {
namespace {

// xbar eval --model net.nir --spikes in.npy: the graph in software on spike trains (docs/nir.md).
int EvalNir(const std::string& name, const CommonOptions& common, const std::string& model_path,
            const compiler::NirRunOptions& options, const SpikeFlags& o) {
  const auto start = std::chrono::steady_clock::now();
  if (o.spikes.empty()) {
    return ReportError(name, Error{ErrorCode::kInvalidArgument, "a NIR model runs on spike trains: give --spikes in.npy"});
  }
  auto graph = compiler::ReadNir(model_path);
  if (!graph) return ReportError(name, graph.error());
  auto net = runtime::NirNetwork::Create(std::move(*graph), options, model_path);
  if (!net) return ReportError(name, net.error());
  auto data = ReadSpikeData(o, net->outputs());
  if (!data) return ReportError(name, data.error());
  const std::vector<int>& labels = data->labels;
  auto batch = runtime::RunNirSpikes(*net, data->spikes, o.spikes, common.threads);
  if (!batch) return ReportError(name, batch.error());
  int64_t correct = 0;
  if (!labels.empty()) {
    auto counted = batch->Correct(labels, o.labels);
    if (!counted) return ReportError(name, counted.error());
    correct = *counted;
  }
  if (auto ok = WriteSpikeOutputs(o, *batch); !ok) return ReportError(name, ok.error());
  const double spikes_out = batch->output_total;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::string line = model_path + " (NIR " + net->graph().version + ", " + std::to_string(net->graph().nodes.size()) +
                     " nodes) on " + o.spikes + ": " + std::to_string(batch->samples) + " samples x " +
                     std::to_string(batch->steps) + " steps, output total " + FormatNumber(spikes_out);
  if (!labels.empty()) {
    char text[64];
    std::snprintf(text, sizeof text, ", accuracy %.2f%% (%lld correct)",
                  100.0 * static_cast<double>(correct) / static_cast<double>(labels.size()), static_cast<long long>(correct));
    line += text;
  }
  std::fprintf(common.json ? stderr : stdout, "%s, %.2f s\n", line.c_str(), seconds);
  Json json = {{"model", model_path},         {"nir_version", net->graph().version},
               {"spikes", o.spikes},          {"samples", batch->samples},
               {"steps", batch->steps},       {"outputs", net->outputs()},
               {"dt_s", options.dt_s},              {"output_total", spikes_out},
               {"decisions", batch->decisions}};
  if (!labels.empty()) {
    json["correct"] = correct;
    json["accuracy"] = static_cast<double>(correct) / static_cast<double>(labels.size());
  }
  json["seconds"] = seconds;
  EmitJson(common, json);
  return 0;
}

}  // namespace

int RunEval(int argc, char** argv) {
  const std::string name = "eval";
  CommonOptions common;
  ModelOptions model_options;
  std::string model_path, dataset;
  int64_t limit = 0;
  SpikeFlags nir;
  po::options_description desc("options");
  AddCommonOptions(desc, common);
  desc.add_options()
      ("model", po::value(&model_path)->required(),
       "model: a .xbm file, a .nir graph (run on --spikes), a .onnx file (Conv/MatMul/Gemm layers) or .npy weight "
       "files (inputs x outputs) separated by commas. ONNX and .npy weights get the neuron and encoding options "
       "below; a .xbm file keeps its own, except for those options given explicitly")
      ("dataset", po::value(&dataset), "mnist or fashion-mnist (default: the one it was trained on)")
      ("limit", po::value(&limit)->default_value(0), "evaluate on the first N test images (0: all)");
  AddSpikeOptions(desc, nir, "NIR models (.nir)");
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
  const bool is_nir = model_path.size() > 4 && model_path.ends_with(".nir");
  if (is_nir) return EvalNir(name, common, model_path, model_options.import.nir, nir);
  for (const char* flag : {"spikes", "labels", "out", "membranes"}) {
    if (vm.count(flag)) {
      return ReportError(name, Error{ErrorCode::kInvalidArgument,
                                     std::string("--") + flag + " is for NIR models (.nir); " + model_path + " is not one"});
    }
  }
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
