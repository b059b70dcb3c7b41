// Effective matrix of a crossbar tile by nested dissection: recursive Schur complements of
// sub-rectangles onto their boundary nodes, merged pairwise up to the tile's terminals.
//
// A sub-rectangle owns its cells and the wire segments leaving them to the right and downwards,
// so it also reaches the first row nodes of its right neighbour and the first column nodes of the
// neighbour below: those seam nodes are shared, as in finite-element substructuring. Eliminating
// everything that does not touch another sub-rectangle leaves a dense conductance matrix over its
// edge nodes. Two neighbours merge by adding their matrices on the shared seam and eliminating it
// (one node per row or column of the seam, not two). At the top only the terminals remain (row
// inputs, column outputs): (R + C) x (R + C), from which the effective matrix follows. Work grows
// as N^3 for an N x N tile (N^4 for the row-slab recursion), and nothing but the current boundary
// is ever stored.
#include <Eigen/Cholesky>
#include <algorithm>
#include <unordered_map>
#include <vector>

#include "device_models/tile_circuit.h"

namespace xbar::device_models {
namespace {

struct Rect {
  Eigen::Index i0, i1, j0, j1;  // cells: rows [i0, i1), columns [j0, j1)
};

// Dense symmetric matrices of the domains alive on this thread, recycled: a domain's matrix is
// written once and read once by its merge, so fresh allocations (page faults) would cost more
// than the copy into them.
class MatrixPool {
 public:
  std::vector<double> Take(std::size_t size) {
    auto best = free_.end();
    for (auto it = free_.begin(); it != free_.end(); ++it) {
      if (it->capacity() >= size && (best == free_.end() || it->capacity() < best->capacity())) best = it;
    }
    std::vector<double> v;
    if (best != free_.end()) {
      v = std::move(*best);
      free_.erase(best);
    }
    v.resize(size);
    return v;
  }
  void Give(std::vector<double>&& v) {
    if (v.capacity() > 0) free_.push_back(std::move(v));
  }

 private:
  std::vector<std::vector<double>> free_;
};

MatrixPool& ThreadPool() {
  thread_local MatrixPool pool;
  return pool;
}

struct Domain {
  Rect rect;
  std::vector<Eigen::Index> nodes;  // global node ids: 2 * (i + R j) (row node) and + 1 (column node)
  // Conductance matrix over `nodes` (injected currents = s * v); only its lower triangle is kept.
  std::vector<double> s;

  Domain() = default;
  Domain(Domain&&) = default;
  Domain& operator=(Domain&&) = default;
  ~Domain() { ThreadPool().Give(std::move(s)); }
  Eigen::Index size() const { return static_cast<Eigen::Index>(nodes.size()); }
  Eigen::Map<const Eigen::MatrixXd> matrix() const { return {s.data(), size(), size()}; }
  double operator()(Eigen::Index x, Eigen::Index y) const { return x >= y ? s[static_cast<std::size_t>(x + size() * y)] : s[static_cast<std::size_t>(y + size() * x)]; }
};

// This thread's reusable memory. The assembled matrix of a Schur complement is large and
// short-lived: fresh pages for each cost more than its arithmetic (measured: 40 % of an effective
// matrix's time went to page faults). `position` maps a global node id to its place in the matrix
// being assembled (-1: absent) and is all -1 again after each use.
struct Scratch {
  std::vector<double> matrix;
  std::vector<Eigen::Index> position;

  Eigen::Map<Eigen::MatrixXd> Matrix(Eigen::Index n) {
    if (matrix.size() < static_cast<std::size_t>(n * n)) matrix.resize(static_cast<std::size_t>(n * n));
    Eigen::Map<Eigen::MatrixXd> m(matrix.data(), n, n);
    m.setZero();
    return m;
  }
  std::vector<Eigen::Index>& Positions(Eigen::Index nodes) {
    if (position.size() < static_cast<std::size_t>(nodes)) position.assign(static_cast<std::size_t>(nodes), -1);
    return position;
  }
};

Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}

class Dissection {
 public:
  Dissection(const Eigen::MatrixXd& g, double gr, double gc) : g_(g), gr_(gr), gc_(gc), rows_(g.rows()), cols_(g.cols()) {}

  Domain Run() { return Build(Rect{0, rows_, 0, cols_}, 0); }

