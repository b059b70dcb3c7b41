// Chip description as plain C++: tiles, wires, periphery, write-verify programming, ADC, neuron, device.
//
// Read from and written to protobuf text format by compiler/chip_io.h (schema xbar.v1.Chip);
// fields, limits and the provenance of the default numbers: docs/chip.md. ChipSpec{} is the
// default chip, identical to chips/default.textproto (a test keeps them equal).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "device_models/tile_circuit.h"
#include "device_models/memristor.h"
#include "device_models/mif_neuron.h"
#include "device_models/nonidealities.h"
#include "device_models/presets.h"
#include "device_models/spiking_neuron.h"
#include "support/error.h"

namespace xbar::device_models {

/// Sanity limits of ChipSpec::Validate (guards for arithmetic, far beyond any real chip).
inline constexpr int kMaxTileSide = 16384;
inline constexpr int kMaxTiles = 1 << 20;
inline constexpr int kMaxNeurons = 1 << 30;
inline constexpr int kMaxConductanceLevels = 65536;
inline constexpr int kMaxPulsesPerCell = 1000000;
inline constexpr int kMaxAdcBits = 24;
inline constexpr double kMaxClockHz = 1e10;

/// Tile array. Rows are word lines (inputs), columns bit lines (outputs). The spare rows and
/// columns are part of the rows x columns array, held back to replace faulty lines.
struct TileGeometry {
  int count = 256;         // tiles on the chip (>= 1)
  int rows = 128;          // word lines per tile, spares included, [1, kMaxTileSide]
  int columns = 128;       // bit lines per tile, spares included, [1, kMaxTileSide]
  int spare_rows = 4;      // [0, rows - 1]
  int spare_columns = 4;   // [0, columns - 1]

  /// Rows and columns a mapping may use (spares excluded).
  int usable_rows() const { return rows - spare_rows; }
  int usable_columns() const { return columns - spare_columns; }
};

/// Write-verify programming: the amplitude ladder v_min_v, v_min_v + v_step_v, ... <= v_max_v
/// (magnitudes; SET pulses are positive, RESET negative, as in memristor.h), one width per
/// polarity, the acceptance band, and the futility guard.
struct ProgrammingSpec {
  double v_min_v = 1.0;               // V, > 0
  double v_max_v = 2.4;               // V, >= v_min_v and above both device thresholds
  double v_step_v = 0.05;             // V, > 0 and <= v_max_v - v_min_v (unless they are equal)
  double set_width_s = 50e-9;         // s, >= one clock period
  double reset_width_s = 20e-9;       // s, >= one clock period
  double verify_tolerance_s = 0.5e-6; // S, accept |G - target| <= this; (0, half the level spacing]
  int max_pulses = 50;                // per cell, then the cell is counted as failed; [1, kMaxPulsesPerCell]

  /// Number of amplitudes on the ladder (>= 1 for a valid spec).
  int AmplitudeCount() const;
  /// Amplitude magnitude (V) of ladder step `k` (0 <= k < AmplitudeCount()).
  double Amplitude(int k) const { return v_min_v + k * v_step_v; }
};

/// The ADC. Verify reads convert one cell's current (one row driven at v_read_v, unipolar);
/// output sampling converts the output neurons' membrane voltage (bipolar, ± full scale, in mV as
/// the neuron model).
struct AdcSpec {
  int verify_bits = 8;                 // [1, kMaxAdcBits]
  double verify_full_scale_a = 6.4e-6; // A, >= g_max_s · v_read_v
  int output_bits = 8;                 // [1, kMaxAdcBits]
  double output_full_scale_mv = 1000;  // mV, > 0

