// The programmed chip as its reads see it (ChipView): conductances at an age, transfer matrices with
// IR drop and drift compensation, the periphery gains and the schedule (docs/inference.md).
//
// Three layers of state:
// - ReadConductances: what every cell presents to a read at an age (drift, a frozen read-noise
//   realisation, stuck cells), from a programmed ChipInstance.
// - ChipView: immutable, shared by threads: per plan tile the transfer matrix of its used block
//   (IR drop solved exactly, drift-compensation gains folded in), the periphery gains, the
//   schedule of tile reads.
// - AnalogChip: one inference in flight (input DACs, pending tile currents, neuron arrays); it is
//   the rtl::InferenceAnalog the RTL sequencer drives through DPI-C, and RunImage drives it the
//   same way in C++. Both make the same calls in the same order, so both backends give
//   bit-identical membrane samples and decisions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "compiler/layer_shape.h"
#include "compiler/plan.h"
#include "device_models/chip_instance.h"
#include "device_models/mif_neuron.h"
#include "device_models/spiking_neuron.h"
#include "support/error.h"

namespace xbar::runtime {

/// Which nonidealities act when the programmed chip is read, and when.
struct ReadConditions {
  double age_s = 0;        // time since programming, s (>= 0)
  bool drift = true;       // conductance drift to age_s
  bool read_noise = true;  // one frozen read-noise realisation for the whole run
  uint64_t seed = 0;       // of the read-noise realisation
};

/// The conductance (S) every cell of every plan tile presents to a read, physical rows x columns
/// per plan tile: stuck value or drifted programmed conductance, plus read noise. The noise of a
/// word line comes from DeriveSeed(DeriveSeed(seed, 2), tile · rows + row), so the result does not
/// depend on thread count.
std::vector<Eigen::MatrixXd> ReadConductances(const compiler::Plan& plan,
                                              const device_models::ChipInstance& chip,
                                              const ReadConditions& conditions, int threads = 0);

/// Drift compensation, calibrated by reference reads (every used word line at the read voltage)
/// right after programming (age = drift t0) and again at the age of use.
enum class DriftCompensation {
  kNone,
  kGlobal,  // one gain for the chip: sum of reference currents / sum of present currents
  kColumn,  // one gain per bit line: its reference current / its present current
};
std::string_view DriftCompensationName(DriftCompensation compensation);
/// "none", "global", "column"; kInvalidArgument naming the value otherwise.
Expected<DriftCompensation> ParseDriftCompensation(std::string_view name);
/// A comma-separated list of them (--compensation); kInvalidArgument when empty or naming a bad one.
Expected<std::vector<DriftCompensation>> ParseDriftCompensations(const std::string& text);

/// Controller timing of an inference (clock cycles).
struct InferenceTiming {
  int sense_cycles = 10;   // tiles integrating their column currents (100 ns at 100 MHz)
  int neuron_cycles = 5;   // one step of a neuron array
};

struct ChipViewOptions {
  bool ir_drop = true;
  DriftCompensation compensation = DriftCompensation::kNone;
  InferenceTiming timing;
  int threads = 0;
};

/// The programmed chip as its reads see it: immutable once built, shared by every inference.
class ChipView {
 public:
  /// One plan tile as the inference reads it.
  struct Tile {
    int layer = 0;
    int replica = 0;  // which copy of a convolution's kernel matrix (0 for dense layers)
    int physical = 0;
    int row_offset = 0, column_offset = 0, rows = 0, outputs = 0, used_columns = 0;
    /// Which used bit lines carry which output (the plan's scheme, `outputs`).
    compiler::PairLayout columns;
    /// Bit-line currents of the used block per word-line volt: used_columns x rows (A/V), IR drop
    /// and compensation gains included.
    Eigen::MatrixXd transfer;
    /// Conductance (S) hanging on each used word line, all bit lines: read power V² · this.
    Eigen::VectorXd row_conductance_s;
    /// Drift-compensation gain of each used bit line, folded into `transfer` (1 without
    /// compensation): the gain its current stage applies.
    Eigen::VectorXd column_gain;
    /// Gain (A/A) of each used bit line's current stage before its compensation gain (which
    /// `transfer` holds): ChipSpec::CurrentStageGain of its output's layer gain. Its output
    /// charge per read is this times the bit line's current times the read window.
    Eigen::VectorXd stage_gain;
  };
  struct Layer {
    /// What the layer takes from the layer before (or the image) before pooling, and its neurons
    /// (a convolution's: out_channels x positions, channel-major).
    int inputs = 0, outputs = 0;
    compiler::LayerShape shape;
    std::vector<int> tiles;        // plan tile indices, in plan order (the order currents add)
    Eigen::VectorXd gain;          // per output channel: neuron drive per ampere of (I+ - I-)
    std::vector<uint32_t> enables; // schedule row: bit t = physical tile t takes part
    /// Read cycles per step (the controller's OpReadCycles): each enabled tile is read once per
    /// cycle, the layer's neurons step after the last. 1 for a dense layer.
    int read_cycles = 1;
    /// Copies of a convolution's kernel matrix: in read cycle c the tiles of replica r read output
    /// position c · replicas + r (row-major over the output's height and width).
    int replicas = 1;
    /// Word-line voltage of the bias row: the input value 1 in the layer's input units.
    double bias_v = 0;
    /// Convolution: per output position, per fan-in element (c, ky, kx), the index of the pooled
    /// input it reads, or -1 for zero padding (positions x fan_in, position-major).
    std::vector<int> patch;
    /// NIR plans: the layer's population as the chip's integrate-and-fire circuits run it, its
    /// membrane held by the analog rails (v_min, v_max in file units), and the membrane capacitor's
    /// volts per file unit (threshold_v over the largest v_threshold; device_models::SpikingNeuronSpec).
    device_models::SpikingParams population;
    double volts_per_unit = 0;
  };

