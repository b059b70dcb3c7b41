// Minimal JSON values: written for the tools' --json output, read back by the commands that use it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "support/error.h"

namespace xbar {

/// A JSON value; objects keep their keys in insertion order.
class Json {
 public:
  Json() : value_(nullptr) {}
  Json(std::nullptr_t) : value_(nullptr) {}
  Json(bool b) : value_(b) {}
  Json(double d) : value_(d) {}
  Json(int i) : value_(static_cast<int64_t>(i)) {}
  Json(int64_t i) : value_(i) {}
  Json(uint64_t i) : value_(static_cast<int64_t>(i)) {}
  Json(unsigned i) : value_(static_cast<int64_t>(i)) {}
  Json(const char* s) : value_(std::string(s)) {}
  Json(std::string s) : value_(std::move(s)) {}

  static Json Object() { Json j; j.value_ = ObjectT{}; return j; }
  static Json Array() { Json j; j.value_ = ArrayT{}; return j; }

  /// Sets a key of an object (the value must be an object).
  Json& Set(const std::string& key, Json value);
  /// Appends to an array (the value must be an array).
  Json& Push(Json value);
  /// Serialises compactly; non-finite numbers become null.
  std::string Dump() const;

  /// Parses one JSON text (RFC 8259: objects, arrays, strings with escapes, \uXXXX and surrogate
  /// pairs to UTF-8, numbers, true, false, null; whitespace around it). Integers without a fraction
  /// or exponent that fit become int64, other numbers double. Nesting deeper than kMaxDepth,
  /// truncated or malformed text and numbers out of double's range are kDataLoss, one line:
  /// "NAME: offset N: expected ...", N the byte offset of the problem.
  static Expected<Json> Parse(std::string_view text, const std::string& name);
  /// Deepest nesting of arrays and objects Parse accepts.
  static constexpr int kMaxDepth = 256;

  bool is_null() const { return std::holds_alternative<std::nullptr_t>(value_); }
  bool is_bool() const { return std::holds_alternative<bool>(value_); }
  bool is_number() const { return std::holds_alternative<double>(value_) || std::holds_alternative<int64_t>(value_); }
  bool is_string() const { return std::holds_alternative<std::string>(value_); }
  bool is_object() const { return std::holds_alternative<ObjectT>(value_); }
  bool is_array() const { return std::holds_alternative<ArrayT>(value_); }

  /// The value of `key` in an object; nullptr if absent or this is not an object.
  const Json* Find(std::string_view key) const;
  /// Elements of an array or members of an object; 0 for anything else.
  std::size_t size() const;
  /// Element `i` of an array (a bug if this is not an array or i >= size()).
  const Json& operator[](std::size_t i) const;
  /// The number (a bug if !is_number()).
  double AsNumber() const;
  /// The string (a bug if !is_string()).
  const std::string& AsString() const;
  /// The boolean (a bug if !is_bool()).
  bool AsBool() const;

 private:
  using ObjectT = std::vector<std::pair<std::string, std::shared_ptr<Json>>>;
  using ArrayT = std::vector<std::shared_ptr<Json>>;
  void DumpTo(std::string& out) const;
  std::variant<std::nullptr_t, bool, double, int64_t, std::string, ObjectT, ArrayT> value_;
};

}  // namespace xbar
