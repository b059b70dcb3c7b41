// Training (minibatch BPTT with Adam) and evaluation of the spiking network on a data set.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "compiler/model.h"
#include "runtime/dataset.h"
#include "runtime/voltage_range.h"
#include "support/error.h"
#include "support/rng.h"

namespace xbar::runtime {

/// Everything a training run needs besides the data.
struct TrainOptions {
  std::vector<int> hidden = {256};   // hidden layer sizes of a dense network (when `layers` is empty)
  /// The network (xbar train --arch, compiler/layer_shape.h); empty: dense with `hidden`.
  std::vector<compiler::LayerShape> layers;
  int epochs = 1;
  int batch_size = 128;
  double learning_rate = 2e-3;       // Adam step size at the start
  double final_lr_fraction = 0.02;   // cosine decay ends at this fraction of the start (1: constant)
  double clip_norm = 1.0;            // global gradient norm limit (0: no clipping)
  double init_gain = 1.0;            // weights start as N(0, init_gain^2 / fan_in)
  uint64_t seed = 1;                 // initial weights and shuffling
  int threads = 0;                   // 0: all cores
  int shift_px = 0;                  // augmentation: random shifts of up to this many pixels
  bool flip = false;                 // augmentation: random horizontal flips
  int chunk = 16;                    // samples per work item (the result does not depend on threads)
  bool quiet = false;                // no progress output
  device_models::MifParams neuron;
  compiler::Encoding encoding;
  /// Rail margin penalty (SnnEngine::set_margin_penalty): loss per volt of time-mean membrane
  /// beyond rail_margin times a rail, per neuron and sample; 0: off. Needs the neuron's rails.
  double rail_penalty = 0;
  double rail_margin = 0.9;  // (0, 1)
  /// Fine-tuning: start from these weights (one matrix per layer of `layers`, or outputs x inputs
  /// of a dense network; `hidden` is then ignored) instead of a random draw. Empty: a new network.
  std::vector<Eigen::MatrixXf> initial_weights;
  /// Layers Adam updates (empty: all); the others keep their weights.
  std::vector<bool> trainable;
  /// Per-weight box the weights are kept in after every step (e.g. what the conductance window and
  /// the stuck cells of a programmed chip allow): empty, or one matrix per layer shaped like it,
  /// lower <= upper. Equal bounds freeze a weight. Both or neither.
  std::vector<Eigen::MatrixXf> lower_bound, upper_bound;
  /// Hardware-aware training: each minibatch's forward and backward pass use the weights this
  /// turns a copy of the weights into (e.g. what a chip would realise: quantised, noisy, drifted);
  /// the gradient updates the clean weights (straight-through). Called with a generator seeded
  /// from `seed` and the step. Empty: the weights themselves.
  std::function<void(std::vector<Eigen::MatrixXf>& weights, Rng& rng)> perturb;

  /// Fine-tunes `model` (xbar train --init): its weights, layers, neuron and encoding.
  void StartFrom(const compiler::Model& model);

  /// Rejects nonsensical values (kInvalidArgument naming the option and its limit).
  Expected<void> Validate() const;

  /// The network trained on `inputs`-element samples of `classes` classes: `layers`, or the dense
  /// network inputs-hidden...-classes.
  std::vector<compiler::LayerShape> Network(int inputs, int classes) const;
};

/// What one epoch achieved.
struct EpochStats {
  int epoch = 0;                // 1-based
  double train_loss = 0;        // mean cross-entropy over the epoch
  double train_accuracy = 0;    // fraction, measured during the epoch
  double test_accuracy = -1;    // fraction on the test set after the epoch (-1: no test set)
  double seconds = 0;
  double samples_per_s = 0;
};

/// Result of an evaluation.
struct EvalResult {
  uint64_t samples = 0;
  uint64_t correct = 0;
  double loss = 0;
  double seconds = 0;
  VoltageRange range = {};  // membranes at the rails, drives clipped, peak membrane
  double accuracy() const { return samples ? static_cast<double>(correct) / samples : 0.0; }
};

/// Called after every epoch with its figures and the model as it stands (weights and training
/// record of the epochs so far), e.g. to write a checkpoint.
using EpochCallback = std::function<void(const EpochStats&, const compiler::Model&)>;

/// Trains a new model on `train`; evaluates on `test` after each epoch when given.
Expected<compiler::Model> Train(const TrainOptions& options, const Dataset& train,
                                const Dataset* test, const EpochCallback& on_epoch = {});

/// Test accuracy and mean loss of a model on a data set (float arithmetic, all cores).
Expected<EvalResult> Evaluate(const compiler::Model& model, const Dataset& data, int threads = 0,
                              bool quiet = true);

/// Parses layer sizes such as "256" or "512,256" (xbar train --hidden); kInvalidArgument naming
/// `--option` and the text.
Expected<std::vector<int>> ParseLayerSizes(const std::string& text, const std::string& option);

}  // namespace xbar::runtime
