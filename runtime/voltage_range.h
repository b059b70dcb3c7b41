// How a run used the analog voltage ranges: membrane samples at the supply rails, hidden-layer
// word-line drives clipped by their drivers, and the peak membrane voltage. One tally for the
// software network (xbar eval) and the chip model (xbar infer), so both report the same figures.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "device_models/mif_neuron.h"

namespace xbar::runtime {

struct VoltageRange {
  double peak_membrane_mv = 0;   // largest |v| of any neuron at any step
  uint64_t membrane_samples = 0;  // neuron-steps
  uint64_t at_rail = 0;           // neuron-steps with the membrane at a rail
  uint64_t drive_samples = 0;     // neuron-steps of hidden layers (each drives word lines)
  uint64_t drive_clipped = 0;     // of those, beyond the drive limit
  uint64_t output_samples = 0;    // neuron-steps of the output layer
  uint64_t output_at_rail = 0;    // of those, at a rail

  void Add(const VoltageRange& o) {
    peak_membrane_mv = std::max(peak_membrane_mv, o.peak_membrane_mv);
    membrane_samples += o.membrane_samples;
    at_rail += o.at_rail;
    drive_samples += o.drive_samples;
    drive_clipped += o.drive_clipped;
    output_samples += o.output_samples;
    output_at_rail += o.output_at_rail;
  }
  double at_rail_fraction() const { return membrane_samples ? static_cast<double>(at_rail) / membrane_samples : 0; }
  double clipped_fraction() const { return drive_samples ? static_cast<double>(drive_clipped) / drive_samples : 0; }
  /// At-rail fractions of the hidden layers' and of the output layer's neuron-steps.
  double hidden_at_rail_fraction() const {
    const uint64_t n = membrane_samples - output_samples;
    return n ? static_cast<double>(at_rail - output_at_rail) / n : 0;
  }
  double output_at_rail_fraction() const {
    return output_samples ? static_cast<double>(output_at_rail) / output_samples : 0;
  }

  /// Counts one step of a layer's membrane voltages `v` (mV); `hidden`: the layer drives the
  /// next layer's word lines, whose drivers clip beyond `drive_limit_mv` (infinite: never).
  template <typename Derived>
  void Tally(const Eigen::ArrayBase<Derived>& v, bool hidden, const device_models::MifParams& neuron,
             double drive_limit_mv) {
    Tally(v, hidden, neuron.bounded() ? neuron.rail_low_mv : -INFINITY,
          neuron.bounded() ? neuron.rail_high_mv : INFINITY, drive_limit_mv, 1.0);
  }

  /// The same for membranes in any unit: `v` at or beyond [low, high] is at a rail, |v| beyond
  /// `drive_limit` clipped, and `mv_per_unit` converts |v| to the peak's mV (a NIR population's
  /// membranes in file units: 1e3 volts_per_unit).
  template <typename Derived>
  void Tally(const Eigen::ArrayBase<Derived>& v, bool hidden, double low, double high, double drive_limit,
             double mv_per_unit) {
    using Scalar = typename Derived::Scalar;
    const auto n = static_cast<uint64_t>(v.size());
    if (n == 0) return;
    peak_membrane_mv = std::max(peak_membrane_mv, mv_per_unit * static_cast<double>(v.abs().maxCoeff()));
    membrane_samples += n;
    const auto railed =
        static_cast<uint64_t>((v <= static_cast<Scalar>(low) || v >= static_cast<Scalar>(high)).count());
    at_rail += railed;
    if (!hidden) {
      output_samples += n;
      output_at_rail += railed;
      return;
    }
    drive_samples += n;
    if (std::isfinite(drive_limit)) {
      drive_clipped += static_cast<uint64_t>((v.abs() > static_cast<Scalar>(drive_limit)).count());
    }
  }
};

}  // namespace xbar::runtime
