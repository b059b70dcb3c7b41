// DPI-C binding of the controller's analog side to a compiler::ProgramExecutor (device models).
#pragma once

#include <string>

#include "compiler/program_replay.h"

namespace xbar::rtl {

/// Binds `analog` as the analog side of the sequencer instance whose DPI scope is `scope_name`
/// (e.g. "TOP.xbar_top.u_prog_seq"), through the scope's DPI user data; nullptr unbinds. Returns
/// false when no such scope exists (the model is not constructed yet or the name is wrong).
/// While unbound, every DPI call is refused (the controller answers StatusAnalogFail).
bool BindAnalogSide(const std::string& scope_name, compiler::ProgramExecutor* analog);

}  // namespace xbar::rtl
