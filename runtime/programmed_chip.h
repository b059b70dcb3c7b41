// The chip instance a plan was programmed on, for the commands that use a programmed chip.
#pragma once

#include <string>

#include "compiler/plan.h"
#include "compiler/program_gen.h"
#include "device_models/chip_instance.h"
#include "runtime/backend.h"
#include "support/error.h"

namespace xbar::runtime {

/// A pulse program replayed on a fresh chip instance through `backend` (it must fit the plan,
/// compiler::CheckProgramFitsPlan, and its reads must match), or a saved chip state restored (it
/// must fit the plan, compiler::CheckStateFitsPlan). Exactly one of the paths is non-empty. The
/// program, when there is one, is returned in `program_out` (may be null).
Expected<device_models::ChipInstance> ProgrammedChip(const compiler::Plan& plan, const std::string& program_path,
                                                     const std::string& state_path, ChipBackend& backend,
                                                     compiler::PulseProgram* program_out);

}  // namespace xbar::runtime
