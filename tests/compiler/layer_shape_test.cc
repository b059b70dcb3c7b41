// Layer geometry: the network description, its limits, and conv models through the model file.
#include "compiler/layer_shape.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "compiler/model_io.h"

namespace xbar::compiler {
namespace {

constexpr Shape3 kMnist{1, 28, 28};

TEST(Architecture, ParsesConvolutionsPoolingAndDenseLayers) {
  auto layers = ParseArchitecture("c16k5p2-a2-c32k5-a2-10", kMnist, 10);
  ASSERT_TRUE(layers) << layers.error().message;
  ASSERT_EQ(layers->size(), 3u);
  EXPECT_EQ((*layers)[0].output(), (Shape3{16, 28, 28}));
  EXPECT_EQ((*layers)[0].matrix_cols(), 25);
  EXPECT_EQ((*layers)[1].input(), (Shape3{16, 14, 14}));
  EXPECT_EQ((*layers)[1].output(), (Shape3{32, 10, 10}));
  EXPECT_EQ((*layers)[1].matrix_cols(), 400);
  EXPECT_EQ((*layers)[2].input(), (Shape3{800, 1, 1}));
  EXPECT_EQ((*layers)[2].pool, PoolKind::kAverage);
  EXPECT_EQ(DescribeArchitecture(*layers), "1x28x28-c16k5p2-a2-c32k5-a2-10");
  EXPECT_TRUE(ValidateChain(*layers));
}

TEST(Architecture, ParsesStrideBiasSumPoolingAndFlatten) {
  auto layers = ParseArchitecture("c8k3s2p1b-s2-f-64b-10", kMnist, 10);
  ASSERT_TRUE(layers) << layers.error().message;
  EXPECT_EQ((*layers)[0].output(), (Shape3{8, 14, 14}));
  EXPECT_TRUE((*layers)[0].bias);
  EXPECT_EQ((*layers)[0].matrix_cols(), 10);
  EXPECT_EQ((*layers)[1].pool, PoolKind::kSum);
  EXPECT_EQ((*layers)[1].input().size(), 8 * 7 * 7);
  EXPECT_EQ(DescribeArchitecture(*layers), "1x28x28-c8k3s2p1b-s2-64b-10");
}

TEST(Architecture, RejectsMalformedDescriptionsWithOneLine) {
  struct Case {
    const char* text;
    const char* needle;
  };
  for (const Case& c : {Case{"c16k5-a5-10", "pooling window 5 does not divide its input 16x24x24"},
                        Case{"c16k31-10", "has no output position (output size must be positive)"},
                        Case{"c16-10", "is not a convolution like c16k5"},
                        Case{"c16k5q2-10", "unknown part at 'q'"},
                        Case{"c16k5--10", "is empty"},
                        Case{"256-12", "must end in a dense layer of 10 outputs"},
                        Case{"c16k5-a2", "ends in a pooling"},
                        Case{"a2-10", "pools the image"},
                        Case{"64-c8k3-10", "convolution after a dense layer"},
                        Case{"c8k3s4-10", "stride 4 must lie in [1, kernel = 3]"},
                        Case{"x", "is not a layer"}}) {
    auto layers = ParseArchitecture(c.text, kMnist, 10);
    ASSERT_FALSE(layers) << c.text;
    EXPECT_EQ(layers.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(layers.error().message.find(c.needle), std::string::npos) << layers.error().message;
    EXPECT_EQ(layers.error().message.find('\n'), std::string::npos);
  }
}

TEST(Architecture, ConvolutionalModelsRoundTripThroughTheModelFile) {
  Model model;
  model.layers = ParseArchitecture("c2k3p1b-a2-c3k3-s2-4b", {1, 8, 8}, 4).value();
  for (const auto& s : model.layers) {
    model.weights.push_back(Eigen::MatrixXf::Random(s.matrix_rows(), s.matrix_cols()));
  }
  ASSERT_TRUE(model.Validate()) << model.Validate().error().message;
  EXPECT_EQ(model.inputs(), 64);
  EXPECT_EQ(model.outputs(), 4);
  EXPECT_EQ(model.LayerSizes(), (std::vector<int>{64, 128, 12, 4}));
  const auto path = (std::filesystem::path(testing::TempDir()) / "conv.xbm").string();
  ASSERT_TRUE(WriteModel(path, model));
  auto back = ReadModel(path);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->Describe(), model.Describe());
  for (std::size_t l = 0; l < model.weights.size(); ++l) EXPECT_EQ(back->weights[l], model.weights[l]);
  model.weights[1] = Eigen::MatrixXf::Zero(3, 5);
  auto bad = model.Validate();
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "layer 1 (a2-c3k3) needs a 3x18 weight matrix, not 3x5");
}

}  // namespace
}  // namespace xbar::compiler
