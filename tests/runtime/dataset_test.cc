// Data sets: the real MNIST and Fashion-MNIST files from scripts/setup, and bad idx input.
#include "runtime/dataset.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/idx.h"
#include "tests/testing/temp.h"

namespace xbar::runtime {
namespace {

std::string Data() { return DataDir(""); }

TEST(Dataset, LoadsRealMnist) {
  auto train = LoadDataset("mnist", Data(), Split::kTrain);
  ASSERT_TRUE(train.has_value()) << train.error().message;
  EXPECT_EQ(train->size(), 60000);
  EXPECT_EQ(train->images.rows(), 784);
  auto test = LoadDataset("mnist", Data(), Split::kTest, 100);
  ASSERT_TRUE(test.has_value());
  EXPECT_EQ(test->size(), 100);
  // The first test digit of MNIST is a 7, the first training digit a 5.
  EXPECT_EQ(test->labels[0], 7);
  EXPECT_EQ(train->labels[0], 5);
  EXPECT_GE(train->images.minCoeff(), 0.0f);
  EXPECT_LE(train->images.maxCoeff(), 1.0f);
}

TEST(Dataset, LoadsRealFashionMnist) {
  auto test = LoadDataset("fashion-mnist", Data(), Split::kTest);
  ASSERT_TRUE(test.has_value()) << test.error().message;
  EXPECT_EQ(test->size(), 10000);
  // Fashion-MNIST's first test item is an ankle boot (class 9).
  EXPECT_EQ(test->labels[0], 9);
  std::vector<int> counts(10);
  for (auto l : test->labels) ++counts[l];
  for (int c : counts) EXPECT_EQ(c, 1000);
}

TEST(Dataset, UnknownNameIsAUsageError) {
  auto d = LoadDataset("cifar", Data(), Split::kTest);
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(d.error().message.find("unknown dataset 'cifar'"), std::string::npos);
}

TEST(Dataset, AveragesImagesDownBlockByBlock) {
  auto full = LoadDataset("mnist", Data(), Split::kTest, 3);
  auto small = LoadDataset("mnist-7x7", Data(), Split::kTest, 3);
  ASSERT_TRUE(full.has_value() && small.has_value()) << small.error().message;
  EXPECT_EQ(small->width, 7);
  EXPECT_EQ(small->height, 7);
  ASSERT_EQ(small->images.rows(), 49);
  EXPECT_EQ(small->labels, full->labels);
  // Pixel (y, x) of the 7x7 image is the mean of the 4x4 block at (4y, 4x) of the 28x28 one.
  for (int s = 0; s < 3; ++s) {
    for (int y = 0; y < 7; ++y) {
      for (int x = 0; x < 7; ++x) {
        double sum = 0;
        for (int dy = 0; dy < 4; ++dy) {
          for (int dx = 0; dx < 4; ++dx) sum += full->images((4 * y + dy) * 28 + 4 * x + dx, s);
        }
        EXPECT_NEAR(small->images(y * 7 + x, s), sum / 16, 1e-6) << s << " " << y << " " << x;
      }
    }
  }
  EXPECT_GT(small->images.maxCoeff(), 0.5f);  // a digit's strokes survive the averaging
  auto same = LoadDataset("fashion-mnist-28x28", Data(), Split::kTest, 2);
  ASSERT_TRUE(same.has_value());
  auto base = LoadDataset("fashion-mnist", Data(), Split::kTest, 2);
  EXPECT_EQ(same->images, base->images);
  for (const char* bad : {"mnist-5x5", "mnist-7x8", "mnist-0x0", "svhn-7x7", "mnist-56x56"}) {
    auto d = LoadDataset(bad, Data(), Split::kTest, 1);
    ASSERT_FALSE(d.has_value()) << bad;
    EXPECT_EQ(d.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(d.error().message.find(std::string("unknown dataset '") + bad + "'"), std::string::npos);
  }
}

TEST(Dataset, MissingFilesSayHowToGetThem) {
  auto d = LoadDataset("mnist", "/nonexistent-xbar-data", Split::kTest);
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().code, ErrorCode::kNotFound);
  EXPECT_NE(d.error().message.find("scripts/setup"), std::string::npos);
}

TEST(Idx, RejectsBadMagicWrongRankAndSizeMismatch) {
  std::string good = std::string("\0\0\x08\x01", 4) + std::string("\0\0\0\x03", 4) + "abc";
  auto ok = ParseIdx(good, 1, "labels");
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->dims[0], 3u);
  auto bad_magic = ParseIdx("\x01" + good.substr(1), 1, "f.idx");
  EXPECT_EQ(bad_magic.error().message, "f.idx: not an idx file (bad magic)");
  auto wrong_rank = ParseIdx(good, 3, "f.idx");
  EXPECT_EQ(wrong_rank.error().message, "f.idx: idx rank 1, expected 3");
  auto truncated = ParseIdx(good.substr(0, good.size() - 1), 1, "f.idx");
  EXPECT_EQ(truncated.error().message,
            "f.idx: size mismatch: header promises 3 bytes of data, file has 2");
  auto wrong_type = ParseIdx(std::string("\0\0\x0d\x01", 4) + good.substr(4), 1, "f.idx");
  EXPECT_EQ(wrong_type.error().code, ErrorCode::kDataLoss);
  EXPECT_FALSE(ParseIdx("", 1, "f.idx").has_value());
}

TEST(Dataset, TruncatedImageFileIsRejectedNamingIt) {
  const auto dir = ::xbar::testing::TempDir() / "xbar_dataset_test" / "mnist";
  std::filesystem::create_directories(dir);
  for (const char* f : {"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}) {
    std::filesystem::copy_file(Data() + "/mnist/" + f, dir / f,
                               std::filesystem::copy_options::overwrite_existing);
  }
  std::filesystem::resize_file(dir / "t10k-images-idx3-ubyte", 1000);
  auto d = LoadDataset("mnist", dir.parent_path().string(), Split::kTest);
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().code, ErrorCode::kDataLoss);
  EXPECT_NE(d.error().message.find("t10k-images-idx3-ubyte: size mismatch"), std::string::npos);
  std::filesystem::remove_all(dir.parent_path());
}

}  // namespace
}  // namespace xbar::runtime
