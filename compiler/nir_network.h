// A NIR graph read as a network (docs/nir.md): every node's shape, the order the nodes are
// evaluated in within a step, which edges are recurrent, and each neuron node's population, checked
// once. The software run (runtime/nir_sim.h) and the mapping onto the chip (compiler/nir_import.h)
// both read the graph through it.
//
// Every step, the nodes are evaluated in an order where each node follows the nodes it reads
// (a signal crosses the whole feed-forward graph within the step, as in snnTorch, Norse and
// Sinabs); an edge that closes a cycle (a recurrent weight) carries its source's output of the
// step before. A node with several incoming edges sums them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "compiler/nir.h"
#include "device_models/spiking_neuron.h"
#include "support/error.h"

namespace xbar::compiler {

/// How a spiking neuron resets after a spike.
enum class NirReset {
  kAuto,      // the file's v_reset (NIR 1.x); for earlier files, which name none: IF by subtraction
              // (Sinabs, the IF exporter), LIF and CubaLIF to zero (Norse, snnTorch)
  kZero,      // v <- v_reset (0 when the file has none)
  kSubtract,  // v <- v - v_threshold
};
/// "auto", "zero", "subtract"; kInvalidArgument naming the value otherwise.
Expected<NirReset> ParseNirReset(const std::string& text);

struct NirRunOptions {
  double dt_s = 1e-4;  // the time step of the leaky neurons' forward-Euler update (> 0)
  NirReset reset = NirReset::kAuto;
};

/// A Conv2d's or pooling's geometry: its input (C, H, W), kernel, stride and padding.
struct NirWindow {
  std::vector<int64_t> in_shape;
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0;
};

/// Each array of a population with the NIR parameter it is read from and written as ("tau" is
/// "tau_mem" for the current-based kinds): `p.kind` must be set. `Params` is SpikingParams, const
/// or not.
template <typename Params>
auto NirPopulationFields(Params& p) {
  return std::array{std::pair{"r", &p.r},           std::pair{p.Synaptic() ? "tau_mem" : "tau", &p.tau},
                    std::pair{"tau_syn", &p.tau_syn}, std::pair{"v_leak", &p.v_leak},
                    std::pair{"v_threshold", &p.v_threshold}, std::pair{"v_reset", &p.v_reset},
                    std::pair{"w_in", &p.w_in}};
}

/// The number of elements of `shape` (1 for a scalar), and "(2, 34, 34)".
int64_t NirShapeSize(const std::vector<int64_t>& shape);
std::string NirShapeText(const std::vector<int64_t>& shape);
/// The value of parameter `t` for element `i` (one value for all, or one per element).
double NirParamAt(const NirTensor& t, int64_t i);

class NirNetwork {
 public:
  /// Infers every node's shape, orders the nodes and checks the graph: one Input and one Output,
  /// every node reachable from the Input, edges' sizes matching, parameters of the node's size (or
  /// one value for all), Conv2d with dilation 1 and groups 1. Errors (kFailedPrecondition) name
  /// `source` (the file), the node, the value and the limit.
  static Expected<NirNetwork> Create(NirGraph graph, const NirRunOptions& options, const std::string& source);

  const NirGraph& graph() const { return graph_; }
  const NirRunOptions& options() const { return options_; }
  const std::vector<int64_t>& input_shape() const { return input_shape_; }
  int64_t inputs() const { return size(input_); }
  int64_t outputs() const { return size(output_); }
  /// The nodes in evaluation order.
  const std::vector<int>& order() const { return order_; }
  int input_node() const { return input_; }
  int output_node() const { return output_; }
  /// The neuron node feeding the Output, whose membranes a run records, or -1.
  int probe_node() const { return probe_; }
  /// Node `node`'s output: its shape and size.
  const std::vector<int64_t>& shape(int node) const { return shape_[static_cast<std::size_t>(node)]; }
  int64_t size(int node) const { return size_[static_cast<std::size_t>(node)]; }
  /// The nodes feeding `node`, and per entry whether that edge is recurrent (carries the step before).
  const std::vector<int>& inputs_of(int node) const { return in_[static_cast<std::size_t>(node)]; }
  const std::vector<char>& delayed_of(int node) const { return delayed_[static_cast<std::size_t>(node)]; }
  /// Whether the edge from -> to is recurrent.
  bool Delayed(int from, int to) const;
  /// A Conv2d's or pooling node's geometry.
  const NirWindow& window(int node) const { return window_[static_cast<std::size_t>(node)]; }
  /// A neuron node's population (its parameters for every element), or nullopt.
  const std::optional<device_models::SpikingParams>& population(int node) const {
    return neurons_[static_cast<std::size_t>(node)];
  }
  /// The reset neuron node `node` uses: kZero (to v_reset) or kSubtract.
  NirReset ResetOf(int node) const;

 private:
  NirGraph graph_;
  NirRunOptions options_;
  std::vector<NirWindow> window_;            // per node (Conv2d and pooling)
  std::vector<std::vector<int64_t>> shape_;  // per node: its output's shape
  std::vector<int64_t> size_;                // per node: its output's size
  std::vector<std::vector<int>> in_;         // per node: nodes feeding it
  std::vector<std::vector<char>> delayed_;   // per node: per entry of in_, a recurrent edge
  std::vector<int> order_;
  std::vector<std::optional<device_models::SpikingParams>> neurons_;  // per neuron node
  std::vector<int64_t> input_shape_;
  int input_ = -1, output_ = -1, probe_ = -1;
};

}  // namespace xbar::compiler
