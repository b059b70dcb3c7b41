// One inference in flight on the programmed chip (AnalogChip: input DACs, tile reads, MIF neuron
// arrays, output ADC) — the analog side both inference backends share (docs/inference.md).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "device_models/mif_neuron.h"
#include "rtl/dpi_chip.h"
#include "runtime/chip_view.h"
#include "runtime/dataset.h"
#include "runtime/voltage_range.h"
#include "runtime/layer_ops.h"
#include "support/error.h"

namespace xbar::runtime {

/// Largest code of the 8-bit input DACs: code c drives c / kInputCodeMax of the read voltage.
inline constexpr double kInputCodeMax = 255.0;

/// What one tile read costs: the array's dissipation, the word-line drivers' draw from the
/// analog rails, and the current stages' output charge.
struct ReadCost {
  double read_j = 0;    // Σ over driven cells of V² G t_sense
  double driver_j = 0;  // Σ over word lines of V_rail |V| G_row t_sense (read_j included)
  double stage_c = 0;   // Σ over bit lines of k |I| t_sense
  ReadCost& operator+=(const ReadCost& o) {
    read_j += o.read_j;
    driver_j += o.driver_j;
    stage_c += o.stage_c;
    return *this;
  }
};

/// Analog energy of the inferences an AnalogChip ran (docs/inference.md "Energy").
struct AnalogEnergy {
  ReadCost reads;                   // Σ over tile reads
  double neuron_power_steps_w = 0;  // Σ over steps of the neuron arrays' memristor-branch power
  // Σ over steps and neurons of the synapse's stages' output currents, model units: |I| (into
  // the membrane) and |a| / tau_alpha (into the second stage's capacitor).
  double synapse_out_units = 0, synapse_in_units = 0;
  int64_t tile_reads = 0;
  int64_t neuron_steps = 0;         // neuron-array steps (layers x time steps)
  int64_t conversions = 0;          // output ADC conversions (NIR plans: and output spikes latched)
  // NIR plans: Σ over steps and neurons of C_m |Δv| (C), the charge the integrate-and-fire
  // circuits' membranes (and synapses) take from and return to the rails.
  double spiking_charge_c = 0;
  VoltageRange range = {};          // membranes at the rails, drives clipped, peak membrane
};

/// One inference in flight on a ChipView. Not thread-safe; one per thread.
class AnalogChip final : public rtl::InferenceAnalog {
 public:
  explicit AnalogChip(const ChipView& view);

  bool Begin() override;
  bool SetInput(uint32_t index, uint32_t code) override;
  bool ReadLayer(uint32_t layer, uint32_t cycle, std::span<const uint32_t> enables) override;
  bool StepNeurons(uint32_t layer) override;
  int64_t SampleOutput(uint32_t index) override;
  const std::string& last_error() const override { return error_; }

  /// Keep every output sample of the next inferences (steps x outputs, row-major).
  void set_record_samples(bool record) { record_ = record; }
  const std::vector<int32_t>& samples() const { return samples_; }
  /// Membrane voltage (mV) of the output neurons now (before the ADC). MIF plans.
  const device_models::Arr<double>& output_v() const { return layers_.back().state().v; }
  /// Membrane voltage (mV) of layer `layer`'s neurons now (a convolution's channel-major). MIF plans.
  const device_models::Arr<double>& membrane_v(std::size_t layer) const { return layers_[layer].state().v; }
  /// NIR plans: layer `layer`'s population (its membranes in file units, its last output).
  const device_models::SpikingPopulation& population(std::size_t layer) const { return populations_[layer]; }
  /// Energy since construction or the last TakeEnergy; TakeEnergy returns it and starts afresh.
  const AnalogEnergy& energy() const { return energy_; }
  /// Largest |membrane voltage| (mV) the output ADC has been asked to convert.
  double peak_output_mv() const { return peak_output_mv_; }
  AnalogEnergy TakeEnergy() { return std::exchange(energy_, {}); }

 private:
  bool Refuse(std::string message);
  // Word-line voltages of layer `layer`'s input (after pooling): the input DACs for layer 0, the
  // pooled membrane voltages of the layer before, computed once per step of that layer.
  const Eigen::VectorXd& LayerInput(uint32_t layer);
  // NIR plans: the same with spikes as read pulses (SpikeInput) and the step of a population.
  const Eigen::VectorXd& SpikeInput(uint32_t layer);
  void StepPopulation(uint32_t layer, const device_models::Arr<double>& drive);
  // Version of layer `layer`'s word-line input, for the tiles' read caches.
  uint64_t InputVersion(uint32_t layer) const;
  // A convolution tile's reads of all its positions of a step at once (plan tile q, input `in`):
  // one matrix product instead of one per position, at its first read with this input.
  void ReadPositions(const ChipView::Layer& layer, const ChipView::Tile& tile, const Eigen::VectorXd& in,
                     std::size_t q);

