// Spike trains through a NIR plan's chip (xbar infer --spikes): each sample through an AnalogChip,
// call by call in the order the controller makes them (docs/nir.md "On the chip").
#pragma once

#include <cstdint>
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

/// One spike train on the chip: outputs as NirRun's (the output layer's spikes, or the membranes
/// its ADC reads, in file units), the output neurons' membranes (file units) and the energy.
struct ChipSpikeSample {
  NirRun run;
  AnalogEnergy energy;
};

/// One spike train `spikes` (steps x inputs; whole counts in [0, kMaxSpikeCount]) through the
/// spiking chip `view`: at every step its row is loaded into the input registers, every layer read
/// in its read cycles and stepped, and every output sampled. kInvalidArgument for a count out of
/// range (naming the step and the input), kInternal with the chip's reason if a call is refused.
Expected<ChipSpikeSample> RunSpikes(AnalogChip& chip, const ChipView& view,
                                    const Eigen::Ref<const Eigen::MatrixXd>& spikes);

/// Controller cycles of one spike train of `steps` steps (the controller's timing model for spike
/// trains, runtime/latency.h): at every step the inputs loaded, every layer read and stepped, every
/// output sampled.
uint64_t SpikeCycles(const ChipView& view, int64_t steps);

/// The chip's input as a NIR graph shapes it: (C, H, W), or (n) for a flat vector.
std::vector<int64_t> SpikeInputShape(const ChipView& view);

/// A batch of spike trains on the chip, as RunNirSpikes runs it in software (the same layout, the
/// answer independent of `threads`); the energy summed in sample order.
struct ChipSpikeBatch {
  NirBatch batch;
  AnalogEnergy energy;
};
Expected<ChipSpikeBatch> RunChipSpikes(const ChipView& view, const NpyTensor& spikes, const std::string& spikes_path,
                                       int threads = 0);

}  // namespace xbar::runtime
