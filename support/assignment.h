// The linear assignment problem: rows to distinct columns at least total cost (Hungarian method
// with potentials, O(n^2 m) for n rows and m >= n columns; Kuhn 1955, Munkres 1957, in the
// shortest-augmenting-path form of Jonker and Volgenant 1987).
#pragma once

#include <vector>

#include <Eigen/Core>

namespace xbar {

/// Assigns every row of `cost` (n x m, n <= m, finite) to a distinct column so that the summed
/// cost is least; returns the column of each row. Ties are broken by the lower column index.
std::vector<int> SolveAssignment(const Eigen::MatrixXd& cost);

}  // namespace xbar
