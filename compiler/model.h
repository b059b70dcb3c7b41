// The network as the rest of xbar sees it: plain C++/Eigen types, no protobuf.
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "compiler/layer_shape.h"
#include "device_models/mif_neuron.h"
#include "device_models/spiking_neuron.h"
#include "support/error.h"

namespace xbar::compiler {

/// How samples reach layer 0's word lines.
enum class EncodingKind {
  kPeriodicImpulse,  // an image's pixels at steps 0, P, 2P, ... (MIF networks, docs/mif.md)
  kSpikeTrain,       // spike counts, one row of the input per step (NIR networks, docs/nir.md)
};

/// How an input sample drives the first layer and how the output is read (docs/mif.md). A spike
/// train drives layer 0 at every step (period 1), with the input as it comes (gain 1), and every
/// later layer with the spikes of the layer before (scale 1); the decision is the output with the
/// largest sum over steps.
struct Encoding {
  EncodingKind kind = EncodingKind::kPeriodicImpulse;
  int steps = 100;                  // T, time steps per sample
  int period = 20;                  // P, impulses at steps 0, P, 2P, ...
  double input_gain = 0.1;          // pixel [0, 1] to first-layer drive
  double inter_layer_scale = 1e4;   // next layer's input = membrane voltage (mV) / this
  double readout_scale = 100.0;     // logits = time-mean output voltage (mV) / this
  // Hidden layers' word-line drivers clip at this membrane voltage magnitude, mV (infinite: no
  // clipping, the published network and models written before drivers were bounded).
  double drive_limit_mv = std::numeric_limits<double>::infinity();

  bool clips_drive() const { return std::isfinite(drive_limit_mv); }

  /// Rejects zero steps, a period outside [1, steps], non-positive scales and drive limits
  /// (kInvalidArgument).
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

/// A spiking network on memristive crossbars: weight layer l has the geometry layers[l] and the
/// weight matrix weights[l] (out_channels x fan-in [+ bias], compiler/layer_shape.h; for a dense
/// layer outputs x inputs, so drive = W_l * input). Every neuron is a MIF neuron (`neuron`), unless
/// the network came from a NIR graph: then layer l's neurons are populations[l].
struct Model {
  std::string name;
  device_models::MifParams neuron;
  Encoding encoding;
  std::vector<Eigen::MatrixXf> weights;  // weights[l] is layers[l].matrix_rows() x matrix_cols()
  /// The geometry of every weight layer; empty means plain dense layers as the weights say.
  std::vector<LayerShape> layers;
  /// NIR networks: per layer, its neurons (integrate-and-fire kinds); empty for MIF networks.
  std::vector<device_models::SpikingParams> populations;
  TrainingInfo training;

  /// Whether the neurons are NIR populations (spike-train inputs, spikes between layers).
  bool Spiking() const { return !populations.empty(); }

  /// The geometry of every layer: `layers`, or the plain dense layers the weights imply.
  std::vector<LayerShape> Shapes() const;
  /// Input elements (pixels) and output neurons.
  int inputs() const;
  int outputs() const;
  /// Whether every layer is plain dense (no convolution, pooling or bias).
  bool IsPlainDense() const { return AllPlainDense(Shapes()); }
  /// Neurons after each layer from input to output, e.g. {784, 256, 10}; for a convolutional
  /// network the element counts, e.g. {784, 12544, 3136, 10}.
  std::vector<int> LayerSizes() const;
  /// "784-256-10" or "1x28x28-c16k5p2-a2-c32k5-a2-10".
  std::string Describe() const { return DescribeArchitecture(Shapes()); }
  /// Checks that the layers chain, the weights match them and every parameter is valid.
  Expected<void> Validate() const;
};

}  // namespace xbar::compiler
