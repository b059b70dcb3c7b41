// JSON on nlohmann/json: xbar's compact writer round-trips through the reader; escapes, limits,
// and one-line errors with offsets.
#include "support/json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace xbar {
namespace {

TEST(Json, DumpParseDumpRoundTrips) {
  Json points = Json::array();
  points.push_back(Json::object({{"age", "1h"}, {"age_s", 3600.0}, {"accuracy", 0.9375}}));
  points.push_back(Json::object({{"age", "10y"}, {"age_s", 3.15576e8}, {"accuracy", 0.5}}));
  Json doc = Json::object({{"name", "xbar \"report\"\n\ttab\\"},
                           {"count", int64_t{-9007199254740993}},
                           {"big", uint64_t{18446744073709551615u}},
                           {"ratio", -1.25e-7},
                           {"yes", true},
                           {"no", false},
                           {"nothing", nullptr},
                           {"empty_object", Json::object()},
                           {"empty_array", Json::array()},
                           {"points", points}});
  const std::string text = DumpJson(doc);
  EXPECT_EQ(text.rfind(R"({"name":"xbar \"report\"\n\ttab\\","count":-9007199254740993,"big":18446744073709551615,)"
                      R"("ratio":-1.25e-07,"yes":true,"no":false,"nothing":null,"empty_object":{},"empty_array":[],)",
                      0),
            0u)
      << text;
  auto back = ParseJson(text, "doc.json");
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(DumpJson(*back), text);
  EXPECT_EQ(*back, doc);

  ASSERT_TRUE(back->is_object());
  EXPECT_EQ(back->size(), 10u);
  EXPECT_EQ(back->at("name").get<std::string>(), "xbar \"report\"\n\ttab\\");
  EXPECT_EQ(back->at("count").get<int64_t>(), -9007199254740993);
  EXPECT_EQ(back->at("big").get<uint64_t>(), 18446744073709551615u);
  EXPECT_EQ(back->at("ratio").get<double>(), -1.25e-7);
  EXPECT_TRUE(back->at("yes").get<bool>());
  EXPECT_TRUE(back->at("nothing").is_null());
  EXPECT_FALSE(back->contains("missing"));
  const Json& p = back->at("points");
  ASSERT_TRUE(p.is_array());
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[1].at("age").get<std::string>(), "10y");
  EXPECT_EQ(p[0].at("accuracy").get<double>(), 0.9375);
  EXPECT_TRUE(p[0].at("age_s").is_number());
  EXPECT_FALSE(p[0].at("age").is_number());
}

TEST(Json, KeysKeepInsertionOrderAndNonFiniteNumbersAreNull) {
  Json j = Json::object({{"b", 1}, {"a", "x\"y\n"}, {"c", Json::array({1.5, true, nullptr})}});
  j["b"] = 2;
  j["inf"] = INFINITY;
  j["nan"] = std::nan("");
  EXPECT_EQ(DumpJson(j), R"({"b":2,"a":"x\"y\n","c":[1.5,true,null],"inf":null,"nan":null})");
}

TEST(Json, DoublesKeepTenSignificantDigits) {
  EXPECT_EQ(DumpJson(Json::array({0.1 + 0.2, 1.0 / 3, 3600.0, 1e20, -2.5e-9})),
            "[0.3,0.3333333333,3600,1e+20,-2.5e-09]");
}

TEST(Json, IntegersStayExactAndOtherNumbersAreDoubles) {
  auto v = ParseJson(" [9223372036854775807, -0, 1.5, 2e3, 1E-2, 99999999999999999999] ", "n");
  ASSERT_TRUE(v.has_value()) << v.error().message;
  EXPECT_EQ(DumpJson(*v), "[9223372036854775807,0,1.5,2000,0.01,1e+20]");
  EXPECT_EQ((*v)[3].get<double>(), 2000.0);
  EXPECT_TRUE((*v)[0].is_number_integer());
  EXPECT_TRUE((*v)[5].is_number_float());
}

