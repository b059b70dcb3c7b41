// Reading and writing pulse programs: binary .xbpulse (xbar.v1.PulseProgram) and CSV for instruments.
#pragma once

#include <string>
#include <string_view>

#include "compiler/program_gen.h"
#include "support/error.h"

namespace xbar::compiler {

/// Header line of the CSV form.
inline constexpr std::string_view kPulseCsvHeader =
    "tile,row,col,op,amplitude_v,width_s,read_code,read_g_s";

/// Writes `program` atomically in the checksummed container (kind "XPP1", schema version 1).
Expected<void> WritePulseProgram(const std::string& path, const PulseProgram& program);

/// The container payload's bytes (what WritePulseProgram wraps); for measuring the size.
std::string SerializePulseProgram(const PulseProgram& program);

/// Reads a pulse program. kNotFound for a missing file; kDataLoss, naming the file, for a
/// truncated, corrupt, wrong-kind or wrong-version container and for a payload whose pulses do not
/// add up (counts, ladder rungs, cell positions, codes).
Expected<PulseProgram> ReadPulseProgram(const std::string& path);

/// Same checks on container bytes in memory; `name` stands for the path in messages.
Expected<PulseProgram> ParsePulseProgram(std::string_view bytes, const std::string& name);

/// Writes the program as CSV, one operation per line after kPulseCsvHeader: SET and RESET lines
/// carry a signed amplitude (V) and width (s) and leave the read columns empty; READ lines carry
/// v_read_v, the read time, the ADC code and its conductance (S). Numbers with 9 significant
/// digits (%.9g). Written atomically (temporary file, then rename), streamed, so any size fits.
Expected<void> WritePulseCsv(const std::string& path, const PulseProgram& program);

}  // namespace xbar::compiler
