// A NIR graph run in software, step by step (xbar eval --model net.nir --spikes in.npy): the
// reference the chip's NIR neurons are checked against (docs/nir.md "Running a graph").
//
// The schedule within a step is compiler::NirNetwork's: each node after the nodes it reads, a
// recurrent edge carrying its source's output of the step before.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "compiler/nir_network.h"
#include "device_models/spiking_neuron.h"
#include "support/error.h"
#include "support/npy.h"

namespace xbar::runtime {

using compiler::NirNetwork;
using compiler::NirReset;
using compiler::NirRunOptions;
using compiler::ParseNirReset;

/// The outputs of one run.
struct NirRun {
  Eigen::MatrixXd outputs;    // steps x outputs: what the Output node receives
  Eigen::MatrixXd membranes;  // steps x outputs: the output neurons' membrane voltages (0 if none)
  int decision = -1;          // argmax over outputs of the summed outputs (the first on ties)
};

/// The decision of a run's outputs (steps x outputs): the output with the largest sum over the
/// steps, the first on ties.
int OutputDecision(const Eigen::MatrixXd& outputs);

/// Runs one sample of `net`: `spikes` is steps x inputs (row t: step t's input, C order).
NirRun RunNir(const NirNetwork& net, const Eigen::Ref<const Eigen::MatrixXd>& spikes);

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

/// One sample's run in a batch: the outputs of spike train `x` (steps x inputs) of sample `s`.
using SpikeSampleRun = std::function<Expected<NirRun>(int64_t s, const Eigen::Ref<const Eigen::MatrixXd>& x)>;

/// Runs every sample of `spikes`, (T, input_shape) or (N, T, input_shape), through a runner `make`
/// builds once per worker thread, samples in parallel; the first error ends it. The one owner of a
/// spike batch's layout, for the software run (RunNirSpikes) and the chip's (RunChipSpikes). A
/// shape that is neither: kInvalidArgument naming `spikes_path`, its shape and the input shape.
Expected<NirBatch> RunSpikeBatch(const std::vector<int64_t>& input_shape, int64_t outputs, const NpyTensor& spikes,
                                 const std::string& spikes_path, int threads,
                                 const std::function<SpikeSampleRun()>& make);

/// Runs `net` on `spikes`, (T, input shape) or (N, T, input shape), samples in parallel (the
/// answer does not depend on `threads`). A shape that is neither: kInvalidArgument naming
/// `spikes_path`, its shape and the input shape.
Expected<NirBatch> RunNirSpikes(const NirNetwork& net, const NpyTensor& spikes, const std::string& spikes_path,
                                int threads = 0);

}  // namespace xbar::runtime
