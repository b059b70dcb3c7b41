// NIR graphs as xbar models: the four exported files become chains of crossbar layers with their
// populations, the export of a model runs exactly as the graph it came from, model files keep
// populations and recurrence, and graphs xbar cannot map are refused in one line naming the node.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "compiler/chip_io.h"
#include "compiler/compile.h"
#include "compiler/import.h"
#include "compiler/model_io.h"
#include "compiler/plan_io.h"
#include "compiler/nir_import.h"
#include "runtime/nir_sim.h"
#include "tests/testing/nir_graph.h"
#include "support/rng.h"

namespace xbar::runtime {
namespace {

using compiler::Model;
using compiler::NirGraph;
using compiler::NirNode;
using compiler::NirTensor;
using compiler::NirType;

const std::string& kDir = testing::kNirDir;

NirNetwork Network(NirGraph g, const std::string& name) {
  auto net = NirNetwork::Create(std::move(g), {}, name);
  EXPECT_TRUE(net.has_value()) << net.error().message;
  return std::move(*net);
}

NirNetwork Load(const std::string& file) {
  auto g = compiler::ReadNir(kDir + file);
  EXPECT_TRUE(g.has_value()) << g.error().message;
  return Network(std::move(*g), file);
}

Model Import(const NirNetwork& net) {
  auto m = compiler::ModelFromNir(net, "net.nir");
  EXPECT_TRUE(m.has_value()) << m.error().message;
  return m.value_or(Model{});
}

// Seeded spike trains: steps x inputs, each input spiking with probability `rate` per step.
Eigen::MatrixXd Spikes(int64_t steps, int64_t inputs, double rate, uint64_t seed) {
  Rng rng(seed);
  std::bernoulli_distribution spike(rate);
  Eigen::MatrixXd s(steps, inputs);
  for (Eigen::Index i = 0; i < s.size(); ++i) s.data()[i] = spike(rng) ? 1.0 : 0.0;
  return s;
}

TEST(NirImport, MapsEachExportedFileOntoAChainOfCrossbarLayers) {
  const struct {
    const char* file;
    const char* arch;
  } cases[] = {
      // Sinabs: every convolution's bias is zero, so no bias rows; sum pooling in front of the layer it feeds.
      {"cnn_sinabs.nir", "2x34x34-c16k5s2p1-c16k3p1-s2-c8k3p1-s2-256-10"},
      // snnTorch: the recurrent weight is 38 more fan-in rows of the hidden layer; the biases of
      // fc1 and w_rec share its bias row.
      {"braille_noDelay_bias_zero.nir", "12-38rb-7b"},
      {"lif_norse.nir", "1-1"},
      {"two_lif_neurons.nir", "1-1-1"},
  };
  for (const auto& c : cases) {
    const Model m = Import(Load(c.file));
    EXPECT_EQ(m.Describe(), c.arch) << c.file;
    EXPECT_TRUE(m.Spiking());
    EXPECT_EQ(m.encoding.kind, compiler::EncodingKind::kSpikeTrain);
  }
  const Model braille = Import(Load("braille_noDelay_bias_zero.nir"));
  EXPECT_EQ(braille.populations[0].kind, device_models::SpikingKind::kCubaLIF);
  EXPECT_EQ(braille.weights[0].cols(), 12 + 38 + 1);
  const Model sinabs = Import(Load("cnn_sinabs.nir"));
  EXPECT_EQ(sinabs.populations[0].kind, device_models::SpikingKind::kIF);
  EXPECT_EQ(sinabs.populations[0].reset, device_models::ResetRule::kSubtract);  // NIR 0.2 IF: Sinabs' convention
  EXPECT_EQ(sinabs.populations[0].size(), 16 * 16 * 16);
}

// The export of an imported model is the same network: run on the same spikes, it gives the
// original graph's outputs. Sinabs' and Norse's weights are float32, as xbar stores them, so the
// runs agree to the last bit of the summation order; Braille's two biases are summed into one
// float32 row, so its membranes may differ in the last float32 bit.
TEST(NirImport, ExportOfTheImportRunsAsTheOriginalGraph) {
  const struct {
    const char* file;
    int steps;
    double rate, membrane_tol;
  } cases[] = {{"cnn_sinabs.nir", 30, 0.2, 1e-9},
               {"braille_noDelay_bias_zero.nir", 100, 0.3, 1e-5},
               {"lif_norse.nir", 200, 0.5, 1e-12},
               {"two_lif_neurons.nir", 200, 0.5, 1e-12}};
  for (const auto& c : cases) {
    const NirNetwork original = Load(c.file);
    const Model m = Import(original);
    auto g = compiler::NirFromModel(m);
    ASSERT_TRUE(g.has_value()) << g.error().message;
    // Every file resets as NIR 0.x means it (IF by subtraction, the others to zero).
    EXPECT_EQ(g->version, "0.2.0");
    const NirNetwork exported = Network(*g, c.file);
    // Importing the export gives the model back.
    const Model again = Import(exported);
    EXPECT_EQ(again.Describe(), m.Describe());
    for (std::size_t l = 0; l < m.weights.size(); ++l) EXPECT_EQ(again.weights[l], m.weights[l]) << c.file << " layer " << l;
    int64_t spikes = 0, differ = 0;
    double activity = 0;
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      const Eigen::MatrixXd x = Spikes(c.steps, original.inputs(), c.rate, seed);
      const NirRun a = RunNir(original, x), b = RunNir(exported, x);
      spikes += static_cast<int64_t>(a.outputs.sum());
      activity += a.membranes.cwiseAbs().sum();
      differ += static_cast<int64_t>((a.outputs - b.outputs).cwiseAbs().sum());
      EXPECT_LE((a.membranes - b.membranes).cwiseAbs().maxCoeff(), c.membrane_tol) << c.file << " seed " << seed;
    }
    // two_lif_neurons' second neuron (threshold 20) never fires; its membrane is compared.
    EXPECT_TRUE(spikes > 0 || std::string(c.file) == "two_lif_neurons.nir") << c.file << ": no output spike";
    EXPECT_GT(activity, 0) << c.file;
    EXPECT_EQ(differ, 0) << c.file;
  }
}

TEST(NirImport, ModelFilesKeepPopulationsAndRecurrence) {
  const Model m = Import(Load("braille_noDelay_bias_zero.nir"));
  const std::string path = (std::filesystem::temp_directory_path() / "nir_import_test.xbm").string();
  ASSERT_TRUE(compiler::WriteModel(path, m).has_value());
  auto back = compiler::ReadModel(path);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(back->Describe(), "12-38rb-7b");
  EXPECT_EQ(back->encoding.kind, compiler::EncodingKind::kSpikeTrain);
  ASSERT_EQ(back->populations.size(), 2u);
  for (std::size_t l = 0; l < 2; ++l) {
    const auto &a = m.populations[l], &b = back->populations[l];
    EXPECT_EQ(a.kind, b.kind);
    EXPECT_EQ(a.reset, b.reset);
    EXPECT_EQ(a.dt_s, b.dt_s);
    EXPECT_TRUE((a.tau == b.tau).all() && (a.tau_syn == b.tau_syn).all() && (a.r == b.r).all() &&
                (a.v_threshold == b.v_threshold).all() && (a.v_leak == b.v_leak).all());
  }
  EXPECT_EQ(back->weights, m.weights);
  std::filesystem::remove(path);
}

// `xbar compile net.nir`'s path: the Sinabs CNN imported and compiled onto the default chip; its
// populations ride in the plan file; the tiles hold its layers as they hold any model's.
TEST(NirImport, SinabsNetworkCompilesOntoTheDefaultChipAndItsPlanKeepsThePopulations) {
  auto model = compiler::ImportModel(kDir + "cnn_sinabs.nir");
  ASSERT_TRUE(model.has_value()) << model.error().message;
  auto chip = compiler::ReadChipText(std::string(XBAR_SOURCE_DIR) + "/chips/default.textproto");
  ASSERT_TRUE(chip.has_value()) << chip.error().message;
  auto plan = compiler::Compile(*model, *chip, {});
  ASSERT_TRUE(plan.has_value()) << plan.error().message;
  ASSERT_EQ(plan->layers.size(), 5u);
  EXPECT_EQ(plan->Neurons(), 16 * 16 * 16 * 2 + 8 * 8 * 8 + 256 + 10);
  for (const auto& layer : plan->layers) EXPECT_FALSE(layer.tiles.empty());
  const std::string path = (std::filesystem::temp_directory_path() / "nir_import_test.xbp").string();
  ASSERT_TRUE(compiler::WritePlan(path, *plan).has_value());
  auto back = compiler::ReadPlan(path);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  ASSERT_EQ(back->populations.size(), 5u);
  EXPECT_EQ(back->encoding.kind, compiler::EncodingKind::kSpikeTrain);
  for (std::size_t l = 0; l < 5; ++l) {
    EXPECT_EQ(back->populations[l].kind, device_models::SpikingKind::kIF);
    EXPECT_EQ(back->populations[l].reset, device_models::ResetRule::kSubtract);
    EXPECT_TRUE((back->populations[l].v_threshold == model->populations[l].v_threshold).all());
  }
  EXPECT_EQ(back->Shapes()[1].ToString(), "c16k3p1");
  std::filesystem::remove(path);
}

NirNode Node(std::string name, NirType type, std::map<std::string, NirTensor> params) {
  return testing::NirNodeOf(std::move(name), type, std::move(params));
}

NirTensor Values(std::vector<double> v, std::vector<int64_t> shape = {}) { return testing::NirValues(std::move(v), std::move(shape)); }

// in -> [nodes...] -> out, one neuron each, 2 wide.
NirGraph Chain(std::vector<NirNode> middle) {
  NirGraph g;
  g.version = "0.2.0";
  g.nodes.push_back(Node("in", NirType::kInput, {{"shape", Values({2})}}));
  for (auto& n : middle) g.nodes.push_back(std::move(n));
  g.nodes.push_back(Node("out", NirType::kOutput, {{"shape", Values({2})}}));
  for (int i = 0; i + 1 < static_cast<int>(g.nodes.size()); ++i) g.edges.emplace_back(i, i + 1);
  return g;
}

NirNode Lin(const std::string& name) { return Node(name, NirType::kLinear, {{"weight", Values({1, 0, 0, 1}, {2, 2})}}); }
NirNode If(const std::string& name) {
  return Node(name, NirType::kIF, {{"r", Values({1, 1})}, {"v_threshold", Values({1, 1})}});
}

TEST(NirImport, RefusesWhatACrossbarChainCannotCarryInOneLine) {
  const struct {
    NirGraph graph;
    const char* expect;
  } cases[] = {
      {Chain({If("n0")}), "node 'n0' (IF) follows 'in'"},
      {Chain({Lin("w0"), Lin("w1"), If("n0")}), "node 'w1' (Linear) follows the weight node 'w0'"},
      {Chain({Lin("w0"), If("n0"), Node("t", NirType::kThreshold, {{"threshold", Values({1, 1})}})}),
       "node 't' (Threshold) follows 'n0'"},
      {Chain({Lin("w0"), Node("li", NirType::kLI, {{"r", Values({1, 1})}, {"tau", Values({1e-3, 1e-3})}, {"v_leak", Values({0, 0})}}),
              Lin("w1"), If("n1")}),
       "LI neurons send no spikes; xbar maps them as the output layer only"},
  };
  for (const auto& c : cases) {
    auto m = compiler::ModelFromNir(Network(c.graph, "g.nir"), "g.nir");
    ASSERT_FALSE(m.has_value()) << c.expect;
    EXPECT_NE(m.error().message.find(c.expect), std::string::npos) << m.error().message;
    EXPECT_EQ(m.error().message.find('\n'), std::string::npos);
    EXPECT_EQ(m.error().message.rfind("g.nir: ", 0), 0u) << m.error().message;
  }
  // A branch: the input feeds two weight nodes.
  NirGraph branch = Chain({Lin("w0"), If("n0")});
  branch.nodes.push_back(Lin("w1"));
  branch.edges.emplace_back(0, 4);
  branch.edges.emplace_back(4, 2);
  auto m = compiler::ModelFromNir(Network(branch, "g.nir"), "g.nir");
  ASSERT_FALSE(m.has_value());
  EXPECT_NE(m.error().message.find("node 'in' (Input) feeds 2 nodes"), std::string::npos) << m.error().message;
}

}  // namespace
}  // namespace xbar::runtime
