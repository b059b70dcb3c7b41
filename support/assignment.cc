// Minimum-cost linear assignment (Hungarian method in the shortest-augmenting-path form of Jonker and Volgenant).
#include "support/assignment.h"

#include <limits>

#include "support/error.h"

namespace xbar {

std::vector<int> SolveAssignment(const Eigen::MatrixXd& cost) {
  const auto n = static_cast<int>(cost.rows()), m = static_cast<int>(cost.cols());
  XBAR_CHECK(n <= m && cost.allFinite());
  const double inf = std::numeric_limits<double>::infinity();
  // 1-based: row 0 and column 0 are the virtual start of each augmenting path.
  std::vector<double> u(static_cast<std::size_t>(n) + 1, 0), v(static_cast<std::size_t>(m) + 1, 0);
  std::vector<int> row_of(static_cast<std::size_t>(m) + 1, 0), way(static_cast<std::size_t>(m) + 1, 0);
  std::vector<double> slack(static_cast<std::size_t>(m) + 1);
  std::vector<char> used(static_cast<std::size_t>(m) + 1);
  for (int i = 1; i <= n; ++i) {
    row_of[0] = i;
    int j0 = 0;
    std::fill(slack.begin(), slack.end(), inf);
    std::fill(used.begin(), used.end(), 0);
    do {
      used[static_cast<std::size_t>(j0)] = 1;
      const int i0 = row_of[static_cast<std::size_t>(j0)];
      double delta = inf;
      int j1 = 0;
      for (int j = 1; j <= m; ++j) {
        if (used[static_cast<std::size_t>(j)]) continue;
        const double reduced = cost(i0 - 1, j - 1) - u[static_cast<std::size_t>(i0)] - v[static_cast<std::size_t>(j)];
        if (reduced < slack[static_cast<std::size_t>(j)]) {
          slack[static_cast<std::size_t>(j)] = reduced;
          way[static_cast<std::size_t>(j)] = j0;
        }
        if (slack[static_cast<std::size_t>(j)] < delta) {
          delta = slack[static_cast<std::size_t>(j)];
          j1 = j;
        }
      }
      for (int j = 0; j <= m; ++j) {
        if (used[static_cast<std::size_t>(j)]) {
          u[static_cast<std::size_t>(row_of[static_cast<std::size_t>(j)])] += delta;
          v[static_cast<std::size_t>(j)] -= delta;
        } else {
          slack[static_cast<std::size_t>(j)] -= delta;
        }
      }
      j0 = j1;
    } while (row_of[static_cast<std::size_t>(j0)] != 0);
    do {  // flip the augmenting path
      const int j1 = way[static_cast<std::size_t>(j0)];
      row_of[static_cast<std::size_t>(j0)] = row_of[static_cast<std::size_t>(j1)];
      j0 = j1;
    } while (j0 != 0);
  }
  std::vector<int> column(static_cast<std::size_t>(n), -1);
  for (int j = 1; j <= m; ++j) {
    if (row_of[static_cast<std::size_t>(j)] > 0) column[static_cast<std::size_t>(row_of[static_cast<std::size_t>(j)] - 1)] = j - 1;
  }
  return column;
}

}  // namespace xbar
