// Hardware-aware training's chip model in weight space: the compiler's quantiser, then device noise.
#include "runtime/hardware_aware_training.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "compiler/pair_layout.h"
#include "device_models/nonidealities.h"

namespace xbar::runtime {

Expected<ChipWeightNoise> ChipWeightNoise::Create(const device_models::ChipSpec& chip, double age_s,
                                                  const compiler::QuantizeOptions& quantize) {
  if (auto ok = chip.Validate(); !ok) return std::unexpected(ok.error());
  if (chip.columns_per_neuron != 2 || quantize.scheme == compiler::QuantizeOptions::Scheme::kOffset) {
    return Fail(ErrorCode::kInvalidArgument, "hardware-aware training models differential pairs; chip '" +
                                                 chip.name + "' has columns_per_neuron " +
                                                 std::to_string(chip.columns_per_neuron));
  }
  if (!std::isfinite(age_s) || age_s < 0) {
    return Fail(ErrorCode::kInvalidArgument, "hardware-aware training: age " + std::to_string(age_s) +
                                                 " s must be finite and >= 0");
  }
  auto quantizer = compiler::Quantizer::Create(quantize, chip);
  if (!quantizer) return std::unexpected(WithContext(quantizer.error(), "hardware-aware training"));
  ChipWeightNoise noise(std::move(*quantizer));
  noise.chip_ = chip;
  noise.age_s_ = age_s;
  return noise;
}

void ChipWeightNoise::operator()(std::vector<Eigen::MatrixXf>& weights, Rng& rng) const {
  const device_models::Nonidealities& n = chip_.device.nonidealities;
  const uint64_t base = rng();
  for (std::size_t l = 0; l < weights.size(); ++l) {
    Eigen::MatrixXf& w = weights[l];
    const compiler::QuantizedLayer q = quantizer_.Quantize(w);
    const compiler::PairLayout columns{quantizer_.scheme(), q.layer.outputs};
    Eigen::MatrixXd gp(w.rows(), w.cols()), gn(w.rows(), w.cols());
    double programmed = 0, drifted = 0;
#pragma omp parallel for schedule(static) reduction(+ : programmed, drifted)
    for (Eigen::Index o = 0; o < w.rows(); ++o) {
      Rng row_rng(DeriveSeed(DeriveSeed(base, l), static_cast<uint64_t>(o)));
      device_models::DeviceInstance d;
      const int k = static_cast<int>(o);
      for (Eigen::Index i = 0; i < w.cols(); ++i) {
        double g[2] = {quantizer_.LevelS(q.levels(i, columns.plus_column(k))),
                       quantizer_.LevelS(q.levels(i, columns.minus_column(k)))};
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
    const Eigen::Map<const Eigen::VectorXd> scale(q.layer.scale.data(), static_cast<Eigen::Index>(q.layer.scale.size()));
    w = ((gp - gn).array().colwise() * (scale.array() * gain)).matrix().cast<float>();
  }
}

}  // namespace xbar::runtime
