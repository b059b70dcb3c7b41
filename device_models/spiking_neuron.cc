// Integrate-and-fire populations: the discrete step of device_models/spiking_neuron.h.
#include "device_models/spiking_neuron.h"

#include <cmath>
#include <string>
#include <utility>

#include "support/format.h"

namespace xbar::device_models {

const char* SpikingKindName(SpikingKind kind) {
  switch (kind) {
    case SpikingKind::kI: return "I";
    case SpikingKind::kIF: return "IF";
    case SpikingKind::kLI: return "LI";
    case SpikingKind::kLIF: return "LIF";
    case SpikingKind::kCubaLI: return "CubaLI";
    case SpikingKind::kCubaLIF: return "CubaLIF";
  }
  return "unknown";
}

Expected<void> SpikingParams::Validate() const {
  const Eigen::Index n = size();
  const std::string kind_name = SpikingKindName(kind);
  if (n < 1) return Fail(ErrorCode::kInvalidArgument, kind_name + " population has no neurons (r is empty)");
  if (!(dt_s > 0) || !std::isfinite(dt_s)) {
    return Fail(ErrorCode::kInvalidArgument, kind_name + " population: dt = " + FormatNumber(dt_s) + " s must be > 0");
  }
  if (!(v_min < v_max)) {
    return Fail(ErrorCode::kInvalidArgument, kind_name + " population: membrane bounds [" + FormatNumber(v_min) + ", " +
                                                 FormatNumber(v_max) + "] are empty");
  }
  // name, array, whether the kind needs it, whether it must be > 0
  const struct {
    const char* name;
    const Eigen::ArrayXd* values;
    bool needed, positive;
  } arrays[] = {{"r", &r, true, false},
                {"v_threshold", &v_threshold, Spikes(), false},
                {"tau", &tau, Leaky(), true},
                {"v_leak", &v_leak, Leaky(), false},
                {"tau_syn", &tau_syn, Synaptic(), true},
                {"v_reset", &v_reset, false, false},
                {"w_in", &w_in, false, false}};
  for (const auto& a : arrays) {
    const Eigen::Index got = a.values->size();
    if ((a.needed || got > 0) && got != n) {
      return Fail(ErrorCode::kInvalidArgument, kind_name + " population: " + a.name + " has " + std::to_string(got) +
                                                   " values for " + std::to_string(n) + " neurons");
    }
    for (Eigen::Index i = 0; i < got; ++i) {
      const double v = (*a.values)(i);
      if (!std::isfinite(v) || (a.positive && !(v > 0))) {
        return Fail(ErrorCode::kInvalidArgument, kind_name + " population: " + a.name + "[" + std::to_string(i) +
                                                     "] = " + FormatNumber(v) + (a.positive ? " must be > 0" : " must be finite"));
      }
    }
  }
  return {};
}

SpikingPopulation::SpikingPopulation(SpikingParams params) : p_(std::move(params)) {
  const Eigen::Index n = p_.size();
  XBAR_CHECK(!p_.Spikes() || p_.v_threshold.size() == n);
  XBAR_CHECK(!p_.Leaky() || (p_.tau.size() == n && p_.v_leak.size() == n));
  XBAR_CHECK(!p_.Synaptic() || p_.tau_syn.size() == n);
  if (p_.Synaptic() && p_.w_in.size() != n) p_.w_in = Eigen::ArrayXd::Ones(n);
  if (p_.Spikes() && p_.v_reset.size() != n) p_.v_reset = Eigen::ArrayXd::Zero(n);
  Reset();
}

void SpikingPopulation::Reset() {
  v_ = Eigen::ArrayXd::Zero(p_.size());
  i_ = Eigen::ArrayXd::Zero(p_.size());
  out_ = Eigen::ArrayXd::Zero(p_.size());
}

const Eigen::ArrayXd& SpikingPopulation::Step(const Eigen::ArrayXd& x) {
  XBAR_CHECK(x.size() == p_.size());
  const double dt = p_.dt_s;
  if (p_.Synaptic()) {
    i_ += dt / p_.tau_syn * (p_.w_in * x - i_);
    v_ += dt / p_.tau * (p_.v_leak - v_ + p_.r * i_);
  } else if (p_.Leaky()) {
    v_ += dt / p_.tau * (p_.v_leak - v_ + p_.r * x);
  } else {
    v_ += p_.r * x;
  }
  if (std::isfinite(p_.v_min) || std::isfinite(p_.v_max)) v_ = v_.max(p_.v_min).min(p_.v_max);
  if (!p_.Spikes()) {
    out_ = v_;
    return out_;
  }
  out_ = (v_ > p_.v_threshold).cast<double>();
  if (p_.reset == ResetRule::kSubtract) {
    v_ -= out_ * p_.v_threshold;
  } else {
    v_ = (out_ > 0).select(p_.v_reset, v_);
  }
  return out_;
}

}  // namespace xbar::device_models
