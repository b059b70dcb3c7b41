// The commands' result records and summaries, and the option values the runtime parses for them.
#include "runtime/result_text.h"

#include <gtest/gtest.h>

#include "runtime/dataset.h"
#include "runtime/yield.h"

namespace xbar::runtime {
namespace {

TEST(ResultText, EpochSummaryShowsTheTestAccuracyOnlyWhenMeasured) {
  EpochStats s{.epoch = 2, .train_loss = 0.1234, .train_accuracy = 0.9, .test_accuracy = -1, .seconds = 1.5,
               .samples_per_s = 800};
  EXPECT_EQ(EpochSummary(s, 3), "epoch 2/3  loss 0.1234  train 90.00%  1.5 s  800 samples/s");
  EXPECT_TRUE(ToJson(s)["test_accuracy"].is_null());
  s.test_accuracy = 0.875;
  EXPECT_EQ(EpochSummary(s, 3), "epoch 2/3  loss 0.1234  train 90.00%  test 87.50%  1.5 s  800 samples/s");
  EXPECT_EQ(ToJson(s)["test_accuracy"], 0.875);
}

TEST(ResultText, YieldSummaryIsOneLinePerPoint) {
  YieldRecord r;
  r.dataset = "mnist";
  r.chips = 4;
  r.base_seed = 7;
  r.ranks = 2;
  r.threads_per_rank = 1;
  r.images = 100;
  r.seconds = 2;
  r.chips_per_second = 2;
  YieldPointRecord p;
  p.age_s = 86400;
  p.compensation = DriftCompensation::kGlobal;
  p.mean = p.p5 = p.p50 = p.p95 = p.min = p.max = 0.5;
  p.fraction_above = 0.75;
  r.points = {p, p};
  const std::string text = YieldSummary(r, 0.98);
  EXPECT_EQ(text.substr(0, text.find('\n')),
            "mnist: 4 chips (base seed 7) on 2 ranks x 1 threads, 100 images, 2.0 s (2 chips/s)");
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3);
  EXPECT_NE(text.find(">= 98.00 %: 3 of 4 chips (75.0 %)"), std::string::npos) << text;
}

TEST(ResultText, ProgramSummaryNamesControllerCyclesOnTheRtlBackendOnly) {
  ProgramRecord r;
  r.scheme = "model-predicted";
  r.backend = "behavioural";
  r.cells = 10;
  r.failed = 1;
  r.reads_matched = 20;
  r.controller_cycles = 99;
  EXPECT_NE(ProgramSummary(r, 2).find("10 cells on 2 tiles"), std::string::npos);
  EXPECT_NE(ProgramSummary(r, 2).find("1 failed (10.00 %)"), std::string::npos);
  EXPECT_NE(ProgramSummary(r, 2).find("(behavioural backend, 20 reads matched)\n"), std::string::npos);
  r.backend = "rtl";
  EXPECT_NE(ProgramSummary(r, 2).find("(rtl backend, 20 reads matched, 99 controller cycles)\n"), std::string::npos);
}

TEST(ResultText, ReplayWithMismatchedReadsIsDataLoss) {
  ReplayResult replay;
  EXPECT_TRUE(CheckReplayMatched(replay, "rtl").has_value());
  replay.read_mismatches = 2;
  replay.first_mismatch = "read 1";
  auto r = CheckReplayMatched(replay, "rtl");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kDataLoss);
  EXPECT_EQ(r.error().message,
            "2 verify reads differ on the rtl backend (first: read 1); is the pulse program for this plan and chip seed?");
}

TEST(OptionValues, LayerSizesArePositiveAndCommaSeparated) {
  auto sizes = ParseLayerSizes("512,256", "hidden");
  ASSERT_TRUE(sizes.has_value());
  EXPECT_EQ(*sizes, (std::vector<int>{512, 256}));
  for (const char* bad : {"", "12,x", "0", "3,", "-4"}) {
    auto r = ParseLayerSizes(bad, "hidden");
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().message, std::string("--hidden '") + bad + "' must be positive sizes separated by commas");
  }
}