  Eigen::Index RowNode(Eigen::Index i, Eigen::Index j) const { return 2 * (i + rows_ * j); }
  Eigen::Index ColNode(Eigen::Index i, Eigen::Index j) const { return 2 * (i + rows_ * j) + 1; }

 private:
  // True when the node of a sub-rectangle's node set touches another sub-rectangle (its left
  // column of row nodes, the shared row nodes right of it, its top row of column nodes below an
  // upper neighbour, the shared column nodes below it) or is a tile terminal (row nodes of cell
  // column 0 are the drivers', column nodes of the last cell row the senses').
  bool OnBoundary(Eigen::Index node, const Rect& r) const {
    const Eigen::Index cell = node / 2, i = cell % rows_, j = cell / rows_;
    if (node % 2 == 0) return j == r.j0 || j == r.j1;
    return (i == r.i0 && r.i0 > 0) || i == r.i1 || i == rows_ - 1;
  }

  // Orders `nodes` as [kept, eliminated] for `r`, records each node's place in `position` and
  // returns the number kept.
  Eigen::Index Order(std::vector<Eigen::Index>& nodes, const Rect& r, std::vector<Eigen::Index>& position) const {
    auto mid = std::stable_partition(nodes.begin(), nodes.end(), [&](Eigen::Index v) { return OnBoundary(v, r); });
    for (std::size_t k = 0; k < nodes.size(); ++k) position[static_cast<std::size_t>(nodes[k])] = static_cast<Eigen::Index>(k);
    return mid - nodes.begin();
  }

  // d.s = the Schur complement of `p` (the lower triangle assembled over `nodes`, kept ones
  // first) onto the first `ne`; d.nodes = those. The factorisation, the triangular solve and the
  // rank update work in place on the blocks of `p`, and read only lower triangles. Clears the
  // positions of `nodes`.
  void Eliminate(Domain& d, std::vector<Eigen::Index>&& nodes, Eigen::Index ne, Eigen::Map<Eigen::MatrixXd>& p,
                 std::vector<Eigen::Index>& position) const {
    for (Eigen::Index v : nodes) position[static_cast<std::size_t>(v)] = -1;
    const Eigen::Index ni = static_cast<Eigen::Index>(nodes.size()) - ne;
    nodes.resize(static_cast<std::size_t>(ne));
    d.nodes = std::move(nodes);
    d.s = ThreadPool().Take(static_cast<std::size_t>(ne * ne));
    Eigen::Map<Eigen::MatrixXd> out(d.s.data(), ne, ne);
    if (ni == 0) {
      out = p;
      return;
    }
    // see - sei sii^{-1} sie, with sii = L L^T: t = L^{-1} sie, see -= t^T t.
    Eigen::Ref<Eigen::MatrixXd> sii = p.bottomRightCorner(ni, ni);
    Eigen::LLT<Eigen::Ref<Eigen::MatrixXd>> llt(sii);
    XBAR_CHECK(llt.info() == Eigen::Success);
    auto t = p.bottomLeftCorner(ni, ne);
    llt.matrixL().solveInPlace(t);
    auto see = p.topLeftCorner(ne, ne);
    see.selfadjointView<Eigen::Lower>().rankUpdate(t.transpose(), -1.0);
    out = see;
  }

  Domain Leaf(const Rect& r) const {
    Domain d;
    d.rect = r;
    const Eigen::Index jn = std::min(r.j1, cols_ - 1), in = std::min(r.i1, rows_ - 1);  // incl. shared
    std::vector<Eigen::Index> nodes;
    for (Eigen::Index j = r.j0; j <= jn; ++j) {
      for (Eigen::Index i = r.i0; i < r.i1; ++i) nodes.push_back(RowNode(i, j));
    }
    for (Eigen::Index j = r.j0; j < r.j1; ++j) {
      for (Eigen::Index i = r.i0; i <= in; ++i) nodes.push_back(ColNode(i, j));
    }
    Scratch& scratch = ThreadScratch();
    auto& position = scratch.Positions(2 * rows_ * cols_);
    const Eigen::Index ne = Order(nodes, r, position);
    auto p = scratch.Matrix(static_cast<Eigen::Index>(nodes.size()));
    auto stamp = [&](Eigen::Index a, Eigen::Index b, double g) {
      const Eigen::Index x = position[static_cast<std::size_t>(a)], y = position[static_cast<std::size_t>(b)];
      p(x, x) += g;
      p(y, y) += g;
      p(std::max(x, y), std::min(x, y)) -= g;
    };
    for (Eigen::Index j = r.j0; j < r.j1; ++j) {
      for (Eigen::Index i = r.i0; i < r.i1; ++i) {
        stamp(RowNode(i, j), ColNode(i, j), g_(i, j));
        if (j + 1 < cols_) stamp(RowNode(i, j), RowNode(i, j + 1), gr_);
        if (i + 1 < rows_) stamp(ColNode(i, j), ColNode(i + 1, j), gc_);
      }
    }
    Eliminate(d, std::move(nodes), ne, p, position);
    return d;
  }

