// NIR graphs (the Neuromorphic Intermediate Representation, Pedersen et al., Nature
// Communications 15, 2024): the HDF5 files snnTorch, Norse, Sinabs, Rockpool, Spyx and Nengo
// export, read and written with libhdf5 (docs/nir.md).
//
// A file holds a root dataset `version` and a group `node`, a NIRGraph: `nodes/<name>/` groups,
// each a `type` string and one dataset per parameter, and `edges`, an (E, 2) array of
// (source, destination) names. Graphs nest; ReadNir flattens them, a member B of subgraph G
// becoming node "G.B".
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "support/error.h"

namespace xbar::compiler {

/// The node types xbar runs (docs/nir.md has each one's equations and discretisation).
enum class NirType {
  kInput, kOutput, kAffine, kLinear, kScale, kConv2d, kSumPool2d, kAvgPool2d, kFlatten,
  kI, kIF, kLI, kLIF, kCubaLI, kCubaLIF, kThreshold,
  kIdentity,  // while reading: a nested graph's Input or Output (ReadNir removes them)
};
std::string_view NirTypeName(NirType type);

/// A numeric dataset: its shape (empty for a scalar) and values in C order.
struct NirTensor {
  std::vector<int64_t> shape;
  std::vector<double> values;
  bool integer = false;  // stored as integers (shapes, strides, ...)
  int64_t size() const { return static_cast<int64_t>(values.size()); }
  bool operator==(const NirTensor&) const = default;
};

struct NirNode {
  std::string name;  // a nested graph's members: "graph.member"
  NirType type = NirType::kIdentity;
  std::map<std::string, NirTensor> params;
  std::map<std::string, std::string> strings;  // string parameters, e.g. Conv2d's padding "same"
  /// The parameter `key`, or null.
  const NirTensor* Find(const std::string& key) const;
  bool operator==(const NirNode&) const = default;
};

struct NirGraph {
  std::string version;           // the file's, e.g. "0.2.0"
  std::vector<NirNode> nodes;    // the file's order (by name), nested graphs flattened
  std::vector<std::pair<int, int>> edges;  // (source, destination) node indices
  /// Index of the node named `name`, or -1.
  int Index(const std::string& name) const;
  /// NIR 1.0 and later: neurons reset to v_reset; earlier files name no reset (docs/nir.md).
  bool HasResetValues() const;
  bool operator==(const NirGraph&) const = default;
};

/// Reads a NIR file of format 0.1.x, 0.2.x or 1.x: strings variable- or fixed-length, parameters
/// float32 or float64 (or integers), datasets plain or gzip-compressed. Errors name the file: a
/// missing file kNotFound; not HDF5 or a broken layout kDataLoss; a node type xbar does not run
/// (Delay, Conv1d, ...) or a malformed parameter kFailedPrecondition, naming the node. A nested
/// graph's own Input and Output nodes are removed, its edges joined through them.
Expected<NirGraph> ReadNir(const std::string& path);

/// Writes `graph` as a NIR file of format `graph.version` (1.0.0 when empty), atomically: flat
/// (member names keep their dots), strings variable-length UTF-8, parameters float64 (integers
/// int64).
Expected<void> WriteNir(const std::string& path, const NirGraph& graph);

}  // namespace xbar::compiler
