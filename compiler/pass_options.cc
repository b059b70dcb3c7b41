// Text of pass options: parsing, range checks and default values.
#include "compiler/pass_options.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace xbar::compiler {

std::string PassFlag(std::string_view pass, std::string_view option) {
  return "--" + std::string(pass) + "-" + std::string(option);
}

std::string FormatOptionNumber(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", value);
  return buf;
}

Expected<double> ParseOptionNumber(std::string_view flag, std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return Fail(ErrorCode::kInvalidArgument, std::string(flag) + " '" + std::string(text) + "' must be a number");
  }
  return value;
}

Expected<int> ParseOptionInt(std::string_view flag, std::string_view text, int lo, int hi) {
  auto v = ParseOptionNumber(flag, text);
  if (!v) return std::unexpected(v.error());
  if (*v != std::floor(*v)) {
    return Fail(ErrorCode::kInvalidArgument, std::string(flag) + " = " + FormatOptionNumber(*v) + " must be a whole number");
  }
  if (auto ok = OptionInRange(flag, *v, lo, hi, false, false); !ok) return std::unexpected(ok.error());
  return static_cast<int>(*v);
}

Expected<void> OptionInRange(std::string_view flag, double value, double lo, double hi, bool lo_open, bool hi_open) {
  const bool ok = (lo_open ? value > lo : value >= lo) && (hi_open ? value < hi : value <= hi);
  if (ok) return {};
  return Fail(ErrorCode::kInvalidArgument, std::string(flag) + " = " + FormatOptionNumber(value) + " must lie in " +
                                               (lo_open ? "(" : "[") + FormatOptionNumber(lo) + ", " +
                                               FormatOptionNumber(hi) + (hi_open ? ")" : "]"));
}

Error BadOptionChoice(std::string_view flag, std::string_view text, std::string_view choices) {
  return Error{ErrorCode::kInvalidArgument,
               std::string(flag) + " '" + std::string(text) + "' must be " + std::string(choices)};
}

Error UnknownPassOption(std::string_view flag) {
  return Error{ErrorCode::kInvalidArgument, "unknown pass option " + std::string(flag) + " (see --list-passes)"};
}

}  // namespace xbar::compiler
