// Training throughput of xbar's BPTT on a MIF network (784-H-10 or --arch, T, P, batch), in samples/s.
// Prints one JSON line with the median of the repeats; bench/train compares it with PyTorch.
// With --dump DIR it trains nothing: it writes random weights, the first --samples MNIST training
// images and xbar's logits on them as .npy files, for `bench/mif_torch.py --check`.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "compiler/layer_shape.h"
#include "runtime/dataset.h"
#include "runtime/snn.h"
#include "runtime/trainer.h"
#include "support/npy.h"
#include "support/rng.h"

namespace {

using xbar::runtime::Mat;

// N(0, 1/fan_in) weights, as the trainer draws them, and biases the size of the drive a layer's
// other inputs give it (layer 0: an image; later layers: 100 mV / inter_layer_scale), so that a
// wrong bias path shows in the logits.
std::vector<Mat<float>> RandomWeights(const std::vector<xbar::compiler::LayerShape>& shapes,
                                      const xbar::compiler::Encoding& encoding) {
  xbar::Rng rng(xbar::DeriveSeed(7, 0));
  std::vector<Mat<float>> weights;
  for (std::size_t l = 0; l < shapes.size(); ++l) {
    const auto& shape = shapes[l];
    Mat<float> w(shape.matrix_rows(), shape.matrix_cols());
    const double sd = 1.0 / std::sqrt(static_cast<double>(shape.fan_in()));
    for (Eigen::Index c = 0; c < w.cols(); ++c) {
      const bool bias_column = c == shape.fan_in();
      const double scale = bias_column && l > 0 ? 100.0 / encoding.inter_layer_scale : 1.0;
      for (Eigen::Index r = 0; r < w.rows(); ++r) w(r, c) = static_cast<float>(sd * scale * xbar::NormalDraw(rng));
    }
    weights.push_back(std::move(w));
  }
  return weights;
}

// Writes w<l>.npy (one per layer, the weight matrices), x.npy (samples x pixels) and logits.npy
// (samples x classes, SnnEngine<float> as training runs it) into `dir`.
int Dump(const std::string& dir, const std::vector<xbar::compiler::LayerShape>& layers,
         const xbar::runtime::TrainOptions& opt, const xbar::runtime::Dataset& data) {
  std::filesystem::create_directories(dir);
  const auto weights = RandomWeights(layers, opt.encoding);
  xbar::runtime::SnnEngine<float> engine(opt.neuron, opt.encoding, layers);
  const Mat<float> logits = engine.Forward(weights, data.images, false);
  std::vector<std::pair<std::string, Eigen::MatrixXd>> files;
  for (std::size_t l = 0; l < weights.size(); ++l) {
    files.emplace_back("w" + std::to_string(l) + ".npy", weights[l].cast<double>());
  }
  files.emplace_back("x.npy", data.images.transpose().cast<double>());
  files.emplace_back("logits.npy", logits.transpose().cast<double>());
  for (const auto& [name, matrix] : files) {
    if (auto ok = xbar::WriteNpy(dir + "/" + name, matrix); !ok) {
      std::fprintf(stderr, "train_bench: %s\n", ok.error().message.c_str());
      return 1;
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int samples = 7680, hidden = 128, repeats = 3, threads = 0, steps = 100, period = 20;
  std::string arch, dump;
  for (int i = 1; i < argc; i += 2) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "train_bench: %s needs a value\n", argv[i]);
      return 2;
    }
    const std::string text = argv[i + 1];
    const int value = std::atoi(argv[i + 1]);
    if (flag == "--samples") samples = value;
    else if (flag == "--hidden") hidden = value;
    else if (flag == "--repeats") repeats = value;
    else if (flag == "--threads") threads = value;
    else if (flag == "--steps") steps = value;
    else if (flag == "--period") period = value;
    else if (flag == "--arch") arch = text;
    else if (flag == "--dump") dump = text;
    else {
      std::fprintf(stderr,
                   "train_bench: unknown flag %s (--samples --hidden --arch --steps --period --repeats --threads "
                   "--dump)\n",
                   argv[i]);
      return 2;
    }
  }
  if (samples < 1 || repeats < 1 || hidden < 1) {
    std::fprintf(stderr, "train_bench: --samples, --repeats and --hidden must be at least 1\n");
    return 2;
  }
  std::vector<xbar::compiler::LayerShape> layers = xbar::compiler::DenseShapes({784, hidden, 10});
  if (!arch.empty()) {
    auto parsed = xbar::compiler::ParseArchitecture(arch, {1, 28, 28}, 10);
    if (!parsed) {
      std::fprintf(stderr, "train_bench: %s\n", parsed.error().message.c_str());
      return 2;
    }
    layers = *parsed;
  }
  xbar::runtime::TrainOptions opt;
  opt.hidden = {hidden};
  if (!xbar::compiler::AllPlainDense(layers)) opt.layers = layers;  // else the trainer's dense path, as before
  opt.epochs = 1;
  opt.batch_size = 128;
  opt.quiet = true;
  opt.threads = threads;
  opt.encoding.steps = steps;
  opt.encoding.period = period;
  if (auto ok = opt.Validate(); !ok) {
    std::fprintf(stderr, "train_bench: %s\n", ok.error().message.c_str());
    return 2;
  }
  auto data = xbar::runtime::LoadDataset("mnist", xbar::runtime::DataDir(""), xbar::runtime::Split::kTrain, samples);
  if (!data) {
    std::fprintf(stderr, "train_bench: %s\n", data.error().message.c_str());
    return 1;
  }
  if (!dump.empty()) return Dump(dump, layers, opt, *data);
  std::vector<double> rates;
  for (int r = 0; r < repeats; ++r) {
    double rate = 0;
    auto model = xbar::runtime::Train(opt, *data, nullptr, [&](const xbar::runtime::EpochStats& s, const xbar::compiler::Model&) { rate = s.samples_per_s; });
    if (!model) {
      std::fprintf(stderr, "train_bench: %s\n", model.error().message.c_str());
      return 1;
    }
    rates.push_back(rate);
  }
  std::sort(rates.begin(), rates.end());
  std::printf("{\"impl\": \"xbar\", \"arch\": \"%s\", \"samples\": %d, \"hidden\": %d, \"repeats\": %d, "
              "\"samples_per_s\": %.1f}\n",
              xbar::compiler::DescribeArchitecture(layers).c_str(), samples, hidden, repeats, rates[rates.size() / 2]);
  return 0;
}
