// Effective matrix of a crossbar tile by nested dissection: recursive Schur complements of
// sub-rectangles onto their boundary nodes, merged pairwise up to the tile's terminals.
//
// A sub-rectangle only talks to the rest of the tile through its edge nodes: row nodes on its
// left/right edges (row wires leave there) and column nodes on its top/bottom edges. Eliminating
// everything else leaves a dense conductance matrix over those edge nodes. Two neighbours merge by
// adding the wire segments that join them and eliminating the joined edge, which is now inside.
// At the top only the terminals remain (row inputs, column outputs): (R + C) x (R + C), from which
// the effective matrix follows. Work grows as N^3 for an N x N tile (N^4 for the row-slab
// recursion), and nothing but the current boundary is ever stored.
#include <Eigen/Cholesky>
#include <algorithm>
#include <unordered_map>
#include <vector>

#include "device_models/tile_circuit.h"

namespace xbar::device_models {
namespace {

struct Rect {
  Eigen::Index i0, i1, j0, j1;  // rows [i0, i1), columns [j0, j1)
};

struct Domain {
  Rect rect;
  std::vector<Eigen::Index> nodes;  // global node ids: 2 * (i + R j) (row node) and + 1 (column node)
  Eigen::MatrixXd s;                // conductance matrix over `nodes`: injected currents = s * v
};

// An n x n matrix in memory this thread reuses (one buffer per `slot`). The assembled and permuted
// matrices of the Schur complements are large and short-lived: fresh pages for each cost more than
// their arithmetic (measured: 40 % of an effective matrix's time, in page faults).
Eigen::Map<Eigen::MatrixXd> Scratch(int slot, Eigen::Index n) {
  thread_local std::vector<double> buffers[2];
  std::vector<double>& b = buffers[slot];
  if (b.size() < static_cast<std::size_t>(n * n)) b.resize(static_cast<std::size_t>(n * n));
  return {b.data(), n, n};
}

class Dissection {
 public:
  Dissection(const Eigen::MatrixXd& g, double gr, double gc) : g_(g), gr_(gr), gc_(gc), rows_(g.rows()), cols_(g.cols()) {}

  Domain Run() { return Build(Rect{0, rows_, 0, cols_}, 0); }

  Eigen::Index RowNode(Eigen::Index i, Eigen::Index j) const { return 2 * (i + rows_ * j); }
  Eigen::Index ColNode(Eigen::Index i, Eigen::Index j) const { return 2 * (i + rows_ * j) + 1; }

 private:
  // True when the node connects to something outside `r` (or is a tile terminal).
  bool OnBoundary(Eigen::Index node, const Rect& r) const {
    const Eigen::Index cell = node / 2, i = cell % rows_, j = cell / rows_;
    if (node % 2 == 0) return (j == r.j0) || (j == r.j1 - 1 && r.j1 < cols_);  // j == 0: the driver
    return (i == r.i0 && r.i0 > 0) || (i == r.i1 - 1);                         // i == R-1: the sense
  }

  // d.s = the Schur complement of `s` (the conductance matrix over d.nodes) onto the boundary
  // nodes of d.rect, which become d.nodes. `s` is gathered once in the order [kept, eliminated];
  // the factorisation, the triangular solve and the rank update work in place on its blocks.
  void Reduce(Domain& d, const Eigen::Map<Eigen::MatrixXd>& s) const {
    std::vector<Eigen::Index> order, drop;
    order.reserve(d.nodes.size());
    for (std::size_t k = 0; k < d.nodes.size(); ++k) {
      (OnBoundary(d.nodes[k], d.rect) ? order : drop).push_back(static_cast<Eigen::Index>(k));
    }
    if (drop.empty()) {
      d.s = s;
      return;
    }
    const auto ne = static_cast<Eigen::Index>(order.size()), ni = static_cast<Eigen::Index>(drop.size());
    std::vector<Eigen::Index> nodes;
    nodes.reserve(order.size());
    for (Eigen::Index k : order) nodes.push_back(d.nodes[static_cast<std::size_t>(k)]);
    order.insert(order.end(), drop.begin(), drop.end());
    const Eigen::Index n = ne + ni;
    auto p = Scratch(1, n);
    for (Eigen::Index b = 0; b < n; ++b) {
      const double* src = s.col(order[static_cast<std::size_t>(b)]).data();
      double* dst = p.col(b).data();
      for (Eigen::Index a = 0; a < n; ++a) dst[a] = src[order[static_cast<std::size_t>(a)]];
    }
    // see - sei sii^{-1} sie, with sii = L L^T: t = L^{-1} sie, see -= t^T t.
    Eigen::Ref<Eigen::MatrixXd> sii = p.bottomRightCorner(ni, ni);
    Eigen::LLT<Eigen::Ref<Eigen::MatrixXd>> llt(sii);
    XBAR_CHECK(llt.info() == Eigen::Success);
    auto t = p.bottomLeftCorner(ni, ne);
    llt.matrixL().solveInPlace(t);
    auto see = p.topLeftCorner(ne, ne);
    see.selfadjointView<Eigen::Lower>().rankUpdate(t.transpose(), -1.0);
    d.s = see.selfadjointView<Eigen::Lower>();
    d.nodes = std::move(nodes);
  }