  /// Conductance (S) one verify code stands for at read voltage `v_read_v`.
  double VerifyLsbS(double v_read_v) const;
};

/// The analog chain in SI units (docs/chip.md "The analog chain in SI units"): the MIF neuron as
/// a circuit (its membrane capacitor, the duration of one step of the published neuron, its supply
/// rails) and the hidden layers' word-line drivers. The published neuron (ChipSpec::neuron) is
/// dimensionless; with these it is a circuit (PhysicalNeuron).
struct AnalogSpec {
  double membrane_capacitance_f = 1e-12;  // F, > 0: an on-chip MIM capacitor
  double time_step_s = 1e-6;              // s, > 0: one step of ChipSpec::neuron
  double rail_low_v = -1.0;               // V: the membrane's supply rails, containing E1 and E2
  double rail_high_v = 1.0;               // V
  double driver_gain = 0.2;               // V/V, > 0: word-line volts per membrane volt (hidden layers)
  double driver_range_v = 0.2;            // V, > 0: the drivers clip at +- this
  /// Word lines stay below this fraction of the devices' lower switching threshold (the
  /// read-disturb limit with its margin), (0, 1].
  double read_disturb_fraction = 0.5;
  /// The synapse between a neuron's current stage and its membrane: two Gm-C low-pass stages with
  /// the neuron's tau_alpha (each a capacitor of this, F, > 0), the second driving the membrane
  /// through a transconductor of this, S (> 0).
  double synapse_capacitance_f = 1e-12;
  double synapse_transconductance_s = 1e-5;
  /// The current stage between a neuron's bit lines and its synapse: a programmable current
  /// mirror, gain at most this, A/A (> 0).
  double current_gain_max = 16;

  /// The membrane voltage (mV) at which a hidden layer's drivers clip: driver_range_v / driver_gain.
  double DriveLimitMv() const { return 1e3 * driver_range_v / driver_gain; }
  bool operator==(const AnalogSpec&) const = default;
};

/// The integrate-and-fire neuron arrays NIR populations run on (docs/nir.md "On the chip"): which
/// of NIR's kinds their circuits implement, how many there are, and the comparator threshold a
/// population's largest v_threshold maps onto. A membrane of v file units is a capacitor voltage
/// of v · threshold_v / max(v_threshold) volts, held by the analog rails; one step lasts the
/// graph's dt (xbar --dt), each circuit stepping its kind's rule (device_models/spiking_neuron.h).
struct SpikingNeuronSpec {
  /// Every kind by default (I, IF, LI, LIF, CubaLI, CubaLIF).
  std::vector<SpikingKind> kinds = {SpikingKind::kI,  SpikingKind::kIF,     SpikingKind::kLI,
                                    SpikingKind::kLIF, SpikingKind::kCubaLI, SpikingKind::kCubaLIF};
  /// Circuits on the chip, [0, kMaxNeurons]; 0: the chip runs no NIR populations.
  int count = 16384;
  /// Comparator threshold, V, in (0, analog.rail_high_v).
  double threshold_v = 0.05;

  bool Has(SpikingKind kind) const { return std::find(kinds.begin(), kinds.end(), kind) != kinds.end(); }
  bool operator==(const SpikingNeuronSpec&) const = default;
};

/// A model neuron (MifParams, dimensionless) as the chip's circuit. The membrane update
/// C (v' - v) = I + G1 (E1 - v') + G2 (E2 - v') is the backward-Euler step of
/// C_m dv/dt = I + sum G_i (E_i - v) with C = C_m / dt, and it is homogeneous in (C, G, I): scaling
/// all three by alpha leaves v(t) and the memristor states unchanged. So a model neuron is the
/// circuit with capacitance C_m, memristors r_on / alpha and r_off / alpha, and input current
/// alpha * 1e-3 A per model current unit (1e-3: mV to V), alpha = C_m / (dt c). The model's step is
/// the chip's time step times the chip neuron's tau_steps over the model's (a model trained at
/// step scale s, docs/mif.md, has tau / s and c / s, so its step lasts s time steps: alpha is the
/// same for every step scale).
struct PhysicalNeuron {
  double alpha = 0;           // circuit conductances, capacitance per step and currents over the model's
  double step_s = 0;          // duration of one model step, s
  double r_on_ohm = 0;        // the neuron's memristors, ohm
  double r_off_ohm = 0;
  double tau_s = 0;           // memristor state time constant, s
  double tau_alpha_s = 0;     // synapse time constant, s
  double amps_per_unit = 0;   // neuron input current per model current unit, A
  double rail_low_mv = 0;     // the chip's rails in the model's mV
  double rail_high_mv = 0;
};

/// The memristor technology of every cell: the preset it started from and the resulting values.
struct DeviceSpec {
  /// Name of the preset the values started from (presets.h); "" if none. Provenance only: the
  /// values below are what counts.
  std::string preset;
  MemristorParams memristor;
  Nonidealities nonidealities;

