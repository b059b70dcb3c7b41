// Chip description: validation and derived quantities (fields and limits in docs/chip.md).
#include "device_models/chip_spec.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <tuple>
#include <utility>

#include "support/format.h"

namespace xbar::device_models {
namespace {

std::unexpected<Error> Invalid(std::string message) {
  return Fail(ErrorCode::kInvalidArgument, std::move(message));
}

Expected<void> IntInRange(const char* field, int v, int lo, int hi, const std::string& why = "") {
  if (v < lo || v > hi) {
    return Invalid(std::string(field) + " = " + std::to_string(v) + " must lie in [" +
                   std::to_string(lo) + ", " + std::to_string(hi) + "]" + why);
  }
  return {};
}

Expected<void> Positive(const char* field, double v, const char* unit) {
  if (!std::isfinite(v) || !(v > 0)) {
    return Invalid(std::string(field) + " = " + FormatNumber(v) + " " + unit + " must be positive and finite");
  }
  return {};
}

Expected<void> ValidateTiles(const TileGeometry& t) {
  if (t.count < 1) {
    return Invalid("tiles.count = " + std::to_string(t.count) +
                   " must be at least 1 (a chip needs a tile)");
  }
  if (auto ok = IntInRange("tiles.count", t.count, 1, kMaxTiles); !ok) return ok;
  if (auto ok = IntInRange("tiles.rows", t.rows, 1, kMaxTileSide); !ok) return ok;
  if (auto ok = IntInRange("tiles.columns", t.columns, 1, kMaxTileSide); !ok) return ok;
  if (auto ok = IntInRange("tiles.spare_rows", t.spare_rows, 0, t.rows - 1,
                           " (leave at least one usable row)");
      !ok) {
    return ok;
  }
  return IntInRange("tiles.spare_columns", t.spare_columns, 0, t.columns - 1,
                    " (leave at least one usable column)");
}

Expected<void> ValidateWires(const TileWires& w) {
  for (auto [v, field] : {std::pair{w.r_row_ohm, "wires.r_row_ohm"},
                          {w.r_col_ohm, "wires.r_col_ohm"},
                          {w.r_driver_ohm, "wires.r_driver_ohm"},
                          {w.r_sense_ohm, "wires.r_sense_ohm"}}) {
    if (!std::isfinite(v) || !(v >= 0)) {
      return Invalid(std::string(field) + " = " + FormatNumber(v) +
                     " ohm must be finite and at least 0 (0 is a direct connection)");
    }
  }
  return {};
}

Expected<void> ValidateAdc(const AdcSpec& a) {
  if (auto ok = IntInRange("adc.verify_bits", a.verify_bits, 1, kMaxAdcBits); !ok) return ok;
  if (auto ok = IntInRange("adc.output_bits", a.output_bits, 1, kMaxAdcBits); !ok) return ok;
  if (auto ok = Positive("adc.verify_full_scale_a", a.verify_full_scale_a, "A"); !ok) return ok;
  return Positive("adc.output_full_scale_mv", a.output_full_scale_mv, "mV");
}

Expected<void> ValidateAnalog(const AnalogSpec& a, const MifParams& neuron) {
  if (auto ok = Positive("analog.membrane_capacitance_f", a.membrane_capacitance_f, "F"); !ok) return ok;
  if (auto ok = Positive("analog.time_step_s", a.time_step_s, "s"); !ok) return ok;
  if (auto ok = Positive("analog.driver_gain", a.driver_gain, "V/V"); !ok) return ok;
  if (auto ok = Positive("analog.driver_range_v", a.driver_range_v, "V"); !ok) return ok;
  if (auto ok = Positive("analog.synapse_capacitance_f", a.synapse_capacitance_f, "F"); !ok) return ok;
  if (auto ok = Positive("analog.synapse_transconductance_s", a.synapse_transconductance_s, "S"); !ok) return ok;
  if (auto ok = Positive("analog.current_gain_max", a.current_gain_max, "A/A"); !ok) return ok;
  if (!(a.read_disturb_fraction > 0 && a.read_disturb_fraction <= 1)) {
    return Invalid("analog.read_disturb_fraction = " + FormatNumber(a.read_disturb_fraction) + " must lie in (0, 1]");
  }
  const double e_low = std::min(neuron.e1_mv, neuron.e2_mv) / 1e3, e_high = std::max(neuron.e1_mv, neuron.e2_mv) / 1e3;
  if (!std::isfinite(a.rail_low_v) || !std::isfinite(a.rail_high_v) || !(a.rail_low_v <= e_low) ||
      !(a.rail_high_v >= e_high) || !(a.rail_low_v < a.rail_high_v)) {
    return Invalid("analog rails [" + FormatNumber(a.rail_low_v) + ", " + FormatNumber(a.rail_high_v) +
                   "] V must contain the neuron's branch sources E1 = " + FormatNumber(neuron.e1_mv / 1e3) +
                   " V and E2 = " + FormatNumber(neuron.e2_mv / 1e3) + " V");
  }
  return {};
}

Expected<void> ValidateProgramming(const ProgrammingSpec& p) {
  if (auto ok = Positive("programming.v_min_v", p.v_min_v, "V"); !ok) return ok;
  if (auto ok = Positive("programming.v_max_v", p.v_max_v, "V"); !ok) return ok;
  if (p.v_min_v > p.v_max_v) {
    return Invalid("programming.v_min_v = " + FormatNumber(p.v_min_v) + " V must not exceed v_max_v = " +
                   FormatNumber(p.v_max_v) + " V");
  }
  if (auto ok = Positive("programming.v_step_v", p.v_step_v, "V"); !ok) return ok;
  if (p.v_max_v > p.v_min_v && p.v_step_v > p.v_max_v - p.v_min_v) {
    return Invalid("programming.v_step_v = " + FormatNumber(p.v_step_v) +
                   " V must not exceed v_max_v - v_min_v = " + FormatNumber(p.v_max_v - p.v_min_v) +
                   " V (the ladder would have one rung)");
  }
  if (auto ok = Positive("programming.set_width_s", p.set_width_s, "s"); !ok) return ok;
  if (auto ok = Positive("programming.reset_width_s", p.reset_width_s, "s"); !ok) return ok;
  if (auto ok = Positive("programming.verify_tolerance_s", p.verify_tolerance_s, "S"); !ok) return ok;
  return IntInRange("programming.max_pulses", p.max_pulses, 1, kMaxPulsesPerCell);
}

}  // namespace

int ProgrammingSpec::AmplitudeCount() const {
  if (!(v_step_v > 0) || !(v_max_v >= v_min_v)) return 1;
  // The small slack keeps v_max_v on the ladder when (max - min) / step is an integer in decimal.
  return static_cast<int>(std::floor((v_max_v - v_min_v) / v_step_v + 1e-9)) + 1;
}

double AdcSpec::VerifyLsbS(double v_read_v) const {
  return verify_full_scale_a / std::ldexp(1.0, verify_bits) / v_read_v;
}

DeviceSpec DeviceSpec::FromPreset(const DevicePreset& preset) {
  return DeviceSpec{preset.name, preset.memristor, preset.nonidealities};
}

double ChipSpec::LevelSpacingS() const {
  return (device.memristor.g_max_s - device.memristor.g_min_s) / (conductance_levels - 1);
}

double ChipSpec::LevelS(int k) const { return device.memristor.g_min_s + k * LevelSpacingS(); }

int64_t ChipSpec::UsableCells() const {
  return int64_t{tiles.count} * tiles.usable_rows() * tiles.usable_columns();
}

double ChipSpec::ReadDisturbLimitV() const {
  const MemristorParams& m = device.memristor;
  return analog.read_disturb_fraction * std::min(m.set.v_threshold_v, m.reset.v_threshold_v);
}

PhysicalNeuron ChipSpec::Physical(const MifParams& model) const {
  PhysicalNeuron p;
  p.step_s = analog.time_step_s * neuron.tau_steps / model.tau_steps;
  p.alpha = analog.membrane_capacitance_f / (p.step_s * model.c);
  p.r_on_ohm = model.r_on_ohm / p.alpha;
  p.r_off_ohm = model.r_off_ohm / p.alpha;
  p.tau_s = model.tau_steps * p.step_s;
  p.tau_alpha_s = model.tau_alpha_steps * p.step_s;
  p.amps_per_unit = p.alpha * 1e-3;
  p.rail_low_mv = 1e3 * analog.rail_low_v;
  p.rail_high_mv = 1e3 * analog.rail_high_v;
  return p;
}

MifParams ChipSpec::OnChip(const MifParams& model) const {
  const PhysicalNeuron p = Physical(model);
  MifParams on_chip = model;
  on_chip.rail_low_mv = p.rail_low_mv;
  on_chip.rail_high_mv = p.rail_high_mv;
  return on_chip;
}

double ChipSpec::CurrentStageGain(const MifParams& model, double drive_per_amp, double window_s) const {
  return drive_per_amp * Physical(model).amps_per_unit * analog.synapse_capacitance_f /
         (analog.synapse_transconductance_s * window_s);
}

Expected<void> ChipSpec::Validate() const {
  if (auto ok = ValidateTiles(tiles); !ok) return ok;
  if (auto ok = IntInRange("conductance_levels", conductance_levels, 2, kMaxConductanceLevels);
      !ok) {
    return ok;
  }
  if (columns_per_neuron != 1 && columns_per_neuron != 2) {
    return Invalid("columns_per_neuron = " + std::to_string(columns_per_neuron) +
                   " must be 1 (single column) or 2 (differential pair)");
  }
  if (columns_per_neuron > tiles.usable_columns()) {
    return Invalid("columns_per_neuron = " + std::to_string(columns_per_neuron) +
                   " exceeds the usable columns of a tile, " +
                   std::to_string(tiles.usable_columns()));
  }
  if (auto ok = IntInRange("neurons", neurons, 1, kMaxNeurons); !ok) return ok;
  if (auto ok = ValidateWires(wires); !ok) return ok;
  if (auto ok = device.memristor.Validate(); !ok) {
    return std::unexpected(WithContext(ok.error(), "device"));
  }
  if (auto ok = device.nonidealities.Validate(); !ok) {
    return std::unexpected(WithContext(ok.error(), "device"));
  }
  if (auto ok = neuron.Validate(); !ok) return ok;
  if (auto ok = Positive("clock_hz", clock_hz, "Hz"); !ok) return ok;
  if (clock_hz > kMaxClockHz) {
    return Invalid("clock_hz = " + FormatNumber(clock_hz) + " Hz must not exceed " + FormatNumber(kMaxClockHz) + " Hz");
  }
  if (auto ok = ValidateProgramming(programming); !ok) return ok;
  if (auto ok = ValidateAdc(adc); !ok) return ok;
  if (auto ok = ValidateAnalog(analog, neuron); !ok) return ok;
  if (auto ok = IntInRange("spiking_neurons.count", spiking.count, 0, kMaxNeurons); !ok) return ok;
  if (!(spiking.threshold_v > 0 && spiking.threshold_v < analog.rail_high_v)) {
    return Invalid("spiking_neurons.threshold_v = " + FormatNumber(spiking.threshold_v) +
                   " V must lie in (0, analog.rail_high_v = " + FormatNumber(analog.rail_high_v) + " V)");
  }

  // Couplings between the parts.
  const MemristorParams& m = device.memristor;
  if (auto ok = Positive("v_read_v", v_read_v, "V"); !ok) return ok;
  for (auto [threshold, which, verb] : {std::tuple{m.set.v_threshold_v, "set", "raise"},
                                        {m.reset.v_threshold_v, "reset", "lower"}}) {
    if (!(v_read_v < threshold)) {
      return Invalid("v_read_v = " + FormatNumber(v_read_v) + " V must be below the device's " + which +
                     " threshold " + FormatNumber(threshold) + " V (a read would program the cell)");
    }
    if (!(programming.v_max_v > threshold)) {
      return Invalid("programming.v_max_v = " + FormatNumber(programming.v_max_v) +
                     " V must exceed the device's " + which + " threshold " + FormatNumber(threshold) +
                     " V (no pulse could " + verb + " a conductance)");
    }
  }
  const double period_s = 1.0 / clock_hz;
  for (auto [width, field] : {std::pair{programming.set_width_s, "programming.set_width_s"},
                              {programming.reset_width_s, "programming.reset_width_s"}}) {
    if (width < period_s * (1 - 1e-9)) {
      return Invalid(std::string(field) + " = " + FormatNumber(width) +
                     " s is shorter than one clock period " + FormatNumber(period_s) +
                     " s (raise clock_hz or the width)");
    }
  }
  const double half_spacing_s = LevelSpacingS() / 2;
  if (programming.verify_tolerance_s > half_spacing_s) {
    return Invalid("programming.verify_tolerance_s = " + FormatNumber(programming.verify_tolerance_s) +
                   " S must not exceed half the level spacing, " + FormatNumber(half_spacing_s) +
                   " S (adjacent levels would overlap; lower it or conductance_levels)");
  }
  const double top_a = m.g_max_s * v_read_v;
  if (adc.verify_full_scale_a < top_a) {
    return Invalid("adc.verify_full_scale_a = " + FormatNumber(adc.verify_full_scale_a) +
                   " A must be at least g_max_s x v_read_v = " + FormatNumber(top_a) +
                   " A (the top of the window would clip)");
  }
  if (!(analog.driver_range_v <= ReadDisturbLimitV())) {
    return Invalid("analog.driver_range_v = " + FormatNumber(analog.driver_range_v) +
                   " V exceeds the read-disturb limit " + FormatNumber(ReadDisturbLimitV()) + " V (" +
                   FormatNumber(analog.read_disturb_fraction) + " of the device's lower switching threshold " +
                   FormatNumber(std::min(m.set.v_threshold_v, m.reset.v_threshold_v)) +
                   " V): hidden-layer reads would disturb the cells");
  }
  const double lsb_s = adc.VerifyLsbS(v_read_v);
  if (lsb_s > programming.verify_tolerance_s) {
    return Invalid("adc.verify_bits = " + std::to_string(adc.verify_bits) +
                   " resolves only " + FormatNumber(lsb_s) + " S per code at v_read_v, coarser than " +
                   "programming.verify_tolerance_s = " + FormatNumber(programming.verify_tolerance_s) +
                   " S (use more bits or a smaller verify_full_scale_a)");
  }
  return {};
}

}  // namespace xbar::device_models
