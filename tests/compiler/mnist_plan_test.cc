// The shipped MNIST model on the default chip (plans of the shared fixture, tests/testing/fixtures.h):
// 128 tiles, and the weights the chip realises (quantised; and under IR drop with and without
// compensation) keep the model's accuracy.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "compiler/model_io.h"
#include "compiler/plan_io.h"
#include "runtime/dataset.h"
#include "runtime/trainer.h"
#include "tests/testing/fixtures.h"

namespace xbar::compiler {
namespace {

TEST(MnistPlan, FillsTheDefaultChipAndKeepsTheModelsAccuracy) {
  auto model = ReadModel(std::string(XBAR_SOURCE_DIR) + "/models/mnist-rails-hwa.xbm");
  ASSERT_TRUE(model.has_value()) << model.error().message;
  auto plain = ReadPlan(testing::MnistPlainPlan());
  ASSERT_TRUE(plain.has_value()) << plain.error().message;
  EXPECT_FALSE(plain->compensated);
  EXPECT_EQ(plain->TilesUsed(), 128);
  EXPECT_EQ(plain->layers[0].tiles.size(), 119u);
  auto compensated = ReadPlan(testing::MnistPlan());
  ASSERT_TRUE(compensated.has_value()) << compensated.error().message;
  EXPECT_TRUE(compensated->compensated);
  double before = 0, after = 0;
  for (const auto& tile : compensated->tiles) {
    before += tile.residual_before / 128;
    after += tile.residual_after / 128;
  }
  EXPECT_LT(after, before / 10);

  auto data = runtime::LoadDataset("mnist", runtime::DataDir(""), runtime::Split::kTest, 500);
  ASSERT_TRUE(data.has_value()) << data.error().message;
  auto accuracy = [&](const Model& m) {
    auto r = runtime::Evaluate(m, *data);
    EXPECT_TRUE(r.has_value());
    return r ? r->accuracy() : 0.0;
  };
  const double reference = accuracy(*model);
  auto quantised = WeightsFromPlan(*plain, TargetConductances(*plain), false);
  auto drooped = WeightsFromPlan(*plain, TargetConductances(*plain), true);
  auto realised = WeightsFromPlan(*compensated, TargetConductances(*compensated), true);
  ASSERT_TRUE(quantised && drooped && realised);
  const double q = accuracy(*quantised), d = accuracy(*drooped), c = accuracy(*realised);
  std::printf("mnist, first 500 test images: model %.1f%%, quantised %.1f%%, IR drop uncompensated %.1f%%, "
              "compensated %.1f%%; residual %.4f -> %.4f; compile %.1f s\n",
              100 * reference, 100 * q, 100 * d, 100 * c, before, after, compensated->compile_seconds);
  EXPECT_GT(q, reference - 0.02);
  EXPECT_GT(c, reference - 0.02);
}

}  // namespace
}  // namespace xbar::compiler
