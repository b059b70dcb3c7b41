// Durations as people write them: "1s", "30min", "1h", "1d", "2w", "1mo", "10y".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "support/error.h"

namespace xbar {

/// Seconds of a duration "<number><unit>", unit one of s, min, h, d, w, mo (30 d), y (365.25 d).
/// kInvalidArgument naming the text for anything else, a negative or non-finite number.
Expected<double> ParseDuration(std::string_view text);
/// Comma-separated durations, e.g. "1s,1h,1d" (at least one).
Expected<std::vector<double>> ParseDurations(std::string_view text);
/// The shortest exact spelling in the largest unit that divides it ("86400" -> "1d"), else seconds
/// ("1.5s").
std::string FormatDuration(double seconds);

}  // namespace xbar
