// Nonidealities of programmed memristors: one small, seeded, switchable object per physical effect.
//
// Named as in CrossSim's idevice.py: programming_error (ProgrammingNoise), read_noise (ReadNoise),
// drift_error (Drift), plus StuckAtFaults. Each has `enabled`: a disabled effect's Apply returns
// its input unchanged and draws nothing; per-device Draw consumes the same draws either way.
// Equations and presets: docs/devices.md.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>

#include "device_models/memristor.h"
#include "support/error.h"
#include "support/rng.h"

namespace xbar::device_models {

/// clip(slope ln(g) + intercept, min, max) of a relative conductance g > 0.
struct ClippedLogLaw {
  double slope = 0;
  double intercept = 0;
  double min = 0;
  double max = 0;

  double operator()(double g_rel) const {
    return std::clamp(slope * std::log(g_rel) + intercept, min, max);
  }
};

/// Error left by a completed write-verify to a target G_t (the statistical shortcut for
/// pulse-level programming): G = max(0, G_t + σ(G_t) ξ), σ(G_t) = max(0, Σ_i c_i g^i) with
/// g = G_t / g_ref_s.
struct ProgrammingNoise {
  bool enabled = true;
  /// Polynomial coefficients c_0 ... c_4 (S).
  std::array<double, 5> sigma_poly_s{};
  /// Conductance the polynomial's g is relative to (S, > 0).
  double g_ref_s = 25e-6;

  /// σ (S) at target `g_target_s`.
  double Sigma(double g_target_s) const;
  /// Programmed conductance (S) for target `g_target_s`; one normal draw when enabled.
  double Apply(double g_target_s, Rng& rng) const;
  Expected<void> Validate() const;
};

/// Noise of one read at time `t_s` after programming (independent per read): a white part and an
/// accumulated 1/f part, as independent Gaussians, the result clipped at 0:
///   σ² = σ_abs² + (σ_rel G)² + (Q(g_p) G sqrt(ln((t + t_read) / (2 t_read))))²
///   Q(g) = min(q_coeff / g^q_exponent, q_max),  g_p = G_prog / g_ref_s
/// where G_prog is the programmed conductance (the drifted G when not given) and the logarithm
/// counts as 0 for t <= t_read.
struct ReadNoise {
  bool enabled = true;
  /// White read noise, relative to G and absolute (S).
  double sigma_rel = 0;
  double sigma_abs_s = 0;
  /// 1/f law; q_coeff = 0 turns it off.
  double q_coeff = 0;
  double q_exponent = 0.65;
  double q_max = 0.2;
  double g_ref_s = 25e-6;
  /// Read duration (s) in the 1/f law (> 0).
  double t_read_s = 250e-9;

  /// σ (S) of a read of conductance `g_s` at `t_s` seconds after programming to `g_prog_s`.
  double Sigma(double g_s, double t_s, double g_prog_s) const;
  double Sigma(double g_s, double t_s) const { return Sigma(g_s, t_s, g_s); }
  /// The conductance one read sees (S); one normal draw when enabled.
  double Apply(double g_s, double t_s, double g_prog_s, Rng& rng) const;
  double Apply(double g_s, double t_s, Rng& rng) const { return Apply(g_s, t_s, g_s, rng); }
  Expected<void> Validate() const;
};

/// Power-law drift G(t) = G_prog (t / t0)^(-ν) for t > t0 (G_prog is the conductance read at t0
/// after programming; earlier reads see G_prog). ν = μ(g) + σ(g) z with g = G_prog / g_ref_s and z
/// the device's own standard-normal draw (DeviceInstance::drift_z), folded to |ν| if `fold`.
/// aihwkit's t_inference is t - t0.
struct Drift {
  bool enabled = true;
  /// First read after programming (s, > 0).
  double t0_s = 20.0;
  ClippedLogLaw nu_mean;
  ClippedLogLaw nu_std;
  /// Conductance the laws' g is relative to (S, > 0); g is clipped below at 1e-7.
  double g_ref_s = 25e-6;
  /// ν = |μ + σ z| (PCM: conductance only decays) rather than signed (relaxation either way).
  bool fold = true;

  /// Draws this device's drift quantile into d.drift_z: always one normal draw (0 is stored when
  /// disabled), so switching drift does not reshuffle later draws.
  void Draw(DeviceInstance& d, Rng& rng) const;
  /// ν of device `d` programmed to `g_prog_s`.
  double Exponent(const DeviceInstance& d, double g_prog_s) const;
  /// Conductance (S) at `t_s` seconds after programming to `g_prog_s`. Deterministic.
  double Apply(const DeviceInstance& d, double g_prog_s, double t_s) const;
  Expected<void> Validate() const;
};

/// Stuck-at faults, drawn once per device: stuck on (reads its g_max), stuck off (its g_min), or
/// stuck at a conductance drawn uniformly in its window. A stuck device ignores pulses.
struct StuckAtFaults {
  bool enabled = true;
  double p_stuck_on = 0;
  double p_stuck_off = 0;
  double p_stuck_value = 0;

  /// Draws whether `d` is stuck: always two uniform draws (none applied when disabled).
  void Draw(DeviceInstance& d, Rng& rng) const;
  Expected<void> Validate() const;
};

/// The effects of one device technology, each switchable.
struct Nonidealities {
  ProgrammingNoise programming;
  ReadNoise read;
  Drift drift;
  StuckAtFaults stuck;

  Expected<void> Validate() const;
};

/// A device with all its lifetime draws, in this fixed order: the memristor's d2d spreads
/// (CreateDevice(p, rng)), the drift quantile, the stuck-at state.
DeviceInstance CreateDevice(const MemristorParams& p, const Nonidealities& n, Rng& rng);

/// Conductance (S) right after a write-verify to `g_target_s`: the stuck value for a stuck device,
/// else programming noise.
double ProgramConductance(const Nonidealities& n, const DeviceInstance& d, double g_target_s,
                          Rng& rng);

/// Conductance (S) one read sees at `t_s` seconds after programming to `g_prog_s`: the stuck value
/// or the drifted conductance, plus read noise.
double ReadConductance(const Nonidealities& n, const DeviceInstance& d, double g_prog_s, double t_s,
                       Rng& rng);

}  // namespace xbar::device_models
