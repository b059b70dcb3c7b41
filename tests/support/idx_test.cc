// idx files in memory: empty tensors, and sizes that pass 2^64 (the older checks of bad magic, rank
// and size are in tests/runtime/dataset_test.cc).
#include "support/idx.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace xbar {
namespace {

/// An unsigned-byte idx file of `dims` followed by `data`.
std::string Idx(const std::vector<uint32_t>& dims, const std::string& data) {
  std::string bytes = {'\0', '\0', '\x08', static_cast<char>(dims.size())};
  for (uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes += static_cast<char>((d >> shift) & 0xFF);
  }
  return bytes + data;
}

TEST(Idx, ReadsDimensionsAndData) {
  const auto t = ParseIdx(Idx({2, 3}, "abcdef"), 2, "x.idx");
  ASSERT_TRUE(t.has_value()) << t.error().message;
  EXPECT_EQ(t->dims, (std::vector<uint32_t>{2, 3}));
  EXPECT_EQ(std::string(t->data.begin(), t->data.end()), "abcdef");
  // A zero dimension makes an empty tensor, however large the others are.
  const auto empty = ParseIdx(Idx({0xFFFFFFFFu, 0xFFFFFFFFu, 0}, ""), 3, "x.idx");
  ASSERT_TRUE(empty.has_value()) << empty.error().message;
  EXPECT_TRUE(empty->data.empty());
}

// Found by tests/fuzz/idx_fuzz (the rank-6 input below): dimensions whose product passed 2^64
// wrapped to the file's size, e.g. 2^22 x 2^21 x 2^21 = 2^64 to 0, and an empty file claimed 2^22
// images of 2^42 pixels with no bytes behind them.
TEST(Idx, RejectsDimensionsWhoseProductPassesTwoToThe64) {
  const auto t = ParseIdx(Idx({1u << 22, 1u << 21, 1u << 21}, ""), 3, "x.idx");
  ASSERT_FALSE(t.has_value());
  EXPECT_EQ(t.error().message, "x.idx: size mismatch: header promises more than 2^64 - 2 bytes of data, file has 0");
  const auto fuzzed = ParseIdx(Idx({0x00001e00, 0x2b000008, 0x02000000, 0x0000001e, 0x002b0000, 0x08020000}, ""), 6,
                               "x.idx");
  ASSERT_FALSE(fuzzed.has_value());
  EXPECT_EQ(fuzzed.error().code, ErrorCode::kDataLoss);
}

}  // namespace
}  // namespace xbar
