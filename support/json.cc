// JSON on nlohmann/json: the compact writer xbar's outputs keep, and a parser with one-line errors.
#include "support/json.h"

#include <cmath>
#include <cstdio>

namespace xbar {
namespace {

void Escape(const std::string& s, std::string& out) {
  out.push_back('"');
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

void DumpTo(const Json& value, std::string& out) {
  switch (value.type()) {
    case Json::value_t::null:
    case Json::value_t::discarded: out += "null"; break;
    case Json::value_t::boolean: out += value.get<bool>() ? "true" : "false"; break;
    case Json::value_t::number_integer: out += std::to_string(value.get<int64_t>()); break;
    case Json::value_t::number_unsigned: out += std::to_string(value.get<uint64_t>()); break;
    case Json::value_t::number_float: {
      const double d = value.get<double>();
      if (!std::isfinite(d)) {
        out += "null";
      } else {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.10g", d);
        out += buf;
      }
      break;
    }
    case Json::value_t::string: Escape(value.get_ref<const std::string&>(), out); break;
    case Json::value_t::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& [key, member] : value.items()) {
        if (!first) out.push_back(',');
        first = false;
        Escape(key, out);
        out.push_back(':');
        DumpTo(member, out);
      }
      out.push_back('}');
      break;
    }
    case Json::value_t::array: {
      out.push_back('[');
      for (std::size_t n = 0; n < value.size(); ++n) {
        if (n) out.push_back(',');
        DumpTo(value[n], out);
      }
      out.push_back(']');
      break;
    }
    case Json::value_t::binary: XBAR_CHECK(false); break;
  }
}

// Byte offset of the first bracket nested deeper than kMaxJsonDepth, or npos: checked before
// parsing, so a hostile depth costs one pass over the text.
std::size_t TooDeepAt(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) return i;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return std::string_view::npos;
}

// nlohmann's message after the first `separator`, on one line.
std::string Explanation(std::string what, const std::string& separator) {
  if (const std::size_t at = what.find(separator); at != std::string::npos) what = what.substr(at + separator.size());
  for (char& c : what) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return what;
}

}  // namespace

std::string DumpJson(const Json& value) {
  std::string out;
  DumpTo(value, out);
  return out;
}

Expected<Json> ParseJson(std::string_view text, const std::string& name) {
  if (const std::size_t at = TooDeepAt(text); at != std::string_view::npos) {
    return Fail(ErrorCode::kDataLoss, name + ": offset " + std::to_string(at) + ": at most " +
                                          std::to_string(kMaxJsonDepth) + " nested arrays and objects");
  }
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& e) {
    // "[json.exception.parse_error.101] parse error at line 1, column 4: syntax error ...": the part
    // after the position, at the byte offset the parser stopped.
    return Fail(ErrorCode::kDataLoss, name + ": offset " + std::to_string(e.byte > 0 ? e.byte - 1 : 0) + ": " +
                                          Explanation(e.what(), ": "));
  } catch (const Json::exception& e) {
    // A number out of double's range: "[json.exception.out_of_range.406] number overflow parsing '1e999'".
    return Fail(ErrorCode::kDataLoss, name + ": " + Explanation(e.what(), "] "));
  }
}

}  // namespace xbar
