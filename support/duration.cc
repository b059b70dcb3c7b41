// Durations as people write them (1s, 30min, 1h, 1d, 2w, 1mo, 10y) to seconds and back.
#include "support/duration.h"

#include <array>
#include <charconv>
#include <cmath>
#include <utility>

#include "support/format.h"

namespace xbar {
namespace {

// Largest first, for formatting.
constexpr std::array<std::pair<std::string_view, double>, 7> kUnits = {{
    {"y", 365.25 * 86400}, {"mo", 30 * 86400}, {"w", 7 * 86400}, {"d", 86400},
    {"h", 3600},           {"min", 60},        {"s", 1},
}};

Error NotADuration(std::string_view text) {
  return Error{ErrorCode::kInvalidArgument,
               "'" + std::string(text) +
                   "' is not a duration (a non-negative number and a unit: s, min, h, d, w, mo, y; "
                   "e.g. 1s, 1h, 1d, 1mo, 10y)"};
}

}  // namespace

Expected<double> ParseDuration(std::string_view text) {
  double value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr == text.data() || !std::isfinite(value) || value < 0) {
    return std::unexpected(NotADuration(text));
  }
  const std::string_view unit(ptr, static_cast<std::size_t>(end - ptr));
  for (const auto& [name, seconds] : kUnits) {
    if (unit == name) return value * seconds;
  }
  return std::unexpected(NotADuration(text));
}

Expected<std::vector<double>> ParseDurations(std::string_view text) {
  std::vector<double> out;
  while (true) {
    const std::size_t comma = text.find(',');
    auto d = ParseDuration(text.substr(0, comma));
    if (!d) return std::unexpected(d.error());
    out.push_back(*d);
    if (comma == std::string_view::npos) return out;
    text.remove_prefix(comma + 1);
  }
}

std::string FormatDuration(double seconds) {
  for (const auto& [name, unit] : kUnits) {
    const double n = seconds / unit;
    if (n >= 1 && n == std::round(n)) return FormatNumber(n, 15) + std::string(name);
  }
  return FormatNumber(seconds, 6) + "s";
}

}  // namespace xbar
