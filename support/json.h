// JSON values on nlohmann/json: written for the tools' --json output and result files, read back
// by the commands and the report that use them.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "support/error.h"

namespace xbar {

/// A JSON value; objects keep their keys in insertion order.
using Json = nlohmann::ordered_json;

/// Serialises compactly, as xbar always has: numbers with a fraction or exponent with 10
/// significant digits (%.10g), integers exactly, non-finite numbers as null, strings with
/// \" \\ \n \t \r escaped and other control characters as \u00XX; raw UTF-8 passes through.
std::string DumpJson(const Json& value);

/// Deepest nesting of arrays and objects ParseJson accepts.
inline constexpr int kMaxJsonDepth = 256;

/// Parses one JSON text (RFC 8259). Integers that fit stay exact; other numbers are doubles.
/// Nesting deeper than kMaxJsonDepth, truncated or malformed text are kDataLoss, one line:
/// "NAME: offset N: WHAT", N the byte offset at which the problem was found.
Expected<Json> ParseJson(std::string_view text, const std::string& name);

}  // namespace xbar
