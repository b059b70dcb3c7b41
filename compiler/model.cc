// Model validation.
#include "compiler/model.h"

#include <cmath>

namespace xbar::compiler {

Expected<void> Encoding::Validate() const {
  auto bad = [](std::string m) { return Fail(ErrorCode::kInvalidArgument, std::move(m)); };
  if (steps < 1 || steps > 100000) {
    return bad("steps = " + std::to_string(steps) + " must lie in [1, 100000]");
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
  return {};
}

std::vector<int> Model::LayerSizes() const {
  std::vector<int> sizes;
  if (weights.empty()) return sizes;
  sizes.push_back(inputs());
  for (const auto& w : weights) sizes.push_back(static_cast<int>(w.rows()));
  return sizes;
}

Expected<void> Model::Validate() const {
  if (weights.empty()) return Fail(ErrorCode::kInvalidArgument, "model has no layers");
  for (std::size_t l = 0; l < weights.size(); ++l) {
    if (weights[l].size() == 0) {
      return Fail(ErrorCode::kInvalidArgument, "layer " + std::to_string(l) + " is empty");
    }
    if (l > 0 && weights[l].cols() != weights[l - 1].rows()) {
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
  return encoding.Validate();
}

}  // namespace xbar::compiler
