// Number formatting for messages and text outputs.
#pragma once

#include <cstdio>
#include <string>

namespace xbar {

/// `v` with `significant` significant digits in the shortest of fixed or exponent form (%g);
/// 17 digits round-trip a double exactly.
inline std::string FormatNumber(double v, int significant = 6) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.*g", significant, v);
  return buf;
}

}  // namespace xbar
