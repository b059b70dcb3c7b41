// The programmed chip during inference: tiles read through their exact transfer matrices, MIF
// neuron arrays, the output ADC — the analog side both inference backends share (docs/inference.md).
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

#include "compiler/plan.h"
#include "device_models/chip_instance.h"
#include "device_models/mif_neuron.h"
#include "rtl/dpi_chip.h"
#include "runtime/dataset.h"
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
    int physical = 0;
    int row_offset = 0, column_offset = 0, rows = 0, outputs = 0, used_columns = 0;
    /// Bit-line currents of the used block per word-line volt: used_columns x rows (A/V), IR drop
    /// and compensation gains included.
    Eigen::MatrixXd transfer;
    /// Conductance (S) hanging on each used word line, all bit lines: read power V² · this.
    Eigen::VectorXd row_conductance_s;
  };
  struct Layer {
    int inputs = 0, outputs = 0;
    std::vector<int> tiles;        // plan tile indices, in plan order (the order currents add)
    Eigen::VectorXd gain;          // per output: neuron drive per ampere of (I+ - I-)
    std::vector<uint32_t> enables; // schedule row: bit t = physical tile t takes part
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
  /// Word-line volts per mV of the previous layer's membrane voltage.
  double membrane_to_row_v() const { return membrane_to_row_v_; }
  double readout_scale() const { return readout_scale_; }
  const InferenceTiming& timing() const { return timing_; }
  double clock_hz() const { return clock_hz_; }
  /// Drift-compensation gains applied: the global one, and the range of the per-bit-line ones.
  double global_gain() const { return global_gain_; }
  double min_column_gain() const { return min_column_gain_; }
  double max_column_gain() const { return max_column_gain_; }
  /// Clock cycles of one OpInfer on the controller, command accepted to response taken.
  uint64_t InferenceCycles() const;

 private:
  std::vector<Tile> tiles_;
  std::vector<Layer> layers_;
  std::vector<int> physical_to_plan_;
  device_models::MifParams neuron_;
  int steps_ = 0, period_ = 0;
  int output_bits_ = 0;
  double output_lsb_mv_ = 0;
  double output_gain_ = 1;
  double v_read_v_ = 0;
  double membrane_to_row_v_ = 0;
  double readout_scale_ = 0;
  InferenceTiming timing_;
  double clock_hz_ = 0;
  double global_gain_ = 1, min_column_gain_ = 1, max_column_gain_ = 1;
};

/// Analog energy of the inferences an AnalogChip ran.
struct AnalogEnergy {
  double read_j = 0;                // Σ over tile reads of V² G t_sense over the driven cells
  double neuron_power_steps_w = 0;  // Σ over steps of the neuron arrays' memristor-branch power
  int64_t tile_reads = 0;
  int64_t neuron_steps = 0;         // neuron-array steps (layers x time steps)
  int64_t conversions = 0;          // output ADC conversions
};

/// One inference in flight on a ChipView. Not thread-safe; one per thread.
class AnalogChip final : public rtl::InferenceAnalog {
 public:
  explicit AnalogChip(const ChipView& view);

  bool Begin() override;
  bool SetInput(uint32_t index, uint32_t code) override;
  bool ReadLayer(uint32_t layer, std::span<const uint32_t> enables) override;
  bool StepNeurons(uint32_t layer) override;
  int64_t SampleOutput(uint32_t index) override;
  const std::string& last_error() const override { return error_; }

  /// Keep every output sample of the next inferences (steps x outputs, row-major).
  void set_record_samples(bool record) { record_ = record; }
  const std::vector<int32_t>& samples() const { return samples_; }
  /// Membrane voltage (mV) of the output neurons now (before the ADC).
  const device_models::Arr<double>& output_v() const { return layers_.back().state().v; }
  /// Energy since construction or the last TakeEnergy; TakeEnergy returns it and starts afresh.
  const AnalogEnergy& energy() const { return energy_; }
  /// Largest |membrane voltage| (mV) the output ADC has been asked to convert.
  double peak_output_mv() const { return peak_output_mv_; }
  AnalogEnergy TakeEnergy() { return std::exchange(energy_, {}); }

 private:
  bool Refuse(std::string message);

  const ChipView* view_;
  Eigen::VectorXd input_v_;                 // input DAC voltages
  std::vector<Eigen::VectorXd> currents_;   // per plan tile: bit-line currents of its last read
  std::vector<char> pending_;               // per plan tile: read since its layer's last step
  // Layer 0's word lines only change with the inputs: a tile read again with the same inputs
  // gives the same currents (same arithmetic), so they are kept. Version of the inputs per read.
  uint64_t input_version_ = 1;
  std::vector<uint64_t> read_version_;
  std::vector<double> read_energy_;         // per plan tile: energy of its last read
  std::vector<device_models::MifLayer<double>> layers_;
  std::vector<device_models::Arr<double>> drive_;
  std::vector<int32_t> samples_;
  bool record_ = false;
  double peak_output_mv_ = 0;
  AnalogEnergy energy_;
  std::string error_;
};

/// Result of one image.
struct ImageResult {
  int decision = -1;
  std::vector<int64_t> accumulators;  // per output: sum over steps of its ADC codes
  std::vector<int32_t> samples;       // steps x outputs when recorded, else empty
  AnalogEnergy energy;                // of this image
};

/// Adds `b` to `a`, field by field.
void Accumulate(AnalogEnergy& a, const AnalogEnergy& b);

/// The output amplifier's gain that maps the largest output membrane voltage seen over `images`
/// (calibration images, e.g. from the training set) to the ADC's full scale, as a deployment
/// calibrates its read-out once after programming. kInvalidArgument for no images.
Expected<double> CalibrateOutputGain(const ChipView& view, const Dataset& images, int threads = 0);

/// 8-bit input DAC codes of an image with pixels in [0, 1].
std::vector<uint8_t> InputCodes(const Eigen::Ref<const Eigen::VectorXf>& pixels);

/// One inference in C++, making the calls the RTL sequencer makes, in its order (inputs loaded
/// before). kInternal with the chip's reason if a call is refused.
Expected<ImageResult> RunImage(AnalogChip& chip, const ChipView& view,
                               std::span<const uint8_t> codes, bool record_samples);

}  // namespace xbar::runtime
