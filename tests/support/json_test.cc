// The JSON reader: round trips with the writer, escapes, limits, and one-line errors with offsets.
#include "support/json.h"

#include <gtest/gtest.h>

#include <string>

namespace xbar {
namespace {

TEST(Json, DumpParseDumpRoundTrips) {
  Json points = Json::Array();
  points.Push(Json::Object().Set("age", "1h").Set("age_s", 3600.0).Set("accuracy", 0.9375));
  points.Push(Json::Object().Set("age", "10y").Set("age_s", 3.15576e8).Set("accuracy", 0.5));
  Json doc = Json::Object()
                 .Set("name", "xbar \"report\"\n\ttab\\")
                 .Set("count", int64_t{-9007199254740993})
                 .Set("big", uint64_t{123456789012})
                 .Set("ratio", -1.25e-7)
                 .Set("yes", true)
                 .Set("no", false)
                 .Set("nothing", nullptr)
                 .Set("empty_object", Json::Object())
                 .Set("empty_array", Json::Array())
                 .Set("points", points);
  const std::string text = doc.Dump();
  auto back = Json::Parse(text, "doc.json");
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(back->Dump(), text);

  ASSERT_TRUE(back->is_object());
  EXPECT_EQ(back->size(), 10u);
  EXPECT_EQ(back->Find("name")->AsString(), "xbar \"report\"\n\ttab\\");
  EXPECT_EQ(back->Find("count")->AsNumber(), -9007199254740993.0);
  EXPECT_EQ(back->Find("ratio")->AsNumber(), -1.25e-7);
  EXPECT_TRUE(back->Find("yes")->AsBool());
  EXPECT_TRUE(back->Find("nothing")->is_null());
  EXPECT_EQ(back->Find("missing"), nullptr);
  EXPECT_EQ(back->Find("points")->Find("age"), nullptr);  // not an object
  const Json& p = *back->Find("points");
  ASSERT_TRUE(p.is_array());
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[1].Find("age")->AsString(), "10y");
  EXPECT_EQ(p[0].Find("accuracy")->AsNumber(), 0.9375);
  EXPECT_TRUE(p[0].Find("age_s")->is_number());
  EXPECT_FALSE(p[0].Find("age")->is_number());
}

TEST(Json, IntegersStayExactAndOtherNumbersAreDoubles) {
  auto v = Json::Parse(" [9223372036854775807, -0, 1.5, 2e3, 1E-2, 99999999999999999999] ", "n");
  ASSERT_TRUE(v.has_value()) << v.error().message;
  EXPECT_EQ(v->Dump(), "[9223372036854775807,0,1.5,2000,0.01,1e+20]");
  EXPECT_EQ((*v)[3].AsNumber(), 2000.0);
}

TEST(Json, DecodesEscapesToUtf8) {
  auto v = Json::Parse(R"("a\"b\\c\/d\b\f\n\r\t \u0041\u00e9\u20ac\ud83d\ude00")", "s");
  ASSERT_TRUE(v.has_value()) << v.error().message;
  EXPECT_EQ(v->AsString(), "a\"b\\c/d\b\f\n\r\t A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
  // Raw UTF-8 passes through; control characters written back are escaped and read again.
  auto raw = Json::Parse("\"\xC2\xB5S\"", "s");
  ASSERT_TRUE(raw.has_value());
  EXPECT_EQ(raw->AsString(), "\xC2\xB5S");
  auto ctl = Json::Parse(Json(std::string("\x01\x1f")).Dump(), "s");
  ASSERT_TRUE(ctl.has_value());
  EXPECT_EQ(ctl->AsString(), "\x01\x1f");
}

TEST(Json, NestingIsLimited) {
  const int limit = Json::kMaxDepth;
  const std::string deep_ok = std::string(limit, '[') + std::string(limit, ']');
  EXPECT_TRUE(Json::Parse(deep_ok, "deep").has_value());
  const std::string too_deep = std::string(limit + 1, '[') + std::string(limit + 1, ']');
  auto r = Json::Parse(too_deep, "deep.json");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kDataLoss);
  EXPECT_EQ(r.error().message, "deep.json: offset 256: expected at most 256 nested arrays and objects");
  // A hostile depth fails the same way instead of exhausting the stack.
  EXPECT_FALSE(Json::Parse(std::string(1'000'000, '['), "x").has_value());
  EXPECT_FALSE(Json::Parse(std::string(100'000, '{'), "x").has_value());
}

TEST(Json, TruncatedAndGarbageInputsNameTheOffset) {
  struct Case {
    std::string text, message;
  };
  for (const Case& c : {
           Case{"", "f: offset 0: expected a value (the text ends here)"},
           Case{"   ", "f: offset 3: expected a value (the text ends here)"},
           Case{"{\"a\": 1", "f: offset 7: expected ',' or '}' in an object (the text ends here)"},
           Case{"{\"a\" 1}", "f: offset 5: expected ':' after the key"},
           Case{"{a: 1}", "f: offset 1: expected a string key"},
           Case{"{\"a\": 1,}", "f: offset 8: expected a string key"},
           Case{"[1, 2", "f: offset 5: expected ',' or ']' in an array (the text ends here)"},
           Case{"[1,]", "f: offset 3: expected a value (object, array, string, number, true, false or null)"},
           Case{"[1 2]", "f: offset 3: expected ',' or ']' in an array"},
           Case{"\"abc", "f: offset 4: expected '\"' closing the string (the text ends here)"},
           Case{"\"a\nb\"", "f: offset 2: expected no control character in a string (escape it)"},
           Case{"\"\\x\"", "f: offset 2: expected an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)"},
           Case{"\"\\u12g4\"", "f: offset 3: expected four hex digits after '\\u'"},
           Case{"\"\\ud83d\"", "f: offset 7: expected '\\u' and a low surrogate after a high surrogate"},
           Case{"\"\\ude00\"", "f: offset 3: expected a high surrogate before a low one"},
           Case{"tru", "f: offset 0: expected a value (object, array, string, number, true, false or null)"},
           Case{"nul1", "f: offset 0: expected a value (object, array, string, number, true, false or null)"},
           Case{"-", "f: offset 1: expected a digit (the text ends here)"},
           Case{"1.", "f: offset 2: expected a digit after '.' (the text ends here)"},
           Case{"1e+", "f: offset 3: expected a digit in the exponent (the text ends here)"},
           Case{"1e999", "f: offset 0: expected a number within double's range"},
           Case{"01", "f: offset 1: expected end of input"},
           Case{"{} x", "f: offset 3: expected end of input"},
           Case{std::string("[1\0]", 4), "f: offset 2: expected ',' or ']' in an array"},
       }) {
    auto r = Json::Parse(c.text, "f");
    ASSERT_FALSE(r.has_value()) << c.text;
    EXPECT_EQ(r.error().code, ErrorCode::kDataLoss) << c.text;
    EXPECT_EQ(r.error().message, c.message) << c.text;
    EXPECT_EQ(r.error().message.find('\n'), std::string::npos);
  }
}

TEST(Json, EveryPrefixOfADocumentIsRejectedWithoutACrash) {
  const std::string text =
      R"({"points":[{"age":"1h","age_s":3600,"accuracy":0.97,"ok":true,"x":null}],"s":"\u00e9\ud83d\ude00"})";
  ASSERT_TRUE(Json::Parse(text, "f").has_value());
  for (std::size_t n = 0; n < text.size(); ++n) {
    auto r = Json::Parse(text.substr(0, n), "f");
    ASSERT_FALSE(r.has_value()) << n;
    EXPECT_EQ(r.error().message.find("f: offset "), 0u) << n;
  }
}

}  // namespace
}  // namespace xbar
