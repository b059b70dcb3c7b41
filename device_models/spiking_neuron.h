// Integrate-and-fire neuron populations of the kinds spiking-network frameworks exchange as NIR
// (I, IF, LI, LIF, CubaLI, CubaLIF): one owner of their discrete step, used by the software run of
// a NIR graph (runtime/nir_sim.h) and, next, by the chip's neuron arrays (docs/nir.md).
//
// Per step, with x the population's input:
//   I, IF:           v <- v + r x                                   (integrators: no dt)
//   LI, LIF:         v <- v + dt/tau (v_leak - v + r x)             (forward Euler)
//   CubaLI, CubaLIF: I <- I + dt/tau_syn (-I + w_in x);  v <- v + dt/tau_mem (v_leak - v + r I)
// The membrane is then held within [v_min, v_max] (a circuit's rails; unbounded by default).
// Spiking kinds (IF, LIF, CubaLIF) then emit z = [v > v_threshold] and reset where z = 1: to
// v_reset, or by subtracting v_threshold. Their output is z; the others' is v.
#pragma once

#include <cmath>

#include <Eigen/Core>

#include "support/error.h"

namespace xbar::device_models {

enum class SpikingKind { kI, kIF, kLI, kLIF, kCubaLI, kCubaLIF };

enum class ResetRule {
  kToValue,   // v <- v_reset
  kSubtract,  // v <- v - v_threshold
};

/// A population's parameters, one value per neuron (every array of the population's size; those
/// its kind does not use may be empty). `tau` is the membrane's time constant (NIR's tau, or
/// tau_mem of the current-based kinds), s; w_in defaults to 1 and v_reset to 0.
struct SpikingParams {
  SpikingKind kind = SpikingKind::kLIF;
  Eigen::ArrayXd tau, tau_syn, r, v_leak, v_threshold, v_reset, w_in;
  ResetRule reset = ResetRule::kToValue;
  double dt_s = 1e-4;
  /// Bounds of the membrane, file units: a circuit's supply rails hold it there after each update,
  /// before the threshold is compared (the software run has none).
  double v_min = -INFINITY, v_max = INFINITY;

  bool Spikes() const { return kind == SpikingKind::kIF || kind == SpikingKind::kLIF || kind == SpikingKind::kCubaLIF; }
  bool Leaky() const { return kind != SpikingKind::kI && kind != SpikingKind::kIF; }
  bool Synaptic() const { return kind == SpikingKind::kCubaLI || kind == SpikingKind::kCubaLIF; }
  Eigen::Index size() const { return r.size(); }
  /// The part of one step's input x that neuron `i` adds to the state it integrates (the membrane,
  /// or the synaptic current of the current-based kinds): r, r dt / tau, or w_in dt / tau_syn.
  double InputWeight(Eigen::Index i) const {
    if (Synaptic()) return (w_in.size() > 0 ? w_in(i) : 1.0) * dt_s / tau_syn(i);
    return Leaky() ? r(i) * dt_s / tau(i) : r(i);
  }
  /// Checks every array its kind uses has size() finite values (time constants and dt > 0, s);
  /// kInvalidArgument naming the parameter, the value and the limit.
  Expected<void> Validate() const;
};

/// "I", "IF", "LI", "LIF", "CubaLI", "CubaLIF" (NIR's names).
const char* SpikingKindName(SpikingKind kind);

/// One population's state, stepped in time. Starts at rest (v = I = 0).
class SpikingPopulation {
 public:
  explicit SpikingPopulation(SpikingParams params);

  /// Back to rest.
  void Reset();
  /// One step with input `x` (size()); returns the output: spikes (0/1) or membranes.
  const Eigen::ArrayXd& Step(const Eigen::ArrayXd& x);
  const Eigen::ArrayXd& v() const { return v_; }
  /// The last step's output (zero before the first).
  const Eigen::ArrayXd& output() const { return out_; }
  const SpikingParams& params() const { return p_; }

 private:
  SpikingParams p_;
  Eigen::ArrayXd v_, i_, out_;
};

}  // namespace xbar::device_models
