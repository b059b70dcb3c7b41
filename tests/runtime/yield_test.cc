// Monte-Carlo yield: percentiles, statistics, seeds and the split of chips over ranks.
#include "runtime/yield.h"

#include <gtest/gtest.h>

#include <set>

namespace xbar::runtime {
namespace {

TEST(YieldStatistics, PercentileInterpolatesLinearlyLikeNumpy) {
  // numpy.percentile([1, 2, 4, 8, 16], [0, 5, 25, 50, 62.5, 95, 100]) (method "linear").
  const std::vector<double> x = {1, 2, 4, 8, 16};
  EXPECT_DOUBLE_EQ(Percentile(x, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(Percentile(x, 0.05), 1.2);
  EXPECT_DOUBLE_EQ(Percentile(x, 0.25), 2.0);
  EXPECT_DOUBLE_EQ(Percentile(x, 0.5), 4.0);
  EXPECT_DOUBLE_EQ(Percentile(x, 0.625), 6.0);
  EXPECT_DOUBLE_EQ(Percentile(x, 0.95), 14.4);
  EXPECT_DOUBLE_EQ(Percentile(x, 1.0), 16.0);
  EXPECT_DOUBLE_EQ(Percentile({0.7}, 0.05), 0.7);
  EXPECT_DOUBLE_EQ(Percentile({0.2, 0.4}, 0.5), 0.3);
}

TEST(YieldStatistics, SummarisesAccuraciesInAnyOrder) {
  // Ten chips, given out of order; numpy: mean 0.9735, p5 0.950225, p50 0.9765, p95 0.993575.
  const std::vector<double> a = {0.98, 0.95, 0.99, 0.97, 0.96, 0.985, 0.975, 0.9505, 0.978, 0.9965};
  const YieldStatistics s = ComputeYieldStatistics(a, 0.975);
  EXPECT_EQ(s.chips, 10);
  EXPECT_NEAR(s.mean, 0.9735, 1e-12);
  EXPECT_NEAR(s.p5, 0.950225, 1e-12);
  EXPECT_NEAR(s.p50, 0.9765, 1e-12);
  EXPECT_NEAR(s.p95, 0.993575, 1e-12);
  EXPECT_DOUBLE_EQ(s.min, 0.95);
  EXPECT_DOUBLE_EQ(s.max, 0.9965);
  EXPECT_DOUBLE_EQ(s.threshold, 0.975);
  // >= counts: 0.975 itself is above the threshold; 6 of 10.
  EXPECT_DOUBLE_EQ(s.fraction_above, 0.6);
  EXPECT_DOUBLE_EQ(ComputeYieldStatistics(a, 0.0).fraction_above, 1.0);
  EXPECT_DOUBLE_EQ(ComputeYieldStatistics(a, 1.0).fraction_above, 0.0);
}

TEST(YieldSeeds, EveryChipHasItsOwnSeedsThatDependOnlyOnBaseAndIndex) {
  std::set<uint64_t> seen;
  for (int64_t i = 0; i < 100; ++i) {
    const YieldChipSeeds s = YieldSeeds(7, i);
    EXPECT_EQ(s.chip, YieldSeeds(7, i).chip);
    EXPECT_NE(s.chip, YieldSeeds(8, i).chip);
    seen.insert(s.chip);
    seen.insert(s.program);
    seen.insert(s.read);
  }
  EXPECT_EQ(seen.size(), 300u);
}

TEST(YieldSplit, ChipsGoToRanksRoundRobinAndEveryChipOnce) {
  EXPECT_EQ(ChipsOfRank(5, 0, 1), (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(ChipsOfRank(5, 0, 2), (std::vector<int64_t>{0, 2, 4}));
  EXPECT_EQ(ChipsOfRank(5, 1, 2), (std::vector<int64_t>{1, 3}));
  EXPECT_TRUE(ChipsOfRank(2, 3, 4).empty());
  for (int ranks = 1; ranks <= 7; ++ranks) {
    std::multiset<int64_t> all;
    for (int r = 0; r < ranks; ++r) {
      for (int64_t i : ChipsOfRank(11, r, ranks)) all.insert(i);
    }
    EXPECT_EQ(all.size(), 11u);
    for (int64_t i = 0; i < 11; ++i) EXPECT_EQ(all.count(i), 1u) << ranks;
  }
}

TEST(YieldWire, PackThenUnpackIsTheIdentityForAnySplitOverRanks) {
  constexpr std::size_t kPoints = 3;
  constexpr int64_t kChips = 7;
  std::vector<ChipYield> all;
  for (int64_t i = 0; i < kChips; ++i) {
    ChipYield c;
    c.index = i;
    c.seeds = YieldSeeds(42, i);
    c.failed_cells = 3 * i + 1;
    c.pulses = (int64_t{1} << 40) + i;  // exact in a double below 2^53
    c.accuracies = {0.9 + 0.01 * static_cast<double>(i), 1.0 / 3, 0.0};
    all.push_back(c);
  }
  for (int ranks : {1, 2, 3, 7}) {
    // What MpiWorld::GatherToRoot delivers: every rank's wire, in rank order.
    std::vector<double> wire;
    for (int rank = 0; rank < ranks; ++rank) {
      std::vector<ChipYield> mine;
      for (int64_t i : ChipsOfRank(kChips, rank, ranks)) mine.push_back(all[static_cast<std::size_t>(i)]);
      const std::vector<double> part = PackChipYields(mine, kPoints);
      EXPECT_EQ(part.size(), mine.size() * (3 + kPoints));
      wire.insert(wire.end(), part.begin(), part.end());
    }
    auto back = UnpackChipYields(wire, kPoints, kChips, 42);
    ASSERT_TRUE(back.has_value()) << back.error().message;
    ASSERT_EQ(back->size(), all.size());
    for (std::size_t i = 0; i < all.size(); ++i) {
      EXPECT_EQ((*back)[i].index, all[i].index) << ranks;
      EXPECT_EQ((*back)[i].failed_cells, all[i].failed_cells);
      EXPECT_EQ((*back)[i].pulses, all[i].pulses);
      EXPECT_EQ((*back)[i].accuracies, all[i].accuracies);
      EXPECT_EQ((*back)[i].seeds.chip, all[i].seeds.chip);
      EXPECT_EQ((*back)[i].seeds.read, all[i].seeds.read);
    }
  }
}

TEST(YieldWire, ShortOrRepeatedChipsAreRefused_bad) {
  ChipYield c;
  c.index = 1;
  c.accuracies = {0.5};
  const std::vector<double> one = PackChipYields({c}, 1);
  auto short_wire = UnpackChipYields(one, 1, 2, 1);
  ASSERT_FALSE(short_wire.has_value());
  EXPECT_EQ(short_wire.error().message, "yield wire: 4 values, expected 2 chips of 4");
  std::vector<double> twice = one;
  twice.insert(twice.end(), one.begin(), one.end());
  auto repeated = UnpackChipYields(twice, 1, 2, 1);
  ASSERT_FALSE(repeated.has_value());
  EXPECT_EQ(repeated.error().message, "yield wire: chip index 1 is out of range or repeated");
}

}  // namespace
}  // namespace xbar::runtime
