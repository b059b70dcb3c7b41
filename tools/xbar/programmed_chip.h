// The chip instance a plan was programmed on, for the commands that use a programmed chip.
#pragma once

#include <string>

#include "compiler/plan.h"
#include "compiler/program_gen.h"
#include "device_models/chip_instance.h"
#include "runtime/backend.h"
#include "support/error.h"

namespace xbar::tools {

/// A pulse program replayed on a fresh chip instance through `backend` (its targets checksum must
/// be the plan's and its reads must match), or a saved chip state restored (it must hold every tile
/// of the plan). Exactly one of the paths is non-empty. The program is returned in `program_out`.
Expected<device_models::ChipInstance> ProgrammedChip(const compiler::Plan& plan, const std::string& program_path,
                                                     const std::string& state_path, runtime::ChipBackend& backend,
                                                     compiler::PulseProgram* program_out);

}  // namespace xbar::tools
