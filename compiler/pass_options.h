// Text of pass options: parsing a value of --<pass>-<option>, range checks, and default values shown
// from the options structs themselves (so a default is written once, in compile.h or quantizer.h).
#pragma once

#include <string>
#include <string_view>

#include "support/error.h"

namespace xbar::compiler {

/// "--<pass>-<option>".
std::string PassFlag(std::string_view pass, std::string_view option);
/// A number as the pass list shows it (%g).
std::string FormatOptionNumber(double value);
/// `text` as a finite number (kInvalidArgument naming `flag`).
Expected<double> ParseOptionNumber(std::string_view flag, std::string_view text);
/// `text` as a whole number in [lo, hi] (kInvalidArgument naming `flag` and the range).
Expected<int> ParseOptionInt(std::string_view flag, std::string_view text, int lo, int hi);
/// `value` in the interval from lo to hi, open or closed at each end (kInvalidArgument naming it).
Expected<void> OptionInRange(std::string_view flag, double value, double lo, double hi, bool lo_open, bool hi_open);
/// kInvalidArgument: "<flag> '<text>' must be <choices>".
Error BadOptionChoice(std::string_view flag, std::string_view text, std::string_view choices);
/// kInvalidArgument: the pass has no option `flag`.
Error UnknownPassOption(std::string_view flag);

}  // namespace xbar::compiler
