// Support: CRC-32, atomic writes, the artifact container's checks, JSON output.
#include "support/file_io.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "support/json.h"
#include "support/rng.h"
#include "tests/testing/temp.h"

namespace xbar {
namespace {

constexpr ArtifactKind kKind{"TST1", "test file", 3};

std::string TempPath(const std::string& name) {
  return (::xbar::testing::TempDir() / ("xbar_support_" + name)).string();
}

TEST(Crc32, MatchesTheStandardCheckValue) {
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(Crc32(""), 0u);
}

TEST(Artifact, RoundTripsAndLeavesNoTemporaryFiles) {
  const std::string path = TempPath("roundtrip.bin");
  ASSERT_TRUE(WriteArtifact(path, kKind, "payload bytes").has_value());
  auto back = ReadArtifact(path, kKind);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(*back, "payload bytes");
  for (const auto& entry : std::filesystem::directory_iterator(::xbar::testing::TempDir())) {
    EXPECT_EQ(entry.path().filename().string().find("xbar_support_roundtrip.bin.tmp"), std::string::npos);
  }
  std::filesystem::remove(path);
}

TEST(Artifact, RejectsEveryKindOfDamageWithItsOwnMessage) {
  const std::string path = TempPath("damage.bin");
  ASSERT_TRUE(WriteArtifact(path, kKind, "0123456789").has_value());
  std::string bytes = *ReadFile(path);
  auto msg = [](const Expected<std::string>& r) { return r.has_value() ? std::string("ok") : r.error().message; };
  EXPECT_EQ(msg(ParseArtifact(bytes.substr(0, 10), kKind, "f")),
            "f: truncated: 10 bytes, shorter than the 24-byte xbar header");
  EXPECT_EQ(msg(ParseArtifact(bytes.substr(0, bytes.size() - 3), kKind, "f")),
            "f: truncated: header says 10 payload bytes, file has 7");
  EXPECT_EQ(msg(ParseArtifact(bytes + "xx", kKind, "f")),
            "f: trailing bytes: header says 10 payload bytes, file has 12");
  std::string corrupt = bytes;
  corrupt[30] ^= 0x01;
  EXPECT_EQ(msg(ParseArtifact(corrupt, kKind, "f")), "f: corrupt: payload checksum does not match the header");
  std::string magic = bytes;
  magic[0] = 'Y';
  EXPECT_EQ(msg(ParseArtifact(magic, kKind, "f")), "f: not an xbar file (bad magic)");
  EXPECT_EQ(msg(ParseArtifact(bytes, ArtifactKind{"XBM1", "model", 3}, "f")),
            "f: is a 'TST1' file, expected a model ('XBM1')");
  EXPECT_EQ(msg(ParseArtifact(bytes, ArtifactKind{"TST1", "test file", 4}, "f")),
            "f: test file schema version 3 is not supported (this xbar reads version 4)");
  std::filesystem::remove(path);
}

TEST(WriteFileAtomic, FailsCleanlyIntoAMissingFolder) {
  auto r = WriteFileAtomic("/nonexistent-xbar-dir/x.bin", "data");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("/nonexistent-xbar-dir/x.bin"), std::string::npos);
}

TEST(WriteFileAtomic, ReplacesAnExistingFileWhole) {
  const std::string path = TempPath("replace.txt");
  ASSERT_TRUE(WriteFileAtomic(path, "old contents that are longer").has_value());
  ASSERT_TRUE(WriteFileAtomic(path, "new").has_value());
  EXPECT_EQ(*ReadFile(path), "new");
  std::filesystem::remove(path);
}

TEST(Json, WritesNestedValuesAndEscapes) {
  Json j = Json::object({{"a", 1}, {"b", "x\"y\n"}, {"c", Json::array({1.5, true, nullptr})}});
  j["a"] = 2;
  EXPECT_EQ(DumpJson(j), R"({"a":2,"b":"x\"y\n","c":[1.5,true,null]})");
  EXPECT_EQ(DumpJson(Json(std::nan(""))), "null");
}

TEST(Rng, NormalDrawsHaveUnitMomentsAndAreReproducible) {
  Rng a(42), b(42);
  double sum = 0, sum2 = 0;
  const int n = 200000;
  for (int k = 0; k < n; ++k) {
    const double x = NormalDraw(a);
    EXPECT_EQ(x, NormalDraw(b));
    sum += x;
    sum2 += x * x;
  }
  const double mean = sum / n, var = sum2 / n - mean * mean;
  EXPECT_LT(std::abs(mean), 4 / std::sqrt(n));                 // 4 sigma of the mean
  EXPECT_LT(std::abs(var - 1), 4 * std::sqrt(2.0 / n));        // 4 sigma of the variance
  EXPECT_NE(DeriveSeed(1, 0), DeriveSeed(1, 1));
  EXPECT_NE(DeriveSeed(1, 0), DeriveSeed(2, 0));
}

}  // namespace
}  // namespace xbar
