// Hardware-aware training's chip model in weight space.
#include "runtime/hardware_aware_training.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "compiler/compile.h"
#include "compiler/plan.h"
#include "device_models/chip_spec.h"

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

}  // namespace
}  // namespace xbar::runtime
