// The quantiser shared by the compile pass and hardware-aware training.
#include "compiler/quantizer.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace xbar::compiler {
namespace {

// Nearest-rank percentile of |values|.
double AbsPercentile(std::vector<double> values, double percentile) {
  for (double& v : values) v = std::abs(v);
  const auto n = values.size();
  auto rank = static_cast<std::size_t>(std::ceil(percentile / 100.0 * static_cast<double>(n) - 1e-9));
  rank = std::clamp<std::size_t>(rank, 1, n);
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(rank - 1), values.end());
  return values[rank - 1];
}

}  // namespace

Expected<Quantizer> Quantizer::Create(const QuantizeOptions& options, const device_models::ChipSpec& chip) {
  const int levels = chip.conductance_levels;
  MappingScheme scheme = chip.columns_per_neuron == 2 ? MappingScheme::kDifferential : MappingScheme::kOffset;
  if (options.scheme == QuantizeOptions::Scheme::kDifferential) scheme = MappingScheme::kDifferential;
  if (options.scheme == QuantizeOptions::Scheme::kOffset) scheme = MappingScheme::kOffset;
  const int needed_columns = PairLayout::ColumnsPerOutput(scheme);
  if (chip.columns_per_neuron != needed_columns) {
    return Fail(ErrorCode::kInvalidArgument,
                std::string("--quantize-scheme ") + MappingSchemeName(scheme) + " needs a chip with columns_per_neuron = " +
                    std::to_string(needed_columns) + " but chip '" + chip.name + "' has " +
                    std::to_string(chip.columns_per_neuron) + " (use --quantize-scheme auto)");
  }
  if (scheme == MappingScheme::kOffset && levels < 3) {
    return Fail(ErrorCode::kInvalidArgument, "--quantize-scheme offset needs at least 3 conductance levels but chip '" +
                                                 chip.name + "' has " + std::to_string(levels));
  }
  if (options.clip == ClipMode::kValue && !(options.clip_value > 0)) {
    return Fail(ErrorCode::kInvalidArgument, "--quantize-clip value needs --quantize-clip-value > 0");
  }
  Quantizer q;
  q.options_ = options;
  q.chip_ = chip;
  q.scheme_ = scheme;
  q.reference_ = scheme == MappingScheme::kOffset ? (levels - 1) / 2 : -1;
  q.steps_ = scheme == MappingScheme::kDifferential ? levels - 1 : std::min(q.reference_, levels - 1 - q.reference_);
  return q;
}

double LevelConductanceS(const device_models::ChipSpec& chip, int level) {
  return std::clamp(chip.LevelS(level), chip.device.memristor.g_min_s, chip.device.memristor.g_max_s);
}

double Quantizer::LevelS(int k) const { return LevelConductanceS(chip_, k); }

QuantizedLayer Quantizer::Quantize(const Eigen::MatrixXf& w) const {
  QuantizedLayer out;
  PlanLayer& layer = out.layer;
  layer.inputs = static_cast<int>(w.cols());
  layer.outputs = static_cast<int>(w.rows());
  layer.shape = LayerShape::Dense(layer.inputs, layer.outputs);  // the compile sets the model's geometry
  layer.reference_level = reference_;
  const PairLayout columns{scheme_, layer.outputs};
  const double spacing_s = chip_.LevelSpacingS();
  const Eigen::MatrixXd wd = w.cast<double>();
  // Clip value of a scale group (the layer or the output's row of W).
  auto group_clip = [&](const Eigen::MatrixXd& group) {
    switch (options_.clip) {
      case ClipMode::kMax: return group.cwiseAbs().maxCoeff();
      case ClipMode::kValue: return options_.clip_value;
      case ClipMode::kPercentile:
        return AbsPercentile(std::vector<double>(group.data(), group.data() + group.size()), options_.clip_percentile);
    }
    return 0.0;
  };
  const bool per_layer = options_.scale == ScaleGranularity::kLayer;
  const double layer_clip = per_layer ? group_clip(wd) : 0.0;
  out.levels.resize(layer.inputs, columns.weight_columns());
  double err2 = 0, max_err = 0;
  for (int o = 0; o < layer.outputs; ++o) {
    double clip = per_layer ? layer_clip : group_clip(wd.row(o));
    if (!(clip > 0)) clip = 1.0;  // an all-zero group: any scale represents it exactly
    layer.clip.push_back(clip);
    layer.scale.push_back(clip / (steps_ * spacing_s));
    for (int i = 0; i < layer.inputs; ++i) {
      const double v = wd(o, i);
      out.clipped += std::abs(v) > clip ? 1 : 0;
      const int q = static_cast<int>(std::lround(std::clamp(v, -clip, clip) / clip * steps_));
      if (columns.differential()) {
        out.levels(i, columns.plus_column(o)) = std::max(q, 0);
        out.levels(i, columns.minus_column(o)) = std::max(-q, 0);
      } else {
        out.levels(i, columns.plus_column(o)) = reference_ + q;
      }
      const double e = q * clip / steps_ - v;
      err2 += e * e;
      max_err = std::max(max_err, std::abs(e));
    }
  }
  const double norm = wd.norm();
  layer.rms_error = norm > 0 ? std::sqrt(err2) / norm : 0.0;
  layer.max_abs_error = max_err;
  const int64_t count = int64_t{layer.inputs} * layer.outputs;
  layer.clipped_fraction = static_cast<double>(out.clipped) / static_cast<double>(count);
  return out;
}

Eigen::MatrixXf Quantizer::Dequantize(const QuantizedLayer& q) const {
  const PlanLayer& layer = q.layer;
  const PairLayout columns{scheme_, layer.outputs};
  Eigen::MatrixXf w(layer.outputs, layer.inputs);
  for (int o = 0; o < layer.outputs; ++o) {
    const double scale = layer.scale[static_cast<std::size_t>(o)];
    for (int i = 0; i < layer.inputs; ++i) {
      const int minus = columns.differential() ? q.levels(i, columns.minus_column(o)) : reference_;
      const double diff = LevelS(q.levels(i, columns.plus_column(o))) - LevelS(minus);
      w(o, i) = static_cast<float>(scale * diff);
    }
  }
  return w;
}

}  // namespace xbar::compiler
