// Memristive integrate-and-fire (MIF) neuron layer: forward steps and exact BPTT adjoints.
//
// Equations (docs/mif.md, after SPICEprop): per step, with u the presynaptic drive,
//   a  <- a (1 - 1/tau_a) + u
//   I  <- I (1 - 1/tau_a) + a / tau_a
//   v  <- (C v + I + G1 E1 + G2 E2) / (C + G1 + G2)            (implicit, default)
//   v  <- v + (I - G1 (v - E1) - G2 (v - E2)) / C               (explicit)
//   x_i <- x_i + [(1 - x_i) s(v - E_i - V_on) - x_i s(V_off - v + E_i)] / tau,  s(z) = sig(z / k)
//   G_i = x_i / R_on + (1 - x_i) / R_off
// where G_i are taken from the memristor states before the step.
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <limits>
#include <vector>

#include "support/error.h"

namespace xbar::device_models {

/// How the membrane equation is stepped.
enum class MembraneUpdate { kImplicit, kExplicit };

/// Parameters of the MIF neuron, with the published defaults. Voltages in mV, resistances in
/// ohm, time constants in steps, capacitance in S·step (dt folded in).
struct MifParams {
  double r_on_ohm = 1e3;
  double r_off_ohm = 1e5;
  double v_on_mv = 110.0;
  double v_off_mv = 5.0;
  double tau_steps = 100.0;
  double tau_alpha_steps = 100.0;
  double e1_mv = 0.0;
  double e2_mv = 50.0;
  double c = 1e-4;
  double k_mv = 15.0;
  double x0 = 0.0238;
  MembraneUpdate membrane_update = MembraneUpdate::kImplicit;
  // Supply rails of the membrane node, mV: the membrane cannot leave [rail_low_mv, rail_high_mv]
  // (the input stage saturates there). Infinite for the published model and for models trained
  // before rails existed; both finite or both infinite, and they contain E1 and E2.
  double rail_low_mv = -std::numeric_limits<double>::infinity();
  double rail_high_mv = std::numeric_limits<double>::infinity();

  bool bounded() const { return std::isfinite(rail_low_mv); }

  /// Rejects non-physical values (kInvalidArgument naming the field and the limit).
  Expected<void> Validate() const;

  /// The same circuit stepped with a time step `scale` times longer: tau_steps, tau_alpha_steps
  /// and c (capacitance over the time step) divided by `scale`. kInvalidArgument for a scale
  /// outside [1e-3, 1e3] (--step-scale).
  Expected<MifParams> WithStepScale(double scale) const;
};

template <typename S>
using Arr = Eigen::Array<S, Eigen::Dynamic, Eigen::Dynamic>;

/// State of a layer of N neurons for B samples; every array is N x B (one column per sample).
template <typename S>
struct MifState {
  Arr<S> a, i, v, x1, x2;
  /// Sets the published initial state: v = a = I = 0, x1 = x2 = x0.
  void Reset(const MifParams& p, Eigen::Index neurons, Eigen::Index batch);
  /// Sets every array to zero (used for adjoints).
  void Zero(Eigen::Index neurons, Eigen::Index batch);
};

/// A layer of MIF neurons stepped in time; optionally records what its backward pass needs.
template <typename S>
class MifLayer {
 public:
  explicit MifLayer(const MifParams& params);

  /// Starts a new sequence of at most `steps` steps from the initial state. With `record` the
  /// layer keeps the tape for BackwardStep.
  void Reset(Eigen::Index neurons, Eigen::Index batch, int steps, bool record);
  /// Replaces the current state (before any step) — for tests on random states.
  void SetState(const MifState<S>& state);
  /// Training objective that keeps the membrane off its rails (recorded runs only): every step
  /// adds weight * (max(0, v_eq - high) + max(0, low - v_eq)) per neuron and sample, v_eq being
  /// the membrane before the rails clamp it (mV), and BackwardStep adds its exact derivative.
  /// Needs low > rail_low and high < rail_high (then v_eq > high exactly when the clamped v is,
  /// so the tape suffices). weight 0: off. Kept across Reset.
  void SetMarginPenalty(S weight, S low, S high);
  /// The penalty summed over the steps since Reset (0 when off or not recording).
  double margin_penalty() const { return penalty_sum_; }

  /// Advances one step with drive `u` (N x B); returns the new membrane voltage.
  const Arr<S>& Step(const Arr<S>& u);
  /// Advances one step with zero drive.
  const Arr<S>& StepZero();

  const MifState<S>& state() const { return state_; }
  int steps_done() const { return t_; }
  /// Recorded membrane voltage after step t (1 <= t <= steps_done(); t = 0 is the initial v).
  const Arr<S>& recorded_v(int t) const { return v_[static_cast<std::size_t>(t)]; }

  /// Reverse step t (called for t = steps_done() ... 1 in order). On entry `adj` holds dL/d(state
  /// after step t), including the loss terms of step t; on return it holds dL/d(state after step
  /// t - 1), and `u_bar` = dL/du_t.
  void BackwardStep(int t, MifState<S>& adj, Arr<S>& u_bar) const;

 private:
  struct Coeffs {
    S decay, inv_tau_a, inv_tau, g_off, dg, e1, e2, c, inv_c, inv_k, v_on, v_off, rail_low, rail_high;
    bool implicit, bounded;
  };
  void Advance(const Arr<S>* u);

  MifParams params_;
  Coeffs k_;
  MifState<S> state_;
  bool record_ = false;
  int t_ = 0;
  S penalty_weight_ = 0, penalty_low_ = 0, penalty_high_ = 0;
  double penalty_sum_ = 0;
  // Tape: states after each step (index 0 = initial) and switching rates of each step.
  std::vector<Arr<S>> v_, x1_, x2_, son1_, soff1_, son2_, soff2_;
};

extern template struct MifState<float>;
extern template struct MifState<double>;
extern template class MifLayer<float>;
extern template class MifLayer<double>;

}  // namespace xbar::device_models