  const ChipView* view_;
  double rail_low_v_, rail_high_v_;         // the analog supply the drivers draw from
  Eigen::VectorXd input_v_;                 // input DAC voltages
  device_models::Arr<double> clipped_;  // the drive-limited membranes of the layer being read
  std::vector<Eigen::VectorXd> layer_in_v_; // per layer > 0: its input's word-line voltages
  std::vector<uint64_t> layer_in_stamp_;    // per layer > 0: stamp of the step it was taken at
                                            // (NIR plans: a fresh stamp per recomputation)
  std::vector<uint64_t> layer_in_source_;   // NIR plans, per layer: the source's stamp it was taken at
  std::vector<uint64_t> layer_in_own_;      // NIR recurrent layers: their own step's stamp
  std::vector<uint64_t> stepped_;           // per layer: stamp of its last step (or Begin)
  uint64_t stamp_ = 0;
  std::vector<LayerOp<double>> ops_;        // per layer: its pooling
  Eigen::VectorXd word_lines_;              // scratch: one tile's word-line voltages
  std::vector<Eigen::VectorXd> currents_;   // per plan tile: bit-line currents of its last read
  std::vector<char> pending_;               // per plan tile: read since its layer's last step
                                            // (convolutions: in the read cycle in progress)
  // Layer 0's word lines only change with the inputs: a tile read again with the same inputs
  // gives the same currents (same arithmetic), so they are kept. Version of the input per tile's
  // last read (layer 0: input_version_; a later convolution: its input's stamp).
  uint64_t input_version_ = 1;
  std::vector<uint64_t> read_version_;
  std::vector<ReadCost> read_cost_;         // per plan tile: cost of its last read
  // Convolutions: per plan tile, its currents (used bit lines x its positions of a step, one column
  // per read cycle) and read costs (ReadCost's fields x positions). Valid while read_version_ is
  // the input's.
  std::vector<Eigen::MatrixXd> position_currents_;
  std::vector<Eigen::Matrix3Xd> position_cost_;
  Eigen::MatrixXd word_batch_;              // scratch: a tile's word lines, one column per position
  Eigen::MatrixXd rail_batch_;              // scratch: the rail each of them draws from, V
  std::vector<device_models::MifLayer<double>> layers_;          // MIF plans: per layer
  std::vector<device_models::SpikingPopulation> populations_;  // NIR plans: per layer
  Eigen::ArrayXd previous_v_;   // scratch: a population's membranes before its step
  Eigen::VectorXd source_v_;    // scratch: NIR plans, the word lines of a layer's source
  std::vector<device_models::Arr<double>> drive_;  // convolutions: I+ - I- summed over the step's reads
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

/// Word-line voltages of `tile` of `layer` reading output position `position` (dense: 0) of the
/// layer's input `in` (word-line volts): the fan-in rows from the input (a convolution's patch, zero
/// volts in the padding), the bias row at the bias voltage.
void TileWordLines(const ChipView::Layer& layer, const ChipView::Tile& tile, const Eigen::VectorXd& in, int position,
                   Eigen::VectorXd& v);

/// Power (W) the memristive branches of a neuron array dissipate in the model's units (S, mV):
/// the circuit's is alpha times this (ChipSpec::Physical).
double BranchPowerW(const device_models::MifParams& p, const device_models::MifState<double>& s);

/// The output ADC's code of a membrane voltage `v_mv` (mV): round(gain v / lsb), saturating at the
/// converter's signed range.
int64_t OutputCode(const ChipView& view, double v_mv);

/// 8-bit input DAC codes of an image with pixels in [0, 1].
std::vector<uint8_t> InputCodes(const Eigen::Ref<const Eigen::VectorXf>& pixels);

/// One inference in C++, making the calls the RTL sequencer makes, in its order (inputs loaded
/// before). kInternal with the chip's reason if a call is refused. With `membranes`, also every
/// layer's membrane voltages after each of its steps (per layer: neurons x steps, mV).
Expected<ImageResult> RunImage(AnalogChip& chip, const ChipView& view,
                               std::span<const uint8_t> codes, bool record_samples,
                               std::vector<Eigen::MatrixXd>* membranes = nullptr);

}  // namespace xbar::runtime
