// SPICE interop: ngspice netlists of a crossbar tile and of the MIF neuron, their output parsers.
//
// The netlists are checked against the C++ models with the real ngspice (tests/device_models/
// spice_test.cc); circuits, unit convention and measured agreement: docs/spice.md.
#pragma once

#include <Eigen/Core>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "device_models/tile_circuit.h"
#include "device_models/mif_neuron.h"
#include "support/error.h"

namespace xbar::device_models {

/// An ngspice netlist of `tile` driven by the input voltages `v_in_v` (one per row, volts), as
/// tile_circuit.h describes the circuit: a row node and a column node at every cell, a resistor of 1/G
/// per cell (a cell with G = 0 is an open circuit and is left out; no node floats, since every
/// node stays wired to its driver or its sense), row and column wire segments, row i driven at its
/// cell-0 end by a DC source `vin_<i>` through r_driver, column j sensed at its cell-(R-1) end
/// through r_sense into a 0 V source `vsense_<j>`. A zero resistance merges the nodes it joins (no
/// element is written). The `.control` block runs the `.op` and prints every sense current with
/// 16 digits, one `i(vsense_<j>) = <ampere>` line per column, then `quit 0`.
/// Requires v_in_v.size() == tile.rows() and finite inputs (checked: a caller's bug otherwise).
std::string TileNetlist(const TileCircuit& tile, const Eigen::VectorXd& v_in_v);

/// The tile's elements alone, as TileNetlist writes them, with `prefix` inserted after the first
/// underscore of every element and node name (rg_<prefix><i>_<j>, ...): the driver resistances from
/// the row inputs `in_<prefix><i>` (which the caller drives), cells, wire segments and the sense
/// resistances to `s_<prefix><j>` (which the caller holds at its virtual ground). With a zero driver
/// or sense resistance those nodes are the cell nodes themselves.
void AppendTileElements(std::string& netlist, const TileCircuit& tile, const std::string& prefix);

/// The column currents (ampere, positive into the virtual ground, as TileCircuit::Solve returns
/// them) printed by a TileNetlist run. ngspice reports a voltage source's branch current as
/// positive flowing into its + node; the sense sources have + on the column side, so the printed
/// value is the column current itself. Fails (kDataLoss) when a column is missing, repeated,
/// out of range or not a finite number, and (kInvalidArgument) when `columns` < 1.
Expected<Eigen::VectorXd> ParseTileCurrents(const std::string& ngspice_stdout, int columns);

/// A piecewise-linear synaptic input u(t) of the MIF neuron (da/dt = -a/tau_a + u): corner points
/// (time in steps, u in drive units per step), strictly increasing in time, all at t >= 0; u is
/// held at the first value before the first point and at the last value after the last, as in a
/// SPICE PWL source (so a pulse starts and ends at 0). The charge a discrete step receives is the
/// integral of u over the step (Integral).
struct PwlDrive {
  std::vector<std::pair<double, double>> points;

  /// A trapezoidal pulse of total area `area` (drive units, i.e. the discrete impulse it stands
  /// for), from t0 to t0 + width with linear rise and fall of `edge` steps each. Needs
  /// width > 2 edge > 0 and t0 >= 0 (checked).
  static PwlDrive Pulse(double area, double t0_steps, double width_steps, double edge_steps);

  /// Integral of u over [t0, t1] (t1 >= t0), drive units; exact for the piecewise-linear u.
  double Integral(double t0_steps, double t1_steps) const;
};

/// Transient controls of the neuron netlist; times in steps (1 SPICE second = 1 step).
struct NeuronTransientOptions {
  double t_stop_steps = 200;    // end of the transient
  double max_step_steps = 0.01; // largest time step, also the print step of `.tran`
  double reltol = 1e-6;         // ngspice relative tolerance (abstol 1e-15 A, vntol 1e-9 V)
};

/// An ngspice netlist of one MIF neuron (docs/mif.md) as a continuous-time circuit, in the units
/// "1 SPICE volt = 1 model mV, 1 SPICE second = 1 step", so MifParams go in unchanged (R in ohm,
/// C in farad = S·step, currents in S·mV): membrane capacitor C from node `mem` to ground; two
/// memristive branches, a behavioural current G_i(x_i)·(v - E_i) from `mem` to a DC source E_i;
/// each memristor state x_i as the voltage of its own 1 F capacitor, charged by a behavioural
/// current equal to dx_i/dt; the alpha synapse as two more 1 F integrators (a: a resistor tau_a
/// plus the PWL current source u; I: a resistor tau_a plus a VCCS a/tau_a); I injected into `mem`.
/// Initial state as MifState::Reset (`uic`). The `.control` block runs the `.tran` with gear
/// integration and prints v(mem) at every time point with 16 digits, then `quit 0`.
/// Requires p.Validate() to pass and a valid `u` (checked: a caller's bug otherwise).
std::string NeuronNetlist(const MifParams& p, const PwlDrive& u, const NeuronTransientOptions& tran = {});

/// A sampled membrane waveform: times in steps (increasing) and v in mV.
struct NeuronWaveform {
  std::vector<double> t_steps;
  std::vector<double> v_mv;
};

/// The (time, v(mem)) rows printed by a NeuronNetlist run. Fails (kDataLoss) when there are no
/// rows, a row is malformed, times do not increase, or the last time falls short of
/// `t_stop_steps` (a transient ngspice aborted).
Expected<NeuronWaveform> ParseNeuronWaveform(const std::string& ngspice_stdout, double t_stop_steps);

/// A number as netlists write it: 17 significant digits, no scale suffix; SpiceExprNumber puts a
/// negative one in parentheses, for B-source expressions.
std::string SpiceNumber(double v);
std::string SpiceExprNumber(double v);

/// The table `wrdata` writes with wr_singlescale and wr_vecnames: a header naming the columns
/// (must equal `names`, the scale first), then rows of finite numbers with the first column
/// strictly increasing. Returns the columns. kDataLoss naming the line for anything else, and
/// for a table without rows.
Expected<std::vector<std::vector<double>>> ParseWrdata(const std::string& data, const std::vector<std::string>& names);

/// Runs `ngspice -b` on `netlist` (written to a temporary file, removed afterwards) and returns
/// its standard output. Fails with kNotFound "ngspice not found (run scripts/setup)" when ngspice
/// is not on PATH, and with kInternal when it exits non-zero or reports an error or an aborted
/// analysis on its error stream (naming ngspice's first such line).
Expected<std::string> RunNgspice(const std::string& netlist);

/// Runs ngspice on the netlist `make_netlist(data_path)` returns, where data_path is a temporary
/// file its `.control` block writes (e.g. with wrdata); returns that file's contents. Errors as
/// RunNgspice, and kDataLoss when ngspice left the data file empty.
Expected<std::string> RunNgspiceData(const std::function<std::string(const std::string& data_path)>& make_netlist);

}  // namespace xbar::device_models
