// Minimal JSON writer and reader.
#include "support/json.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <system_error>

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

// Recursive descent over the text; every failure names the byte offset where it was found.
class JsonParser {
 public:
  JsonParser(std::string_view text, const std::string& name) : text_(text), name_(name) {}

  Expected<Json> ParseDocument() {
    SkipSpace();
    auto value = ParseValue(0);
    if (!value) return value;
    SkipSpace();
    if (pos_ != text_.size()) return Failure("end of input");
    return value;
  }

 private:
  std::unexpected<Error> Failure(const std::string& what) const {
    return Fail(ErrorCode::kDataLoss, name_ + ": offset " + std::to_string(pos_) + ": expected " + what +
                                          (pos_ < text_.size() ? "" : " (the text ends here)"));
  }

  static std::string TooDeep() {
    return "at most " + std::to_string(Json::kMaxDepth) + " nested arrays and objects";
  }

  void SkipSpace() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool Literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  Expected<Json> ParseValue(int depth) {
    if (pos_ >= text_.size()) return Failure("a value");
    switch (text_[pos_]) {
      case '{': return ParseObject(depth + 1);
      case '[': return ParseArray(depth + 1);
      case '"': {
        auto s = ParseString();
        if (!s) return std::unexpected(s.error());
        return Json(std::move(*s));
      }
      case 't': if (Literal("true")) return Json(true); break;
      case 'f': if (Literal("false")) return Json(false); break;
      case 'n': if (Literal("null")) return Json(nullptr); break;
      default:
        if (text_[pos_] == '-' || (text_[pos_] >= '0' && text_[pos_] <= '9')) return ParseNumber();
    }
    return Failure("a value (object, array, string, number, true, false or null)");
  }

  Expected<Json> ParseObject(int depth) {
    if (depth > Json::kMaxDepth) return Failure(TooDeep());
    ++pos_;  // '{'
    Json object = Json::Object();
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      return object;
    }
    while (true) {
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != '"') return Failure("a string key");
      auto key = ParseString();
      if (!key) return std::unexpected(key.error());
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != ':') return Failure("':' after the key");
      ++pos_;
      SkipSpace();
      auto value = ParseValue(depth);
      if (!value) return value;
      object.Set(*key, std::move(*value));
      SkipSpace();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == '}') {
        ++pos_;
        return object;
      }
      return Failure("',' or '}' in an object");
    }
  }

  Expected<Json> ParseArray(int depth) {
    if (depth > Json::kMaxDepth) return Failure(TooDeep());
    ++pos_;  // '['
    Json array = Json::Array();
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      return array;
    }
    while (true) {
      SkipSpace();
      auto value = ParseValue(depth);
      if (!value) return value;
      array.Push(std::move(*value));
      SkipSpace();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == ']') {
        ++pos_;
        return array;
      }
      return Failure("',' or ']' in an array");
    }
  }

  // Four hex digits after "\u"; -1 if they are not there.
  int Hex4() {
    if (pos_ + 4 > text_.size()) return -1;
    int v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = text_[pos_ + k];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= c - '0';
      } else if (c >= 'a' && c <= 'f') {
        v |= c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        v |= c - 'A' + 10;
      } else {
        return -1;
      }
    }
    pos_ += 4;
    return v;
  }

  static void AppendUtf8(uint32_t cp, std::string& out) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  Expected<std::string> ParseString() {
    ++pos_;  // '"'
    std::string out;
    while (true) {
      if (pos_ >= text_.size()) return Failure("'\"' closing the string");
      const char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (static_cast<unsigned char>(c) < 0x20) return Failure("no control character in a string (escape it)");
      if (c != '\\') {
        out.push_back(c);
        ++pos_;
        continue;
      }
      ++pos_;
      if (pos_ >= text_.size()) return Failure("an escape after '\\'");
      const char e = text_[pos_++];
      switch (e) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '/': out.push_back('/'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          const int hi = Hex4();
          if (hi < 0) return Failure("four hex digits after '\\u'");
          uint32_t cp = static_cast<uint32_t>(hi);
          if (hi >= 0xDC00 && hi <= 0xDFFF) {
            pos_ -= 4;
            return Failure("a high surrogate before a low one");
          }
          if (hi >= 0xD800 && hi <= 0xDBFF) {
            if (!Literal("\\u")) return Failure("'\\u' and a low surrogate after a high surrogate");
            const int lo = Hex4();
            if (lo < 0xDC00 || lo > 0xDFFF) {
              if (lo >= 0) pos_ -= 4;
              return Failure("a low surrogate (\\udc00 to \\udfff) after a high surrogate");
            }
            cp = 0x10000 + ((static_cast<uint32_t>(hi) - 0xD800) << 10) + (static_cast<uint32_t>(lo) - 0xDC00);
          }
          AppendUtf8(cp, out);
          break;
        }
        default:
          --pos_;
          return Failure("an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
      }
    }
  }

  Expected<Json> ParseNumber() {
    const std::size_t start = pos_;
    auto digits = [&] {
      const std::size_t from = pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
      return pos_ - from;
    };
    if (text_[pos_] == '-') ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '0') {
      ++pos_;
    } else if (digits() == 0) {
      return Failure("a digit");
    }
    bool integral = true;
    if (pos_ < text_.size() && text_[pos_] == '.') {
      integral = false;
      ++pos_;
      if (digits() == 0) return Failure("a digit after '.'");
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      integral = false;
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (digits() == 0) return Failure("a digit in the exponent");
    }
    const char* first = text_.data() + start;
    const char* last = text_.data() + pos_;
    if (integral) {
      int64_t i = 0;
      auto [end, ec] = std::from_chars(first, last, i);
      if (ec == std::errc() && end == last) return Json(i);
      // Too large for int64: a double.
    }
    double d = 0;
    auto [end, ec] = std::from_chars(first, last, d);
    if (ec != std::errc() || end != last || !std::isfinite(d)) {
      pos_ = start;
      return Failure("a number within double's range");
    }
    return Json(d);
  }

  std::string_view text_;
  const std::string& name_;
  std::size_t pos_ = 0;
};

}  // namespace

Expected<Json> Json::Parse(std::string_view text, const std::string& name) {
  return JsonParser(text, name).ParseDocument();
}

const Json* Json::Find(std::string_view key) const {
  const auto* obj = std::get_if<ObjectT>(&value_);
  if (obj == nullptr) return nullptr;
  for (const auto& [k, v] : *obj) {
    if (k == key) return v.get();
  }
  return nullptr;
}

std::size_t Json::size() const {
  if (const auto* arr = std::get_if<ArrayT>(&value_)) return arr->size();
  if (const auto* obj = std::get_if<ObjectT>(&value_)) return obj->size();
  return 0;
}

const Json& Json::operator[](std::size_t i) const {
  const auto* arr = std::get_if<ArrayT>(&value_);
  XBAR_CHECK(arr != nullptr && i < arr->size());
  return *(*arr)[i];
}

double Json::AsNumber() const {
  if (const double* d = std::get_if<double>(&value_)) return *d;
  const int64_t* i = std::get_if<int64_t>(&value_);
  XBAR_CHECK(i != nullptr);
  return static_cast<double>(*i);
}

const std::string& Json::AsString() const {
  const auto* s = std::get_if<std::string>(&value_);
  XBAR_CHECK(s != nullptr);
  return *s;
}

bool Json::AsBool() const {
  const bool* b = std::get_if<bool>(&value_);
  XBAR_CHECK(b != nullptr);
  return *b;
}

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
