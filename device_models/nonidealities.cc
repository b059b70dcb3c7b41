// Nonidealities of programmed memristors: programming noise, read noise, drift, stuck-at faults.
#include "device_models/nonidealities.h"

#include <cstdio>
#include <string>
#include <tuple>
#include <utility>

namespace xbar::device_models {
namespace {

constexpr double kMinRelativeG = 1e-7;  // floor of g in ln(g), as aihwkit's PCM model

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// Uniform in [0, 1) from the generator's top 53 bits (independent of the standard library).
double Uniform01(Rng& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

Expected<void> RequirePositive(const std::string& what, double v) {
  if (!std::isfinite(v) || !(v > 0)) {
    return Fail(ErrorCode::kInvalidArgument,
                what + " = " + Num(v) + " must be positive and finite");
  }
  return {};
}

Expected<void> RequireNonNegative(const std::string& what, double v) {
  if (!std::isfinite(v) || !(v >= 0)) {
    return Fail(ErrorCode::kInvalidArgument,
                what + " = " + Num(v) + " must be finite and at least 0");
  }
  return {};
}

Expected<void> ValidateLaw(const std::string& what, const ClippedLogLaw& law, double lowest) {
  for (auto [v, field] : {std::pair{law.slope, ".slope"}, {law.intercept, ".intercept"},
                          {law.min, ".min"}, {law.max, ".max"}}) {
    if (!std::isfinite(v)) {
      return Fail(ErrorCode::kInvalidArgument, what + field + " = " + Num(v) + " must be finite");
    }
  }
  if (!(law.min <= law.max) || !(law.min >= lowest)) {
    return Fail(ErrorCode::kInvalidArgument,
                what + " clip range [" + Num(law.min) + ", " + Num(law.max) +
                    "] must be ordered and start at or above " + Num(lowest));
  }
  return {};
}

}  // namespace

double ProgrammingNoise::Sigma(double g_target_s) const {
  const double g = g_target_s / g_ref_s;
  double sigma = 0, power = 1;
  for (double c : sigma_poly_s) {
    sigma += c * power;
    power *= g;
  }
  return std::max(sigma, 0.0);
}

double ProgrammingNoise::Apply(double g_target_s, Rng& rng) const {
  if (!enabled) return g_target_s;
  return std::max(g_target_s + Sigma(g_target_s) * NormalDraw(rng), 0.0);
}

Expected<void> ProgrammingNoise::Validate() const {
  if (auto ok = RequirePositive("programming noise g_ref_s", g_ref_s); !ok) return ok;
  for (double c : sigma_poly_s) {
    if (!std::isfinite(c)) {
      return Fail(ErrorCode::kInvalidArgument,
                  "programming noise sigma_poly_s has a non-finite coefficient " + Num(c));
    }
  }
  return {};
}

double ReadNoise::Sigma(double g_s, double t_s, double g_prog_s) const {
  double var = sigma_abs_s * sigma_abs_s + (sigma_rel * g_s) * (sigma_rel * g_s);
  if (q_coeff > 0 && t_s > t_read_s) {
    const double q = std::min(q_coeff / std::pow(std::abs(g_prog_s) / g_ref_s, q_exponent), q_max);
    const double accumulated = q * std::abs(g_s);
    var += accumulated * accumulated * std::log((t_s + t_read_s) / (2 * t_read_s));
  }
  return std::sqrt(var);
}

double ReadNoise::Apply(double g_s, double t_s, double g_prog_s, Rng& rng) const {
  if (!enabled) return g_s;
  return std::max(g_s + Sigma(g_s, t_s, g_prog_s) * NormalDraw(rng), 0.0);
}

Expected<void> ReadNoise::Validate() const {
  for (auto [v, field] : {std::pair{sigma_rel, "sigma_rel"}, {sigma_abs_s, "sigma_abs_s"},
                          {q_coeff, "q_coeff"}, {q_exponent, "q_exponent"}, {q_max, "q_max"}}) {
    if (auto ok = RequireNonNegative(std::string("read noise ") + field, v); !ok) return ok;
  }
  if (auto ok = RequirePositive("read noise g_ref_s", g_ref_s); !ok) return ok;
  return RequirePositive("read noise t_read_s", t_read_s);
}

void Drift::Draw(DeviceInstance& d, Rng& rng) const {
  const double z = NormalDraw(rng);
  d.drift_z = enabled ? z : 0.0;
}

double Drift::Exponent(const DeviceInstance& d, double g_prog_s) const {
  const double g = std::max(std::abs(g_prog_s) / g_ref_s, kMinRelativeG);
  const double nu = nu_mean(g) + nu_std(g) * d.drift_z;
  return fold ? std::abs(nu) : nu;
}

double Drift::Apply(const DeviceInstance& d, double g_prog_s, double t_s) const {
  if (!enabled || !(t_s > t0_s)) return g_prog_s;
  return g_prog_s * std::exp(-Exponent(d, g_prog_s) * std::log(t_s / t0_s));
}

Expected<void> Drift::Validate() const {
  if (auto ok = RequirePositive("drift t0_s", t0_s); !ok) return ok;
  if (auto ok = RequirePositive("drift g_ref_s", g_ref_s); !ok) return ok;
  if (auto ok = ValidateLaw("drift nu_mean", nu_mean, -1.0); !ok) return ok;
  return ValidateLaw("drift nu_std", nu_std, 0.0);
}

void StuckAtFaults::Draw(DeviceInstance& d, Rng& rng) const {
  const double u = Uniform01(rng);
  const double v = Uniform01(rng);
  if (!enabled) return;
  if (u < p_stuck_on) {
    d.stuck = StuckState::kOn;
    d.stuck_g_s = d.g_max_s;
  } else if (u < p_stuck_on + p_stuck_off) {
    d.stuck = StuckState::kOff;
    d.stuck_g_s = d.g_min_s;
  } else if (u < p_stuck_on + p_stuck_off + p_stuck_value) {
    d.stuck = StuckState::kValue;
    d.stuck_g_s = d.g_min_s + v * (d.g_max_s - d.g_min_s);
  }
}

Expected<void> StuckAtFaults::Validate() const {
  for (auto [v, field] : {std::pair{p_stuck_on, "p_stuck_on"}, {p_stuck_off, "p_stuck_off"},
                          {p_stuck_value, "p_stuck_value"}}) {
    if (!(v >= 0 && v <= 1)) {
      return Fail(ErrorCode::kInvalidArgument,
                  std::string("stuck-at ") + field + " = " + Num(v) + " must lie in [0, 1]");
    }
  }
  const double total = p_stuck_on + p_stuck_off + p_stuck_value;
  if (total > 1) {
    return Fail(ErrorCode::kInvalidArgument,
                "stuck-at rates add up to " + Num(total) + " but must not exceed 1");
  }
  return {};
}

Expected<void> Nonidealities::Validate() const {
  if (auto ok = programming.Validate(); !ok) return ok;
  if (auto ok = read.Validate(); !ok) return ok;
  if (auto ok = drift.Validate(); !ok) return ok;
  return stuck.Validate();
}

DeviceInstance CreateDevice(const MemristorParams& p, const Nonidealities& n, Rng& rng) {
  DeviceInstance d = CreateDevice(p, rng);
  n.drift.Draw(d, rng);
  n.stuck.Draw(d, rng);
  return d;
}

double ProgramConductance(const Nonidealities& n, const DeviceInstance& d, double g_target_s,
                          Rng& rng) {
  if (d.is_stuck()) return d.stuck_g_s;
  return n.programming.Apply(g_target_s, rng);
}

double ReadConductance(const Nonidealities& n, const DeviceInstance& d, double g_prog_s, double t_s,
                       Rng& rng) {
  if (d.is_stuck()) return n.read.Apply(d.stuck_g_s, t_s, rng);
  return n.read.Apply(n.drift.Apply(d, g_prog_s, t_s), t_s, g_prog_s, rng);
}

}  // namespace xbar::device_models
