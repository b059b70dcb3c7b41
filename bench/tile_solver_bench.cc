// Crossbar tile solver vs Eigen's sparse direct solvers on the very same nodal matrix.
// Random tiles (G uniform 1-100 uS, 1-ohm segments, ideal driver and sense) of N x N for
// N = 64 ... 512: one exact solve, and the effective matrix (N right-hand sides). Prints times
// (median of repeats), ratios, xbar's growth exponent, and a stiff case (10 ohm, 1 mS window).
#include <Eigen/SparseCholesky>
#include <Eigen/SparseLU>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "device_models/tile_circuit.h"

namespace {

using xbar::device_models::SolveOptions;
using xbar::device_models::TileCircuit;
using xbar::device_models::TileWires;

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double Time(const std::function<void()>& f, int repeats) {
  std::vector<double> t;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return Median(t);
}

Eigen::MatrixXd RandomG(int n, double lo, double hi, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  return Eigen::MatrixXd::NullaryExpr(n, n, [&] { return u(rng); });
}

double RelErr(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) { return (a - b).norm() / b.norm(); }

}  // namespace

int main(int argc, char** argv) {
  int max_n = argc > 1 ? std::atoi(argv[1]) : 512;
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 3;
  std::printf("%-5s %-6s %9s %9s %9s %7s %7s %5s %9s | %9s %9s %9s %7s %7s %9s\n", "N", "path", "xbar_s",
              "llt_s", "lu_s", "llt/x", "lu/x", "iters", "err", "M_nd_s", "M_slab_s", "M_llt_s", "llt/nd",
              "slab/nd", "M_err");
  std::vector<std::pair<int, double>> solve_times, matrix_times;
  for (int n = 64; n <= max_n; n *= 2) {
    auto tile = TileCircuit::Create(RandomG(n, 1e-6, 1e-4, n), TileWires{1, 1, 0, 0});
    std::mt19937_64 rng(n + 1);
    std::uniform_real_distribution<double> u(0, 0.2);
    const Eigen::VectorXd v = Eigen::VectorXd::NullaryExpr(n, [&] { return u(rng); });
    xbar::device_models::TileSolution sol;
    const double t_x = Time([&] { sol = *tile->Solve(v); }, repeats);
    const auto nodal = tile->AssembleNodal();
    Eigen::MatrixXd i_llt, i_lu;
    const double t_llt = Time([&] {
      Eigen::SimplicialLLT<Eigen::SparseMatrix<double>> llt(nodal.a);
      i_llt = nodal.cx * llt.solve(Eigen::VectorXd(nodal.b * v)) + nodal.cv * v;
    }, repeats);
    double t_lu = NAN;
    if (n <= 256) {
      t_lu = Time([&] {
        Eigen::SparseLU<Eigen::SparseMatrix<double>> lu(nodal.a);
        i_lu = nodal.cx * lu.solve(Eigen::VectorXd(nodal.b * v)) + nodal.cv * v;
      }, 1);
    }
    Eigen::MatrixXd m_x, m_llt;
    const double t_mx = Time([&] { m_x = tile->EffectiveMatrix(); }, n <= 256 ? repeats : 1);
    Eigen::MatrixXd m_slab;
    const double t_slab = Time([&] { m_slab = tile->EffectiveMatrixBlock(); }, 1);
    const double t_mllt = Time([&] {
      Eigen::SimplicialLLT<Eigen::SparseMatrix<double>> llt(nodal.a);
      const Eigen::MatrixXd x = llt.solve(Eigen::MatrixXd(nodal.b));
      m_llt = nodal.cx * x + Eigen::MatrixXd(nodal.cv);
    }, 1);
    std::printf("%-5d %-6s %9.4f %9.4f %9.4f %7.1f %7.1f %5d %9.2e | %9.4f %9.4f %9.4f %7.1f %7.1f %9.2e\n", n,
                xbar::device_models::SolvePathName(sol.path), t_x, t_llt, t_lu, t_llt / t_x, t_lu / t_x,
                sol.iterations, RelErr(sol.currents, i_llt), t_mx, t_slab, t_mllt, t_mllt / t_mx, t_slab / t_mx,
                std::max(RelErr(m_x, m_llt), RelErr(m_slab, m_llt)));
    std::fflush(stdout);
    solve_times.emplace_back(n, t_x);
    matrix_times.emplace_back(n, t_mx);
  }
  auto exponent = [](const std::vector<std::pair<int, double>>& t) {
    const auto& a = t[t.size() - 2];
    const auto& b = t.back();
    return std::log(b.second / a.second) / std::log(static_cast<double>(b.first) / a.first);
  };
  if (solve_times.size() >= 2) {
    std::printf("growth exponent in N (last doubling): solve %.2f, effective matrix %.2f\n",
                exponent(solve_times), exponent(matrix_times));
  }
  // Stiff: 10-ohm segments, 0.1-1 mS cells.
  const int n = std::min(max_n, 256);
  auto stiff = TileCircuit::Create(RandomG(n, 1e-4, 1e-3, 99), TileWires{10, 10, 0, 0});
  const Eigen::VectorXd v = Eigen::VectorXd::Constant(n, 0.2);
  xbar::device_models::TileSolution s;
  const double t_s = Time([&] { s = *stiff->Solve(v); }, 1);
  const auto nodal = stiff->AssembleNodal();
  Eigen::MatrixXd ref;
  const double t_ref = Time([&] {
    Eigen::SimplicialLLT<Eigen::SparseMatrix<double>> llt(nodal.a);
    ref = nodal.cx * llt.solve(Eigen::VectorXd(nodal.b * v)) + nodal.cv * v;
  }, 1);
  std::printf("stiff %dx%d (10 ohm, 0.1-1 mS): path %s after %d pcg iterations (residual %.1e), %.4f s, "
              "llt %.4f s, ratio %.1f, rel err %.2e, IR-drop current loss %.1f %%\n",
              n, n, xbar::device_models::SolvePathName(s.path), s.iterations, s.residual, t_s, t_ref,
              t_ref / t_s, RelErr(s.currents, ref),
              100 * (1 - s.currents.sum() / (stiff->IdealCurrents(v)).sum()));
  return 0;
}
