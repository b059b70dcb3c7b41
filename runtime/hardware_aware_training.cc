#include "runtime/hardware_aware_training.h"

#include <algorithm>
#include <cmath>

#include "device_models/nonidealities.h"

namespace xbar::runtime {

Expected<ChipWeightNoise> ChipWeightNoise::Create(const device_models::ChipSpec& chip, double age_s,
                                                  bool per_output_scale) {
  if (auto ok = chip.Validate(); !ok) return std::unexpected(ok.error());
  if (chip.columns_per_neuron != 2) {
    return Fail(ErrorCode::kInvalidArgument, "hardware-aware training models differential pairs; chip '" +
                                                 chip.name + "' has columns_per_neuron " +
                                                 std::to_string(chip.columns_per_neuron));
  }
  if (!std::isfinite(age_s) || age_s < 0) {
    return Fail(ErrorCode::kInvalidArgument, "hardware-aware training: age " + std::to_string(age_s) +
                                                 " s must be finite and >= 0");
  }
  ChipWeightNoise noise;
  noise.chip_ = chip;
  noise.age_s_ = age_s;
  noise.per_output_scale_ = per_output_scale;
  return noise;
}

void ChipWeightNoise::operator()(std::vector<Eigen::MatrixXf>& weights, Rng& rng) const {
  const device_models::Nonidealities& n = chip_.device.nonidealities;
  const int steps = chip_.conductance_levels - 1;
  const double spacing = chip_.LevelSpacingS(), g_min = chip_.LevelS(0);
  const uint64_t base = rng();
  for (std::size_t l = 0; l < weights.size(); ++l) {
    Eigen::MatrixXf& w = weights[l];
    const double layer_clip = std::max(static_cast<double>(w.cwiseAbs().maxCoeff()), 1e-30);
    Eigen::VectorXd clips = Eigen::VectorXd::Constant(w.rows(), layer_clip);
    if (per_output_scale_) {
      clips = w.cwiseAbs().rowwise().maxCoeff().cast<double>().cwiseMax(1e-30);
    }
    Eigen::MatrixXd gp(w.rows(), w.cols()), gn(w.rows(), w.cols());
    double programmed = 0, drifted = 0;
#pragma omp parallel for schedule(static) reduction(+ : programmed, drifted)
    for (Eigen::Index o = 0; o < w.rows(); ++o) {
      Rng row_rng(DeriveSeed(DeriveSeed(base, l), static_cast<uint64_t>(o)));
      const double clip = clips(o);
      device_models::DeviceInstance d;
      for (Eigen::Index i = 0; i < w.cols(); ++i) {
        const int q = static_cast<int>(std::lround(std::clamp(w(o, i) / clip, -1.0, 1.0) * steps));
        double g[2] = {g_min + std::max(q, 0) * spacing, g_min + std::max(-q, 0) * spacing};
        for (double& gi : g) {
          const double prog = n.programming.Apply(gi, row_rng);
          d.drift_z = NormalDraw(row_rng);
          const double now = n.drift.Apply(d, prog, age_s_);
          gi = n.read.Apply(now, age_s_, prog, row_rng);
          programmed += prog;
          drifted += now;
        }
        gp(o, i) = g[0];
        gn(o, i) = g[1];
      }
    }
    // Global drift compensation: reference reads right after programming against reads now.
    const double gain = drifted > 0 ? programmed / drifted : 1.0;
    const Eigen::VectorXd scale = clips / (steps * spacing);
    w = ((gp - gn).array().colwise() * (scale.array() * gain)).matrix().cast<float>();
  }
}

}  // namespace xbar::runtime
