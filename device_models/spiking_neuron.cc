// Integrate-and-fire populations: the discrete step of device_models/spiking_neuron.h.
#include "device_models/spiking_neuron.h"

#include <utility>

#include "support/error.h"

namespace xbar::device_models {

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
