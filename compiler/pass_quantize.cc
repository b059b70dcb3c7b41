// The quantize pass: weights to the chip's conductance levels through the Quantizer, with its metadata.
#include <algorithm>
#include <string>
#include <vector>

#include "compiler/compile.h"
#include "compiler/pass_options.h"
#include "compiler/quantizer.h"

namespace xbar::compiler {
namespace {

const char* SchemeOptionName(QuantizeOptions::Scheme scheme) {
  switch (scheme) {
    case QuantizeOptions::Scheme::kAuto: return "auto";
    case QuantizeOptions::Scheme::kDifferential: return "differential";
    case QuantizeOptions::Scheme::kOffset: return "offset";
  }
  return "auto";
}

const std::vector<PassOptionInfo>& Options() {
  static const QuantizeOptions d;
  static const std::vector<PassOptionInfo> options = {
      {"scheme", "enum", SchemeOptionName(d.scheme),
       "auto|differential|offset: W = s (G+ - G-) on two bit lines, or W = s (G - G_ref) with one "
       "reference column per tile; auto follows the chip's columns_per_neuron"},
      {"scale", "enum", ScaleGranularityName(d.scale), "layer|column: one scale factor per layer or per output neuron"},
      {"clip", "enum", ClipModeName(d.clip), "max|value|percentile: how the clip |w| <= w_clip of a scale group is chosen"},
      {"clip-value", "double", FormatOptionNumber(d.clip_value), "clip=value: the clip, weight units (> 0)"},
      {"clip-percentile", "double", FormatOptionNumber(d.clip_percentile),
       "clip=percentile: percentile of |w| per scale group, (0, 100]"},
  };
  return options;
}

constexpr PassStatisticInfo kStatistics[] = {
    {"weights", "count", "weights quantised"},
    {"clipped-weights", "count", "weights beyond their clip value"},
    {"rms-error-max", "relative", "worst layer's ||W_q - W||_F / ||W||_F"},
    {"levels", "count", "conductance levels per cell"},
};

Expected<void> SetOption(CompileOptions& options, std::string_view option, std::string_view flag,
                         std::string_view value) {
  QuantizeOptions& q = options.quantize;
  if (option == "scheme") {
    if (value == "auto") q.scheme = QuantizeOptions::Scheme::kAuto;
    else if (value == "differential") q.scheme = QuantizeOptions::Scheme::kDifferential;
    else if (value == "offset") q.scheme = QuantizeOptions::Scheme::kOffset;
    else return std::unexpected(BadOptionChoice(flag, value, "auto, differential or offset"));
    return {};
  }
  if (option == "scale") {
    if (value == "layer") q.scale = ScaleGranularity::kLayer;
    else if (value == "column") q.scale = ScaleGranularity::kColumn;
    else return std::unexpected(BadOptionChoice(flag, value, "layer or column"));
    return {};
  }
  if (option == "clip") {
    if (value == "max") q.clip = ClipMode::kMax;
    else if (value == "value") q.clip = ClipMode::kValue;
    else if (value == "percentile") q.clip = ClipMode::kPercentile;
    else return std::unexpected(BadOptionChoice(flag, value, "max, value or percentile"));
    return {};
  }
  if (option != "clip-value" && option != "clip-percentile") return std::unexpected(UnknownPassOption(flag));
  auto v = ParseOptionNumber(flag, value);
  if (!v) return std::unexpected(v.error());
  if (option == "clip-value") {
    if (auto ok = OptionInRange(flag, *v, 0, 1e30, true, false); !ok) return ok;
    q.clip_value = *v;
  } else {
    if (auto ok = OptionInRange(flag, *v, 0, 100, true, false); !ok) return ok;
    q.clip_percentile = *v;
  }
  return {};
}

}  // namespace

const PassInfo& QuantizePassInfo() {
  static const PassInfo info{
      "quantize",
      "weights to the chip's conductance levels (differential or offset, per-layer or per-column scale, clipping)",
      Options(), kStatistics, &SetOption};
  return info;
}

Expected<void> QuantizePass(const QuantizeOptions& options, CompileState& state, PassReport& report) {
  Plan& plan = state.plan;
  auto quantizer = Quantizer::Create(options, plan.chip);
  if (!quantizer) return std::unexpected(quantizer.error());
  plan.scheme = quantizer->scheme();
  plan.scale_granularity = options.scale;
  plan.clip_mode = options.clip;
  plan.clip_value = options.clip == ClipMode::kValue ? options.clip_value : 0;
  plan.clip_percentile = options.clip == ClipMode::kPercentile ? options.clip_percentile : 0;
  int64_t weights = 0, clipped = 0;
  double worst = 0;
  plan.layers.clear();
  state.layer_levels.clear();
  const std::vector<LayerShape> shapes = state.model->Shapes();
  for (std::size_t l = 0; l < state.model->weights.size(); ++l) {
    QuantizedLayer q = quantizer->Quantize(state.model->weights[l]);
    q.layer.shape = shapes[l];
    weights += int64_t{q.layer.inputs} * q.layer.outputs;
    clipped += q.clipped;
    worst = std::max(worst, q.layer.rms_error);
    plan.layers.push_back(std::move(q.layer));
    state.layer_levels.push_back(std::move(q.levels));
  }
  report.statistics = {{"weights", static_cast<double>(weights), "count"},
                       {"clipped-weights", static_cast<double>(clipped), "count"},
                       {"rms-error-max", worst, "relative"},
                       {"levels", static_cast<double>(plan.chip.conductance_levels), "count"}};
  return {};
}

}  // namespace xbar::compiler
