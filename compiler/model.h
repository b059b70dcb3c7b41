// The network as the rest of xbar sees it: plain C++/Eigen types, no protobuf.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <vector>

#include "device_models/mif_neuron.h"
#include "support/error.h"

namespace xbar::compiler {

/// How an input sample drives the first layer and how the output is read (docs/mif.md).
struct Encoding {
  int steps = 100;                  // T, time steps per sample
  int period = 20;                  // P, impulses at steps 0, P, 2P, ...
  double input_gain = 0.1;          // pixel [0, 1] to first-layer drive
  double inter_layer_scale = 1e4;   // next layer's input = membrane voltage (mV) / this
  double readout_scale = 100.0;     // logits = time-mean output voltage (mV) / this

  /// Rejects zero steps, a period outside [1, steps], non-positive scales (kInvalidArgument).
  Expected<void> Validate() const;
};

/// Provenance of the weights.
struct TrainingInfo {
  std::string dataset;
  uint64_t seed = 0;
  int epochs = 0;
  int batch_size = 0;
  double learning_rate = 0;
  uint64_t train_samples = 0;
  double test_accuracy = 0;
  uint64_t test_samples = 0;
  double wall_time_s = 0;
  std::string command;
};

/// A fully memristive spiking network: layer l maps inputs to outputs with weights W_l
/// (outputs x inputs, so drive = W_l * input); every neuron is a MIF neuron.
struct Model {
  std::string name;
  device_models::MifParams neuron;
  Encoding encoding;
  std::vector<Eigen::MatrixXf> weights;  // weights[l] is outputs_l x inputs_l
  TrainingInfo training;

  int inputs() const { return weights.empty() ? 0 : static_cast<int>(weights.front().cols()); }
  int outputs() const { return weights.empty() ? 0 : static_cast<int>(weights.back().rows()); }
  /// Layer sizes from input to output, e.g. {784, 256, 10}.
  std::vector<int> LayerSizes() const;
  /// Checks that the layers chain and every parameter is valid.
  Expected<void> Validate() const;
};

}  // namespace xbar::compiler