TEST(Json, DecodesEscapesToUtf8) {
  auto v = ParseJson(R"("a\"b\\c\/d\b\f\n\r\t \u0041\u00e9\u20ac\ud83d\ude00")", "s");
  ASSERT_TRUE(v.has_value()) << v.error().message;
  EXPECT_EQ(v->get<std::string>(), "a\"b\\c/d\b\f\n\r\t A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
  // Raw UTF-8 passes through; control characters written back are escaped and read again.
  auto raw = ParseJson("\"\xC2\xB5S\"", "s");
  ASSERT_TRUE(raw.has_value());
  EXPECT_EQ(raw->get<std::string>(), "\xC2\xB5S");
  EXPECT_EQ(DumpJson(Json("\xC2\xB5S")), "\"\xC2\xB5S\"");
  EXPECT_EQ(DumpJson(Json(std::string("\x01\x1f"))), R"("\u0001\u001f")");
  auto ctl = ParseJson(DumpJson(Json(std::string("\x01\x1f"))), "s");
  ASSERT_TRUE(ctl.has_value());
  EXPECT_EQ(ctl->get<std::string>(), "\x01\x1f");
}

TEST(Json, NestingIsLimited) {
  const int limit = kMaxJsonDepth;
  const std::string deep_ok = std::string(limit, '[') + std::string(limit, ']');
  EXPECT_TRUE(ParseJson(deep_ok, "deep").has_value());
  // Brackets inside strings do not count.
  EXPECT_TRUE(ParseJson("[\"" + std::string(1000, '[') + "\\\"{\"]", "deep").has_value());
  const std::string too_deep = std::string(limit + 1, '[') + std::string(limit + 1, ']');
  auto r = ParseJson(too_deep, "deep.json");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kDataLoss);
  EXPECT_EQ(r.error().message, "deep.json: offset 256: at most 256 nested arrays and objects");
  // A hostile depth fails the same way instead of exhausting the stack.
  EXPECT_FALSE(ParseJson(std::string(1'000'000, '['), "x").has_value());
  EXPECT_FALSE(ParseJson(std::string(100'000, '{'), "x").has_value());
}

TEST(Json, TruncatedAndGarbageInputsNameTheOffset) {
  struct Case {
    std::string text, message;
  };
  for (const Case& c : {
           Case{"", "f: offset 0: syntax error while parsing value - unexpected end of input; expected '[', '{', "
                    "or a literal"},
           Case{"{\"a\": 1", "f: offset 7: syntax error while parsing object - unexpected end of input; expected '}'"},
           Case{"{\"a\" 1}", "f: offset 5: syntax error while parsing object separator - unexpected number literal; "
                             "expected ':'"},
           Case{"[1,]", "f: offset 3: syntax error while parsing value - unexpected ']'; expected '[', '{', or a "
                        "literal"},
           Case{"\"abc", "f: offset 4: syntax error while parsing value - invalid string: missing closing quote; "
                         "last read: '\"abc'"},
           Case{"\"a\nb\"", "f: offset 2: syntax error while parsing value - invalid string: control character "
                            "U+000A (LF) must be escaped to \\u000A or \\n; last read: '\"a<U+000A>'"},
           Case{"1e999", "f: number overflow parsing '1e999'"},
           Case{"01", "f: offset 1: syntax error while parsing value - unexpected number literal; expected end of "
                      "input"},
       }) {
    auto r = ParseJson(c.text, "f");
    ASSERT_FALSE(r.has_value()) << c.text;
    EXPECT_EQ(r.error().code, ErrorCode::kDataLoss) << c.text;
    EXPECT_EQ(r.error().message, c.message) << c.text;
  }
  for (const std::string text : {"   ", "{a: 1}", "{\"a\": 1,}", "[1, 2", "[1 2]", "\"\\x\"", "\"\\u12g4\"",
                                 "\"\\ud83d\"", "\"\\ude00\"", "tru", "nul1", "-", "1.", "1e+", "{} x"}) {
    auto r = ParseJson(text, "f");
    ASSERT_FALSE(r.has_value()) << text;
    EXPECT_EQ(r.error().code, ErrorCode::kDataLoss) << text;
    EXPECT_EQ(r.error().message.find("f: offset "), 0u) << r.error().message;
    EXPECT_EQ(r.error().message.find('\n'), std::string::npos) << text;
  }
}

TEST(Json, EveryPrefixOfADocumentIsRejectedWithoutACrash) {
  const std::string text =
      R"({"points":[{"age":"1h","age_s":3600,"accuracy":0.97,"ok":true,"x":null}],"s":"\u00e9\ud83d\ude00"})";
  ASSERT_TRUE(ParseJson(text, "f").has_value());
  for (std::size_t n = 0; n < text.size(); ++n) {
    auto r = ParseJson(text.substr(0, n), "f");
    ASSERT_FALSE(r.has_value()) << n;
    EXPECT_EQ(r.error().message.find("f: offset "), 0u) << n;
  }
}

}  // namespace
}  // namespace xbar
