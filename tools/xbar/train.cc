// xbar train: maps flags onto runtime::TrainOptions, trains, writes the model file.
#include <cstdio>
#include <iostream>

#include "compiler/compile.h"
#include "compiler/model_io.h"
#include "runtime/dataset.h"
#include "runtime/hardware_aware_training.h"
#include "runtime/result_text.h"
#include "runtime/trainer.h"
#include "tools/xbar/cli.h"

namespace xbar::tools {

int RunTrain(int argc, char** argv) {
  const std::string name = "train";
  CommonOptions common;
  runtime::TrainOptions opt;
  ModelOptions model_options;
  std::string dataset, hidden = "256", arch, out, init_path, hwa_chip, hwa_age = "1d", hwa_scale = "layer";
  int64_t limit = 0, test_limit = 0;
  po::options_description desc("options");
  AddCommonOptions(desc, common);
  desc.add_options()
      ("dataset", po::value(&dataset)->required(), "mnist or fashion-mnist")
      ("hidden", po::value(&hidden)->default_value(hidden), "hidden layer sizes, e.g. 256 or 512,256")
      ("arch", po::value(&arch),
       "the network instead of --hidden: a description such as c16k5p2-a2-c32k5-a2-10 (docs/conv.md) or "
       "a text proto file (.textproto) of an xbar.v1.Model's layers")
      ("epochs", po::value(&opt.epochs)->default_value(opt.epochs), "passes over the training set")
      ("batch", po::value(&opt.batch_size)->default_value(opt.batch_size), "samples per Adam step")
      ("limit", po::value(&limit)->default_value(0), "train on the first N training images (0: all)")
      ("test-limit", po::value(&test_limit)->default_value(0),
       "evaluate on the first N test images after each epoch (0: all, -1: none)")
      ("lr", po::value(&opt.learning_rate)->default_value(opt.learning_rate), "Adam step size")
      ("final-lr-fraction", po::value(&opt.final_lr_fraction)->default_value(opt.final_lr_fraction),
       "cosine decay to this fraction of --lr (1: constant)")
      ("clip", po::value(&opt.clip_norm)->default_value(opt.clip_norm), "global gradient norm limit (0: off)")
      ("init-gain", po::value(&opt.init_gain)->default_value(opt.init_gain),
       "initial weights N(0, gain^2/fan_in)")
      ("shift", po::value(&opt.shift_px)->default_value(0), "augment: random shifts of up to N pixels")
      ("flip", po::bool_switch(&opt.flip), "augment: random horizontal flips (for clothing, not digits)")
      ("rail-penalty", po::value(&opt.rail_penalty)->default_value(opt.rail_penalty),
       "loss per volt of time-mean membrane beyond --rail-margin times a rail, per neuron (needs --rails-mv; "
       "keeps the membranes off the rails; 0: off)")
      ("rail-margin", po::value(&opt.rail_margin)->default_value(opt.rail_margin),
       "fraction of the rails where --rail-penalty starts, (0, 1)")
      ("init", po::value(&init_path),
       "fine-tune: start from this model (.xbm, .onnx or .npy files; its layers, neuron and encoding)")
      ("hwa-chip", po::value(&hwa_chip),
       "hardware-aware training: every minibatch runs on what this chip would realise (quantised, "
       "programming noise, drift and read noise at --hwa-age, global drift compensation)")
      ("hwa-age", po::value(&hwa_age)->default_value(hwa_age), "age of the chip in hardware-aware training")
      ("hwa-scale", po::value(&hwa_scale)->default_value(hwa_scale),
       "quantiser scale in hardware-aware training: layer or column (compile with the same --quantize-scale)")
      ("out,o", po::value(&out)->required(), "model file to write (.xbm), after every epoch");
  // --hwa-clip, --hwa-clip-value, --hwa-clip-percentile: the compile's --quantize-clip* options.
  for (const auto& option : compiler::Passes().front().options) {
    if (!option.name.starts_with("clip")) continue;
    desc.add_options()(("hwa-" + std::string(option.name)).c_str(), po::value<std::string>(),
                       ("hardware-aware training, as the compile's --quantize-" + std::string(option.name) + ": " +
                        std::string(option.help) + " (default " + option.default_value + ")")
                           .c_str());
  }
  AddModelOptions(desc, model_options);
  po::variables_map vm;
  if (auto code = Parse(name, "--dataset D --out MODEL.xbm [options]", argc, argv, desc, nullptr, vm)) return *code;
  auto sizes = runtime::ParseLayerSizes(hidden, "hidden");
  if (!sizes) return ReportError(name, sizes.error());
  opt.hidden = *sizes;
  opt.seed = common.seed;
  opt.threads = common.threads;
  opt.quiet = common.quiet;
  if (auto ok = FinishModelOptions(model_options); !ok) return ReportError(name, ok.error());
  opt.neuron = model_options.import.neuron;
  opt.encoding = model_options.import.encoding;
  if (limit < 0) {
    return ReportError(name, Error{ErrorCode::kInvalidArgument, "--limit = " + std::to_string(limit) + " must be >= 0"});
  }
  if (!init_path.empty()) {
    if (!arch.empty()) return ReportError(name, Error{ErrorCode::kInvalidArgument, "--arch and --init exclude each other"});
    auto init = LoadModel(init_path, model_options, vm);
    if (!init) return ReportError(name, init.error());
    opt.StartFrom(*init);
  }
  if (!hwa_chip.empty()) {
    std::vector<std::pair<std::string, std::string>> quantize;
    for (std::string option : {"scale", "clip", "clip-value", "clip-percentile"}) {
      if (vm.count("hwa-" + option)) quantize.emplace_back(option, vm["hwa-" + option].as<std::string>());
    }
    auto noise = runtime::ChipWeightNoise::FromFlags(hwa_chip, hwa_age, quantize);
    if (!noise) return ReportError(name, noise.error());
    // Training sees the chip's limits, as the chip model applies them.
    opt.neuron = noise->chip().OnChip(opt.neuron);
    opt.encoding.drive_limit_mv = noise->chip().analog.DriveLimitMv();
    opt.perturb = *noise;
  }
  if (auto ok = opt.Validate(); !ok) return ReportError(name, ok.error());
  if (auto ok = CheckOutputFolder(out); !ok) return ReportError(name, ok.error());
  const std::string data_dir = runtime::DataDir(common.data_dir);
  auto train = runtime::LoadDataset(dataset, data_dir, runtime::Split::kTrain, limit);
  if (!train) return ReportError(name, train.error());
  std::optional<runtime::Dataset> test;
  if (test_limit >= 0) {
    auto loaded = runtime::LoadDataset(dataset, data_dir, runtime::Split::kTest, test_limit);
    if (!loaded) return ReportError(name, loaded.error());
    test = std::move(*loaded);
  }
  if (!arch.empty()) {
    auto layers = compiler::LoadArchitecture(arch, {1, train->height, train->width}, train->classes);
    if (!layers) return ReportError(name, layers.error());
    opt.layers = *layers;
  }
  const std::string sizes_text =
      compiler::DescribeArchitecture(opt.Network(static_cast<int>(train->images.rows()), train->classes));
  if (!common.quiet) std::cerr << runtime::TrainBanner(dataset, sizes_text, train->size(), opt) << std::endl;
  Json epochs = Json::array();
  Expected<void> written;  // the model file is written after every epoch: a stopped run keeps its last
  auto model = runtime::Train(opt, *train, test ? &*test : nullptr, [&](const runtime::EpochStats& s, auto m) {
    std::cerr << runtime::EpochSummary(s, opt.epochs) << std::endl;
    epochs.push_back(runtime::ToJson(s));
    m.name = dataset + "-mif-" + sizes_text;
    m.training.command = CommandLine(argc + 1, argv - 1);
    if (written) written = compiler::WriteModel(out, m);
  });
  if (!model) return ReportError(name, model.error());
  if (!written) return ReportError(name, written.error());
  std::fprintf(stderr, "wrote %s (%s-mif-%s, %.1f s)\n", out.c_str(), dataset.c_str(), sizes_text.c_str(),
               model->training.wall_time_s);
  EmitJson(common, Json::object({{"model", out},
                                 {"dataset", dataset},
                                 {"layers", sizes_text},
                                 {"test_accuracy", test ? Json(model->training.test_accuracy) : Json()},
                                 {"test_samples", model->training.test_samples},
                                 {"wall_time_s", model->training.wall_time_s},
                                 {"epochs", epochs}}));
  return 0;
}

}  // namespace xbar::tools
