// Hardware-aware training's chip model in weight space.
#include "runtime/hardware_aware_training.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "compiler/compile.h"
#include "compiler/plan.h"
#include "device_models/chip_spec.h"
#include "runtime/dataset.h"
#include "runtime/trainer.h"
#include "tests/testing/conv_model.h"

namespace xbar::runtime {
namespace {

// With every nonideality off, the chip realises the compiler's quantisation: q · clip / 15.
TEST(ChipWeightNoise, WithoutNoiseIsTheQuantisation) {
  device_models::ChipSpec chip;
  chip.device.nonidealities.programming.enabled = false;
  chip.device.nonidealities.read.enabled = false;
  chip.device.nonidealities.drift.enabled = false;
  auto noise = ChipWeightNoise::Create(chip, 86400, {});
  ASSERT_TRUE(noise.has_value()) << noise.error().message;
  Rng rng(1);
  Eigen::MatrixXf w = Eigen::MatrixXf::Random(20, 30);
  std::vector<Eigen::MatrixXf> weights = {w};
  (*noise)(weights, rng);
  const float clip = w.cwiseAbs().maxCoeff();
  for (Eigen::Index k = 0; k < w.size(); ++k) {
    const float q = std::round(w.data()[k] / clip * 15);
    EXPECT_NEAR(weights[0].data()[k], q * clip / 15, 1e-5 * clip);
  }
}

// One scale per output (the compiler's --quantize-scale column): each row quantised to its own max.
TEST(ChipWeightNoise, PerOutputScaleQuantisesEachRowToItsOwnMaximum) {
  device_models::ChipSpec chip;
  chip.device.nonidealities.programming.enabled = false;
  chip.device.nonidealities.read.enabled = false;
  chip.device.nonidealities.drift.enabled = false;
  compiler::QuantizeOptions per_output;
  per_output.scale = compiler::ScaleGranularity::kColumn;
  auto noise = ChipWeightNoise::Create(chip, 0, per_output);
  ASSERT_TRUE(noise.has_value());
  Eigen::MatrixXf w = Eigen::MatrixXf::Random(8, 50);
  w.row(3) *= 0.01f;  // a row far below the layer's maximum keeps its 15 levels
  std::vector<Eigen::MatrixXf> weights = {w};
  Rng rng(2);
  (*noise)(weights, rng);
  for (Eigen::Index o = 0; o < w.rows(); ++o) {
    const float clip = w.row(o).cwiseAbs().maxCoeff();
    for (Eigen::Index i = 0; i < w.cols(); ++i) {
      EXPECT_NEAR(weights[0](o, i), std::round(w(o, i) / clip * 15) * clip / 15, 1e-5 * clip) << o << " " << i;
    }
  }
}

// Programming noise: two independent cells of the pair, each N(G, σ(G)²) clipped at 0 S (the
// G- cell sits at g_min = 0.1 uS, where the clip biases it up: a rectified normal).
TEST(ChipWeightNoise, ProgrammingNoiseHasThePresetsSpread) {
  device_models::ChipSpec chip;
  chip.device.nonidealities.read.enabled = false;
  chip.device.nonidealities.drift.enabled = false;
  auto noise = ChipWeightNoise::Create(chip, 0, {});
  ASSERT_TRUE(noise.has_value());
  // Every weight at +clip/3 (level 5 on G+, level 0 on G-), one at +clip to fix the scale.
  Eigen::MatrixXf w = Eigen::MatrixXf::Constant(200, 200, 1.0f / 3);
  w(0, 0) = 1;
  std::vector<Eigen::MatrixXf> weights = {w};
  Rng rng(7);
  (*noise)(weights, rng);
  const double scale = 1.0 / (15 * chip.LevelSpacingS());
  const auto& p = chip.device.nonidealities.programming;
  const double mu = chip.LevelS(0), sigma = p.Sigma(mu), a = mu / sigma;
  const double phi = std::exp(-a * a / 2) / std::sqrt(2 * M_PI), cdf = 0.5 * std::erfc(-a / std::sqrt(2.0));
  const double rect_mean = mu * cdf + sigma * phi;
  const double rect_var = (mu * mu + sigma * sigma) * cdf + mu * sigma * phi - rect_mean * rect_mean;
  const double expected_mean = -scale * (rect_mean - mu);
  const double expected_sd = scale * std::sqrt(std::pow(p.Sigma(chip.LevelS(5)), 2) + rect_var);
  const Eigen::ArrayXf e = (weights[0].array() - 1.0f / 3).reshaped().tail(200 * 200 - 1);
  const double mean = e.cast<double>().mean();
  const double sd = std::sqrt((e.cast<double>() - mean).square().mean());
  const double n = static_cast<double>(e.size());
  EXPECT_NEAR(mean, expected_mean, 4 * expected_sd / std::sqrt(n));
  EXPECT_LT(expected_mean, 0);
  EXPECT_NEAR(sd, expected_sd, 4 * expected_sd / std::sqrt(2 * n));
  EXPECT_GT(expected_sd, 0);
}

TEST(ChipWeightNoise, RejectsNegativeAgesSingleColumnChipsAndBadQuantiserOptions) {
  device_models::ChipSpec chip;
  EXPECT_FALSE(ChipWeightNoise::Create(chip, -1, {}).has_value());
  compiler::QuantizeOptions value_without_clip;
  value_without_clip.clip = compiler::ClipMode::kValue;
  auto bad = ChipWeightNoise::Create(chip, 0, value_without_clip);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message, "hardware-aware training: --quantize-clip value needs --quantize-clip-value > 0");
  chip.columns_per_neuron = 1;
  EXPECT_FALSE(ChipWeightNoise::Create(chip, 0, {}).has_value());
}

// Without noise, hardware-aware training trains against exactly the network the compile maps, for
// every clip mode and scale granularity: bit for bit the plan's targets read back as weights.
TEST(ChipWeightNoise, WithoutNoiseEqualsTheCompiledPlanForEveryClipAndScaleMode) {
  device_models::ChipSpec chip;
  chip.device.nonidealities.programming.enabled = false;
  chip.device.nonidealities.read.enabled = false;
  chip.device.nonidealities.drift.enabled = false;
  std::srand(5);
  compiler::Model model;
  model.name = "hwa";
  model.weights = {Eigen::MatrixXf::Random(24, 150) * 0.3f, Eigen::MatrixXf::Random(10, 24)};
  model.weights[1].row(2) *= 0.01f;
  for (const char* scale : {"layer", "column"}) {
    for (const char* clip : {"max", "value", "percentile"}) {
      SCOPED_TRACE(std::string(scale) + " " + clip);
      compiler::CompileOptions options;
      options.compensate.enabled = false;
      ASSERT_TRUE(compiler::SetPassOption(options, "quantize", "scale", scale).has_value());
      ASSERT_TRUE(compiler::SetPassOption(options, "quantize", "clip", clip).has_value());
      ASSERT_TRUE(compiler::SetPassOption(options, "quantize", "clip-value", "0.1").has_value());
      ASSERT_TRUE(compiler::SetPassOption(options, "quantize", "clip-percentile", "95").has_value());
      auto plan = compiler::Compile(model, chip, options);
      ASSERT_TRUE(plan.has_value()) << plan.error().message;
      auto mapped = compiler::WeightsFromPlan(*plan, compiler::TargetConductances(*plan), false);
      ASSERT_TRUE(mapped.has_value());
      auto noise = ChipWeightNoise::Create(chip, 86400, options.quantize);
      ASSERT_TRUE(noise.has_value()) << noise.error().message;
      std::vector<Eigen::MatrixXf> weights = model.weights;
      Rng rng(3);
      (*noise)(weights, rng);
      for (std::size_t l = 0; l < weights.size(); ++l) {
        EXPECT_TRUE((weights[l].array() == mapped->weights[l].array()).all()) << "layer " << l;
        EXPECT_FALSE((weights[l].array() == model.weights[l].array()).all()) << "layer " << l;
      }
    }
  }
}

// 1x8x8 images: c3k3b-a2-c4k2-5 (kernel matrices 3 x 10 with the bias column, 4 x 12; dense 5 x 16).
compiler::Model ConvModel() {
  return ::xbar::testing::RandomConvModel("c3k3b-a2-c4k2-5", {1, 8, 8}, 5, 17, 0.3f, "hwa-conv");
}

// A convolution's kernel matrix is a weight matrix to the chip model: without noise, what the conv
// plan (both copies of its kernels) maps; with noise, a draw per seed that keeps every shape.
TEST(ChipWeightNoise, ConvKernelMatricesAreWhatTheConvPlanMapsAndNoiseMovesThem) {
  const compiler::Model model = ConvModel();
  device_models::ChipSpec ideal;
  ideal.device.nonidealities.programming.enabled = false;
  ideal.device.nonidealities.read.enabled = false;
  ideal.device.nonidealities.drift.enabled = false;
  compiler::CompileOptions options;
  options.compensate.enabled = false;
  ASSERT_TRUE(compiler::SetPassOption(options, "conv", "replicas", "2").has_value());
  auto plan = compiler::Compile(model, ideal, options);
  ASSERT_TRUE(plan.has_value()) << plan.error().message;
  ASSERT_EQ(plan->layers[0].replicas, 2);
  auto exact = ChipWeightNoise::Create(ideal, 86400, options.quantize);
  ASSERT_TRUE(exact.has_value()) << exact.error().message;
  std::vector<Eigen::MatrixXf> quantised = model.weights;
  Rng rng(3);
  (*exact)(quantised, rng);
  for (int r = 0; r < 2; ++r) {
    auto mapped = compiler::WeightsFromPlan(*plan, compiler::TargetConductances(*plan), false, 0, r);
    ASSERT_TRUE(mapped.has_value()) << mapped.error().message;
    for (std::size_t l = 0; l < quantised.size(); ++l) {
      EXPECT_TRUE((quantised[l].array() == mapped->weights[l].array()).all()) << "copy " << r << " layer " << l;
    }
  }
  // Every nonideality of the default chip on.
  auto noisy = ChipWeightNoise::Create(device_models::ChipSpec{}, 86400, {});
  ASSERT_TRUE(noisy.has_value()) << noisy.error().message;
  auto draw = [&](uint64_t seed) {
    std::vector<Eigen::MatrixXf> w = model.weights;
    Rng seeded(seed);
    (*noisy)(w, seeded);
    return w;
  };
  const std::vector<Eigen::MatrixXf> a = draw(5), again = draw(5), other = draw(6);
  for (std::size_t l = 0; l < a.size(); ++l) {
    ASSERT_EQ(a[l].rows(), model.weights[l].rows()) << l;
    ASSERT_EQ(a[l].cols(), model.weights[l].cols()) << l;
    EXPECT_TRUE((a[l].array() == again[l].array()).all()) << "layer " << l << ": the same seed, another draw";
    EXPECT_FALSE((a[l].array() == other[l].array()).all()) << "layer " << l;
    EXPECT_FALSE((a[l].array() == quantised[l].array()).all()) << "layer " << l << ": no noise";
    EXPECT_GT((a[l] - model.weights[l]).cwiseAbs().maxCoeff(), 0) << l;
  }
}

// Hardware-aware training of a convolutional network: the perturbation reaches the convolution's
// training (another result than clean training from the same seed), deterministically.
TEST(ChipWeightNoise, TrainsAConvolutionalNetworkThroughThePerturbation) {
  const compiler::Model model = ConvModel();
  Dataset data;
  data.name = "random";
  data.classes = 5;
  data.width = data.height = 8;
  data.images = (Eigen::MatrixXf::Random(64, 40).array() + 1.0f) / 2;
  for (int s = 0; s < 40; ++s) data.labels.push_back(static_cast<uint8_t>(s % 5));
  auto noise = ChipWeightNoise::Create(device_models::ChipSpec{}, 86400, {});
  ASSERT_TRUE(noise.has_value());
  TrainOptions options;
  options.layers = model.layers;
  options.encoding.steps = 10;
  options.encoding.period = 2;
  options.batch_size = 8;
  options.threads = 1;
  options.quiet = true;
  options.learning_rate = 1e-2;
  auto clean = Train(options, data, nullptr);
  options.perturb = *noise;
  auto aware = Train(options, data, nullptr);
  auto aware_again = Train(options, data, nullptr);
  ASSERT_TRUE(clean.has_value() && aware.has_value() && aware_again.has_value());
  EXPECT_EQ(compiler::DescribeArchitecture(aware->layers), "1x8x8-c3k3b-a2-c4k2-5");
  ASSERT_EQ(aware->weights.size(), 3u);
  for (std::size_t l = 0; l < 3; ++l) {
    ASSERT_EQ(aware->weights[l].rows(), model.weights[l].rows()) << l;
    ASSERT_EQ(aware->weights[l].cols(), model.weights[l].cols()) << l;
    EXPECT_TRUE((aware->weights[l].array() == aware_again->weights[l].array()).all()) << l;
    EXPECT_FALSE((aware->weights[l].array() == clean->weights[l].array()).all()) << l;
  }
}

}  // namespace
}  // namespace xbar::runtime
