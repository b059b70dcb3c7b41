// A convolutional model with random weights for tests: a network description's layers, uniform weights.
#pragma once

#include <cstdlib>
#include <string>

#include <Eigen/Core>

#include "compiler/layer_shape.h"
#include "compiler/model.h"
#include "support/error.h"

namespace xbar::testing {

/// The network `architecture` (compiler::ParseArchitecture; a bug if it does not parse) on `input`
/// images of `classes` classes, named `name`, its weights uniform in [-amplitude, amplitude] drawn
/// after std::srand(seed).
inline compiler::Model RandomConvModel(const std::string& architecture, compiler::Shape3 input, int classes,
                                       unsigned seed, float amplitude, const std::string& name = "conv") {
  auto layers = compiler::ParseArchitecture(architecture, input, classes);
  XBAR_CHECK(layers.has_value());
  std::srand(seed);
  compiler::Model model;
  model.name = name;
  model.layers = *layers;
  for (const auto& s : model.layers) {
    model.weights.push_back(Eigen::MatrixXf::Random(s.matrix_rows(), s.matrix_cols()) * amplitude);
  }
  return model;
}

}  // namespace xbar::testing
