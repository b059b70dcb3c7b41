// Hardware-aware training's chip model in weight space.
#include "runtime/hardware_aware_training.h"

#include <gtest/gtest.h>

#include <cmath>

#include "device_models/chip_spec.h"

namespace xbar::runtime {
namespace {

// With every nonideality off, the chip realises the compiler's quantisation: q · clip / 15.
TEST(ChipWeightNoise, WithoutNoiseIsTheQuantisation) {
  device_models::ChipSpec chip;
  chip.device.nonidealities.programming.enabled = false;
  chip.device.nonidealities.read.enabled = false;
  chip.device.nonidealities.drift.enabled = false;
  auto noise = ChipWeightNoise::Create(chip, 86400);
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
  auto noise = ChipWeightNoise::Create(chip, 0, true);
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
  auto noise = ChipWeightNoise::Create(chip, 0);
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

TEST(ChipWeightNoise, RejectsNegativeAgesAndSingleColumnChips) {
  device_models::ChipSpec chip;
  EXPECT_FALSE(ChipWeightNoise::Create(chip, -1).has_value());
  chip.columns_per_neuron = 1;
  EXPECT_FALSE(ChipWeightNoise::Create(chip, 0).has_value());
}

}  // namespace
}  // namespace xbar::runtime
