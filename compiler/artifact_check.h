// Whether a plan, a pulse program and a chip state belong together — the one check every command
// uses — and chip instances created or restored for a plan through it.
#pragma once

#include <cstdint>
#include <string>

#include "compiler/plan.h"
#include "compiler/program_gen.h"
#include "device_models/chip_instance.h"
#include "support/error.h"

namespace xbar::compiler {

/// The pulse program at `program_path` was generated from `plan`: the same chip name and the
/// plan's targets CRC32 (a CRC of 0, "unknown", does not match), and its chip seed fits the plan
/// (CheckChipSeed). kInvalidArgument, one line: "PROGRAM: pulse program for chip 'A' and targets
/// crc32 N, the plan is for chip 'B' with targets crc32 M (generate it from this plan)".
Expected<void> CheckProgramFitsPlan(const Plan& plan, const PulseProgram& program, const std::string& program_path);

/// The chip state at `state_path` holds `plan`'s chip instance: the same chip name, a seed that
/// fits the plan (CheckChipSeed), and every tile of the plan listed. kInvalidArgument, one line,
/// e.g. "STATE: tile N of the plan is not in the chip state (programmed for another plan?)".
Expected<void> CheckStateFitsPlan(const Plan& plan, const device_models::ChipState& state,
                                  const std::string& state_path);

/// Chip instance `chip_seed` may hold `plan`: a plan remapped around one instance's stuck cells
/// fits that instance only. kInvalidArgument: "WHERE: the plan was remapped around the stuck cells
/// of chip instance A (xbar compile --faults); it does not fit chip instance B".
Expected<void> CheckChipSeed(const Plan& plan, uint64_t chip_seed, const std::string& where);

/// A fresh (as fabricated) instance `chip_seed` of the plan's chip, after the checks that the plan
/// may go onto it (CheckChipSeed; ChipSpec::Validate). Errors are kInvalidArgument, prefixed with
/// `where` when it is not empty.
Expected<device_models::ChipInstance> CreateChipInstance(const Plan& plan, uint64_t chip_seed,
                                                         const std::string& where = "");

/// The chip instance `state` (read from `state_path`) describes, with its conductances restored,
/// for running `plan`: CheckStateFitsPlan, then ChipInstance::Restore's checks.
Expected<device_models::ChipInstance> RestoreChipInstance(const Plan& plan, const device_models::ChipState& state,
                                                          const std::string& state_path = "chip state");

/// The chip state at `state_path` is of the chip at `chip_path` (xbar compile --faults): the same
/// name and tile size. kInvalidArgument, one line: "STATE: a state of chip 'A' (RxC tiles), not of
/// CHIP ('B')".
Expected<void> CheckStateFitsChip(const device_models::ChipState& state, const device_models::ChipSpec& chip,
                                  const std::string& state_path, const std::string& chip_path);

}  // namespace xbar::compiler
