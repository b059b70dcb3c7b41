// The fully memristive spiking network in time: forward pass and exact BPTT over a chunk of samples.
#pragma once

#include <Eigen/Core>
#include <vector>

#include "compiler/model.h"
#include "device_models/mif_neuron.h"

namespace xbar::runtime {

template <typename S>
using Mat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>;

/// Runs the network of a model over T steps for a chunk of samples (one column per sample).
/// Encoding (docs/mif.md): layer 1 receives input_gain * W1 x as impulses at steps 0, P, 2P, ...;
/// layer l > 1 receives W_l v_{l-1} / inter_layer_scale at every step, in the same step;
/// logits = time-mean of the output layer's membrane voltage / readout_scale.
template <typename S>
class SnnEngine {
 public:
  SnnEngine(const device_models::MifParams& neuron, const compiler::Encoding& encoding);

  /// Forward pass with `weights` (outputs x inputs per layer) on `x` (inputs x B). With `record`
  /// the engine keeps the tape for Backward. Returns logits (classes x B).
  const Mat<S>& Forward(const std::vector<Mat<S>>& weights, const Eigen::Ref<const Mat<S>>& x,
                        bool record);

  /// Backward pass of the last recorded Forward: given dL/dlogits (classes x B), adds dL/dW_l to
  /// `grads` (same shapes as the weights).
  void Backward(const Mat<S>& dlogits, std::vector<Mat<S>>& grads);

  /// Membrane voltage of layer `l` after step t (1 <= t <= T) of the last recorded Forward.
  const device_models::Arr<S>& recorded_v(std::size_t layer, int t) const {
    return layers_[layer].recorded_v(t);
  }

 private:
  device_models::MifParams neuron_;
  compiler::Encoding encoding_;
  const std::vector<Mat<S>>* weights_ = nullptr;
  Mat<S> x_;                                  // input of the last recorded forward
  std::vector<device_models::MifLayer<S>> layers_;
  std::vector<Mat<S>> scaled_;                // W_l / inter_layer_scale for l > 0
  device_models::Arr<S> drive_;               // input_gain * W1 x
  std::vector<device_models::Arr<S>> u_;      // per-layer drive of the current step
  Mat<S> vsum_;                               // sum over steps of the output voltage
  Mat<S> logits_;
};

/// Softmax cross-entropy: returns the mean loss over the columns and writes dL/dlogits (already
/// divided by `normaliser`, usually the batch size) into `dlogits`; counts correct argmaxes.
template <typename S>
double SoftmaxCrossEntropy(const Mat<S>& logits, const uint8_t* labels, double normaliser,
                           Mat<S>& dlogits, int* correct);

extern template class SnnEngine<float>;
extern template class SnnEngine<double>;

}  // namespace xbar::runtime
