// Hardware-aware training: what a chip does to a network's weights, in weight space, drawn anew
// for every minibatch (docs/inference.md). The compiler's quantisation (differential pairs, one
// scale per layer, the chip's levels), write-verify programming noise, drift to an age with global
// compensation, and 1/f read noise at that age, from the chip's device models.
#pragma once

#include <vector>

#include <Eigen/Core>

#include "device_models/chip_spec.h"
#include "support/error.h"
#include "support/rng.h"

namespace xbar::runtime {

class ChipWeightNoise {
 public:
  /// kInvalidArgument for a chip that fails validation, a chip with single-column (offset)
  /// mapping, or a negative age.
  /// `per_output_scale`: one quantiser scale per output (the compiler's --quantize-scale column)
  /// instead of one per layer.
  static Expected<ChipWeightNoise> Create(const device_models::ChipSpec& chip, double age_s,
                                          bool per_output_scale = false);

  /// Replaces every layer of `weights` by one draw of what the chip would realise (the
  /// Trainer's `perturb` hook). Rows draw from their own streams of `rng`'s first draw.
  void operator()(std::vector<Eigen::MatrixXf>& weights, Rng& rng) const;

 private:
  device_models::ChipSpec chip_;
  double age_s_ = 0;
  bool per_output_scale_ = false;
};

}  // namespace xbar::runtime
