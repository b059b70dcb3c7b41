// Model files: round trip, and rejection of damaged files and models that do not chain.
#include "compiler/model_io.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "support/file_io.h"
#include "tests/testing/temp.h"

namespace xbar::compiler {
namespace {

Model SmallModel() {
  Model m;
  m.name = "small";
  m.neuron.k_mv = 12;
  m.neuron.membrane_update = device_models::MembraneUpdate::kExplicit;
  m.encoding.steps = 50;
  m.encoding.period = 5;
  m.encoding.input_gain = 0.05;
  m.weights.push_back(Eigen::MatrixXf::Random(4, 6));
  m.weights.push_back(Eigen::MatrixXf::Random(3, 4));
  m.training.dataset = "mnist";
  m.training.seed = 9;
  m.training.test_accuracy = 0.5;
  m.training.command = "xbar train";
  return m;
}

std::string TempPath(const std::string& name) {
  return (::xbar::testing::TempDir() / ("xbar_model_" + name)).string();
}

TEST(ModelIo, RoundTripsEveryField) {
  const std::string path = TempPath("rt.xbm");
  const Model m = SmallModel();
  ASSERT_TRUE(WriteModel(path, m).has_value());
  auto back = ReadModel(path);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(back->name, "small");
  EXPECT_EQ(back->neuron.k_mv, 12);
  EXPECT_EQ(back->neuron.membrane_update, device_models::MembraneUpdate::kExplicit);
  EXPECT_EQ(back->encoding.steps, 50);
  EXPECT_EQ(back->encoding.period, 5);
  EXPECT_EQ(back->encoding.input_gain, 0.05);
  ASSERT_EQ(back->weights.size(), 2u);
  EXPECT_EQ(back->weights[0], m.weights[0]);
  EXPECT_EQ(back->weights[1], m.weights[1]);
  EXPECT_EQ(back->LayerSizes(), (std::vector<int>{6, 4, 3}));
  EXPECT_EQ(back->training.seed, 9u);
  EXPECT_EQ(back->training.command, "xbar train");
  std::filesystem::remove(path);
}

TEST(ModelIo, RejectsTruncatedCorruptAndForeignFiles) {
  const std::string path = TempPath("bad.xbm");
  ASSERT_TRUE(WriteModel(path, SmallModel()).has_value());
  const std::string bytes = *ReadFile(path);
  ASSERT_TRUE(WriteFileAtomic(path, bytes.substr(0, bytes.size() / 2)).has_value());
  auto r = ReadModel(path);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kDataLoss);
  EXPECT_NE(r.error().message.find(path + ": truncated"), std::string::npos);
  std::string corrupt = bytes;
  corrupt[corrupt.size() - 5] ^= 0x40;
  ASSERT_TRUE(WriteFileAtomic(path, corrupt).has_value());
  EXPECT_NE(ReadModel(path).error().message.find("corrupt"), std::string::npos);
  std::string version = bytes;
  version[8] = 7;
  ASSERT_TRUE(WriteFileAtomic(path, version).has_value());
  EXPECT_EQ(ReadModel(path).error().message,
            path + ": model schema version 7 is not supported (this xbar reads version 1)");
  EXPECT_EQ(ReadModel("/nonexistent.xbm").error().code, ErrorCode::kNotFound);
  std::filesystem::remove(path);
}

TEST(ModelIo, RefusesToWriteLayersThatDoNotChain) {
  Model m = SmallModel();
  m.weights[1] = Eigen::MatrixXf::Zero(3, 5);
  const std::string path = TempPath("chain.xbm");
  auto r = WriteModel(path, m);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("layer 1 has 5 inputs but layer 0 has 4 outputs"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace xbar::compiler
