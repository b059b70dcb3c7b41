// The programmed chip as one continuous-time circuit, checked against ngspice (xbar spice chip;
// docs/spice.md, "The whole chip").
//
// The circuit: the tiles with their wire, driver and sense resistances and the conductances reads
// see; per neuron a current stage (a current-controlled current source per bit line: the layer's
// gain, the bit line's drift-compensation gain and the pair's sign), a two-pole Gm-C synapse, the
// membrane capacitor with its two memristive branches (state-carrying behavioural elements) and
// rail clamps; the hidden word-line drivers, which follow the previous layer's membranes through
// their clipping while their layer's read window is open; the input DACs' pulses.
//
// The schedule (AnalogSchedule): a model step lasts PhysicalNeuron::step_s; layer l's step t runs
// over [(t + l) dt, (t + l + 1) dt] with its read window (the tiles' sense time) at its start, so a
// layer reads the previous layer's membranes the instant that layer's step t ends: the model's
// "same step" semantics, as an analog pipeline. A layer's neurons are gated off (no branch or
// synapse current, memristor states held) outside its T steps.
//
// Three runs of that circuit are compared: ngspice's transient, a fine-step behavioural reference
// (the model's neuron at a step of window/m, drives integrated over the window), and the deployed
// model (one implicit step per dt, what `xbar infer` runs).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "compiler/plan.h"
#include "runtime/chip_view.h"
#include "support/error.h"

namespace xbar::runtime {

/// When the continuous-time chip does what.
struct AnalogSchedule {
  double step_s = 0;    // one model step, s (PhysicalNeuron::step_s)
  double window_s = 0;  // read window: the tiles' sense time, sense_cycles / clock, s
  int steps = 0, period = 0, layers = 0;

  /// kInvalidArgument when the plan has a convolution (the whole-chip circuit covers dense
  /// networks) or the step is not a whole number of read windows.
  static Expected<AnalogSchedule> Of(const compiler::Plan& plan, const ChipView& view);
  double WindowStart(int layer, int t) const { return (t + layer) * step_s; }
  /// End of layer `layer`'s step t: where its membranes are sampled.
  double SampleTime(int layer, int t) const { return (t + layer + 1) * step_s; }
  double StopTime() const { return (steps + layers - 1) * step_s; }
  bool Reads(int layer, int t) const { return layer > 0 || t % period == 0; }
};

/// Membrane waveforms of every neuron, and the energy of the run.
struct AnalogWaveforms {
  std::vector<double> t_s;              // increasing
  std::vector<Eigen::MatrixXd> v_mv;    // per layer: neurons x t_s.size()
  double read_j = 0;                    // delivered by the word-line drivers
  double neuron_j = 0;                  // dissipated in the neurons' memristive branches
  /// v of one neuron at time t (linear between samples, held outside them).
  double At(int layer, int neuron, double t) const;
};

/// The fine-step behavioural reference: the model's neuron stepped at window_s / substeps, the
/// read windows' drives spread evenly over their substeps. kInvalidArgument for substeps < 1 or a
/// step scale outside MifParams::WithStepScale's range.
Expected<AnalogWaveforms> SimulateAnalog(const compiler::Plan& plan, const ChipView& view,
                                         std::span<const uint8_t> codes, int substeps_per_window);

/// The ngspice netlist of the whole chip inferring one image (input DAC codes), SI units; its
/// .control block runs the transient and writes every membrane voltage and both energy meters
/// to `data_path` (wrdata). `present`: the conductances the view was built from.
std::string ChipNetlist(const compiler::Plan& plan, const std::vector<Eigen::MatrixXd>& present,
                        const ChipView& view, std::span<const uint8_t> codes, const std::string& data_path);


/// The waveforms a ChipNetlist run wrote (kDataLoss naming the line for anything malformed).
Expected<AnalogWaveforms> ParseChipData(const std::string& data, const ChipView& view, double stop_s);

/// The output ADC's decision from a run's output membranes at the sample instants.
int AnalogDecision(const AnalogWaveforms& w, const ChipView& view, const AnalogSchedule& schedule);

/// The circuit, the reference and the deployed model side by side for one image.
struct ChipSpiceCheck {
  double full_scale_mv = 0;            // the output ADC's full scale: the error unit
  double max_membrane_error_fs = 0;    // ngspice vs the reference, worst neuron and time point
  double reference_step_error_fs = 0;  // the reference at m vs 2m substeps per window
  double deployed_error_fs = 0;        // the deployed model vs ngspice at the sample instants
  int decision_spice = -1, decision_reference = -1, decision_deployed = -1;
  double spice_read_j = 0, spice_neuron_j = 0;
  double reference_read_j = 0, reference_neuron_j = 0;
  double deployed_read_j = 0, deployed_neuron_j = 0;
  double energy_rel_error = 0;            // deployed (what xbar infer reports) vs ngspice
  double reference_energy_rel_error = 0;  // the reference vs ngspice
  int time_points = 0;
  double spice_seconds = 0;
  bool decisions_equal() const { return decision_spice == decision_deployed && decision_spice == decision_reference; }
};

/// Runs all three for one image (ngspice must be on PATH: kNotFound otherwise).
Expected<ChipSpiceCheck> CheckChipWithNgspice(const compiler::Plan& plan, const std::vector<Eigen::MatrixXd>& present,
                                              const ChipView& view, std::span<const uint8_t> codes,
                                              int substeps_per_window = 10);

}  // namespace xbar::runtime
