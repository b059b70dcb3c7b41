// The fully memristive spiking network in time: forward pass and exact BPTT over a chunk of samples.
#pragma once

#include <Eigen/Core>
#include <vector>

#include "compiler/model.h"
#include "device_models/mif_neuron.h"
#include "runtime/layer_ops.h"
#include "runtime/voltage_range.h"

namespace xbar::runtime {

/// Runs the network of a model over T steps for a chunk of samples (one column per sample).
/// Encoding (docs/mif.md): layer 1 receives input_gain * (W1 (*) x + b1) as impulses at steps
/// 0, P, 2P, ...; layer l > 1 receives W_l (*) pool(v_{l-1}) / inter_layer_scale + b_l at every
/// step, in the same step ((*): a matrix product or a convolution, runtime/layer_ops.h);
/// logits = time-mean of the output layer's membrane voltage / readout_scale. With a drive limit
/// (compiler::Encoding::drive_limit_mv), layer l > 1 sees v_{l-1} clipped to it, as the word-line
/// drivers apply it; the membranes themselves stay within the neuron's rails (MifParams).
template <typename S>
class SnnEngine {
 public:
  /// A network of `layers` (compiler/layer_shape.h); empty: plain dense layers as the weights of
  /// each Forward say.
  SnnEngine(const device_models::MifParams& neuron, const compiler::Encoding& encoding,
            std::vector<compiler::LayerShape> layers = {});

  /// Forward pass with `weights` (one matrix per layer, compiler/model.h) on `x` (inputs x B). With `record`
  /// the engine keeps the tape for Backward. Returns logits (classes x B).
  const Mat<S>& Forward(const std::vector<Mat<S>>& weights, const Eigen::Ref<const Mat<S>>& x,
                        bool record);

  /// Backward pass of the last recorded Forward: given dL/dlogits (classes x B), adds dL/dW_l to
  /// `grads` (same shapes as the weights).
  void Backward(const Mat<S>& dlogits, std::vector<Mat<S>>& grads);

  /// Recorded forward passes from now on add the rail margin penalty to the loss: `weight` times,
  /// per sample, the sum over every neuron of every layer of the time-mean of
  /// max(0, v_eq - margin * rail_high) + max(0, margin * rail_low - v_eq) in volts (v_eq: the
  /// membrane before the rails clamp it), and Backward its exact gradient. It keeps a trained
  /// network's membranes inside the rails instead of resting on them (docs/mif.md). Needs rails;
  /// margin in (0, 1); weight 0: off.
  void set_margin_penalty(double weight, double margin);
  /// The penalty of the last recorded Forward, summed over its samples.
  double margin_penalty() const;

  /// Forward passes from now on add their voltage figures to `range` (nullptr: none).
  void set_voltage_range(VoltageRange* range) { range_ = range; }

  /// Membrane voltage of layer `l` after step t (1 <= t <= T) of the last recorded Forward.
  const device_models::Arr<S>& recorded_v(std::size_t layer, int t) const {
    return layers_[layer].recorded_v(t);
  }

 private:
  void Shape(const std::vector<Mat<S>>& weights);
  // What layer l > 0 reads of v_{l-1}: v itself, or v clipped to the drive limit (into clipped_).
  const device_models::Arr<S>& Drive(const device_models::Arr<S>& v);

  device_models::MifParams neuron_;
  compiler::Encoding encoding_;
  std::vector<compiler::LayerShape> shapes_;  // as given; empty: from the weights
  const std::vector<Mat<S>>* weights_ = nullptr;
  Mat<S> x_;                                  // input of the last recorded forward
  std::vector<LayerOp<S>> ops_;
  std::vector<device_models::MifLayer<S>> layers_;
  std::vector<Mat<S>> scaled_;                // W_l times its input scale (LayerOp::Scale)
  device_models::Arr<S> drive_;               // input_gain * (W1 (*) x + b1)
  std::vector<device_models::Arr<S>> u_;      // per-layer drive of the current step
  Mat<S> vsum_;                               // sum over steps of the output voltage
  Mat<S> logits_;
  device_models::Arr<S> clipped_;             // the drive-limited v of the layer being fed
  VoltageRange* range_ = nullptr;
  double penalty_weight_ = 0, penalty_margin_ = 0;
};

/// Softmax cross-entropy: returns the mean loss over the columns and writes dL/dlogits (already
/// divided by `normaliser`, usually the batch size) into `dlogits`; counts correct argmaxes.
template <typename S>
double SoftmaxCrossEntropy(const Mat<S>& logits, const uint8_t* labels, double normaliser,
                           Mat<S>& dlogits, int* correct);

extern template class SnnEngine<float>;
extern template class SnnEngine<double>;

}  // namespace xbar::runtime
