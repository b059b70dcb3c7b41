// Hardware-aware training's chip model in weight space: the compiler's quantiser, then device noise.
#include "runtime/hardware_aware_training.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "compiler/chip_io.h"
#include "compiler/compile.h"
#include "compiler/pair_layout.h"
#include "device_models/nonidealities.h"
#include "support/duration.h"

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

Expected<ChipWeightNoise> ChipWeightNoise::FromFlags(const std::string& chip_path, const std::string& age,
                                                     const std::vector<std::pair<std::string, std::string>>& quantize) {
  // The compile's messages name its --quantize-* flags; here they are train's --hwa-* ones.
  auto hwa_flags = [](Error error) {
    for (std::size_t at = 0; (at = error.message.find("--quantize-", at)) != std::string::npos;) {
      error.message.replace(at, std::string("--quantize-").size(), "--hwa-");
    }
    return std::unexpected(error);
  };
  auto chip = compiler::ReadChipText(chip_path);
  if (!chip) return std::unexpected(chip.error());
  auto age_s = ParseDuration(age);
  if (!age_s) return std::unexpected(WithContext(age_s.error(), "--hwa-age"));
  compiler::CompileOptions compile;
  for (const auto& [option, value] : quantize) {
    if (auto ok = compiler::SetPassOption(compile, "quantize", option, value); !ok) return hwa_flags(ok.error());
  }
  auto noise = Create(*chip, *age_s, compile.quantize);
  if (!noise) return hwa_flags(WithContext(noise.error(), chip_path));
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
