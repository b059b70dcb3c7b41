// Memristor pulse response, device draws and inverse helpers (equations in docs/devices.md).
#include "device_models/memristor.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <tuple>
#include <utility>

#include "support/format.h"

namespace xbar::device_models {
namespace {

Expected<void> Invalid(const std::string& message) {
  return Fail(ErrorCode::kInvalidArgument, "memristor " + message);
}

Expected<void> ValidateResponse(const PulseResponse& r, const char* name) {
  const std::string n = name;
  auto finite_at_least = [&](double v, double lo, const char* field) -> Expected<void> {
    if (!std::isfinite(v) || !(v >= lo)) {
      return Invalid(n + "." + field + " = " + FormatNumber(v) + " must be finite and at least " + FormatNumber(lo));
    }
    return {};
  };
  for (auto [v, lo, field] : {std::tuple{r.v_threshold_v, 0.0, "v_threshold_v"},
                              std::tuple{r.bound_exponent, 0.0, "bound_exponent"},
                              std::tuple{r.step_std, 0.0, "step_std"}}) {
    if (auto ok = finite_at_least(v, lo, field); !ok) return ok;
  }
  for (auto [v, field] : {std::pair{r.width_ref_s, "width_ref_s"}, {r.step_ref, "step_ref"},
                          {r.amplitude_exponent, "amplitude_exponent"}}) {
    if (!std::isfinite(v) || !(v > 0)) {
      return Invalid(n + "." + field + " = " + FormatNumber(v) + " must be positive and finite");
    }
  }
  if (!std::isfinite(r.v_ref_v) || !(r.v_ref_v > r.v_threshold_v)) {
    return Invalid(n + ".v_ref_v = " + FormatNumber(r.v_ref_v) + " must exceed " + n +
                   ".v_threshold_v = " + FormatNumber(r.v_threshold_v) +
                   " (a reference pulse has to switch the device)");
  }
  return {};
}

// Strength s of a pulse of magnitude v_abs above the device threshold v_th (0 if not above).
inline double Strength(const PulseResponse& r, double scale, double v_th, double v_abs,
                       double width_s) {
  if (!(v_abs > v_th) || !(width_s > 0)) return 0.0;
  double f = (v_abs - v_th) / (r.v_ref_v - r.v_threshold_v);
  if (r.amplitude_exponent != 1.0) f = std::pow(f, r.amplitude_exponent);
  return r.step_ref * scale * f * (width_s / r.width_ref_s);
}

// Exact solution of dx/ds = -x^gamma after strength s, from x > 0.
inline double Relax(double x, double s, double gamma) {
  if (gamma == 1.0) return x * std::exp(-s);
  if (gamma == 0.0) return std::max(x - s, 0.0);
  const double a = 1.0 - gamma;
  const double u = std::pow(x, a) - a * s;
  if (u <= 0) return 0.0;  // only for gamma < 1: the bound is reached in finite strength
  return std::pow(u, 1.0 / a);
}

// Strength that takes x0 to x1 (0 <= x1 <= x0) along dx/ds = -x^gamma; +inf if never.
inline double StrengthBetween(double x0, double x1, double gamma) {
  if (x1 <= 0 && gamma >= 1.0) return std::numeric_limits<double>::infinity();
  if (gamma == 1.0) return std::log(x0 / x1);
  if (gamma == 0.0) return x0 - x1;
  const double a = 1.0 - gamma;
  return (std::pow(x0, a) - (x1 > 0 ? std::pow(x1, a) : 0.0)) / a;
}

// The operation a signed amplitude selects, as seen by one device.
struct Direction {
  const PulseResponse* r;
  double scale;
  double v_th;
  bool set;
};

inline Direction DirectionOf(const MemristorParams& p, const DeviceInstance& d, bool set) {
  return set ? Direction{&p.set, d.set_scale, d.v_set_threshold_v, true}
             : Direction{&p.reset, d.reset_scale, d.v_reset_threshold_v, false};
}

// Distance to the bound the operation drives towards, in units of the device's window.
inline double DistanceToBound(const DeviceInstance& d, bool set, double g_s) {
  const double window = d.g_max_s - d.g_min_s;
  return set ? (d.g_max_s - g_s) / window : (g_s - d.g_min_s) / window;
}

inline double FromDistance(const DeviceInstance& d, bool set, double x) {
  const double window = d.g_max_s - d.g_min_s;
  return set ? d.g_max_s - x * window : d.g_min_s + x * window;
}

inline double Pulse(const MemristorParams& p, const DeviceInstance& d, double g_s,
                    double amplitude_v, double width_s, Rng* rng) {
  if (d.stuck != StuckState::kNone) return d.stuck_g_s;
  const Direction dir = DirectionOf(p, d, amplitude_v > 0);
  double s = Strength(*dir.r, dir.scale, dir.v_th, std::abs(amplitude_v), width_s);
  if (s == 0.0) return g_s;
  if (rng != nullptr && dir.r->step_std > 0) {
    // Log-normal with mean 1 and relative std step_std: the strength never changes sign.
    const double var = std::log1p(dir.r->step_std * dir.r->step_std);
    s *= std::exp(std::sqrt(var) * NormalDraw(*rng) - 0.5 * var);
  }
  const double x0 = DistanceToBound(d, dir.set, g_s);
  if (x0 <= 0) return g_s;  // already at or beyond the bound it drives towards
  return FromDistance(d, dir.set, Relax(x0, s, dir.r->bound_exponent));
}

// Strength needed to move g_s to target_s in the direction `set`; nullopt if unreachable.
std::optional<double> NeededStrength(const MemristorParams& p, const DeviceInstance& d, bool set,
                                     double g_s, double target_s) {
  const double x0 = DistanceToBound(d, set, g_s);
  const double x1 = DistanceToBound(d, set, target_s);
  const double gamma = (set ? p.set : p.reset).bound_exponent;
  if (!(x1 >= 0) || !(x1 < x0)) return std::nullopt;
  const double s = StrengthBetween(x0, x1, gamma);
  if (!std::isfinite(s)) return std::nullopt;
  return s;
}

}  // namespace

Expected<void> MemristorParams::Validate() const {
  if (!std::isfinite(g_min_s) || !(g_min_s >= 0)) {
    return Invalid("g_min_s = " + FormatNumber(g_min_s) + " must be finite and at least 0");
  }
  if (!std::isfinite(g_max_s) || !(g_max_s > g_min_s)) {
    return Invalid("g_max_s = " + FormatNumber(g_max_s) + " must be finite and above g_min_s = " +
                   FormatNumber(g_min_s));
  }
  if (auto ok = ValidateResponse(set, "set"); !ok) return ok;
  if (auto ok = ValidateResponse(reset, "reset"); !ok) return ok;
  for (auto [v, field] : {std::pair{g_min_dtod, "g_min_dtod"}, {g_max_dtod, "g_max_dtod"},
                          {step_dtod, "step_dtod"}, {set_reset_dtod, "set_reset_dtod"},
                          {v_threshold_dtod, "v_threshold_dtod"}}) {
    if (!std::isfinite(v) || !(v >= 0) || v > 2) {
      return Invalid(std::string(field) + " = " + FormatNumber(v) +
                     " must lie in [0, 2] (a log-normal std; 2 is already a factor 7 spread)");
    }
  }
  return {};
}

DeviceInstance NominalDevice(const MemristorParams& p) {
  DeviceInstance d;
  d.g_min_s = p.g_min_s;
  d.g_max_s = p.g_max_s;
  d.v_set_threshold_v = p.set.v_threshold_v;
  d.v_reset_threshold_v = p.reset.v_threshold_v;
  return d;
}

DeviceInstance CreateDevice(const MemristorParams& p, Rng& rng) {
  // Fixed order and count of draws, whatever the spreads.
  const double z_min = NormalDraw(rng);
  const double z_max = NormalDraw(rng);
  const double z_step = NormalDraw(rng);
  const double z_asym = NormalDraw(rng);
  const double z_vset = NormalDraw(rng);
  const double z_vreset = NormalDraw(rng);
  DeviceInstance d = NominalDevice(p);
  d.g_min_s = p.g_min_s * std::exp(p.g_min_dtod * z_min);
  d.g_max_s = p.g_max_s * std::exp(p.g_max_dtod * z_max);
  // A window inverted by extreme draws is narrowed to 1 % of the nominal window above g_min.
  d.g_max_s = std::max(d.g_max_s, d.g_min_s + 0.01 * (p.g_max_s - p.g_min_s));
  const double k = std::exp(p.step_dtod * z_step);
  const double a = p.set_reset_dtod * z_asym;
  d.set_scale = k * std::exp(a);
  d.reset_scale = k * std::exp(-a);
  d.v_set_threshold_v = p.set.v_threshold_v * std::exp(p.v_threshold_dtod * z_vset);
  d.v_reset_threshold_v = p.reset.v_threshold_v * std::exp(p.v_threshold_dtod * z_vreset);
  return d;
}

double ApplyPulse(const MemristorParams& p, const DeviceInstance& d, double g_s, double amplitude_v,
                  double width_s, Rng& rng) {
  return Pulse(p, d, g_s, amplitude_v, width_s, &rng);
}

double PredictPulse(const MemristorParams& p, const DeviceInstance& d, double g_s,
                    double amplitude_v, double width_s) {
  return Pulse(p, d, g_s, amplitude_v, width_s, nullptr);
}

std::optional<double> PulsesForTarget(const MemristorParams& p, const DeviceInstance& d, double g_s,
                                      double target_s, double amplitude_v, double width_s) {
  if (d.is_stuck()) return std::nullopt;
  if (target_s == g_s) return 0.0;
  const bool set = target_s > g_s;
  if (set != (amplitude_v > 0)) return std::nullopt;
  const Direction dir = DirectionOf(p, d, set);
  const double s_pulse = Strength(*dir.r, dir.scale, dir.v_th, std::abs(amplitude_v), width_s);
  if (s_pulse == 0.0) return std::nullopt;
  const auto s_needed = NeededStrength(p, d, set, g_s, target_s);
  if (!s_needed) return std::nullopt;
  return *s_needed / s_pulse;
}

std::optional<double> AmplitudeForTarget(const MemristorParams& p, const DeviceInstance& d,
                                         double g_s, double target_s, double width_s) {
  if (d.is_stuck() || !(width_s > 0)) return std::nullopt;
  if (target_s == g_s) return 0.0;
  const bool set = target_s > g_s;
  const auto s_needed = NeededStrength(p, d, set, g_s, target_s);
  if (!s_needed) return std::nullopt;
  const Direction dir = DirectionOf(p, d, set);
  const PulseResponse& r = *dir.r;
  // Invert s = step_ref k f (w / w_ref) for f, then f = (excess / (V_ref - V_th))^α for |V|.
  const double f = *s_needed / (r.step_ref * dir.scale * (width_s / r.width_ref_s));
  const double excess = (r.v_ref_v - r.v_threshold_v) * std::pow(f, 1.0 / r.amplitude_exponent);
  const double v_abs = dir.v_th + excess;
  return set ? v_abs : -v_abs;
}

}  // namespace xbar::device_models