TEST(OptionValues, TrainableLayersAreLastAllOrIndices) {
  EXPECT_EQ(*ParseTrainableLayers("last", 3), (std::vector<bool>{false, false, true}));
  EXPECT_EQ(*ParseTrainableLayers("all", 3), (std::vector<bool>{true, true, true}));
  EXPECT_EQ(*ParseTrainableLayers("0,2", 3), (std::vector<bool>{true, false, true}));
  auto r = ParseTrainableLayers("0,3", 3);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "--layers: '3' is not last, all or a layer index in [0, 2]");
}

TEST(OptionValues, DriftCompensationListsNameTheBadOne) {
  auto modes = ParseDriftCompensations("none,column");
  ASSERT_TRUE(modes.has_value());
  EXPECT_EQ(*modes, (std::vector<DriftCompensation>{DriftCompensation::kNone, DriftCompensation::kColumn}));
  auto empty = ParseDriftCompensations("");
  ASSERT_FALSE(empty.has_value());
  EXPECT_EQ(empty.error().message, "--compensation is empty");
  auto bad = ParseDriftCompensations("none,lots");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message.rfind("--compensation: ", 0), 0u) << bad.error().message;
}

TEST(OptionValues, YieldRunNeedsChipsAndAThresholdInRange) {
  EXPECT_TRUE(CheckYieldRun(1, 0).has_value());
  EXPECT_TRUE(CheckYieldRun(kMaxYieldChips, 1).has_value());
  EXPECT_EQ(CheckYieldRun(0, 0.5).error().message, "--chips 0 must lie in [1, 1000000]");
  EXPECT_EQ(CheckYieldRun(kMaxYieldChips + 1, 0.5).error().message, "--chips 1000001 must lie in [1, 1000000]");
  EXPECT_EQ(CheckYieldRun(5, 1.5).error().message, "--threshold 1.5 must lie in [0, 1]");
}

TEST(OptionValues, InputActivityIsEachInputsMeanSquare) {
  Dataset data;
  data.images.resize(2, 2);
  data.images << 1, 3, 0, 2;
  auto activity = InputActivity(data, compiler::LayerShape::Dense(2, 3), "mnist");
  ASSERT_TRUE(activity.has_value());
  EXPECT_EQ(*activity, (std::vector<double>{5, 2}));
  auto r = InputActivity(data, compiler::LayerShape::Dense(784, 3), "mnist");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "--activity mnist has 2 inputs, the model's first layer 784");
}

TEST(OptionValues, InputActivityOfAConvolutionIsEachKernelElementsMeanSquareOverPositions) {
  // One 1x3x3 image 1..9; a 2x2 kernel, stride 1, padding 1: 4x4 output positions.
  Dataset data;
  data.images.resize(9, 1);
  for (int i = 0; i < 9; ++i) data.images(i, 0) = static_cast<float>(i + 1);
  auto layers = compiler::ParseArchitecture("c1k2p1b-4", {1, 3, 3}, 4);
  ASSERT_TRUE(layers.has_value()) << layers.error().message;
  auto activity = InputActivity(data, layers->front(), "tiny");
  ASSERT_TRUE(activity.has_value()) << activity.error().message;
  ASSERT_EQ(activity->size(), 5u);
  // Kernel element (ky, kx) sees pixel (oy + ky - 1, ox + kx - 1): for (0, 0) the pixels of rows
  // and columns 0-2 shifted, i.e. every pixel once (sum of squares 285) over 16 positions.
  double all = 0;
  for (int i = 1; i <= 9; ++i) all += i * i;
  for (int e = 0; e < 4; ++e) EXPECT_DOUBLE_EQ((*activity)[static_cast<std::size_t>(e)], all / 16) << e;
  EXPECT_EQ(activity->back(), 1.0);  // the bias row
  // Without padding the 2x2 kernel has 2x2 positions on 3x3: element (0, 0) sees pixels 1, 2, 4,
  // 5; element (1, 1) pixels 5, 6, 8, 9.
  auto valid = compiler::ParseArchitecture("c1k2-4", {1, 3, 3}, 4);
  ASSERT_TRUE(valid.has_value());
  auto a = InputActivity(data, valid->front(), "tiny");
  ASSERT_TRUE(a.has_value());
  EXPECT_DOUBLE_EQ((*a)[0], (1.0 + 4 + 16 + 25) / 4);
  EXPECT_DOUBLE_EQ((*a)[3], (25.0 + 36 + 64 + 81) / 4);
}

}  // namespace
}  // namespace xbar::runtime