  /// Builds the view from the conductances reads see now (`present`, as ReadConductances) and, for
  /// drift compensation, right after programming (`reference`; may be null with kNone). Errors
  /// (kInvalidArgument): shapes, non-finite or negative conductances, more layers or outputs than
  /// the plan allows.
  static Expected<ChipView> Create(const compiler::Plan& plan,
                                   const std::vector<Eigen::MatrixXd>& present,
                                   const std::vector<Eigen::MatrixXd>* reference,
                                   const ChipViewOptions& options);
  /// The same for several compensation modes at once (options.compensation ignored): the tiles'
  /// transfer matrices are solved once.
  static Expected<std::vector<ChipView>> CreateModes(const compiler::Plan& plan,
                                                     const std::vector<Eigen::MatrixXd>& present,
                                                     const std::vector<Eigen::MatrixXd>* reference,
                                                     const ChipViewOptions& options,
                                                     const std::vector<DriftCompensation>& modes);

  const std::vector<Tile>& tiles() const { return tiles_; }
  const std::vector<Layer>& layers() const { return layers_; }
  /// Plan tile on physical tile t, or -1.
  int PlanTileOf(int physical) const { return physical_to_plan_[static_cast<std::size_t>(physical)]; }
  int physical_tiles() const { return static_cast<int>(physical_to_plan_.size()); }
  const device_models::MifParams& neuron() const { return neuron_; }
  /// Whether the plan's neurons are NIR populations (Layer::population): spike-train inputs, every
  /// layer read at every step with spikes as read pulses (docs/nir.md "On the chip"). Image
  /// inference refuses such a view (RequireMifNeurons); RunSpikes drives it.
  bool spiking() const { return spiking_; }
  int steps() const { return steps_; }
  int period() const { return period_; }
  int inputs() const { return layers_.front().inputs; }
  int outputs() const { return layers_.back().outputs; }
  int output_bits() const { return output_bits_; }
  /// Membrane voltage (mV) of one output ADC code at unit gain.
  double output_lsb_mv() const { return output_lsb_mv_; }
  /// Gain of the programmable amplifier in front of the output ADC (code = round(gain v / lsb)),
  /// set by CalibrateOutputGain; 1 until then.
  double output_gain() const { return output_gain_; }
  void set_output_gain(double gain) { output_gain_ = gain; }
  double v_read_v() const { return v_read_v_; }
  /// A neuron circuit's membrane capacitor, F (analog.membrane_capacitance_f).
  double membrane_capacitance_f() const { return membrane_capacitance_f_; }
  /// Word-line volts per mV of the previous layer's membrane voltage.
  double membrane_to_row_v() const { return membrane_to_row_v_; }
  /// Hidden layers' word-line drivers clip at this membrane voltage magnitude, mV (the chip's:
  /// AnalogSpec::DriveLimitMv).
  double drive_limit_mv() const { return drive_limit_mv_; }
  double readout_scale() const { return readout_scale_; }
  const InferenceTiming& timing() const { return timing_; }
  double clock_hz() const { return clock_hz_; }
  /// Drift-compensation gains applied: the global one, and the range of the per-bit-line ones.
  double global_gain() const { return global_gain_; }
  double min_column_gain() const { return min_column_gain_; }
  double max_column_gain() const { return max_column_gain_; }
  /// The largest current-stage gain (A/A) the layers need, drift-compensation gains included
  /// (ChipSpec::CurrentStageGain at the read window, sense_cycles / clock). Create refuses a plan
  /// needing more than the chip's analog.current_gain_max.
  double MaxCurrentStageGain() const;
  /// Clock cycles of one OpInfer on the controller, command accepted to response taken.
  uint64_t InferenceCycles() const;

 private:
  std::vector<Tile> tiles_;
  std::vector<Layer> layers_;
  std::vector<int> physical_to_plan_;
  device_models::MifParams neuron_;
  bool spiking_ = false;
  int steps_ = 0, period_ = 0;
  int output_bits_ = 0;
  double output_lsb_mv_ = 0;
  double output_gain_ = 1;
  double v_read_v_ = 0;
  double membrane_capacitance_f_ = 0;
  double membrane_to_row_v_ = 0;
  double drive_limit_mv_ = 0;
  double readout_scale_ = 0;
  InferenceTiming timing_;
  double clock_hz_ = 0;
  double global_gain_ = 1, min_column_gain_ = 1, max_column_gain_ = 1;
};

/// kFailedPrecondition for a view of NIR populations, which take spike trains, not images.
Expected<void> RequireMifNeurons(const ChipView& view);

/// The network the chip computes when read through `view`: the plan's, each weight
/// scale · (T+ − T−) of its cells' transfer (IR drop and drift-compensation gains included; one
/// copy of a convolution's weights, replica 0). The chip is linear in its word-line voltages, so
/// for a NIR model this is exactly what its crossbars apply (xbar export).
compiler::Model RealisedModel(const compiler::Plan& plan, const ChipView& view);

}  // namespace xbar::runtime
