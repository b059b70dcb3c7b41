// The spiking network forward pass and its exact backward pass through time.
#include "runtime/snn.h"

#include <cmath>

namespace xbar::runtime {

using device_models::Arr;
using device_models::MifLayer;
using device_models::MifState;

template <typename S>
SnnEngine<S>::SnnEngine(const device_models::MifParams& neuron, const compiler::Encoding& encoding)
    : neuron_(neuron), encoding_(encoding) {}

template <typename S>
const Mat<S>& SnnEngine<S>::Forward(const std::vector<Mat<S>>& weights,
                                    const Eigen::Ref<const Mat<S>>& x, bool record) {
  const std::size_t depth = weights.size();
  XBAR_CHECK(depth > 0 && x.rows() == weights[0].cols());
  weights_ = &weights;
  const Eigen::Index batch = x.cols();
  const int steps = encoding_.steps;
  const int period = encoding_.period;
  if (layers_.size() != depth) {
    layers_.assign(depth, MifLayer<S>(neuron_));
    scaled_.resize(depth);
    u_.resize(depth);
  }
  const S inv_scale = static_cast<S>(1.0 / encoding_.inter_layer_scale);
  for (std::size_t l = 1; l < depth; ++l) scaled_[l] = weights[l] * inv_scale;
  drive_.resize(weights[0].rows(), batch);
  drive_.matrix().noalias() = (weights[0] * static_cast<S>(encoding_.input_gain)) * x;
  if (record) x_ = x;
  for (std::size_t l = 0; l < depth; ++l) {
    layers_[l].Reset(weights[l].rows(), batch, steps, record);
  }
  vsum_.setZero(weights.back().rows(), batch);
  for (int t = 0; t < steps; ++t) {
    const Arr<S>* v = (t % period == 0) ? &layers_[0].Step(drive_) : &layers_[0].StepZero();
    for (std::size_t l = 1; l < depth; ++l) {
      u_[l].resize(weights[l].rows(), batch);
      u_[l].matrix().noalias() = scaled_[l] * v->matrix();
      v = &layers_[l].Step(u_[l]);
    }
    vsum_.array() += *v;
  }
  logits_ = vsum_ * static_cast<S>(1.0 / (steps * encoding_.readout_scale));
  return logits_;
}

template <typename S>
void SnnEngine<S>::Backward(const Mat<S>& dlogits, std::vector<Mat<S>>& grads) {
  XBAR_CHECK(weights_ != nullptr);
  const auto& weights = *weights_;
  const std::size_t depth = weights.size();
  XBAR_CHECK(grads.size() == depth);
  const Eigen::Index batch = dlogits.cols();
  const int steps = layers_[0].steps_done();
  const int period = encoding_.period;
  const S inv_scale = static_cast<S>(1.0 / encoding_.inter_layer_scale);
  // dL/dv_out(t) for every t, since logits = sum_t v_out(t) / (T * readout_scale).
  const Arr<S> g_out = dlogits.array() * static_cast<S>(1.0 / (steps * encoding_.readout_scale));
  std::vector<MifState<S>> adj(depth);
  for (std::size_t l = 0; l < depth; ++l) adj[l].Zero(weights[l].rows(), batch);
  std::vector<Arr<S>> u_bar(depth);
  Mat<S> impulse_bar = Mat<S>::Zero(weights[0].rows(), batch);
  for (int t = steps; t >= 1; --t) {
    adj[depth - 1].v += g_out;
    for (std::size_t l = depth; l-- > 0;) {
      layers_[l].BackwardStep(t, adj[l], u_bar[l]);
      if (l > 0) {
        const auto& v_in = layers_[l - 1].recorded_v(t);
        // u_l = (W_l / s) v_{l-1}:  dW_l += u_bar v^T / s,  dv_{l-1} += (W_l / s)^T u_bar.
        grads[l].noalias() += (u_bar[l].matrix() * inv_scale) * v_in.matrix().transpose();
        adj[l - 1].v.matrix().noalias() += scaled_[l].transpose() * u_bar[l].matrix();
      } else if ((t - 1) % period == 0) {
        impulse_bar += u_bar[0].matrix();
      }
    }
  }
  grads[0].noalias() += (impulse_bar * static_cast<S>(encoding_.input_gain)) * x_.transpose();
}

template <typename S>
double SoftmaxCrossEntropy(const Mat<S>& logits, const uint8_t* labels, double normaliser,
                           Mat<S>& dlogits, int* correct) {
  dlogits.resize(logits.rows(), logits.cols());
  double loss = 0;
  int right = 0;
  for (Eigen::Index s = 0; s < logits.cols(); ++s) {
    Eigen::Index best = 0;
    const S peak = logits.col(s).maxCoeff(&best);
    if (best == labels[s]) ++right;
    const auto shifted = (logits.col(s).array() - peak).template cast<double>().eval();
    const Eigen::ArrayXd e = shifted.exp();
    const double z = e.sum();
    loss += std::log(z) - shifted(labels[s]);
    Eigen::ArrayXd p = e / z;
    p(labels[s]) -= 1.0;
    dlogits.col(s) = (p / normaliser).template cast<S>().matrix();
  }
  if (correct != nullptr) *correct = right;
  return loss / static_cast<double>(logits.cols());
}

template class SnnEngine<float>;
template class SnnEngine<double>;
template double SoftmaxCrossEntropy<float>(const Mat<float>&, const uint8_t*, double, Mat<float>&,
                                           int*);
template double SoftmaxCrossEntropy<double>(const Mat<double>&, const uint8_t*, double,
                                            Mat<double>&, int*);

}  // namespace xbar::runtime
