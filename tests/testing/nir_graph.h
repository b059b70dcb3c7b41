// Building NIR graphs in tests: nodes, parameter tensors and the shipped files' folder.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "compiler/nir.h"

namespace xbar::testing {

/// tests/data/nir/ (the files exported by real frameworks, README there).
inline const std::string kNirDir = std::string(XBAR_SOURCE_DIR) + "/tests/data/nir/";

/// A float parameter: `v` in C order, of `shape` (default: a vector of v's size).
inline compiler::NirTensor NirValues(std::vector<double> v, std::vector<int64_t> shape = {}) {
  if (shape.empty()) shape = {static_cast<int64_t>(v.size())};
  return compiler::NirTensor{shape, std::move(v), false};
}

inline compiler::NirNode NirNodeOf(std::string name, compiler::NirType type,
                                   std::map<std::string, compiler::NirTensor> params) {
  compiler::NirNode n;
  n.name = std::move(name);
  n.type = type;
  n.params = std::move(params);
  return n;
}

}  // namespace xbar::testing
