// Repairing a programmed chip around cells that did not reach their targets (stuck cells found by
// write-verify, cells stalled at their window's edge): the partner device of each differential
// pair is re-targeted so that the pair's difference, hence the weight, is kept (docs/reliability.md).
#pragma once

#include <cstdint>
#include <vector>

#include "compiler/plan.h"
#include "compiler/program_gen.h"
#include "support/error.h"

namespace xbar::compiler {

struct RepairResult {
  Plan plan;                        // targets of re-targeted partners (and of failed cells: what they hold)
  std::vector<TileTargets> delta;   // the partners to reprogram, NaN elsewhere
  int64_t failed_cells = 0;         // used cells whose write-verify did not converge
  int64_t stuck_cells = 0;          // of them, found stuck
  int64_t partners_retargeted = 0;  // partners given a new target that keeps the difference
  int64_t unrepaired = 0;           // failed cells whose partner could not compensate within tolerance
};

/// Finds the failed cells of `program` (a run of `plan`: the checksum must match) and re-targets
/// their partners: if one device of a pair ends at target + e, the other's target moves by e too
/// (clipped to the chip's window; what the clip leaves over counts as unrepaired when it exceeds
/// the verify tolerance). Offset-scheme plans have no partner: every failed cell is unrepaired.
/// A stuck cell does not drift while its partner does, and drift compensation scales both: for
/// use at an age where the compensation gain is `stuck_gain` (StuckGainAtAge), a stuck cell
/// counts as stuck_gain times its conductance. Errors (kInvalidArgument): a program for another
/// plan, a gain that is not positive.
Expected<RepairResult> RetargetPartners(const Plan& plan, const PulseProgram& program, double stuck_gain = 1.0);

/// The global drift-compensation gain expected at `age_s` for the plan's targets: their sum over
/// the sum of their drifted values at the median drift exponent (1 without drift or before t0).
double StuckGainAtAge(const Plan& plan, double age_s);

}  // namespace xbar::compiler
