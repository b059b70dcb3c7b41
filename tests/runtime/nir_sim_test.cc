// NIR graphs in software: Norse's own trace of its LIF export reproduced, a recurrent edge
// carrying the step before, the reset rules, and the graph checks' one-line refusals.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "runtime/nir_sim.h"
#include "tests/testing/nir_graph.h"

namespace xbar::runtime {
namespace {

using compiler::NirGraph;
using compiler::NirNode;
using compiler::NirTensor;
using compiler::NirType;

const std::string& kDir = testing::kNirDir;

NirTensor Values(std::vector<double> v, std::vector<int64_t> shape = {}) { return testing::NirValues(std::move(v), std::move(shape)); }

NirNode Node(std::string name, NirType type, std::map<std::string, NirTensor> params) {
  return testing::NirNodeOf(std::move(name), type, std::move(params));
}

// Norse ran lif_norse.nir (one LIF behind a 1x1 Affine) at dt = 0.1 ms and saved input, membrane
// and output spikes per step: the same spikes, the membrane to float32's rounding.
TEST(NirSim, ReproducesNorsesOwnRunOfItsLifExport) {
  auto g = compiler::ReadNir(kDir + "lif_norse.nir");
  ASSERT_TRUE(g.has_value()) << g.error().message;
  auto net = NirNetwork::Create(std::move(*g), {}, "lif_norse.nir");
  ASSERT_TRUE(net.has_value()) << net.error().message;
  std::ifstream csv(kDir + "lif_norse.csv");
  std::vector<std::array<double, 3>> rows;
  for (std::string line; std::getline(csv, line);) {
    std::array<double, 3> r{};
    std::stringstream in(line);
    char comma;
    in >> r[0] >> comma >> r[1] >> comma >> r[2];
    rows.push_back(r);
  }
  ASSERT_EQ(rows.size(), 1000u);
  Eigen::MatrixXd spikes(1000, 1);
  for (int t = 0; t < 1000; ++t) spikes(t, 0) = rows[static_cast<std::size_t>(t)][0];
  const NirRun run = RunNir(*net, spikes);
  double worst = 0;
  int fired = 0;
  for (int t = 0; t < 1000; ++t) {
    EXPECT_EQ(run.outputs(t, 0), rows[static_cast<std::size_t>(t)][2]) << "step " << t;
    worst = std::max(worst, std::abs(run.membranes(t, 0) - rows[static_cast<std::size_t>(t)][1]));
    fired += run.outputs(t, 0) > 0;
  }
  EXPECT_EQ(fired, 4);  // steps 460, 510, 710, 760
  EXPECT_LT(worst, 1e-7);
}

// in -> a (IF) -> out, with a recurrent Linear a -> rec -> a of weight 0.6: a's own spike of step t
// reaches it at step t + 1. Threshold 1, input 0.5 per step.
NirGraph Recurrent(double v_reset_file = -1) {
  NirGraph g;
  g.version = v_reset_file >= 0 ? "1.0.0" : "0.2.0";
  g.nodes.push_back(Node("in", NirType::kInput, {{"shape", Values({1})}}));
  std::map<std::string, NirTensor> neuron = {{"r", Values({1})}, {"v_threshold", Values({1})}};
  if (v_reset_file >= 0) neuron["v_reset"] = Values({v_reset_file});
  g.nodes.push_back(Node("a", NirType::kIF, neuron));
  g.nodes.push_back(Node("rec", NirType::kLinear, {{"weight", Values({0.6}, {1, 1})}}));
  g.nodes.push_back(Node("out", NirType::kOutput, {{"shape", Values({1})}}));
  g.edges = {{0, 1}, {1, 2}, {2, 1}, {1, 3}};
  return g;
}

TEST(NirSim, ARecurrentEdgeCarriesTheStepBefore) {
  auto net = NirNetwork::Create(Recurrent(), {}, "rec");
  ASSERT_TRUE(net.has_value()) << net.error().message;
  EXPECT_TRUE(net->Delayed(2, 1));
  EXPECT_FALSE(net->Delayed(0, 1));
  EXPECT_EQ(net->ResetOf(1), NirReset::kSubtract);  // NIR 0.x IF: by subtraction
  const NirRun run = RunNir(*net, Eigen::MatrixXd::Constant(5, 1, 0.5));
  // v: 0.5, 1.0 (not > 1), 1.5 -> spike, v 0.5; then 0.5 + 0.5 + 0.6 = 1.6 -> spike, v 0.6;
  // then 0.6 + 0.5 + 0.6 = 1.7 -> spike, v 0.7.
  EXPECT_EQ(run.outputs.col(0).transpose(), Eigen::RowVectorXd((Eigen::RowVectorXd(5) << 0, 0, 1, 1, 1).finished()));
  EXPECT_NEAR(run.membranes(4, 0), 0.7, 1e-12);
}

TEST(NirSim, ResetsAsTheFileOrTheOptionSays) {
  auto to_value = NirNetwork::Create(Recurrent(0.25), {}, "v1");  // NIR 1.0: v <- v_reset
  ASSERT_TRUE(to_value.has_value());
  EXPECT_EQ(to_value->ResetOf(1), NirReset::kZero);
  EXPECT_NEAR(RunNir(*to_value, Eigen::MatrixXd::Constant(3, 1, 0.5)).membranes(2, 0), 0.25, 1e-12);
  auto zero = NirNetwork::Create(Recurrent(), {.dt_s = 1e-4, .reset = NirReset::kZero}, "rec");
  ASSERT_TRUE(zero.has_value());
  EXPECT_EQ(RunNir(*zero, Eigen::MatrixXd::Constant(3, 1, 0.5)).membranes(2, 0), 0.0);
}

TEST(NirSim, BatchesGiveTheSameAnswerOnAnyThreadCount) {
  auto g = compiler::ReadNir(kDir + "braille_noDelay_bias_zero.nir");
  ASSERT_TRUE(g.has_value());
  auto net = NirNetwork::Create(std::move(*g), {}, "braille");
  ASSERT_TRUE(net.has_value()) << net.error().message;
  NpyTensor spikes{{6, 40, 12}, std::vector<double>(6 * 40 * 12)};
  for (std::size_t k = 0; k < spikes.values.size(); ++k) spikes.values[k] = (k * 2654435761u) % 7 == 0;
  auto one = RunNirSpikes(*net, spikes, "s.npy", 1);
  auto two = RunNirSpikes(*net, spikes, "s.npy", 2);
  ASSERT_TRUE(one.has_value() && two.has_value());
  EXPECT_EQ(one->outputs.values, two->outputs.values);
  EXPECT_EQ(one->membranes.values, two->membranes.values);
  EXPECT_EQ(one->outputs.shape, (std::vector<int64_t>{6, 40, 7}));
  // A sample alone gives what it gave in the batch.
  NpyTensor first{{40, 12}, std::vector<double>(spikes.values.begin(), spikes.values.begin() + 40 * 12)};
  auto alone = RunNirSpikes(*net, first, "s0.npy", 1);
  ASSERT_TRUE(alone.has_value());
  EXPECT_EQ(alone->outputs.values, std::vector<double>(one->outputs.values.begin(), one->outputs.values.begin() + 40 * 7));
  auto wrong = RunNirSpikes(*net, NpyTensor{{40, 13}, std::vector<double>(40 * 13)}, "w.npy", 1);
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().message, "w.npy: spike array of shape (40, 13) is neither (T, 12) nor (N, T, 12) for the graph's input (12)");
}

TEST(NirSim, RefusesGraphsItCannotRunNamingTheNode) {
  NirGraph g = Recurrent();
  g.nodes[2].params["weight"] = Values({1, 2}, {1, 2});
  auto bad_weight = NirNetwork::Create(g, {}, "g.nir");
  ASSERT_FALSE(bad_weight.has_value());
  EXPECT_EQ(bad_weight.error().message, "g.nir: node 'rec' (Linear): weight (1, 2) must be (outputs, 1) for its 1 inputs");
  NirGraph lonely = Recurrent();
  lonely.edges = {{0, 1}, {1, 3}};
  lonely.nodes[2].params["weight"] = Values({0.6}, {1, 1});
  auto unreachable = NirNetwork::Create(lonely, {}, "g.nir");
  ASSERT_FALSE(unreachable.has_value());
  EXPECT_EQ(unreachable.error().message, "g.nir: node 'rec' is not reachable from the Input");
  NirGraph leak = Recurrent();
  leak.nodes[1] = Node("a", NirType::kLIF, {{"tau", Values({0})}, {"r", Values({1})}, {"v_leak", Values({0})},
                                            {"v_threshold", Values({1})}});
  auto tau = NirNetwork::Create(leak, {}, "g.nir");
  ASSERT_FALSE(tau.has_value());
  EXPECT_EQ(tau.error().message, "g.nir: node 'a' (LIF): tau = 0 s must be > 0");
  auto dt = NirNetwork::Create(Recurrent(), {.dt_s = 0}, "g.nir");
  ASSERT_FALSE(dt.has_value());
  EXPECT_EQ(dt.error().message, "--dt = 0 s must be > 0");
}

}  // namespace
}  // namespace xbar::runtime
