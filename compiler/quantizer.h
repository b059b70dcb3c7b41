// The quantiser: signed weights to a chip's conductance levels and back, for the compile pass and
// hardware-aware training alike (docs/compiler.md "quantize").
//
// A scale group (a layer, or one output's row of W) gets a clip value w_clip (its max |w|, a given
// value, or a percentile of |w|); a weight becomes q = round(clamp(w, ±w_clip) / w_clip · steps)
// level steps, stored on a differential pair (G+ at level max(q, 0), G- at max(-q, 0)) or against a
// reference level (G at reference + q). W_q = scale · (G+ - G-) with scale = w_clip / (steps · ΔG).
#pragma once

#include <cstdint>
#include <vector>

#include <Eigen/Core>

#include "compiler/pair_layout.h"
#include "compiler/plan.h"
#include "device_models/chip_spec.h"
#include "support/error.h"

namespace xbar::compiler {

/// quantize: weights to the chip's conductance levels. The defaults here are the CLI's.
struct QuantizeOptions {
  /// Mapping scheme; kAuto: the chip's columns_per_neuron (2: differential, 1: offset).
  enum class Scheme { kAuto, kDifferential, kOffset } scheme = Scheme::kAuto;
  ScaleGranularity scale = ScaleGranularity::kLayer;
  ClipMode clip = ClipMode::kMax;
  double clip_value = 0;          // kValue: |w| clip, weight units (> 0)
  double clip_percentile = 99.9;  // kPercentile: percentile of |w| per scale group, (0, 100]
};

/// Conductance of level `level` of `chip` (S), kept inside the device window against rounding at the
/// top level: what a plan's targets hold before compensation.
double LevelConductanceS(const device_models::ChipSpec& chip, int level);

/// One layer through the quantiser.
struct QuantizedLayer {
  /// Scales, clips, reference level and error figures (no tiles yet).
  PlanLayer layer;
  /// Level index of every cell, inputs x PairLayout{scheme, outputs}.weight_columns().
  Eigen::MatrixXi levels;
  /// Weights beyond their clip value.
  int64_t clipped = 0;
};

/// The quantiser for one chip and one set of options.
class Quantizer {
 public:
  /// kInvalidArgument: a scheme the chip's columns_per_neuron does not have, an offset scheme with
  /// fewer than 3 levels, clip=value without a positive clip value.
  static Expected<Quantizer> Create(const QuantizeOptions& options, const device_models::ChipSpec& chip);

  MappingScheme scheme() const { return scheme_; }
  const QuantizeOptions& options() const { return options_; }
  /// Level steps on each side of zero.
  int steps() const { return steps_; }
  /// Offset scheme: the level of zero weight (every reference cell); -1 for differential pairs.
  int reference_level() const { return reference_; }
  /// Conductance of level k (S), kept inside the device window against rounding at the top.
  double LevelS(int k) const;

  /// Quantises W (outputs x inputs).
  QuantizedLayer Quantize(const Eigen::MatrixXf& w) const;
  /// The weights a quantised layer stands for, outputs x inputs: scale · (G+ - G-) or
  /// scale · (G - G_ref) per output, with the conductances of LevelS (what WeightsFromPlan gives
  /// for the plan's ideal targets).
  Eigen::MatrixXf Dequantize(const QuantizedLayer& q) const;

 private:
  QuantizeOptions options_;
  device_models::ChipSpec chip_;
  MappingScheme scheme_ = MappingScheme::kDifferential;
  int steps_ = 0;
  int reference_ = -1;
};

}  // namespace xbar::compiler
