// Durations: parsing, formatting and the one-line errors for text that is not one.
#include "support/duration.h"

#include <gtest/gtest.h>

namespace xbar {
namespace {

TEST(Duration, ParsesUnits) {
  EXPECT_EQ(*ParseDuration("1s"), 1.0);
  EXPECT_EQ(*ParseDuration("30min"), 1800.0);
  EXPECT_EQ(*ParseDuration("1h"), 3600.0);
  EXPECT_EQ(*ParseDuration("1d"), 86400.0);
  EXPECT_EQ(*ParseDuration("2w"), 14 * 86400.0);
  EXPECT_EQ(*ParseDuration("1mo"), 30 * 86400.0);
  EXPECT_EQ(*ParseDuration("10y"), 3652.5 * 86400.0);
  EXPECT_EQ(*ParseDuration("0.5h"), 1800.0);
  EXPECT_EQ(*ParseDuration("0s"), 0.0);
  auto list = ParseDurations("1s,1h,1d");
  ASSERT_TRUE(list.has_value());
  EXPECT_EQ(*list, (std::vector<double>{1, 3600, 86400}));
}

TEST(Duration, RejectsWhatIsNotADuration) {
  for (const char* bad : {"", "1", "d", "1x", "-1d", "1 d", "nan s", "1d2", "inf y"}) {
    auto d = ParseDuration(bad);
    ASSERT_FALSE(d.has_value()) << bad;
    EXPECT_EQ(d.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(d.error().message.find("is not a duration"), std::string::npos);
  }
  EXPECT_FALSE(ParseDurations("1d,,1h").has_value());
}

TEST(Duration, FormatsInTheLargestExactUnit) {
  EXPECT_EQ(FormatDuration(86400), "1d");
  EXPECT_EQ(FormatDuration(3600), "1h");
  EXPECT_EQ(FormatDuration(20), "20s");
  EXPECT_EQ(FormatDuration(3652.5 * 86400), "10y");
  EXPECT_EQ(FormatDuration(30 * 86400), "1mo");
  EXPECT_EQ(FormatDuration(1.5), "1.5s");
  for (const char* text : {"1s", "1h", "1d", "1mo", "1y", "10y", "30min"}) {
    EXPECT_EQ(FormatDuration(*ParseDuration(text)), text);
  }
}

}  // namespace
}  // namespace xbar