  static DeviceSpec FromPreset(const DevicePreset& preset);
};

/// A chip: everything the compiler, the pulse generator and the simulators need to know about it.
struct ChipSpec {
  std::string name = "xbar-default-128";
  TileGeometry tiles;
  /// Programmable levels, evenly spaced in the device's nominal window [g_min_s, g_max_s].
  int conductance_levels = 16;
  TileWires wires{.r_row_ohm = 4.1, .r_col_ohm = 2.4, .r_driver_ohm = 10.0, .r_sense_ohm = 10.0};
  /// Read voltage (V), below both device thresholds so that reads never program.
  double v_read_v = 0.2;
  ProgrammingSpec programming;
  AdcSpec adc;
  /// Controller clock frequency (Hz).
  double clock_hz = 100e6;
  /// Bit lines per neuron: 1 (single column) or 2 (differential pair, G+ - G-).
  int columns_per_neuron = 2;
  /// Neuron circuits on the chip, [1, kMaxNeurons]: a network needs one per neuron of every layer
  /// (LayerShape::neurons(), summed). Default: one per bit-line pair of every tile, 256 x 64
  /// (docs/chip.md).
  int neurons = 16384;
  /// The MIF neuron circuit on every output column group (published SPICEprop defaults).
  MifParams neuron;
  /// The analog chain in SI units: what the neuron and the hidden word-line drivers are physically.
  AnalogSpec analog;
  /// The integrate-and-fire circuits NIR populations run on.
  SpikingNeuronSpec spiking;
  DeviceSpec device = DeviceSpec::FromPreset(PcmNandakumar2019());

  /// Rejects non-physical or inconsistent values: kInvalidArgument naming the field (as in the
  /// text format, e.g. "tiles.count") and the limit. Checks each part, then the couplings: read
  /// voltage below the thresholds, ladder reaching both thresholds, widths of at least one clock
  /// period, tolerance within half a level spacing, verify ADC covering the window and resolving
  /// the tolerance.
  Expected<void> Validate() const;

  /// Spacing (S) between adjacent conductance levels.
  double LevelSpacingS() const;
  /// Conductance (S) of level `k` (0 = g_min_s ... conductance_levels - 1 = g_max_s).
  double LevelS(int k) const;
  /// Cells a mapping may use on the whole chip (spares excluded).
  int64_t UsableCells() const;
  /// The read-disturb limit of a word line, V: analog.read_disturb_fraction of the lower of the
  /// device's SET and RESET thresholds.
  double ReadDisturbLimitV() const;
  /// The model neuron `model` as this chip's circuit (PhysicalNeuron). `model` must be the chip's
  /// neuron at some step scale (compile checks; the mapping itself only needs c and tau_steps).
  PhysicalNeuron Physical(const MifParams& model) const;
  /// The model neuron as this chip runs it: its membranes held by the chip's supply rails
  /// (analog.rail_low_v/rail_high_v, in the model's mV), whatever rails the model was trained
  /// with (none, narrower or wider). The chip model (ChipView), hardware-aware training and xbar
  /// compile's rails check all take the neuron from here.
  MifParams OnChip(const MifParams& model) const;
  /// The current stage's gain (A/A) that turns `window_s` of differential bit-line current into a
  /// model drive of `drive_per_amp` times that current (a layer's gain, ChipView): the charge k I
  /// t_w on the synapse's first capacitor is drive A_u C_s / G_o, A_u = Physical(model).amps_per_unit.
  double CurrentStageGain(const MifParams& model, double drive_per_amp, double window_s) const;
};

}  // namespace xbar::device_models