  Domain Leaf(const Rect& r) const {
    Domain d{r, {}, {}};
    const Eigen::Index h = r.i1 - r.i0, w = r.j1 - r.j0, n = 2 * h * w;
    auto local = [&](Eigen::Index i, Eigen::Index j, int layer) { return 2 * ((i - r.i0) + h * (j - r.j0)) + layer; };
    d.nodes.resize(static_cast<std::size_t>(n));
    auto s = Scratch(0, n);
    s.setZero();
    auto stamp = [&](Eigen::Index a, Eigen::Index b, double g) {
      s(a, a) += g;
      s(b, b) += g;
      s(a, b) -= g;
      s(b, a) -= g;
    };
    for (Eigen::Index j = r.j0; j < r.j1; ++j) {
      for (Eigen::Index i = r.i0; i < r.i1; ++i) {
        d.nodes[static_cast<std::size_t>(local(i, j, 0))] = RowNode(i, j);
        d.nodes[static_cast<std::size_t>(local(i, j, 1))] = ColNode(i, j);
        stamp(local(i, j, 0), local(i, j, 1), g_(i, j));
        if (j + 1 < r.j1) stamp(local(i, j, 0), local(i, j + 1, 0), gr_);
        if (i + 1 < r.i1) stamp(local(i, j, 1), local(i + 1, j, 1), gc_);
      }
    }
    Reduce(d, s);
    return d;
  }

  Domain Merge(Domain a, Domain b, const Rect& r, bool split_cols) const {
    Domain d{r, std::move(a.nodes), {}};
    const auto na = static_cast<Eigen::Index>(d.nodes.size()), nb = static_cast<Eigen::Index>(b.nodes.size());
    d.nodes.insert(d.nodes.end(), b.nodes.begin(), b.nodes.end());
    auto s = Scratch(0, na + nb);
    s.setZero();
    s.topLeftCorner(na, na) = a.s;
    s.bottomRightCorner(nb, nb) = b.s;
    std::unordered_map<Eigen::Index, Eigen::Index> pos;
    pos.reserve(d.nodes.size());
    for (std::size_t k = 0; k < d.nodes.size(); ++k) pos.emplace(d.nodes[k], static_cast<Eigen::Index>(k));
    auto stamp = [&](Eigen::Index p, Eigen::Index q, double g) {
      const Eigen::Index x = pos.at(p), y = pos.at(q);
      s(x, x) += g;
      s(y, y) += g;
      s(x, y) -= g;
      s(y, x) -= g;
    };
    if (split_cols) {  // a is left of b: row wires join them
      const Eigen::Index jm = b.rect.j0;
      for (Eigen::Index i = r.i0; i < r.i1; ++i) stamp(RowNode(i, jm - 1), RowNode(i, jm), gr_);
    } else {  // a is above b: column wires join them
      const Eigen::Index im = b.rect.i0;
      for (Eigen::Index j = r.j0; j < r.j1; ++j) stamp(ColNode(im - 1, j), ColNode(im, j), gc_);
    }
    Reduce(d, s);
    return d;
  }

