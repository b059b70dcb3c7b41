// Linear assignment against exhaustive search, on random and structured cost matrices.
#include "support/assignment.h"

#include <algorithm>
#include <numeric>
#include <vector>

#include <gtest/gtest.h>

#include "support/rng.h"

namespace xbar {
namespace {

double Total(const Eigen::MatrixXd& cost, const std::vector<int>& column) {
  double total = 0;
  for (std::size_t i = 0; i < column.size(); ++i) total += cost(static_cast<Eigen::Index>(i), column[i]);
  return total;
}

// Least total cost by trying every injective map of rows to columns.
double BruteForce(const Eigen::MatrixXd& cost) {
  std::vector<int> columns(static_cast<std::size_t>(cost.cols()));
  std::iota(columns.begin(), columns.end(), 0);
  double best = 1e300;
  do {
    double total = 0;
    for (Eigen::Index i = 0; i < cost.rows(); ++i) total += cost(i, columns[static_cast<std::size_t>(i)]);
    best = std::min(best, total);
  } while (std::next_permutation(columns.begin(), columns.end()));
  return best;
}

TEST(Assignment, MatchesExhaustiveSearchOnRandomMatrices) {
  Rng rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    const int m = 1 + static_cast<int>(UniformIndex(rng, 6));
    const int n = 1 + static_cast<int>(UniformIndex(rng, static_cast<uint64_t>(m)));
    Eigen::MatrixXd cost(n, m);
    // Small integers give many ties, the hard case for a wrong implementation.
    for (Eigen::Index k = 0; k < cost.size(); ++k) cost.data()[k] = static_cast<double>(UniformIndex(rng, 5)) - 2;
    const std::vector<int> column = SolveAssignment(cost);
    ASSERT_EQ(column.size(), static_cast<std::size_t>(n));
    std::vector<int> sorted = column;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_TRUE(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end()) << "a column taken twice";
    EXPECT_GE(sorted.front(), 0);
    EXPECT_LT(sorted.back(), m);
    EXPECT_DOUBLE_EQ(Total(cost, column), BruteForce(cost)) << n << "x" << m << " trial " << trial;
  }
}

TEST(Assignment, AvoidsTheExpensiveColumnsOfALargeProblem) {
  // 120 rows, 128 columns; 8 columns cost 1 for every row, the rest 0: those 8 stay free.
  Eigen::MatrixXd cost = Eigen::MatrixXd::Zero(120, 128);
  for (int j : {3, 17, 40, 41, 77, 90, 100, 127}) cost.col(j).setOnes();
  const std::vector<int> column = SolveAssignment(cost);
  EXPECT_EQ(Total(cost, column), 0.0);
}

}  // namespace
}  // namespace xbar
