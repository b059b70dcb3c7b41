// A NIR graph run in software, step by step (xbar eval --model net.nir --spikes in.npy): the
// reference the chip's NIR neurons are checked against (docs/nir.md "Running a graph").
//
// Every step, the nodes are evaluated in an order where each node follows the nodes it reads
// (a signal crosses the whole feed-forward graph within the step, as in snnTorch, Norse and
// Sinabs); an edge that closes a cycle (a recurrent weight) carries its source's output of the
// step before. A node with several incoming edges sums them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "compiler/nir.h"
#include "device_models/spiking_neuron.h"
#include "support/error.h"
#include "support/npy.h"

namespace xbar::runtime {

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

/// The outputs of one run.
struct NirRun {
  Eigen::MatrixXd outputs;    // steps x outputs: what the Output node receives
  Eigen::MatrixXd membranes;  // steps x outputs: the output neurons' membrane voltages (0 if none)
  int decision = -1;          // argmax over outputs of the summed outputs (the first on ties)
};

class NirNetwork {
 public:
  /// Infers every node's shape, orders the nodes and checks the graph: one Input and one Output,
  /// every node reachable from the Input, edges' sizes matching, parameters of the node's size (or
  /// one value for all), Conv2d with dilation 1 and groups 1. Errors (kFailedPrecondition) name
  /// `source` (the file), the node, the value and the limit.
  static Expected<NirNetwork> Create(compiler::NirGraph graph, const NirRunOptions& options,
                                     const std::string& source);

  const std::vector<int64_t>& input_shape() const { return input_shape_; }
  int64_t inputs() const { return size_[static_cast<std::size_t>(input_)]; }
  int64_t outputs() const { return size_[static_cast<std::size_t>(output_)]; }
  const compiler::NirGraph& graph() const { return graph_; }
  /// The nodes in evaluation order.
  const std::vector<int>& order() const { return order_; }
  /// Nodes whose edge into `node` carries the step before (recurrent), per node.
  bool Delayed(int from, int to) const;
  /// The reset neuron node `node` uses: kZero (to v_reset) or kSubtract.
  NirReset ResetOf(int node) const;

  /// Runs one sample: `spikes` is steps x inputs (row t: step t's input, C order).
  NirRun Forward(const Eigen::Ref<const Eigen::MatrixXd>& spikes) const;

 private:
  // A Conv2d's or pooling's geometry: its input (C, H, W), kernel, stride and padding.
  struct Window {
    std::vector<int64_t> in_shape;
    int64_t kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0;
  };

  compiler::NirGraph graph_;
  NirRunOptions options_;
  std::vector<Window> window_;               // per node (Conv2d and pooling)
  std::vector<std::vector<int64_t>> shape_;  // per node: its output's shape
  std::vector<int64_t> size_;                // per node: its output's size
  std::vector<std::vector<int>> in_;         // per node: nodes feeding it
  std::vector<std::vector<char>> delayed_;   // per node: per entry of in_, a recurrent edge
  std::vector<int> order_;
  std::vector<std::optional<device_models::SpikingParams>> neurons_;  // per neuron node
  std::vector<int64_t> input_shape_;
  int input_ = -1, output_ = -1, probe_ = -1;  // probe_: the neuron whose membrane is recorded
};

/// A batch of runs on spike trains read from a .npy file.
struct NirBatch {
  int64_t samples = 0, steps = 0;
  bool batched = false;     // the input had a sample axis: (N, T, ...), else (T, ...)
  NpyTensor outputs;        // (N,) T x outputs, as the input
  NpyTensor membranes;      // the same shape
  std::vector<int> decisions;
  double output_total = 0;  // the sum of every output (spikes emitted, for spiking outputs)

  /// How many decisions equal `labels` (ReadNirLabels); kInvalidArgument naming `labels_path`
  /// when there are not as many labels as samples.
  Expected<int64_t> Correct(const std::vector<int>& labels, const std::string& labels_path) const;
};

/// Class labels from a .npy file: whole numbers in [0, classes). Otherwise kInvalidArgument naming
/// the file, the value and the range.
Expected<std::vector<int>> ReadNirLabels(const std::string& path, int64_t classes);

/// Runs `net` on `spikes`, (T, input shape) or (N, T, input shape), samples in parallel (the
/// answer does not depend on `threads`). A shape that is neither: kInvalidArgument naming
/// `spikes_path`, its shape and the input shape.
Expected<NirBatch> RunNirSpikes(const NirNetwork& net, const NpyTensor& spikes, const std::string& spikes_path,
                                int threads = 0);

}  // namespace xbar::runtime
