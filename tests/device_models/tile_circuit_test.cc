// Crossbar tile solver: every path agrees with the general sparse solve, physics checks, stiff tiles.
#include "device_models/tile_circuit.h"

#include <gtest/gtest.h>

#include <random>

namespace xbar::device_models {
namespace {

Eigen::MatrixXd RandomG(Eigen::Index r, Eigen::Index c, double lo, double hi, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  return Eigen::MatrixXd::NullaryExpr(r, c, [&] { return u(rng); });
}

Eigen::MatrixXd RandomV(Eigen::Index r, Eigen::Index b, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-0.2, 0.2);
  return Eigen::MatrixXd::NullaryExpr(r, b, [&] { return u(rng); });
}

double RelErr(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  return (a - b).norm() / std::max(b.norm(), 1e-300);
}

using Method = SolveOptions::Method;

struct Case {
  Eigen::Index r, c;
  TileWires wires;
};

TEST(TileCircuit, AllPathsAgreeWithTheSparseSolveOverEveryBoundaryKind) {
  std::vector<Case> cases;
  for (auto [r, c] : {std::pair<Eigen::Index, Eigen::Index>{1, 1}, {1, 6}, {6, 1}, {7, 9}, {12, 5}, {33, 70}}) {
    for (double drv : {0.0, 40.0}) {
      for (double sense : {0.0, 25.0}) {
        cases.push_back({r, c, TileWires{2.5, 1.5, drv, sense}});
      }
    }
  }
  uint64_t seed = 1;
  for (const Case& k : cases) {
    auto tile = TileCircuit::Create(RandomG(k.r, k.c, 1e-6, 1e-4, seed), k.wires);
    ASSERT_TRUE(tile.has_value());
    const Eigen::MatrixXd v = RandomV(k.r, 3, seed + 100);
    ++seed;
    const std::string what = std::to_string(k.r) + "x" + std::to_string(k.c) + " drv " +
                             std::to_string(k.wires.r_driver_ohm) + " sense " + std::to_string(k.wires.r_sense_ohm);
    auto ref = tile->Solve(v, {.method = Method::kSparseDirect});
    ASSERT_TRUE(ref.has_value()) << what;
    auto pcg = tile->Solve(v, {.method = Method::kPcg});
    ASSERT_TRUE(pcg.has_value()) << what << ": " << pcg.error().message;
    auto block = tile->Solve(v, {.method = Method::kBlockDirect});
    ASSERT_TRUE(block.has_value()) << what;
    EXPECT_EQ(pcg->path, SolvePath::kPcg);
    EXPECT_EQ(block->path, SolvePath::kBlockDirect);
    EXPECT_LT(RelErr(pcg->currents, ref->currents), 1e-10) << what;
    EXPECT_LT(RelErr(block->currents, ref->currents), 1e-12) << what;
    EXPECT_LT(RelErr(tile->EffectiveMatrix() * v, ref->currents), 1e-12) << what;
    EXPECT_LT(RelErr(tile->EffectiveMatrixBlock() * v, ref->currents), 1e-12) << what;
    auto nd = tile->Solve(v, {.method = Method::kDissection});
    EXPECT_EQ(nd->path, SolvePath::kDissection);
    EXPECT_LT(RelErr(nd->currents, ref->currents), 1e-12) << what;
  }
}

TEST(TileCircuit, ZeroResistanceWiresMergeNodes) {
  const Eigen::MatrixXd g = RandomG(5, 4, 1e-6, 1e-4, 3);
  const Eigen::MatrixXd v = RandomV(5, 2, 4);
  // No wire, driver or sense resistance at all: the ideal product, exactly.
  auto ideal = TileCircuit::Create(g, TileWires{0, 0, 0, 0});
  EXPECT_LT(RelErr(ideal->Solve(v)->currents, g.transpose() * v), 1e-14);
  EXPECT_LT(RelErr(ideal->EffectiveMatrix(), g.transpose()), 1e-14);
  // Merged rows, resistive columns: equals the structured solve with vanishing row resistance.
  auto merged = TileCircuit::Create(g, TileWires{0, 3, 10, 5});
  auto tiny = TileCircuit::Create(g, TileWires{1e-7, 3, 10, 5});
  EXPECT_EQ(merged->Solve(v)->path, SolvePath::kSparseDirect);
  EXPECT_LT(RelErr(merged->Solve(v)->currents, tiny->Solve(v)->currents), 1e-8);
  auto merged_cols = TileCircuit::Create(g, TileWires{3, 0, 10, 5});
  auto tiny_cols = TileCircuit::Create(g, TileWires{3, 1e-7, 10, 5});
  EXPECT_LT(RelErr(merged_cols->Solve(v)->currents, tiny_cols->Solve(v)->currents), 1e-8);
  EXPECT_FALSE(merged->Solve(v, {.method = Method::kPcg}).has_value());
}

TEST(TileCircuit, ConservesChargeAndLosesCurrentToWires) {
  const Eigen::MatrixXd g = RandomG(16, 12, 1e-5, 1e-4, 5);
  const Eigen::VectorXd v = Eigen::VectorXd::Constant(16, 0.2);
  const TileWires wires{2, 2, 50, 30};
  auto tile = TileCircuit::Create(g, wires);
  auto s = tile->Solve(v, {.node_voltages = true});
  ASSERT_TRUE(s.has_value());
  // KCL over the whole tile: what the drivers push in leaves through the sense resistors.
  const double in = ((v - s->row_v.col(0)) / wires.r_driver_ohm).sum();
  EXPECT_NEAR(s->currents.sum(), in, 1e-12 * std::abs(in));
  EXPECT_NEAR(s->currents(0, 0), s->col_v(15, 0) / wires.r_sense_ohm, 1e-15);
  // IR drop only ever lowers the currents of a uniformly positive input.
  const Eigen::VectorXd ideal = g.transpose() * v;
  for (Eigen::Index j = 0; j < 12; ++j) {
    EXPECT_LT(s->currents(j, 0), ideal(j));
    EXPECT_GT(s->currents(j, 0), 0.5 * ideal(j));
  }
  // Voltages fall along each row away from the driver.
  for (Eigen::Index j = 1; j < 12; ++j) EXPECT_LT(s->row_v(3, j), s->row_v(3, j - 1));
}

TEST(TileCircuit, StiffTileFallsBackToTheExactDirectPath) {
  // 10-ohm segments against a 1 mS window: line relaxation stalls here; the answer stays exact.
  const Eigen::MatrixXd g = RandomG(48, 48, 1e-4, 1e-3, 6);
  auto tile = TileCircuit::Create(g, TileWires{10, 10, 0, 0});
  const Eigen::MatrixXd v = RandomV(48, 2, 7);
  auto ref = tile->Solve(v, {.method = Method::kSparseDirect});
  auto aut = tile->Solve(v, {.max_iterations = 5});
  ASSERT_TRUE(aut.has_value());
  EXPECT_EQ(aut->path, SolvePath::kDissection);
  EXPECT_LT(RelErr(aut->currents, ref->currents), 1e-11);
  auto pcg_only = tile->Solve(v, {.method = Method::kPcg, .max_iterations = 5});
  ASSERT_FALSE(pcg_only.has_value());
  EXPECT_NE(pcg_only.error().message.find("pcg did not reach"), std::string::npos);
}

TEST(TileCircuit, RejectsBadInput) {
  EXPECT_FALSE(TileCircuit::Create(Eigen::MatrixXd(0, 3), TileWires{}).has_value());
  Eigen::MatrixXd g = Eigen::MatrixXd::Constant(2, 2, 1e-5);
  g(1, 0) = -1e-6;
  auto bad = TileCircuit::Create(g, TileWires{});
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("cell (1, 0)"), std::string::npos);
  auto neg = TileCircuit::Create(Eigen::MatrixXd::Ones(2, 2), TileWires{-1, 1, 0, 0});
  EXPECT_NE(neg.error().message.find("r_row_ohm"), std::string::npos);
  auto tile = TileCircuit::Create(Eigen::MatrixXd::Constant(2, 2, 1e-5), TileWires{});
  EXPECT_NE(tile->Solve(Eigen::MatrixXd::Ones(3, 1)).error().message.find("tile has 2 rows"), std::string::npos);
}

}  // namespace
}  // namespace xbar::device_models