  // a and b share the seam between them; their matrices add there and the seam is eliminated.
  Domain Merge(const Domain& a, const Domain& b, const Rect& r) const {
    Domain d;
    d.rect = r;
    Scratch& scratch = ThreadScratch();
    auto& position = scratch.Positions(2 * rows_ * cols_);
    std::vector<Eigen::Index> nodes = a.nodes;
    for (Eigen::Index v : a.nodes) position[static_cast<std::size_t>(v)] = 0;
    for (Eigen::Index v : b.nodes) {
      if (position[static_cast<std::size_t>(v)] < 0) nodes.push_back(v);
    }
    for (Eigen::Index v : a.nodes) position[static_cast<std::size_t>(v)] = -1;
    const Eigen::Index ne = Order(nodes, r, position);
    auto p = scratch.Matrix(static_cast<Eigen::Index>(nodes.size()));
    for (const Domain* part : {&a, &b}) {
      // The parts' lower triangles, added into p's lower triangle.
      const Eigen::Index n = part->size();
      std::vector<Eigen::Index> at(static_cast<std::size_t>(n));
      for (Eigen::Index k = 0; k < n; ++k) at[static_cast<std::size_t>(k)] = position[static_cast<std::size_t>(part->nodes[static_cast<std::size_t>(k)])];
      const auto src = part->matrix();
      for (Eigen::Index y = 0; y < n; ++y) {
        const Eigen::Index py = at[static_cast<std::size_t>(y)];
        for (Eigen::Index x = y; x < n; ++x) {
          const Eigen::Index px = at[static_cast<std::size_t>(x)];
          if (px >= py) {
            p(px, py) += src(x, y);
          } else {
            p(py, px) += src(x, y);
          }
        }
      }
    }
    Eliminate(d, std::move(nodes), ne, p, position);
    return d;
  }

  Domain Build(const Rect& r, int depth) const {
    const Eigen::Index h = r.i1 - r.i0, w = r.j1 - r.j0;
    if (h * w <= 16) return Leaf(r);
    Rect ra = r, rb = r;
    if (w >= h) {
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
    return Merge(a, b, r);
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
    for (Eigen::Index b = 0; b < R; ++b) suu(a, b) = top(iu[a], iu[b]);
    for (Eigen::Index b = 0; b < C; ++b) suw(a, b) = top(iu[a], iw[b]);
  }
  for (Eigen::Index a = 0; a < C; ++a) {
    for (Eigen::Index b = 0; b < C; ++b) sww(a, b) = top(iw[a], iw[b]);
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
  // Both: (S + diag(gd, gs)) [x_u; x_w] = [gd V; 0] and I = gs x_w. Eliminating the row inputs
  // with S_uu + gd = L L^T and t = L^{-1} S_uw leaves (S_ww + gs - t^T t) x_w = -t^T L^{-1} gd V.
  Eigen::MatrixXd& luu = suu;
  luu.diagonal().array() += gd;
  Eigen::LLT<Eigen::Ref<Eigen::MatrixXd>> lu(luu);
  XBAR_CHECK(lu.info() == Eigen::Success);
  lu.matrixL().solveInPlace(suw);  // t
  Eigen::MatrixXd& aw = sww;
  aw.diagonal().array() += gs;
  aw.selfadjointView<Eigen::Lower>().rankUpdate(suw.transpose(), -1.0);
  Eigen::LLT<Eigen::Ref<Eigen::MatrixXd>> lw(aw);
  XBAR_CHECK(lw.info() == Eigen::Success);
  Eigen::MatrixXd m = suw.transpose();  // t^T, then t^T L^{-1}
  lu.matrixL().solveInPlace<Eigen::OnTheRight>(m);
  lw.solveInPlace(m);
  return -(gs * gd) * m;
}

}  // namespace xbar::device_models