  Domain Build(const Rect& r, int depth) const {
    const Eigen::Index h = r.i1 - r.i0, w = r.j1 - r.j0;
    if (h * w <= 16) return Leaf(r);
    const bool split_cols = w >= h;
    Rect ra = r, rb = r;
    if (split_cols) {
      ra.j1 = rb.j0 = r.j0 + w / 2;
    } else {
      ra.i1 = rb.i0 = r.i0 + h / 2;
    }
    Domain a, b;
    if (depth < 1 && h * w >= 4096) {
#pragma omp parallel sections num_threads(2)
      {
#pragma omp section
        a = Build(ra, depth + 1);
#pragma omp section
        b = Build(rb, depth + 1);
      }
    } else {
      a = Build(ra, depth + 1);
      b = Build(rb, depth + 1);
    }
    return Merge(std::move(a), std::move(b), r, split_cols);
  }

  const Eigen::MatrixXd& g_;
  double gr_, gc_;
  Eigen::Index rows_, cols_;
};

}  // namespace

Eigen::MatrixXd TileCircuit::EffectiveMatrixDissection() const {
  const Eigen::Index R = rows(), C = cols();
  Dissection nd(g_, 1.0 / wires_.r_row_ohm, 1.0 / wires_.r_col_ohm);
  const Domain top = nd.Run();
  // Terminals: row inputs u(i, 0) and column outputs w(R-1, j).
  std::unordered_map<Eigen::Index, Eigen::Index> pos;
  for (std::size_t k = 0; k < top.nodes.size(); ++k) pos.emplace(top.nodes[k], static_cast<Eigen::Index>(k));
  XBAR_CHECK(static_cast<Eigen::Index>(top.nodes.size()) == R + C);
  Eigen::MatrixXd suu(R, R), suw(R, C), sww(C, C);
  std::vector<Eigen::Index> iu(static_cast<std::size_t>(R)), iw(static_cast<std::size_t>(C));
  for (Eigen::Index i = 0; i < R; ++i) iu[static_cast<std::size_t>(i)] = pos.at(nd.RowNode(i, 0));
  for (Eigen::Index j = 0; j < C; ++j) iw[static_cast<std::size_t>(j)] = pos.at(nd.ColNode(R - 1, j));
  for (Eigen::Index a = 0; a < R; ++a) {
    for (Eigen::Index b = 0; b < R; ++b) suu(a, b) = top.s(iu[a], iu[b]);
    for (Eigen::Index b = 0; b < C; ++b) suw(a, b) = top.s(iu[a], iw[b]);
  }
  for (Eigen::Index a = 0; a < C; ++a) {
    for (Eigen::Index b = 0; b < C; ++b) sww(a, b) = top.s(iw[a], iw[b]);
  }
  const bool drv = wires_.r_driver_ohm > 0, sense = wires_.r_sense_ohm > 0;
  const double gd = drv ? 1.0 / wires_.r_driver_ohm : 0.0, gs = sense ? 1.0 / wires_.r_sense_ohm : 0.0;
  // Injected currents J = S x at the terminals; drivers inject gd (V - x_u), senses draw gs x_w.
  if (!drv && !sense) return -suw.transpose();
  if (!drv) {  // x_u = V; (S_ww + gs) x_w = -S_wu V; I = gs x_w
    Eigen::MatrixXd a = sww;
    a.diagonal().array() += gs;
    return -gs * a.llt().solve(suw.transpose());
  }
  if (!sense) {  // x_w = 0; (S_uu + gd) x_u = gd V; I = -S_wu x_u
    Eigen::MatrixXd a = suu;
    a.diagonal().array() += gd;
    return -suw.transpose() * a.llt().solve(gd * Eigen::MatrixXd::Identity(R, R));
  }
  Eigen::MatrixXd a(R + C, R + C);
  a << suu, suw, suw.transpose(), sww;
  a.diagonal().head(R).array() += gd;
  a.diagonal().tail(C).array() += gs;
  Eigen::MatrixXd rhs = Eigen::MatrixXd::Zero(R + C, R);
  rhs.topRows(R).diagonal().setConstant(gd);
  return gs * a.llt().solve(rhs).bottomRows(C);
}

}  // namespace xbar::device_models
