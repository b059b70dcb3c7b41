// Memristor synapse: pulse response of one cell (SET/RESET), its spreads, and the inverse helpers.
//
// Model (docs/devices.md): a pulse of amplitude V and width w, above the device's threshold,
// has the strength
//   s = step_ref · k_dev · ((|V| - V_th,dev) / (V_ref - V_th))^α · (w / w_ref) · c2c
// and moves the normalised distance x to the bound it drives towards (x = (g_max - G)/window for
// SET, (G - g_min)/window for RESET) along dx/ds = -x^γ, integrated exactly over the pulse:
//   γ = 1: x' = x e^(-s);   γ ≠ 1: x'^(1-γ) = x^(1-γ) - (1 - γ) s   (x' = 0 once that reaches 0)
// so steps are linear in width for small steps, saturate at the window edges (soft bounds,
// γ = 0 gives hard bounds), and N pulses of width w equal one pulse of width N w.
#pragma once

#include <cstdint>
#include <optional>

#include "support/error.h"
#include "support/rng.h"

namespace xbar::device_models {

/// Response to pulses of one polarity (SET raises G, RESET lowers it).
struct PulseResponse {
  /// Amplitude magnitude (V) at or below which a pulse changes nothing.
  double v_threshold_v = 0.8;
  /// Reference amplitude magnitude (V), above the threshold.
  double v_ref_v = 1.2;
  /// Reference width (s).
  double width_ref_s = 100e-9;
  /// Strength of a reference pulse: the step it makes from the far edge of the window, as a
  /// fraction of the window, in the small-step limit (> 0).
  double step_ref = 0.02;
  /// α: strength grows as (excess amplitude)^α (> 0; VTEAM-like threshold law).
  double amplitude_exponent = 2.0;
  /// γ: saturation towards the bound, dx/ds = -x^γ (>= 0; 0 hard bounds, 1 soft bounds).
  double bound_exponent = 1.0;
  /// Cycle-to-cycle relative std of the pulse strength (>= 0; log-normal, mean-preserving).
  double step_std = 0.0;
};

/// Parameters of a memristor apart from its state, with explicit spreads: `*_dtod` are
/// device-to-device (drawn once per device), `*_std` cycle-to-cycle (drawn per pulse).
/// Amplitude sign selects the operation: > 0 SET, < 0 RESET (for unipolar PCM both are the same
/// physical polarity; RESET is then the taller, shorter pulse).
struct MemristorParams {
  /// Nominal conductance window (S), 0 <= g_min_s < g_max_s.
  double g_min_s = 1e-6;
  double g_max_s = 100e-6;
  PulseResponse set;
  PulseResponse reset{.v_threshold_v = 1.0, .v_ref_v = 1.5, .width_ref_s = 100e-9,
                      .step_ref = 0.03, .amplitude_exponent = 3.0, .bound_exponent = 1.0,
                      .step_std = 0.0};
  /// Log-normal std of each device's g_min and g_max around the nominal values (>= 0).
  double g_min_dtod = 0.0;
  double g_max_dtod = 0.0;
  /// Log-normal std of each device's step-size multiplier, common to SET and RESET (>= 0).
  double step_dtod = 0.0;
  /// Log-normal std of each device's SET/RESET imbalance: SET x e^a, RESET x e^-a (>= 0).
  double set_reset_dtod = 0.0;
  /// Log-normal std of each device's SET and RESET thresholds (>= 0, drawn independently).
  double v_threshold_dtod = 0.0;

  /// Rejects non-physical values (kInvalidArgument naming the field and the limit).
  Expected<void> Validate() const;
};

/// Whether a device is stuck, and where.
enum class StuckState : uint8_t {
  kNone,   // switches normally
  kOn,     // stuck at its g_max
  kOff,    // stuck at its g_min
  kValue,  // stuck at a value drawn in its window
};

/// One physical device: the draws that stay with it for life. Plain data.
struct DeviceInstance {
  /// This device's window (S).
  double g_min_s = 0;
  double g_max_s = 0;
  /// Step-size multipliers of this device (1 = nominal).
  double set_scale = 1;
  double reset_scale = 1;
  /// This device's threshold magnitudes (V).
  double v_set_threshold_v = 0;
  double v_reset_threshold_v = 0;
  /// Standard-normal quantile of this device's drift exponent (see Drift in nonidealities.h).
  double drift_z = 0;
  /// Conductance (S) a stuck device always has; meaningful only when `stuck != kNone`.
  double stuck_g_s = 0;
  StuckState stuck = StuckState::kNone;

  bool is_stuck() const { return stuck != StuckState::kNone; }
};

/// The nominal device: no spreads, not stuck. Needs no generator.
DeviceInstance NominalDevice(const MemristorParams& p);

/// Draws a device's window, step multipliers and thresholds from the `*_dtod` spreads. Always
/// consumes the same 6 normal draws (zero spreads give the nominal values), so turning one spread
/// off does not reshuffle the others. Not stuck, drift_z = 0: see CreateDevice in nonidealities.h.
DeviceInstance CreateDevice(const MemristorParams& p, Rng& rng);

/// Conductance (S) after one pulse of `amplitude_v` (> 0 SET, < 0 RESET) and `width_s` applied to
/// a device at `g_s`. Sub-threshold pulses and stuck devices change nothing and draw nothing;
/// otherwise one normal is drawn if the polarity's step_std > 0. The result stays in the device's
/// window (a G outside it only moves back towards it). Cheap: no allocation, no virtual call.
double ApplyPulse(const MemristorParams& p, const DeviceInstance& d, double g_s, double amplitude_v,
                  double width_s, Rng& rng);

/// Same as ApplyPulse without cycle-to-cycle noise: the model's expected response.
double PredictPulse(const MemristorParams& p, const DeviceInstance& d, double g_s,
                    double amplitude_v, double width_s);

/// Joule energy (J) in the cell during a pulse, V^2 G t. For a pulse that moves G a lot, pass the
/// mean of the conductances before and after.
inline double PulseEnergyJ(double g_s, double amplitude_v, double width_s) {
  return amplitude_v * amplitude_v * g_s * width_s;
}

/// Predicted (noise-free) number of identical pulses that move `g_s` to `target_s`, fractional
/// (round up for a count). 0 if already there. nullopt if the pulse cannot get there: wrong
/// polarity, sub-threshold, target outside the device's window (or on a soft bound), stuck device.
std::optional<double> PulsesForTarget(const MemristorParams& p, const DeviceInstance& d, double g_s,
                                      double target_s, double amplitude_v, double width_s);

/// Predicted (noise-free) signed amplitude (V) of one pulse of `width_s` that moves `g_s` to
/// `target_s` (> 0 SET, < 0 RESET, 0 if already there). nullopt if unreachable (target outside
/// the device's window or on a soft bound, stuck device). The caller checks it against the
/// amplitudes its driver can make.
std::optional<double> AmplitudeForTarget(const MemristorParams& p, const DeviceInstance& d,
                                         double g_s, double target_s, double width_s);

}  // namespace xbar::device_models
