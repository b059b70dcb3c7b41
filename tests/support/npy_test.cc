// .npy files: our own round trip, files written by real NumPy, and every rejection.
#include "support/npy.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "support/file_io.h"
#include "tests/testing/temp.h"

namespace xbar {
namespace {

namespace fs = std::filesystem;

std::string Tmp(const std::string& name) {
  fs::create_directories(::xbar::testing::TempDir() / "xbar_npy_test");
  return (::xbar::testing::TempDir() / "xbar_npy_test" / name).string();
}

void NumPy(const std::string& code) {
  const std::string cmd = "/usr/bin/python3 -c \"import numpy as np; " + code + "\"";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

TEST(Npy, RoundTripsMatricesAndVectors) {
  Eigen::MatrixXd m(2, 3);
  m << 1, 2, 3, 4, 5, 6.5;
  ASSERT_TRUE(WriteNpy(Tmp("m.npy"), m).has_value());
  auto back = ReadNpy(Tmp("m.npy"));
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(back->ndim, 2);
  EXPECT_EQ(back->data, m);
  ASSERT_TRUE(WriteNpy(Tmp("v.npy"), Eigen::VectorXd::LinSpaced(5, 0, 1), 1).has_value());
  auto vec = ReadNpy(Tmp("v.npy"));
  EXPECT_EQ(vec->ndim, 1);
  EXPECT_EQ(vec->data.rows(), 5);
}

TEST(Npy, ReadsWhatNumPyWritesAndNumPyReadsWhatWeWrite) {
  NumPy("np.save('" + Tmp("np64.npy") + "', np.arange(12, dtype=np.float64).reshape(3, 4) / 8)");
  NumPy("np.save('" + Tmp("np32.npy") + "', np.arange(6, dtype=np.float32) - 2.5)");
  auto a = ReadNpy(Tmp("np64.npy"));
  ASSERT_TRUE(a.has_value()) << a.error().message;
  EXPECT_EQ(a->data(1, 2), 6.0 / 8);  // C order: row 1, column 2 is element 6
  auto b = ReadNpy(Tmp("np32.npy"));
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->ndim, 1);
  EXPECT_EQ(b->data(5, 0), 2.5);
  Eigen::MatrixXd m(2, 2);
  m << 1, 2, 3, 4;
  ASSERT_TRUE(WriteNpy(Tmp("ours.npy"), m).has_value());
  NumPy("a = np.load('" + Tmp("ours.npy") + "'); assert a.dtype == np.float64 and a.shape == (2, 2) and a[0, 1] == 2");
}

// Spike trains come as tensors of any rank and as booleans, integers or floats.
TEST(Npy, ReadsTensorsOfAnyRankAndIntegerOrBooleanDtypes) {
  NumPy("np.save('" + Tmp("bool.npy") + "', np.arange(24).reshape(2, 3, 4) % 5 == 0)");
  NumPy("np.save('" + Tmp("u8.npy") + "', (np.arange(6, dtype=np.uint8) * 40).reshape(1, 2, 3))");
  NumPy("np.save('" + Tmp("i64.npy") + "', -np.arange(5))");
  NumPy("np.save('" + Tmp("scalar.npy") + "', np.float32(2.5))");
  auto b = ReadNpyTensor(Tmp("bool.npy"));
  ASSERT_TRUE(b.has_value()) << b.error().message;
  EXPECT_EQ(b->shape, (std::vector<int64_t>{2, 3, 4}));
  ASSERT_EQ(b->values.size(), 24u);
  for (std::size_t k = 0; k < 24; ++k) EXPECT_EQ(b->values[k], k % 5 == 0 ? 1.0 : 0.0) << k;
  auto u = ReadNpyTensor(Tmp("u8.npy"));
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->values[5], 200.0);
  auto i = ReadNpyTensor(Tmp("i64.npy"));
  ASSERT_TRUE(i.has_value());
  EXPECT_EQ(i->values[4], -4.0);
  auto s = ReadNpyTensor(Tmp("scalar.npy"));
  ASSERT_TRUE(s.has_value());
  EXPECT_TRUE(s->shape.empty());
  EXPECT_EQ(s->values, std::vector<double>{2.5});
  // What we write, NumPy reads with its shape.
  ASSERT_TRUE(WriteNpyTensor(Tmp("t.npy"), NpyTensor{{2, 1, 3}, {0, 1, 2, 3, 4, 5}}).has_value());
  NumPy("a = np.load('" + Tmp("t.npy") + "'); assert a.shape == (2, 1, 3) and a[1, 0, 2] == 5");
  ASSERT_TRUE(WriteNpyTensor(Tmp("v.npy"), NpyTensor{{3}, {7, 8, 9}}).has_value());
  NumPy("a = np.load('" + Tmp("v.npy") + "'); assert a.shape == (3,) and a[2] == 9");
  NumPy("np.save('" + Tmp("c16.npy") + "', np.ones(2, dtype=np.complex64))");
  EXPECT_EQ(ReadNpyTensor(Tmp("c16.npy")).error().message,
            Tmp("c16.npy") + ": dtype '<c8' is not supported (use float64 '<f8' or float32 '<f4', integers or booleans)");
}

TEST(Npy, RejectsWhatItCannotReadNamingTheFile) {
  NumPy("np.save('" + Tmp("int.npy") + "', np.arange(4))");
  NumPy("np.save('" + Tmp("fortran.npy") + "', np.asfortranarray(np.ones((2, 3))))");
  NumPy("np.save('" + Tmp("cube.npy") + "', np.ones((2, 2, 2)))");
  NumPy("np.save('" + Tmp("big.npy") + "', np.ones(4, dtype='>f8'))");
  NumPy("np.save('" + Tmp("np64.npy") + "', np.arange(12, dtype=np.float64).reshape(3, 4) / 8)");
  EXPECT_EQ(ReadNpy(Tmp("int.npy")).error().message,
            Tmp("int.npy") + ": dtype '<i8' is not supported (use float64 '<f8' or float32 '<f4')");
  EXPECT_EQ(ReadNpy(Tmp("fortran.npy")).error().message,
            Tmp("fortran.npy") + ": Fortran-order arrays are not supported (save with C order)");
  EXPECT_EQ(ReadNpy(Tmp("cube.npy")).error().message,
            Tmp("cube.npy") + ": 3-dimensional arrays are not supported (1-D or 2-D)");
  EXPECT_EQ(ReadNpy(Tmp("big.npy")).error().code, ErrorCode::kDataLoss);
  const std::string bytes = *ReadFile(Tmp("np64.npy"));
  ASSERT_TRUE(WriteFileAtomic(Tmp("cut.npy"), bytes.substr(0, bytes.size() - 8)).has_value());
  EXPECT_EQ(ReadNpy(Tmp("cut.npy")).error().message,
            Tmp("cut.npy") + ": data size mismatch: shape needs 96 bytes, file has 88");
  EXPECT_EQ(ParseNpy("hello world", "x").error().message, "x: not a .npy file (bad magic)");
  EXPECT_EQ(ReadNpy(Tmp("absent.npy")).error().code, ErrorCode::kNotFound);
}

// Found while writing tests/fuzz/npy_fuzz: 2^31 x 2^31 float64 values need 2^65 bytes, which wrapped to 0 and
// matched an empty data section, so the reader went on to allocate the matrix.
TEST(Npy, RejectsAShapeWhoseByteCountPassesTwoToThe64) {
  const std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2147483648, 2147483648), }\n";
  std::string bytes = "\x93NUMPY";
  bytes += '\x01';
  bytes += '\x00';
  bytes += static_cast<char>(header.size() & 0xFF);
  bytes += static_cast<char>(header.size() >> 8);
  bytes += header;
  const auto array = ParseNpy(bytes, "x.npy");
  ASSERT_FALSE(array.has_value());
  EXPECT_EQ(array.error().message, "x.npy: the shape holds more than 2^31 values (the limit)");
}

// Found by the fuzzer (tests/fuzz/corpus/npy/huge_dimension.npy): a dimension of 60 digits made
// std::stoull throw.
TEST(Npy, RejectsADimensionBeyondTwoToThe64) {
  const std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': (" + std::string(60, '9') + ",), }\n";
  std::string bytes = "\x93NUMPY";
  bytes += '\x01';
  bytes += '\x00';
  bytes += static_cast<char>(header.size() & 0xFF);
  bytes += static_cast<char>(header.size() >> 8);
  bytes += header;
  const auto array = ParseNpy(bytes, "x.npy");
  ASSERT_FALSE(array.has_value());
  EXPECT_NE(array.error().message.find("x.npy: shape dimension 999999999999999999999999... is not a number below 2^64"),
            std::string::npos)
      << array.error().message;
  const auto fuzzed = ReadNpy(std::string(XBAR_SOURCE_DIR) + "/tests/fuzz/corpus/npy/huge_dimension.npy");
  EXPECT_FALSE(fuzzed.has_value());
}

}  // namespace
}  // namespace xbar
