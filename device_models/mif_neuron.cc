// MIF neuron layer: forward steps and exact BPTT adjoints (derivation in docs/mif.md).
#include "device_models/mif_neuron.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "support/format.h"

namespace xbar::device_models {
namespace {

template <typename Derived>
auto Sigmoid(const Eigen::ArrayBase<Derived>& z) {
  using S = typename Derived::Scalar;
  return S(1) / (S(1) + (-z).exp());
}

}  // namespace

Expected<void> MifParams::Validate() const {
  auto positive = [](double v, const char* name) -> Expected<void> {
    if (!(v > 0) || !std::isfinite(v)) {
      return Fail(ErrorCode::kInvalidArgument,
                  std::string("neuron ") + name + " = " + FormatNumber(v) + " must be positive and finite");
    }
    return {};
  };
  for (auto [v, name] : {std::pair{r_on_ohm, "r_on_ohm"}, {r_off_ohm, "r_off_ohm"}, {c, "c"},
                         {k_mv, "k_mv"}}) {
    if (auto ok = positive(v, name); !ok) return ok;
  }
  if (r_on_ohm >= r_off_ohm) {
    return Fail(ErrorCode::kInvalidArgument, "neuron r_on_ohm = " + FormatNumber(r_on_ohm) +
                                                 " must be below r_off_ohm = " + FormatNumber(r_off_ohm));
  }
  if (!(tau_steps >= 1) || !(tau_alpha_steps >= 1)) {
    return Fail(ErrorCode::kInvalidArgument, "neuron tau_steps = " + FormatNumber(tau_steps) +
                                                 " and tau_alpha_steps = " + FormatNumber(tau_alpha_steps) +
                                                 " must be at least 1 step");
  }
  if (!(x0 >= 0 && x0 <= 1)) {
    return Fail(ErrorCode::kInvalidArgument, "neuron x0 = " + FormatNumber(x0) + " must lie in [0, 1]");
  }
  for (double v : {v_on_mv, v_off_mv, e1_mv, e2_mv}) {
    if (!std::isfinite(v)) return Fail(ErrorCode::kInvalidArgument, "neuron voltages must be finite");
  }
  const bool absent = rail_low_mv == -std::numeric_limits<double>::infinity() &&
                      rail_high_mv == std::numeric_limits<double>::infinity();
  if (!absent && !(std::isfinite(rail_low_mv) && std::isfinite(rail_high_mv))) {
    return Fail(ErrorCode::kInvalidArgument, "neuron rails " + FormatNumber(rail_low_mv) + ", " +
                                                 FormatNumber(rail_high_mv) + " mV must both be finite or both absent");
  }
  if (bounded() && !(rail_low_mv <= std::min(e1_mv, e2_mv) && rail_high_mv >= std::max(e1_mv, e2_mv) &&
                     rail_low_mv < rail_high_mv)) {
    return Fail(ErrorCode::kInvalidArgument,
                "neuron rails [" + FormatNumber(rail_low_mv) + ", " + FormatNumber(rail_high_mv) +
                    "] mV must contain the branch sources e1_mv = " + FormatNumber(e1_mv) +
                    " and e2_mv = " + FormatNumber(e2_mv));
  }
  return {};
}

Expected<MifParams> MifParams::WithStepScale(double scale) const {
  if (!(scale >= 1e-3 && scale <= 1e3)) {
    return Fail(ErrorCode::kInvalidArgument, "--step-scale " + std::to_string(scale) + " must lie in [0.001, 1000]");
  }
  MifParams p = *this;
  p.tau_steps /= scale;
  p.tau_alpha_steps /= scale;
  p.c /= scale;
  return p;
}

template <typename S>
void MifState<S>::Reset(const MifParams& p, Eigen::Index neurons, Eigen::Index batch) {
  a.setZero(neurons, batch);
  i.setZero(neurons, batch);
  v.setZero(neurons, batch);
  x1.setConstant(neurons, batch, static_cast<S>(p.x0));
  x2.setConstant(neurons, batch, static_cast<S>(p.x0));
}

template <typename S>
void MifState<S>::Zero(Eigen::Index neurons, Eigen::Index batch) {
  for (Arr<S>* arr : {&a, &i, &v, &x1, &x2}) arr->setZero(neurons, batch);
}

template <typename S>
MifLayer<S>::MifLayer(const MifParams& params) : params_(params) {
  const double g_on = 1.0 / params.r_on_ohm;
  const double g_off = 1.0 / params.r_off_ohm;
  k_ = Coeffs{static_cast<S>(1.0 - 1.0 / params.tau_alpha_steps),
              static_cast<S>(1.0 / params.tau_alpha_steps),
              static_cast<S>(1.0 / params.tau_steps),
              static_cast<S>(g_off),
              static_cast<S>(g_on - g_off),
              static_cast<S>(params.e1_mv),
              static_cast<S>(params.e2_mv),
              static_cast<S>(params.c),
              static_cast<S>(1.0 / params.c),
              static_cast<S>(1.0 / params.k_mv),
              static_cast<S>(params.v_on_mv),
              static_cast<S>(params.v_off_mv),
              static_cast<S>(params.rail_low_mv),
              static_cast<S>(params.rail_high_mv),
              params.membrane_update == MembraneUpdate::kImplicit,
              params.bounded()};
}

template <typename S>
void MifLayer<S>::Reset(Eigen::Index neurons, Eigen::Index batch, int steps, bool record) {
  state_.Reset(params_, neurons, batch);
  record_ = record;
  t_ = 0;
  penalty_sum_ = 0;
  if (record_) {
    const auto n = static_cast<std::size_t>(steps) + 1;
    for (auto* tape : {&v_, &x1_, &x2_, &son1_, &soff1_, &son2_, &soff2_}) {
      if (tape->size() < n) tape->resize(n);
    }
    v_[0] = state_.v;
    x1_[0] = state_.x1;
    x2_[0] = state_.x2;
  }
}

template <typename S>
void MifLayer<S>::SetState(const MifState<S>& state) {
  XBAR_CHECK(t_ == 0);
  state_ = state;
  if (record_) {
    v_[0] = state_.v;
    x1_[0] = state_.x1;
    x2_[0] = state_.x2;
  }
}

template <typename S>
void MifLayer<S>::SetMarginPenalty(S weight, S low, S high) {
  XBAR_CHECK(weight >= 0);
  XBAR_CHECK(weight == 0 || (k_.bounded && low > k_.rail_low && high < k_.rail_high && low < high));
  penalty_weight_ = weight;
  penalty_low_ = low;
  penalty_high_ = high;
}

template <typename S>
const Arr<S>& MifLayer<S>::Step(const Arr<S>& u) {
  Advance(&u);
  return state_.v;
}

template <typename S>
const Arr<S>& MifLayer<S>::StepZero() {
  Advance(nullptr);
  return state_.v;
}

template <typename S>
void MifLayer<S>::Advance(const Arr<S>* u) {
  auto& s = state_;
  if (u != nullptr) {
    s.a = s.a * k_.decay + *u;
  } else {
    s.a *= k_.decay;
  }
  s.i = s.i * k_.decay + s.a * k_.inv_tau_a;
  if (k_.implicit) {
    s.v = (k_.c * s.v + s.i + (k_.g_off + k_.dg * s.x1) * k_.e1 + (k_.g_off + k_.dg * s.x2) * k_.e2) /
          (k_.c + S(2) * k_.g_off + k_.dg * (s.x1 + s.x2));
  } else {
    s.v = s.v + (s.i - (k_.g_off + k_.dg * s.x1) * (s.v - k_.e1) -
                 (k_.g_off + k_.dg * s.x2) * (s.v - k_.e2)) * k_.inv_c;
  }
  if (record_ && penalty_weight_ != 0) {
    penalty_sum_ += static_cast<double>(penalty_weight_) *
                    static_cast<double>(((s.v - penalty_high_).max(S(0)) + (penalty_low_ - s.v).max(S(0))).sum());
  }
  if (k_.bounded) s.v = s.v.max(k_.rail_low).min(k_.rail_high);
  ++t_;
  if (record_) {
    const auto t = static_cast<std::size_t>(t_);
    XBAR_CHECK(t < v_.size());
    auto& son1 = son1_[t];
    auto& soff1 = soff1_[t];
    auto& son2 = son2_[t];
    auto& soff2 = soff2_[t];
    son1 = Sigmoid((s.v - k_.e1 - k_.v_on) * k_.inv_k);
    soff1 = Sigmoid((k_.v_off - s.v + k_.e1) * k_.inv_k);
    son2 = Sigmoid((s.v - k_.e2 - k_.v_on) * k_.inv_k);
    soff2 = Sigmoid((k_.v_off - s.v + k_.e2) * k_.inv_k);
    s.x1 += k_.inv_tau * ((S(1) - s.x1) * son1 - s.x1 * soff1);
    s.x2 += k_.inv_tau * ((S(1) - s.x2) * son2 - s.x2 * soff2);
    v_[t] = s.v;
    x1_[t] = s.x1;
    x2_[t] = s.x2;
  } else {
    s.x1 += k_.inv_tau * ((S(1) - s.x1) * Sigmoid((s.v - k_.e1 - k_.v_on) * k_.inv_k) -
                          s.x1 * Sigmoid((k_.v_off - s.v + k_.e1) * k_.inv_k));
    s.x2 += k_.inv_tau * ((S(1) - s.x2) * Sigmoid((s.v - k_.e2 - k_.v_on) * k_.inv_k) -
                          s.x2 * Sigmoid((k_.v_off - s.v + k_.e2) * k_.inv_k));
  }
}

template <typename S>
void MifLayer<S>::BackwardStep(int t, MifState<S>& adj, Arr<S>& u_bar) const {
  XBAR_CHECK(record_ && t >= 1 && t <= t_);
  const auto n = static_cast<std::size_t>(t);
  const Arr<S>& x1_old = x1_[n - 1];
  const Arr<S>& x2_old = x2_[n - 1];
  const Arr<S>& v_new = v_[n];
  const Arr<S>& son1 = son1_[n];
  const Arr<S>& soff1 = soff1_[n];
  const Arr<S>& son2 = son2_[n];
  const Arr<S>& soff2 = soff2_[n];
  // Memristor state equations: x' = x + [(1 - x) son(v') - x soff(v')] / tau.
  // dx'/dv' = [(1 - x) son (1 - son) + x soff (1 - soff)] / (k tau);  dx'/dx = 1 - (son + soff)/tau.
  const S rate = k_.inv_tau * k_.inv_k;
  adj.v += adj.x1 * rate * ((S(1) - x1_old) * son1 * (S(1) - son1) + x1_old * soff1 * (S(1) - soff1)) +
           adj.x2 * rate * ((S(1) - x2_old) * son2 * (S(1) - son2) + x2_old * soff2 * (S(1) - soff2));
  adj.x1 *= S(1) - k_.inv_tau * (son1 + soff1);
  adj.x2 *= S(1) - k_.inv_tau * (son2 + soff2);
  // At a rail the membrane no longer follows its equation: v' = clamp(v_eq), dv'/dv_eq = 0 there.
  if (k_.bounded) adj.v = (v_new > k_.rail_low && v_new < k_.rail_high).select(adj.v, S(0));
  // The margin penalty acts on v_eq itself; v_eq > high exactly when the clamped v_new > high.
  if (penalty_weight_ != 0) {
    adj.v += penalty_weight_ * ((v_new > penalty_high_).template cast<S>() - (v_new < penalty_low_).template cast<S>());
  }
  // Membrane equation; G_i = g_off + dg x_i (old states).
  if (k_.implicit) {
    // v' = N / D: dv'/dv = C/D, dv'/dI' = 1/D, dv'/dG_i = (E_i - v')/D.
    const Arr<S> vd = adj.v / (k_.c + S(2) * k_.g_off + k_.dg * (x1_old + x2_old));
    adj.x1 += vd * (k_.e1 - v_new) * k_.dg;
    adj.x2 += vd * (k_.e2 - v_new) * k_.dg;
    adj.i += vd;
    adj.v = vd * k_.c;
  } else {
    // v' = v + (I' - G1 (v - E1) - G2 (v - E2)) / C.
    const Arr<S>& v_old = v_[n - 1];
    adj.x1 -= adj.v * (v_old - k_.e1) * (k_.dg * k_.inv_c);
    adj.x2 -= adj.v * (v_old - k_.e2) * (k_.dg * k_.inv_c);
    adj.i += adj.v * k_.inv_c;
    adj.v *= S(1) - (S(2) * k_.g_off + k_.dg * (x1_old + x2_old)) * k_.inv_c;
  }
  // Synapse: I' = d I + a'/tau_a, a' = d a + u.
  adj.a += adj.i * k_.inv_tau_a;
  u_bar = adj.a;
  adj.a *= k_.decay;
  adj.i *= k_.decay;
}

template struct MifState<float>;
template struct MifState<double>;
template class MifLayer<float>;
template class MifLayer<double>;

}  // namespace xbar::device_models
