// Hardware-aware training: what a chip does to a network's weights, in weight space, drawn anew
// for every minibatch (docs/inference.md). The compiler's quantiser itself (compiler/quantizer.h:
// differential pairs, the compile's scale granularity and clip mode, the chip's levels), then
// write-verify programming noise, drift to an age with global compensation, and 1/f read noise at
// that age, from the chip's device models.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "compiler/quantizer.h"
#include "device_models/chip_spec.h"
#include "support/error.h"
#include "support/rng.h"

namespace xbar::runtime {

class ChipWeightNoise {
 public:
  /// `quantize`: the options the compile will use (QuantizeOptions::scale and ::clip, e.g.
  /// clip = kPercentile with clip_percentile), so training sees the network the compile maps.
  /// kInvalidArgument for a chip that fails validation, options the quantiser rejects for the chip,
  /// single-column (offset) mapping, or a negative age.
  static Expected<ChipWeightNoise> Create(const device_models::ChipSpec& chip, double age_s,
                                          const compiler::QuantizeOptions& quantize);

  /// The same from `xbar train`'s flags: the chip file (--hwa-chip), the age (--hwa-age, e.g.
  /// "1d") and the quantize pass's options given (name, value), e.g. ("clip", "percentile"),
  /// parsed as the compile parses them. Messages name the file and train's --hwa-* flags.
  static Expected<ChipWeightNoise> FromFlags(const std::string& chip_path, const std::string& age,
                                             const std::vector<std::pair<std::string, std::string>>& quantize);

  /// Replaces every layer of `weights` by one draw of what the chip would realise (the
  /// Trainer's `perturb` hook). Rows draw from their own streams of `rng`'s first draw. With every
  /// nonideality off this is exactly compiler::Quantizer::Dequantize of the layer.
  void operator()(std::vector<Eigen::MatrixXf>& weights, Rng& rng) const;

  /// The chip trained for: its rails and drivers' range bound the network in training as on the
  /// chip (ChipSpec::OnChip, AnalogSpec::DriveLimitMv).
  const device_models::ChipSpec& chip() const { return chip_; }

 private:
  explicit ChipWeightNoise(compiler::Quantizer quantizer) : quantizer_(std::move(quantizer)) {}

  compiler::Quantizer quantizer_;
  device_models::ChipSpec chip_;
  double age_s_ = 0;
};

}  // namespace xbar::runtime
