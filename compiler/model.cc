// Model validation.
#include "compiler/model.h"

#include <cmath>

namespace xbar::compiler {

Expected<void> Encoding::Validate() const {
  auto bad = [](std::string m) { return Fail(ErrorCode::kInvalidArgument, std::move(m)); };
  if (steps < 1 || steps > 100000) {
    return bad("steps = " + std::to_string(steps) + " must lie in [1, 100000]");
  }
  if (kind == EncodingKind::kSpikeTrain && period != 1) {
    return bad("period = " + std::to_string(period) + ": a spike train drives layer 0 at every step (period 1)");
  }
  if (period < 1 || period > steps) {
    return bad("period = " + std::to_string(period) + " must lie in [1, steps = " +
               std::to_string(steps) + "]");
  }
  for (auto [v, name] : {std::pair{input_gain, "input gain"},
                         {inter_layer_scale, "inter-layer scale"},
                         {readout_scale, "readout scale"}}) {
    if (!(v > 0) || !std::isfinite(v)) {
      return bad(std::string(name) + " = " + std::to_string(v) + " must be positive and finite");
    }
  }
  if (!(drive_limit_mv > 0)) {
    return bad("drive limit = " + std::to_string(drive_limit_mv) + " mV must be positive (or absent)");
  }
  return {};
}

std::vector<LayerShape> Model::Shapes() const {
  if (!layers.empty()) return layers;
  std::vector<int> sizes;
  if (weights.empty()) return {};
  sizes.push_back(static_cast<int>(weights.front().cols()));
  for (const auto& w : weights) sizes.push_back(static_cast<int>(w.rows()));
  return DenseShapes(sizes);
}

int Model::inputs() const {
  if (!layers.empty()) return layers.front().source.size();
  return weights.empty() ? 0 : static_cast<int>(weights.front().cols());
}

int Model::outputs() const {
  if (!layers.empty()) return layers.back().neurons();
  return weights.empty() ? 0 : static_cast<int>(weights.back().rows());
}

std::vector<int> Model::LayerSizes() const {
  std::vector<int> sizes;
  const auto shapes = Shapes();
  if (shapes.empty()) return sizes;
  sizes.push_back(shapes.front().source.size());
  for (const auto& s : shapes) sizes.push_back(s.neurons());
  return sizes;
}

Expected<void> Model::Validate() const {
  if (weights.empty()) return Fail(ErrorCode::kInvalidArgument, "model has no layers");
  if (!layers.empty()) {
    if (layers.size() != weights.size()) {
      return Fail(ErrorCode::kInvalidArgument, "model has " + std::to_string(layers.size()) + " layer shapes for " +
                                                   std::to_string(weights.size()) + " weight matrices");
    }
    if (auto ok = ValidateChain(layers); !ok) return ok;
    for (std::size_t l = 0; l < weights.size(); ++l) {
      if (weights[l].rows() != layers[l].matrix_rows() || weights[l].cols() != layers[l].matrix_cols()) {
        return Fail(ErrorCode::kInvalidArgument,
                    "layer " + std::to_string(l) + " (" + layers[l].ToString() + ") needs a " +
                        std::to_string(layers[l].matrix_rows()) + "x" + std::to_string(layers[l].matrix_cols()) +
                        " weight matrix, not " + std::to_string(weights[l].rows()) + "x" +
                        std::to_string(weights[l].cols()));
      }
    }
  }
  for (std::size_t l = 0; l < weights.size(); ++l) {
    if (weights[l].size() == 0) {
      return Fail(ErrorCode::kInvalidArgument, "layer " + std::to_string(l) + " is empty");
    }
    if (layers.empty() && l > 0 && weights[l].cols() != weights[l - 1].rows()) {
      return Fail(ErrorCode::kInvalidArgument,
                  "layer " + std::to_string(l) + " has " + std::to_string(weights[l].cols()) +
                      " inputs but layer " + std::to_string(l - 1) + " has " +
                      std::to_string(weights[l - 1].rows()) + " outputs");
    }
    if (!weights[l].allFinite()) {
      return Fail(ErrorCode::kInvalidArgument, "layer " + std::to_string(l) + " has non-finite weights");
    }
  }
  if (auto ok = neuron.Validate(); !ok) return ok;
  if (Spiking()) {
    if (populations.size() != weights.size()) {
      return Fail(ErrorCode::kInvalidArgument, "model has " + std::to_string(populations.size()) +
                                                   " neuron populations for " + std::to_string(weights.size()) + " layers");
    }
    if (encoding.kind != EncodingKind::kSpikeTrain) {
      return Fail(ErrorCode::kInvalidArgument, "a model of neuron populations takes spike trains (its encoding is not one)");
    }
    const auto shapes = Shapes();
    for (std::size_t l = 0; l < populations.size(); ++l) {
      const auto& p = populations[l];
      const std::string where = "layer " + std::to_string(l) + " (" + shapes[l].ToString() + ")";
      if (auto ok = p.Validate(); !ok) return std::unexpected(WithContext(ok.error(), where));
      if (p.size() != shapes[l].neurons()) {
        return Fail(ErrorCode::kInvalidArgument, where + ": " + std::to_string(p.size()) + " neurons in its population, " +
                                                     std::to_string(shapes[l].neurons()) + " outputs");
      }
      // Between layers a neuron's output is a read pulse on the next layer's word lines: only a
      // spiking kind has one (a membrane-output kind would need a DAC per neuron).
      if (!p.Spikes() && l + 1 < populations.size()) {
        return Fail(ErrorCode::kInvalidArgument, where + ": " + device_models::SpikingKindName(p.kind) +
                                                     " neurons send no spikes; xbar maps them as the output layer only");
      }
    }
  } else if (encoding.kind == EncodingKind::kSpikeTrain) {
    return Fail(ErrorCode::kInvalidArgument, "a spike-train model needs a neuron population per layer");
  }
  for (std::size_t l = 0; l < layers.size(); ++l) {
    if (layers[l].recurrent && !Spiking()) {
      return Fail(ErrorCode::kInvalidArgument, "layer " + std::to_string(l) + " is recurrent; MIF networks are feed-forward");
    }
  }
  return encoding.Validate();
}

}  // namespace xbar::compiler
