// Minimal JSON value writer for the tools' --json output (objects, arrays, numbers, strings).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

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

 private:
  using ObjectT = std::vector<std::pair<std::string, std::shared_ptr<Json>>>;
  using ArrayT = std::vector<std::shared_ptr<Json>>;
  void DumpTo(std::string& out) const;
  std::variant<std::nullptr_t, bool, double, int64_t, std::string, ObjectT, ArrayT> value_;
};

}  // namespace xbar
