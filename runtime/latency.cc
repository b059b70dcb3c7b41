// Latency of one image for a plan: the inference sequencer's cycle count with per-layer read cycles.
#include "runtime/latency.h"

#include <vector>

#include "runtime/backend.h"

namespace xbar::runtime {

uint64_t InferenceCycles(int steps, int period, std::span<const int> read_cycles, int outputs, int output_bits,
                         const InferenceTiming& timing) {
  // rtl/xbar_infer_seq.sv: accept, begin, begin check; per step and layer a dispatch, the sense
  // and its check for every read cycle when the layer is read, the neuron step and its check; per
  // step and output a conversion and its accumulate; an argmax cycle per output; the response.
  const auto t = static_cast<uint64_t>(steps);
  const uint64_t impulses = (t + static_cast<uint64_t>(period) - 1) / static_cast<uint64_t>(period);
  const uint64_t layers = read_cycles.size();
  const uint64_t sense = static_cast<uint64_t>(timing.sense_cycles) + 1;
  const uint64_t neuron = static_cast<uint64_t>(timing.neuron_cycles) + 1;
  const auto o = static_cast<uint64_t>(outputs);
  uint64_t reads = 0;
  for (std::size_t l = 0; l < read_cycles.size(); ++l) {
    reads += (l == 0 ? impulses : t) * static_cast<uint64_t>(read_cycles[l]);
  }
  return 3 + t * layers * (1 + neuron) + reads * sense + t * o * (static_cast<uint64_t>(output_bits) + 1) + o + 1;
}

PlanLatency EstimateLatency(const compiler::Plan& plan, const InferenceTiming& timing) {
  std::vector<int> read_cycles;
  for (const auto& layer : plan.layers) read_cycles.push_back(layer.read_cycles());
  PlanLatency latency;
  latency.read_cycles_per_step = plan.ReadCyclesPerStep();
  latency.cycles_per_image =
      InputLoadCycles(plan.layers.front().shape.source.size()) +
      InferenceCycles(plan.encoding.steps, plan.encoding.period, read_cycles, plan.layers.back().outputs,
                      plan.chip.adc.output_bits, timing);
  latency.seconds = static_cast<double>(latency.cycles_per_image) / plan.chip.clock_hz;
  return latency;
}

}  // namespace xbar::runtime
