// Spike trains through a NIR plan's chip (xbar infer --spikes): each sample through an AnalogChip,
// call by call in the order the controller makes them (docs/nir.md "On the chip").
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "runtime/analog_chip.h"
#include "runtime/chip_view.h"
#include "runtime/nir_sim.h"
#include "support/error.h"
#include "support/npy.h"

namespace xbar::runtime {

/// Largest spike count one input takes in one step: its word line's read pulses, counted by the
/// 8-bit input register (kInputCodeMax).
inline constexpr double kMaxSpikeCount = kInputCodeMax;

/// Input `i`'s count at step `t` of `spikes` (steps x inputs): kInvalidArgument naming both unless
/// it is a whole number in [0, kMaxSpikeCount].
Expected<uint32_t> SpikeCount(const Eigen::Ref<const Eigen::MatrixXd>& spikes, Eigen::Index t, Eigen::Index i);

/// One spike train on the chip: outputs as NirRun's (the output layer's spikes, or the membranes
/// its ADC reads, in file units), the output neurons' membranes (file units) and the energy.
struct ChipSpikeSample {
  NirRun run;
  AnalogEnergy energy;
  uint64_t cycles = 0;  // controller clock cycles (the RTL backend counts them, RunSpikes uses SpikeCycles)
};

/// One spike train `spikes` (steps x inputs; whole counts in [0, kMaxSpikeCount]) through the
/// spiking chip `view`: at every step its row is loaded into the input registers, every layer read
/// in its read cycles and stepped, and every output sampled. kInvalidArgument for a count out of
/// range (naming the step and the input), kInternal with the chip's reason if a call is refused.
Expected<ChipSpikeSample> RunSpikes(AnalogChip& chip, const ChipView& view,
                                    const Eigen::Ref<const Eigen::MatrixXd>& spikes);

/// Controller cycles of one spike train of `steps` steps, as the RTL backend drives the controller
/// (rtl/xbar_infer_seq.sv): at every step each input's count loaded (OpInput), one OpStep (every
/// layer read and stepped, every output converted; the first also starts the inference) and each
/// output's accumulator read (OpResult).
uint64_t SpikeCycles(const ChipView& view, int64_t steps);

/// The chip's input as a NIR graph shapes it: (C, H, W), or (n) for a flat vector.
std::vector<int64_t> SpikeInputShape(const ChipView& view);

/// An output's value at one step from the code it gave: a spiking output's spike (0/1), or a
/// membrane output's ADC code in file units.
double SpikeOutputValue(const ChipView& view, int64_t code);

/// A batch of spike trains on the chip, as RunNirSpikes runs it in software (the same layout, the
/// answer independent of `threads`); the energy summed in sample order.
struct ChipSpikeBatch {
  NirBatch batch;
  AnalogEnergy energy;
  uint64_t cycles_per_sample = 0;  // the same for every sample of the batch's shape
};
/// One worker's run of one spike train (steps x inputs), made once per worker thread.
using ChipSampleRun = std::function<Expected<ChipSpikeSample>(const Eigen::Ref<const Eigen::MatrixXd>& x)>;
Expected<ChipSpikeBatch> RunChipSpikes(const ChipView& view, const NpyTensor& spikes, const std::string& spikes_path,
                                       int threads, const std::function<ChipSampleRun()>& make);
/// The behavioural chip: RunSpikes on an AnalogChip per worker.
Expected<ChipSpikeBatch> RunChipSpikes(const ChipView& view, const NpyTensor& spikes, const std::string& spikes_path,
                                       int threads = 0);

}  // namespace xbar::runtime
