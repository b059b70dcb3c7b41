// Latency of one image on the chip for a plan: the controller cycles xbar infer counts, with each
// convolution layer read ceil(positions / replicas) times per step (docs/conv.md "Latency").
#pragma once

#include <cstdint>
#include <span>

#include "compiler/plan.h"
#include "runtime/chip_view.h"

namespace xbar::runtime {

/// Controller cycles of one OpInfer when layer l is read in `read_cycles[l]` read cycles per step
/// it is read at (layer 0 at the ceil(T/P) impulse steps, every other layer at each of the T
/// steps): 3 + T·L·(2 + N) + Σ_l steps_l · read_cycles_l · (S + 1) + T·O·(B + 1) + O + 1, with S
/// sense and N neuron cycles, O outputs and B output ADC bits (rtl/xbar_infer_seq.sv, docs/rtl.md).
/// ChipView::InferenceCycles is this for the view's layers.
uint64_t InferenceCycles(int steps, int period, std::span<const int> read_cycles, int outputs, int output_bits,
                         const InferenceTiming& timing);

/// What one image costs in time on the chip a plan was compiled for.
struct PlanLatency {
  int64_t read_cycles_per_step = 0;  // Σ over layers of ceil(positions / replicas)
  uint64_t cycles_per_image = 0;     // loading the image's inputs (InputLoadCycles) + one inference
  double seconds = 0;                // cycles_per_image / the chip's clock
};

/// The latency per image of `plan` with the controller timing `timing` (xbar infer's defaults
/// unless given): for a dense plan exactly xbar infer's cycles_per_image and latency_s.
PlanLatency EstimateLatency(const compiler::Plan& plan, const InferenceTiming& timing = {});

}  // namespace xbar::runtime
