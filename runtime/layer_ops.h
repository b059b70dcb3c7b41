// The synaptic computation of one weight layer (dense or convolution, pooling before it, bias) on
// a chunk of samples, and its exact adjoints: what the network in time (runtime/snn.h) applies at
// every step, and what a crossbar tile computes as currents (docs/conv.md).
#pragma once

#include <Eigen/Core>

#include "compiler/layer_shape.h"

namespace xbar::runtime {

template <typename S>
using Mat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>;

/// Applies a layer whose weights are already multiplied by their input scale: `eff` is the weight
/// matrix (compiler/layer_shape.h) with the fan-in columns times the layer's input scale and the
/// bias column times the bias input. Activations are one column per sample, channel-major.
template <typename S>
class LayerOp {
 public:
  explicit LayerOp(const compiler::LayerShape& shape);

  const compiler::LayerShape& shape() const { return shape_; }

  /// The pooled input of `source` (source size x B); `source` itself without pooling.
  const Mat<S>& Pool(const Eigen::Ref<const Mat<S>>& source);
  /// Adds the adjoint of Pool: source_bar += P^T input_bar.
  void PoolBackward(const Mat<S>& input_bar, Eigen::Ref<Mat<S>> source_bar) const;

  /// y = eff_k (*) x + eff_bias: a matrix product (dense) or the kernel at every output position
  /// (convolution with stride and zero padding); y must be neurons x B.
  void Forward(const Mat<S>& eff, const Eigen::Ref<const Mat<S>>& x, Eigen::Ref<Mat<S>> y);

  /// Adjoint of Forward for weights `w` with eff = w * scales: adds dL/dw to `dw` given
  /// y_bar = dL/dy (in_scale: the fan-in columns' scale, bias_in: the bias column's), and, with
  /// `want_x_bar`, dL/dx to `x_bar` (through eff).
  void Backward(const Mat<S>& eff, const Eigen::Ref<const Mat<S>>& x, const Eigen::Ref<const Mat<S>>& y_bar,
                S in_scale, S bias_in, Mat<S>& dw, bool want_x_bar, Eigen::Ref<Mat<S>> x_bar);

  /// eff = w with the fan-in columns times in_scale and the bias column times bias_in.
  static void Scale(const Mat<S>& w, const compiler::LayerShape& shape, S in_scale, S bias_in, Mat<S>& eff);

 private:
  // Rows: output positions; columns: fan-in (channel, kernel row, kernel column) of sample `b`.
  void Im2Col(const Eigen::Ref<const Mat<S>>& x, Eigen::Index b);
  void Col2ImAdd(Eigen::Ref<Mat<S>> x_bar, Eigen::Index b) const;

  compiler::LayerShape shape_;
  compiler::Shape3 in_, out_;
  int fan_in_ = 0;
  Mat<S> pooled_;
  Mat<S> patches_;      // positions x fan_in
  Mat<S> patches_bar_;  // positions x fan_in
};

extern template class LayerOp<float>;
extern template class LayerOp<double>;

}  // namespace xbar::runtime
