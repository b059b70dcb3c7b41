// The spiking network forward pass and its exact backward pass through time.
#include "runtime/snn.h"

#include <cmath>

namespace xbar::runtime {

using device_models::Arr;
using device_models::MifLayer;
using device_models::MifState;

template <typename S>
SnnEngine<S>::SnnEngine(const device_models::MifParams& neuron, const compiler::Encoding& encoding,
                        std::vector<compiler::LayerShape> layers)
    : neuron_(neuron), encoding_(encoding), shapes_(std::move(layers)) {}

template <typename S>
void SnnEngine<S>::Shape(const std::vector<Mat<S>>& weights) {
  const std::size_t depth = weights.size();
  if (ops_.size() == depth && layers_.size() == depth) return;
  std::vector<compiler::LayerShape> shapes = shapes_;
  if (shapes.empty()) {
    std::vector<int> sizes = {static_cast<int>(weights[0].cols())};
    for (const auto& w : weights) sizes.push_back(static_cast<int>(w.rows()));
    shapes = compiler::DenseShapes(sizes);
  }
  XBAR_CHECK(shapes.size() == depth);
  ops_.clear();
  for (const auto& shape : shapes) ops_.emplace_back(shape);
  layers_.assign(depth, device_models::MifLayer<S>(neuron_));
  scaled_.resize(depth);
  u_.resize(depth);
}

template <typename S>
void SnnEngine<S>::set_margin_penalty(double weight, double margin) {
  XBAR_CHECK(weight >= 0);
  XBAR_CHECK(weight == 0 || (neuron_.bounded() && margin > 0 && margin < 1));
  penalty_weight_ = weight;
  penalty_margin_ = margin;
}

template <typename S>
double SnnEngine<S>::margin_penalty() const {
  double sum = 0;
  for (const auto& layer : layers_) sum += layer.margin_penalty();
  return sum;
}

template <typename S>
const Arr<S>& SnnEngine<S>::Drive(const Arr<S>& v) {
  if (!encoding_.clips_drive()) return v;
  const auto limit = static_cast<S>(encoding_.drive_limit_mv);
  clipped_ = v.max(-limit).min(limit);
  return clipped_;
}

template <typename S>
const Mat<S>& SnnEngine<S>::Forward(const std::vector<Mat<S>>& weights,
                                    const Eigen::Ref<const Mat<S>>& x, bool record) {
  const std::size_t depth = weights.size();
  XBAR_CHECK(depth > 0);
  Shape(weights);
  XBAR_CHECK(x.rows() == ops_[0].shape().source.size());
  weights_ = &weights;
  const Eigen::Index batch = x.cols();
  const int steps = encoding_.steps;
  const int period = encoding_.period;
  const S inv_scale = static_cast<S>(1.0 / encoding_.inter_layer_scale);
  const auto gain = static_cast<S>(encoding_.input_gain);
  LayerOp<S>::Scale(weights[0], ops_[0].shape(), gain, gain, scaled_[0]);
  for (std::size_t l = 1; l < depth; ++l) LayerOp<S>::Scale(weights[l], ops_[l].shape(), inv_scale, S(1), scaled_[l]);
  drive_.resize(ops_[0].shape().neurons(), batch);
  ops_[0].Forward(scaled_[0], x, drive_.matrix());
  if (record) x_ = x;
  // The penalty in volts, time-mean: per neuron-step weight / (1000 mV/V * T).
  const auto penalty = static_cast<S>(penalty_weight_ / (1000.0 * steps));
  for (std::size_t l = 0; l < depth; ++l) {
    const int neurons = ops_[l].shape().neurons();
    if (penalty_weight_ > 0) {
      layers_[l].SetMarginPenalty(penalty, static_cast<S>(penalty_margin_ * neuron_.rail_low_mv),
                                  static_cast<S>(penalty_margin_ * neuron_.rail_high_mv));
    } else {
      layers_[l].SetMarginPenalty(S(0), S(0), S(0));
    }
    layers_[l].Reset(neurons, batch, steps, record);
    u_[l].resize(neurons, batch);
  }
  vsum_.setZero(ops_.back().shape().neurons(), batch);
  for (int t = 0; t < steps; ++t) {
    const device_models::Arr<S>* v =
        (t % period == 0) ? &layers_[0].Step(drive_) : &layers_[0].StepZero();
    for (std::size_t l = 1; l < depth; ++l) {
      auto& op = ops_[l];
      if (range_ != nullptr) range_->Tally(*v, true, neuron_, encoding_.drive_limit_mv);
      const Arr<S>& in = Drive(*v);
      if (op.shape().pool == compiler::PoolKind::kNone) {
        op.Forward(scaled_[l], in.matrix(), u_[l].matrix());
      } else {
        op.Forward(scaled_[l], op.Pool(in.matrix()), u_[l].matrix());
      }
      v = &layers_[l].Step(u_[l]);
    }
    if (range_ != nullptr) range_->Tally(*v, false, neuron_, encoding_.drive_limit_mv);
    vsum_.array() += *v;
  }
  logits_ = vsum_ * static_cast<S>(1.0 / (steps * encoding_.readout_scale));
  return logits_;
}

template <typename S>
void SnnEngine<S>::Backward(const Mat<S>& dlogits, std::vector<Mat<S>>& grads) {
  XBAR_CHECK(weights_ != nullptr);
  const std::size_t depth = weights_->size();
  XBAR_CHECK(grads.size() == depth);
  const Eigen::Index batch = dlogits.cols();
  const int steps = layers_[0].steps_done();
  const int period = encoding_.period;
  const S inv_scale = static_cast<S>(1.0 / encoding_.inter_layer_scale);
  const auto gain = static_cast<S>(encoding_.input_gain);
  // dL/dv_out(t) for every t, since logits = sum_t v_out(t) / (T * readout_scale).
  const Arr<S> g_out = dlogits.array() * static_cast<S>(1.0 / (steps * encoding_.readout_scale));
  std::vector<MifState<S>> adj(depth);
  for (std::size_t l = 0; l < depth; ++l) adj[l].Zero(ops_[l].shape().neurons(), batch);
  std::vector<Arr<S>> u_bar(depth);
  Mat<S> impulse_bar = Mat<S>::Zero(ops_[0].shape().neurons(), batch);
  Mat<S> pooled_bar;
  Arr<S> drive_bar;
  for (int t = steps; t >= 1; --t) {
    adj[depth - 1].v += g_out;
    for (std::size_t l = depth; l-- > 0;) {
      layers_[l].BackwardStep(t, adj[l], u_bar[l]);
      if (l > 0) {
        // u_l = (W_l / s) (*) pool(v_{l-1}) + b_l: the weight gradient and dL/dv_{l-1}.
        // With a drive limit the input is clip(v_{l-1}), whose derivative is 0 beyond the limit.
        auto& op = ops_[l];
        const Arr<S>& v_prev = layers_[l - 1].recorded_v(t);
        const Arr<S>& v_in = Drive(v_prev);
        Arr<S>& v_bar = encoding_.clips_drive() ? drive_bar.setZero(v_prev.rows(), batch) : adj[l - 1].v;
        if (op.shape().pool == compiler::PoolKind::kNone) {
          op.Backward(scaled_[l], v_in.matrix(), u_bar[l].matrix(), inv_scale, S(1), grads[l], true,
                      v_bar.matrix());
        } else {
          pooled_bar.setZero(op.shape().input().size(), batch);
          op.Backward(scaled_[l], op.Pool(v_in.matrix()), u_bar[l].matrix(), inv_scale, S(1), grads[l], true,
                      pooled_bar);
          op.PoolBackward(pooled_bar, v_bar.matrix());
        }
        if (encoding_.clips_drive()) {
          const auto limit = static_cast<S>(encoding_.drive_limit_mv);
          adj[l - 1].v += (v_prev.abs() < limit).select(drive_bar, S(0));
        }
      } else if ((t - 1) % period == 0) {
        impulse_bar += u_bar[0].matrix();
      }
    }
  }
  ops_[0].Backward(scaled_[0], x_, impulse_bar, gain, gain, grads[0], false, impulse_bar);
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
