// Crossbar tile solver: structured PCG, exact block elimination, and a general sparse path.
#include "device_models/tile_circuit.h"

#include <Eigen/Cholesky>
#include <Eigen/SparseCholesky>
#include <cmath>
#include <vector>

namespace xbar::device_models {

Expected<void> TileWires::Validate() const {
  for (auto [v, name] : {std::pair{r_row_ohm, "r_row_ohm"}, {r_col_ohm, "r_col_ohm"},
                         {r_driver_ohm, "r_driver_ohm"}, {r_sense_ohm, "r_sense_ohm"}}) {
    if (!(v >= 0) || !std::isfinite(v)) {
      return Fail(ErrorCode::kInvalidArgument, std::string(name) + " = " + std::to_string(v) +
                                                   " must be finite and >= 0 (0: direct connection)");
    }
  }
  return {};
}

const char* SolvePathName(SolvePath path) {
  switch (path) {
    case SolvePath::kPcg: return "pcg";
    case SolvePath::kBlockDirect: return "block-direct";
    case SolvePath::kDissection: return "nested-dissection";
    case SolvePath::kSparseDirect: return "sparse-direct";
  }
  return "?";
}

Expected<TileCircuit> TileCircuit::Create(Eigen::MatrixXd g_s, const TileWires& wires) {
  if (auto ok = wires.Validate(); !ok) return std::unexpected(ok.error());
  if (g_s.rows() < 1 || g_s.cols() < 1) {
    return Fail(ErrorCode::kInvalidArgument, "conductance matrix is empty (" + std::to_string(g_s.rows()) +
                                                 "x" + std::to_string(g_s.cols()) + ")");
  }
  for (Eigen::Index k = 0; k < g_s.size(); ++k) {
    const double g = g_s.data()[k];
    if (!(g >= 0) || !std::isfinite(g)) {
      return Fail(ErrorCode::kInvalidArgument,
                  "conductance of cell (" + std::to_string(k % g_s.rows()) + ", " +
                      std::to_string(k / g_s.rows()) + ") = " + std::to_string(g) +
                      " S must be finite and >= 0");
    }
  }
  return TileCircuit(std::move(g_s), wires);
}

// ---------------------------------------------------------------------------------------------
// General sparse nodal assembly (any wire may be zero: its nodes merge).

TileCircuit::Nodal TileCircuit::AssembleNodal() const {
  const Eigen::Index R = rows(), C = cols();
  const bool row_merged = wires_.r_row_ohm == 0, col_merged = wires_.r_col_ohm == 0;
  const bool drv_fixed = wires_.r_driver_ohm == 0, sense_fixed = wires_.r_sense_ohm == 0;
  Nodal n;
  n.row_node.setConstant(R * C, -1);
  n.col_node.setConstant(R * C, -1);
  int count = 0;
  // Fixed nodes: -1 (row nodes at their input voltage, column nodes at ground).
  for (Eigen::Index i = 0; i < R; ++i) {
    if (row_merged) {
      const int id = drv_fixed ? -1 : count++;
      for (Eigen::Index j = 0; j < C; ++j) n.row_node(i + R * j) = id;
    } else {
      for (Eigen::Index j = 0; j < C; ++j) n.row_node(i + R * j) = (j == 0 && drv_fixed) ? -1 : count++;
    }
  }
  for (Eigen::Index j = 0; j < C; ++j) {
    if (col_merged) {
      const int id = sense_fixed ? -1 : count++;
      for (Eigen::Index i = 0; i < R; ++i) n.col_node(i + R * j) = id;
    } else {
      for (Eigen::Index i = 0; i < R; ++i) n.col_node(i + R * j) = (i == R - 1 && sense_fixed) ? -1 : count++;
    }
  }
  using Triplet = Eigen::Triplet<double>;
  std::vector<Triplet> a, b, cx, cv;
  // An endpoint: a free unknown, a fixed row node (input i), or a fixed column node (ground of j).
  struct End {
    int id;            // >= 0 free
    Eigen::Index input;   // >= 0: fixed at input voltage `input`
    Eigen::Index ground;  // >= 0: fixed at 0 V as the sense node of column `ground`
  };
  auto stamp_half = [&](const End& p, const End& q, double g) {
    // KCL row of p: g (x_p - x_q).
    if (p.id >= 0) {
      a.emplace_back(p.id, p.id, g);
      if (q.id >= 0) a.emplace_back(p.id, q.id, -g);
      if (q.input >= 0) b.emplace_back(p.id, q.input, g);
    }
    // Current flowing into a grounded sense node from this element.
    if (p.ground >= 0) {
      if (q.id >= 0) cx.emplace_back(p.ground, q.id, g);
      if (q.input >= 0) cv.emplace_back(p.ground, q.input, g);
    }
  };
  auto stamp = [&](const End& p, const End& q, double g) {
    if (p.id >= 0 && p.id == q.id) return;  // merged by a zero-resistance wire
    stamp_half(p, q, g);
    stamp_half(q, p, g);
  };
  auto row_end = [&](Eigen::Index i, Eigen::Index j) {
    const int id = n.row_node(i + R * j);
    return End{id, id < 0 ? i : -1, -1};
  };
  auto col_end = [&](Eigen::Index i, Eigen::Index j) {
    const int id = n.col_node(i + R * j);
    return End{id, -1, id < 0 ? j : -1};
  };
  for (Eigen::Index j = 0; j < C; ++j) {
    for (Eigen::Index i = 0; i < R; ++i) {
      stamp(row_end(i, j), col_end(i, j), g_(i, j));
      if (!row_merged && j + 1 < C) stamp(row_end(i, j), row_end(i, j + 1), 1.0 / wires_.r_row_ohm);
      if (!col_merged && i + 1 < R) stamp(col_end(i, j), col_end(i + 1, j), 1.0 / wires_.r_col_ohm);
    }
  }
  for (Eigen::Index i = 0; i < R; ++i) {
    if (!drv_fixed) stamp(row_end(i, 0), End{-1, i, -1}, 1.0 / wires_.r_driver_ohm);
  }
  for (Eigen::Index j = 0; j < C; ++j) {
    if (!sense_fixed) stamp(col_end(R - 1, j), End{-1, -1, j}, 1.0 / wires_.r_sense_ohm);
  }
  n.a.resize(count, count);
  n.a.setFromTriplets(a.begin(), a.end());
  n.b.resize(count, R);
  n.b.setFromTriplets(b.begin(), b.end());
  n.cx.resize(C, count);
  n.cx.setFromTriplets(cx.begin(), cx.end());
  n.cv.resize(C, R);
  n.cv.setFromTriplets(cv.begin(), cv.end());
  return n;
}

Expected<TileSolution> TileCircuit::SolveSparse(const Eigen::MatrixXd& v, bool node_voltages) const {
  const Nodal n = AssembleNodal();
  TileSolution s;
  s.path = SolvePath::kSparseDirect;
  Eigen::MatrixXd x;
  if (n.a.rows() > 0) {
    Eigen::SimplicialLDLT<Eigen::SparseMatrix<double>> ldlt(n.a);
    if (ldlt.info() != Eigen::Success) {
      return Fail(ErrorCode::kFailedPrecondition, "tile nodal matrix is singular (a floating node?)");
    }
    x = ldlt.solve(Eigen::MatrixXd(n.b * v));
  } else {
    x.setZero(0, v.cols());
  }
  s.currents = n.cx * x + n.cv * v;
  if (node_voltages) {
    const Eigen::Index R = rows(), C = cols();
    s.row_v.resize(R, C);
    s.col_v.resize(R, C);
    for (Eigen::Index k = 0; k < R * C; ++k) {
      const int r = n.row_node(k), c = n.col_node(k);
      s.row_v.data()[k] = r >= 0 ? x(r, 0) : v(k % R, 0);
      s.col_v.data()[k] = c >= 0 ? x(c, 0) : 0.0;
    }
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Structured PCG (both wire resistances > 0). Row nodes U and column nodes W are R x C matrices.

namespace {

// Factor of the symmetric tridiagonal systems along one axis of an R x C grid: diagonal `d`,
// coupling `link` between consecutive nodes (entries -link). Thomas recursion, vectorised over
// the other axis.
struct LineFactor {
  Eigen::MatrixXd inv_pivot;  // R x C
  Eigen::MatrixXd link;       // coupling into each node from its predecessor along the axis
};

LineFactor FactorAlongCols(const Eigen::MatrixXd& d, const Eigen::MatrixXd& link) {
  // Chains run along j (rows of the tile); link(i, j) couples (i, j-1)-(i, j).
  LineFactor f{Eigen::MatrixXd(d.rows(), d.cols()), link};
  f.inv_pivot.col(0) = d.col(0).cwiseInverse();
  for (Eigen::Index j = 1; j < d.cols(); ++j) {
    f.inv_pivot.col(j) =
        (d.col(j).array() - link.col(j).array().square() * f.inv_pivot.col(j - 1).array()).inverse().matrix();
  }
  return f;
}

void SolveAlongCols(const LineFactor& f, Eigen::MatrixXd& x) {
  const Eigen::Index C = x.cols();
  for (Eigen::Index j = 1; j < C; ++j) {
    x.col(j).array() += f.link.col(j).array() * x.col(j - 1).array() * f.inv_pivot.col(j - 1).array();
  }
  x.col(C - 1).array() *= f.inv_pivot.col(C - 1).array();
  for (Eigen::Index j = C - 1; j-- > 0;) {
    x.col(j).array() = (x.col(j).array() + f.link.col(j + 1).array() * x.col(j + 1).array()) *
                       f.inv_pivot.col(j).array();
  }
}

}  // namespace

bool TileCircuit::SolvePcg(const Eigen::VectorXd& v, double tolerance, int max_iterations,
                           Eigen::MatrixXd& u, Eigen::MatrixXd& w, int& iterations,
                           double& residual) const {
  const Eigen::Index R = rows(), C = cols();
  const double gr = 1.0 / wires_.r_row_ohm, gc = 1.0 / wires_.r_col_ohm;
  const bool drv_fixed = wires_.r_driver_ohm == 0, sense_fixed = wires_.r_sense_ohm == 0;
  const double gd = drv_fixed ? 0.0 : 1.0 / wires_.r_driver_ohm;
  const double gs = sense_fixed ? 0.0 : 1.0 / wires_.r_sense_ohm;
  const Eigen::MatrixXd& g = g_;

  // Row lines (along j, one per row, vectorised over i) and column lines (along i, one per
  // column). Columns are solved on the transposed grid so both run over contiguous memory.
  Eigen::MatrixXd d_row = g, link_row = Eigen::MatrixXd::Constant(R, C, gr);
  link_row.col(0).setZero();
  for (Eigen::Index j = 0; j < C; ++j) d_row.col(j).array() += gr * ((j > 0) + (j + 1 < C));
  d_row.col(0).array() += gd;
  if (drv_fixed) {
    d_row.col(0).setOnes();
    if (C > 1) link_row.col(1).setZero();
  }
  Eigen::MatrixXd d_col = g.transpose(), link_col = Eigen::MatrixXd::Constant(C, R, gc);
  link_col.col(0).setZero();
  for (Eigen::Index i = 0; i < R; ++i) d_col.col(i).array() += gc * ((i > 0) + (i + 1 < R));
  d_col.col(R - 1).array() += gs;
  if (sense_fixed) {
    d_col.col(R - 1).setOnes();
    if (R > 1) link_col.col(R - 1).setZero();
  }
  const LineFactor frow = FactorAlongCols(d_row, link_row);
  const LineFactor fcol = FactorAlongCols(d_col, link_col);
  const Eigen::MatrixXd gt = g.transpose();

  auto mask = [&](Eigen::MatrixXd& ru, Eigen::MatrixXd& rwt) {
    if (drv_fixed) ru.col(0).setZero();
    if (sense_fixed) rwt.col(R - 1).setZero();
  };
  // y = A x on the free nodes; W is held transposed (C x R).
  auto apply = [&](const Eigen::MatrixXd& xu, const Eigen::MatrixXd& xwt, Eigen::MatrixXd& yu,
                   Eigen::MatrixXd& ywt) {
    yu = g.cwiseProduct(xu - xwt.transpose());
    if (C > 1) {
      yu.leftCols(C - 1) += gr * (xu.leftCols(C - 1) - xu.rightCols(C - 1));
      yu.rightCols(C - 1) += gr * (xu.rightCols(C - 1) - xu.leftCols(C - 1));
    }
    yu.col(0) += gd * xu.col(0);
    ywt = gt.cwiseProduct(xwt - xu.transpose());
    if (R > 1) {
      ywt.leftCols(R - 1) += gc * (xwt.leftCols(R - 1) - xwt.rightCols(R - 1));
      ywt.rightCols(R - 1) += gc * (xwt.rightCols(R - 1) - xwt.leftCols(R - 1));
    }
    ywt.col(R - 1) += gs * xwt.col(R - 1);
    mask(yu, ywt);
  };
  // Symmetric block Gauss-Seidel over the row block and the column block, exact line solves.
  auto precondition = [&](const Eigen::MatrixXd& ru, const Eigen::MatrixXd& rwt, Eigen::MatrixXd& zu,
                          Eigen::MatrixXd& zwt) {
    Eigen::MatrixXd y1 = ru;
    SolveAlongCols(frow, y1);
    zwt = rwt + gt.cwiseProduct(y1.transpose());
    if (sense_fixed) zwt.col(R - 1).setZero();
    SolveAlongCols(fcol, zwt);
    Eigen::MatrixXd corr = g.cwiseProduct(zwt.transpose());
    if (drv_fixed) corr.col(0).setZero();
    SolveAlongCols(frow, corr);
    zu = y1 + corr;
  };

  // Right-hand side, with fixed nodes moved over.
  Eigen::MatrixXd bu = Eigen::MatrixXd::Zero(R, C), bwt = Eigen::MatrixXd::Zero(C, R);
  if (drv_fixed) {
    if (C > 1) bu.col(1) += gr * v;
    bwt.row(0) += (g.col(0).array() * v.array()).matrix().transpose();
  } else {
    bu.col(0) = gd * v;
  }
  mask(bu, bwt);
  const double bnorm = std::sqrt(bu.squaredNorm() + bwt.squaredNorm());
  u.setZero(R, C);
  Eigen::MatrixXd wt = Eigen::MatrixXd::Zero(C, R);
  iterations = 0;
  residual = 0;
  if (bnorm == 0) {
    w = wt.transpose();
    if (drv_fixed) u.col(0) = v;
    return true;
  }
  Eigen::MatrixXd ru = bu, rwt = bwt, zu, zwt, pu, pwt, qu, qwt;
  precondition(ru, rwt, zu, zwt);
  pu = zu;
  pwt = zwt;
  double rz = ru.cwiseProduct(zu).sum() + rwt.cwiseProduct(zwt).sum();
  bool converged = false;
  for (int k = 1; k <= max_iterations; ++k) {
    apply(pu, pwt, qu, qwt);
    const double pq = pu.cwiseProduct(qu).sum() + pwt.cwiseProduct(qwt).sum();
    const double alpha = rz / pq;
    u += alpha * pu;
    wt += alpha * pwt;
    ru -= alpha * qu;
    rwt -= alpha * qwt;
    iterations = k;
    residual = std::sqrt(ru.squaredNorm() + rwt.squaredNorm()) / bnorm;
    if (residual <= tolerance) {
      converged = true;
      break;
    }
    precondition(ru, rwt, zu, zwt);
    const double rz_new = ru.cwiseProduct(zu).sum() + rwt.cwiseProduct(zwt).sum();
    const double beta = rz_new / rz;
    rz = rz_new;
    pu = zu + beta * pu;
    pwt = zwt + beta * pwt;
  }
  if (drv_fixed) u.col(0) = v;
  w = wt.transpose();
  return converged;
}

Eigen::VectorXd TileCircuit::CurrentsFromNodes(const Eigen::MatrixXd& u, const Eigen::MatrixXd& w) const {
  const Eigen::Index R = rows();
  if (wires_.r_sense_ohm > 0) return w.row(R - 1).transpose() / wires_.r_sense_ohm;
  Eigen::VectorXd i = g_.row(R - 1).transpose().cwiseProduct(u.row(R - 1).transpose());
  if (R > 1) i += w.row(R - 2).transpose() / wires_.r_col_ohm;
  return i;
}

// ---------------------------------------------------------------------------------------------
// Exact block elimination. Per row slab i, the row chain is eliminated onto the column nodes of
// that slab (dense C x C Schur complement K_i and input vector eta_i); the column chains then
// make a block tridiagonal system in i, solved by the block Thomas (Riccati) recursion
//   S_i = B_i - gc^2 S_{i-1}^{-1},   Y_i = eta_i v_i^T + gc S_{i-1}^{-1} Y_{i-1}.
// Only the last slab's solution is needed for the column currents: no back substitution.

TileSolution TileCircuit::SolveBlock(const Eigen::MatrixXd& v) const {
  const Eigen::Index R = rows(), C = cols(), B = v.cols();
  const double gr = 1.0 / wires_.r_row_ohm, gc = 1.0 / wires_.r_col_ohm;
  const bool drv_fixed = wires_.r_driver_ohm == 0, sense_fixed = wires_.r_sense_ohm == 0;
  const double gd = drv_fixed ? 0.0 : 1.0 / wires_.r_driver_ohm;
  const double gs = sense_fixed ? 0.0 : 1.0 / wires_.r_sense_ohm;
  const Eigen::Index slabs = sense_fixed ? R - 1 : R;
  const Eigen::Index j0 = drv_fixed ? 1 : 0;  // first free row node
  const Eigen::Index nf = C - j0;

  // Row-slab elimination: K (C x C) and eta (C) for slab i.
  auto eliminate_row = [&](Eigen::Index i, Eigen::MatrixXd& k, Eigen::VectorXd& eta) {
    k.setZero(C, C);
    k.diagonal() = g_.row(i).transpose();
    eta.setZero(C);
    if (drv_fixed) eta(0) = g_(i, 0);
    if (nf == 0) return;
    // Tridiagonal A_r over free nodes j0..C-1: diag gr*neighbours + g + gd at j = 0.
    Eigen::VectorXd inv_pivot(nf);
    for (Eigen::Index t = 0; t < nf; ++t) {
      const Eigen::Index j = j0 + t;
      double d = g_(i, j) + gr * ((j > 0) + (j + 1 < C)) + (j == 0 ? gd : 0.0);
      if (t > 0) d -= gr * gr * inv_pivot(t - 1);
      inv_pivot(t) = 1.0 / d;
    }
    // X = A_r^{-1} [diag(g_free) | b_u], with b_u the input coupling per unit volt.
    Eigen::MatrixXd x = Eigen::MatrixXd::Zero(nf, nf + 1);
    for (Eigen::Index t = 0; t < nf; ++t) x(t, t) = g_(i, j0 + t);
    x(0, nf) = drv_fixed ? gr : gd;
    for (Eigen::Index t = 1; t < nf; ++t) x.row(t) += gr * inv_pivot(t - 1) * x.row(t - 1);
    x.row(nf - 1) *= inv_pivot(nf - 1);
    for (Eigen::Index t = nf - 1; t-- > 0;) x.row(t) = (x.row(t) + gr * x.row(t + 1)) * inv_pivot(t);
    // K -= D_f X_g;  eta += D_f X_b.
    const Eigen::VectorXd gf = g_.row(i).segment(j0, nf).transpose();
    k.bottomRightCorner(nf, nf) -= gf.asDiagonal() * x.leftCols(nf);
    eta.tail(nf) += gf.cwiseProduct(x.col(nf));
  };

  TileSolution s;
  s.path = SolvePath::kBlockDirect;
  Eigen::MatrixXd k;
  Eigen::VectorXd eta;
  if (slabs == 0) {  // one row sensed directly: the row is all there is
    eliminate_row(0, k, eta);
    s.currents = eta * v.row(0);
    return s;
  }
  // With identity inputs (the effective matrix) Y_i has non-zero columns 0 ... i only.
  const bool identity = v.rows() == v.cols() && v.isIdentity(0.0);
  Eigen::MatrixXd p, y = Eigen::MatrixXd::Zero(C, B), sm, py;  // p = S_{i-1}^{-1}, y = Y_{i-1}
  const int threads = B >= 64 && C >= 64 ? 2 : 1;
  for (Eigen::Index i = 0; i < slabs; ++i) {
    eliminate_row(i, k, eta);
    sm = k;
    sm.diagonal().array() += gc * ((i > 0) + (i + 1 < R)) + ((i == R - 1) ? gs : 0.0);
    const Eigen::Index live = identity ? std::min(B, i + 1) : B;
    if (i > 0) {
      sm -= (gc * gc) * p;
      // y <- eta v_i^T + gc P y, split over column ranges (independent, so bit-identical).
      py.resize(C, live);
      const Eigen::Index prev = identity ? std::min(B, i) : B;
#pragma omp parallel for num_threads(threads) schedule(static)
      for (int part = 0; part < threads; ++part) {
        const Eigen::Index c0 = prev * part / threads, c1 = prev * (part + 1) / threads;
        py.middleCols(c0, c1 - c0).noalias() = gc * (p * y.middleCols(c0, c1 - c0));
      }
      if (live > prev) py.col(prev).setZero();
      y.leftCols(live) = py;
    }
    y.leftCols(live).noalias() += eta * v.row(i).head(live);
    Eigen::LLT<Eigen::MatrixXd> llt(sm);
    p.resize(C, C);
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int part = 0; part < threads; ++part) {
      const Eigen::Index c0 = C * part / threads, c1 = C * (part + 1) / threads;
      p.middleCols(c0, c1 - c0) = llt.solve(Eigen::MatrixXd::Identity(C, C).middleCols(c0, c1 - c0));
    }
  }
  const Eigen::MatrixXd w_last = p * y;  // column-node voltages of the last free slab
  if (!sense_fixed) {
    s.currents = gs * w_last;
  } else {
    eliminate_row(R - 1, k, eta);
    s.currents = gc * w_last + eta * v.row(R - 1);
  }
  return s;
}

Expected<TileSolution> TileCircuit::Solve(const Eigen::MatrixXd& v, const SolveOptions& options) const {
  if (v.rows() != rows()) {
    return Fail(ErrorCode::kInvalidArgument, "input has " + std::to_string(v.rows()) +
                                                 " voltages per vector but the tile has " +
                                                 std::to_string(rows()) + " rows");
  }
  if (!v.allFinite()) return Fail(ErrorCode::kInvalidArgument, "input voltages must be finite");
  using Method = SolveOptions::Method;
  const bool merged = wires_.r_row_ohm == 0 || wires_.r_col_ohm == 0;
  if (options.method == Method::kSparseDirect || merged) {
    if (merged && (options.method == Method::kPcg || options.method == Method::kBlockDirect)) {
      return Fail(ErrorCode::kInvalidArgument,
                  "the pcg and block-direct solvers need non-zero row and column wire resistance");
    }
    return SolveSparse(v, options.node_voltages);
  }
  if (options.method == Method::kBlockDirect && !options.node_voltages) return SolveBlock(v);
  if (options.method == Method::kDissection && !options.node_voltages) {
    TileSolution d;
    d.path = SolvePath::kDissection;
    d.currents = EffectiveMatrixDissection() * v;
    return d;
  }
  const Eigen::Index nodes = 2 * rows() * cols();
  int cap = options.max_iterations;
  if (cap <= 0) cap = static_cast<int>(2 * std::sqrt(static_cast<double>(nodes))) + 50;
  TileSolution s;
  s.path = SolvePath::kPcg;
  s.currents.resize(cols(), v.cols());
  for (Eigen::Index b = 0; b < v.cols(); ++b) {
    Eigen::MatrixXd u, w;
    int it = 0;
    double res = 0;
    const bool ok = SolvePcg(v.col(b), options.tolerance, cap, u, w, it, res);
    s.iterations = std::max(s.iterations, it);
    s.residual = std::max(s.residual, res);
    if (!ok) {
      if (options.method == Method::kPcg) {
        return Fail(ErrorCode::kFailedPrecondition,
                    "pcg did not reach relative residual " + std::to_string(options.tolerance) + " in " +
                        std::to_string(cap) + " iterations (reached " + std::to_string(res) +
                        "); use the direct solver");
      }
      // Stiff tile (high wire resistance against the cells): go direct, exactly.
      if (options.node_voltages) return SolveSparse(v, true);
      TileSolution d;
      d.path = SolvePath::kDissection;
      d.currents = EffectiveMatrixDissection() * v;
      d.iterations = s.iterations;
      d.residual = s.residual;
      return d;
    }
    s.currents.col(b) = CurrentsFromNodes(u, w);
    if (b == 0 && options.node_voltages) {
      s.row_v = u;
      s.col_v = w;
    }
  }
  return s;
}

Eigen::MatrixXd TileCircuit::EffectiveMatrix() const {
  const Eigen::MatrixXd eye = Eigen::MatrixXd::Identity(rows(), rows());
  if (wires_.r_row_ohm == 0 || wires_.r_col_ohm == 0) return SolveSparse(eye, false)->currents;
  return EffectiveMatrixDissection();
}

Eigen::MatrixXd TileCircuit::EffectiveMatrixBlock() const {
  const Eigen::MatrixXd eye = Eigen::MatrixXd::Identity(rows(), rows());
  if (wires_.r_row_ohm == 0 || wires_.r_col_ohm == 0) return SolveSparse(eye, false)->currents;
  return SolveBlock(eye).currents;
}

}  // namespace xbar::device_models
