// Exact nodal analysis of a crossbar tile with wire resistance (IR drop), and its effective matrix.
//
// Row i has a node at every cell (i, 0 ... C-1), column j one at every cell (0 ... R-1, j); cell
// (i, j) is a conductance between the two. Row wire segments join (i, j)-(i, j+1), column wire
// segments (i, j)-(i+1, j). Row i is driven at its cell-0 end by its input voltage through
// r_driver; column j is sensed at its cell-(R-1) end through r_sense into a virtual ground. A zero
// resistance is a direct connection. Solver choice and its reasons: docs/crossbar.md.
#pragma once

#include <Eigen/Core>
#include <Eigen/SparseCore>
#include <string>

#include "support/error.h"

namespace xbar::device_models {

/// Wire and periphery resistances of a tile, ohm. Zero means a direct connection.
struct TileWires {
  double r_row_ohm = 1.0;     // per cell segment along a row (word line)
  double r_col_ohm = 1.0;     // per cell segment along a column (bit line)
  double r_driver_ohm = 0.0;  // row driver output resistance
  double r_sense_ohm = 0.0;   // column sense resistance into the virtual ground

  /// Rejects negative or non-finite values (kInvalidArgument naming the field).
  Expected<void> Validate() const;
};

/// How a solve was done.
enum class SolvePath {
  kPcg,           // preconditioned conjugate gradients with line (tridiagonal) preconditioning
  kBlockDirect,   // exact block elimination along the columns (Riccati recursion)
  kDissection,    // exact nested dissection: the effective matrix times the inputs
  kSparseDirect,  // general sparse Cholesky (zero wire resistance: merged nodes)
};
const char* SolvePathName(SolvePath path);

/// Solver controls.
struct SolveOptions {
  enum class Method { kAuto, kPcg, kBlockDirect, kDissection, kSparseDirect };
  Method method = Method::kAuto;
  double tolerance = 1e-13;   // PCG: relative residual ||b - A x|| / ||b||
  int max_iterations = 0;     // PCG: 0 means 2 * sqrt(nodes) + 50; beyond it kAuto goes direct
  bool node_voltages = false; // also return the node voltages of the first input vector
};

/// Result of a solve.
struct TileSolution {
  Eigen::MatrixXd currents;  // C x B column currents, ampere (into the virtual ground)
  Eigen::MatrixXd row_v;     // R x C row-node voltages of input 0 (with node_voltages)
  Eigen::MatrixXd col_v;     // R x C column-node voltages of input 0 (with node_voltages)
  SolvePath path = SolvePath::kPcg;
  int iterations = 0;        // PCG iterations (largest over the inputs)
  double residual = 0;       // PCG relative residual reached (largest over the inputs)
};

/// The tile circuit for given cell conductances (R x C, siemens, >= 0) and wires.
class TileCircuit {
 public:
  /// Checks shapes and values (kInvalidArgument).
  static Expected<TileCircuit> Create(Eigen::MatrixXd g_s, const TileWires& wires);

  Eigen::Index rows() const { return g_.rows(); }
  Eigen::Index cols() const { return g_.cols(); }
  const Eigen::MatrixXd& conductances() const { return g_; }
  const TileWires& wires() const { return wires_; }

  /// Column currents for input voltages `v` (R x B, one input vector per column).
  Expected<TileSolution> Solve(const Eigen::MatrixXd& v, const SolveOptions& options = {}) const;

  /// The effective transfer matrix M (C x R): currents = M * input voltages, exactly, by nested
  /// dissection (or one sparse factorisation when a wire resistance is zero).
  Eigen::MatrixXd EffectiveMatrix() const;
  /// The same by the row-slab (Riccati) recursion: an independent exact method, for cross-checks.
  Eigen::MatrixXd EffectiveMatrixBlock() const;

  /// Currents without any wire or periphery resistance: G^T v.
  Eigen::MatrixXd IdealCurrents(const Eigen::MatrixXd& v) const { return g_.transpose() * v; }

  /// The nodal system over the free nodes, for reference solvers and tests: A x = B v, where the
  /// unknowns are the free row and column nodes (merged where a wire resistance is zero), and
  /// currents = Cx x + Cv v. Exposed so benchmarks can factor the very same matrix.
  struct Nodal {
    Eigen::SparseMatrix<double> a;     // SPD system matrix
    Eigen::SparseMatrix<double> b;     // input coupling (unknowns x R)
    Eigen::SparseMatrix<double> cx;    // current read-out from the unknowns (C x unknowns)
    Eigen::SparseMatrix<double> cv;    // current read-out directly from inputs (C x R)
    Eigen::VectorXi row_node, col_node;  // unknown index of each node (R*C, col-major), -1: fixed
  };
  Nodal AssembleNodal() const;

 private:
  TileCircuit(Eigen::MatrixXd g, TileWires wires) : g_(std::move(g)), wires_(wires) {}
  Expected<TileSolution> SolveSparse(const Eigen::MatrixXd& v, bool node_voltages) const;
  TileSolution SolveBlock(const Eigen::MatrixXd& v) const;
  Eigen::MatrixXd EffectiveMatrixDissection() const;
  bool SolvePcg(const Eigen::VectorXd& v, double tolerance, int max_iterations, Eigen::MatrixXd& u,
                Eigen::MatrixXd& w, int& iterations, double& residual) const;
  Eigen::VectorXd CurrentsFromNodes(const Eigen::MatrixXd& u, const Eigen::MatrixXd& w) const;

  Eigen::MatrixXd g_;
  TileWires wires_;
};

}  // namespace xbar::device_models
