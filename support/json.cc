// Minimal JSON writer.
#include "support/json.h"

#include <cmath>
#include <cstdio>

#include "support/error.h"

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

}  // namespace

Json& Json::Set(const std::string& key, Json value) {
  auto* obj = std::get_if<ObjectT>(&value_);
  XBAR_CHECK(obj != nullptr);
  for (auto& [k, v] : *obj) {
    if (k == key) {
      *v = std::move(value);
      return *this;
    }
  }
  obj->emplace_back(key, std::make_shared<Json>(std::move(value)));
  return *this;
}

Json& Json::Push(Json value) {
  auto* arr = std::get_if<ArrayT>(&value_);
  XBAR_CHECK(arr != nullptr);
  arr->push_back(std::make_shared<Json>(std::move(value)));
  return *this;
}

std::string Json::Dump() const {
  std::string out;
  DumpTo(out);
  return out;
}

void Json::DumpTo(std::string& out) const {
  if (std::holds_alternative<std::nullptr_t>(value_)) {
    out += "null";
  } else if (const bool* b = std::get_if<bool>(&value_)) {
    out += *b ? "true" : "false";
  } else if (const double* d = std::get_if<double>(&value_)) {
    if (!std::isfinite(*d)) {
      out += "null";
    } else {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.10g", *d);
      out += buf;
    }
  } else if (const int64_t* i = std::get_if<int64_t>(&value_)) {
    out += std::to_string(*i);
  } else if (const std::string* s = std::get_if<std::string>(&value_)) {
    Escape(*s, out);
  } else if (const ObjectT* o = std::get_if<ObjectT>(&value_)) {
    out.push_back('{');
    for (std::size_t n = 0; n < o->size(); ++n) {
      if (n) out.push_back(',');
      Escape((*o)[n].first, out);
      out.push_back(':');
      (*o)[n].second->DumpTo(out);
    }
    out.push_back('}');
  } else if (const ArrayT* a = std::get_if<ArrayT>(&value_)) {
    out.push_back('[');
    for (std::size_t n = 0; n < a->size(); ++n) {
      if (n) out.push_back(',');
      (*a)[n]->DumpTo(out);
    }
    out.push_back(']');
  }
}

}  // namespace xbar
