// NIR files exported by real frameworks (tests/data/nir, from the NIR paper's repository): read,
// flattened, written back and read again unchanged. Files crafted with h5py (other string kinds,
// float32, gzip, nested graphs, unsupported nodes) are tests/python/test_nir.py's.
#include <gtest/gtest.h>

#include <algorithm>

#include "compiler/nir.h"
#include "tests/testing/temp.h"

namespace xbar::compiler {
namespace {

const std::string kDir = std::string(XBAR_SOURCE_DIR) + "/tests/data/nir/";

// "source -> destination" of every edge, sorted.
std::vector<std::string> Edges(const NirGraph& g) {
  std::vector<std::string> out;
  for (const auto& [f, t] : g.edges) out.push_back(g.nodes[f].name + " -> " + g.nodes[t].name);
  std::sort(out.begin(), out.end());
  return out;
}

TEST(Nir, ReadsTheSinabsConvolutionalNetwork) {
  auto g = ReadNir(kDir + "cnn_sinabs.nir");
  ASSERT_TRUE(g.has_value()) << g.error().message;
  EXPECT_EQ(g->version, "0.2.0");
  EXPECT_FALSE(g->HasResetValues());
  ASSERT_EQ(g->nodes.size(), 15u);
  ASSERT_EQ(g->edges.size(), 14u);
  const NirNode& conv = g->nodes[g->Index("0")];
  EXPECT_EQ(conv.type, NirType::kConv2d);
  EXPECT_EQ(conv.Find("weight")->shape, (std::vector<int64_t>{16, 2, 5, 5}));
  EXPECT_FALSE(conv.Find("weight")->integer);
  EXPECT_EQ(conv.Find("stride")->values, (std::vector<double>{2, 2}));
  EXPECT_TRUE(conv.Find("stride")->integer);
  EXPECT_EQ(conv.Find("groups")->shape, std::vector<int64_t>{});  // a scalar
  const NirNode& neuron = g->nodes[g->Index("1")];
  EXPECT_EQ(neuron.type, NirType::kIF);
  EXPECT_EQ(neuron.Find("v_threshold")->shape, (std::vector<int64_t>{16, 16, 16}));
  EXPECT_EQ(g->nodes[g->Index("4")].type, NirType::kSumPool2d);
  EXPECT_EQ(g->nodes[g->Index("8")].type, NirType::kFlatten);
  EXPECT_EQ(g->nodes[g->Index("input")].Find("shape")->values, (std::vector<double>{2, 34, 34}));
  const auto edges = Edges(*g);
  EXPECT_TRUE(std::count(edges.begin(), edges.end(), "input -> 0"));
  EXPECT_TRUE(std::count(edges.begin(), edges.end(), "12 -> output"));
}

TEST(Nir, ReadsTheRecurrentBrailleNetworkWithDottedNames) {
  auto g = ReadNir(kDir + "braille_noDelay_bias_zero.nir");
  ASSERT_TRUE(g.has_value()) << g.error().message;
  ASSERT_EQ(g->nodes.size(), 7u);
  EXPECT_EQ(g->nodes[g->Index("lif1.lif")].type, NirType::kCubaLIF);
  EXPECT_EQ(g->nodes[g->Index("lif1.w_rec")].Find("weight")->shape, (std::vector<int64_t>{38, 38}));
  EXPECT_EQ(Edges(*g), (std::vector<std::string>{"fc1 -> lif1.lif", "fc2 -> lif2", "input -> fc1", "lif1.lif -> fc2",
                                                 "lif1.lif -> lif1.w_rec", "lif1.w_rec -> lif1.lif", "lif2 -> output"}));
}

TEST(Nir, ReadsTheNorseAndDebugGraphs) {
  auto norse = ReadNir(kDir + "lif_norse.nir");
  ASSERT_TRUE(norse.has_value()) << norse.error().message;
  EXPECT_EQ(norse->version, "0.1.1");
  EXPECT_EQ(norse->nodes[norse->Index("1")].type, NirType::kLIF);
  EXPECT_NEAR(norse->nodes[norse->Index("1")].Find("tau")->values[0], 2.5e-3, 1e-9);  // float32 in the file
  auto debug = ReadNir(kDir + "two_lif_neurons.nir");
  ASSERT_TRUE(debug.has_value()) << debug.error().message;
  EXPECT_EQ(debug->nodes.size(), 6u);
  EXPECT_EQ(debug->nodes[debug->Index("linear1")].type, NirType::kLinear);
}

TEST(Nir, WritesWhatItReadsAndReadsItBackUnchanged) {
  for (const char* file : {"cnn_sinabs.nir", "braille_noDelay_bias_zero.nir", "lif_norse.nir", "two_lif_neurons.nir"}) {
    auto g = ReadNir(kDir + file);
    ASSERT_TRUE(g.has_value()) << g.error().message;
    const std::string path = (::xbar::testing::TempDir() / (std::string("rt-") + file)).string();
    ASSERT_TRUE(WriteNir(path, *g).has_value()) << file;
    auto again = ReadNir(path);
    ASSERT_TRUE(again.has_value()) << again.error().message;
    EXPECT_EQ(again->version, g->version) << file;
    ASSERT_EQ(again->nodes.size(), g->nodes.size()) << file;
    for (std::size_t i = 0; i < g->nodes.size(); ++i) {
      EXPECT_EQ(again->nodes[i].name, g->nodes[i].name);
      EXPECT_EQ(again->nodes[i].type, g->nodes[i].type);
      ASSERT_EQ(again->nodes[i].params.size(), g->nodes[i].params.size()) << g->nodes[i].name;
      for (const auto& [key, t] : g->nodes[i].params) {
        EXPECT_EQ(again->nodes[i].Find(key)->values, t.values) << g->nodes[i].name << "." << key;
        EXPECT_EQ(again->nodes[i].Find(key)->shape, t.shape) << g->nodes[i].name << "." << key;
      }
    }
    EXPECT_EQ(Edges(*again), Edges(*g)) << file;
  }
}

TEST(Nir, RefusesWhatIsNotANirFileNamingIt) {
  const std::string missing = (::xbar::testing::TempDir() / "absent.nir").string();
  EXPECT_EQ(ReadNir(missing).error().code, ErrorCode::kNotFound);
  const std::string csv = kDir + "lif_norse.csv";
  auto not_hdf5 = ReadNir(csv);
  ASSERT_FALSE(not_hdf5.has_value());
  EXPECT_EQ(not_hdf5.error().code, ErrorCode::kDataLoss);
  EXPECT_EQ(not_hdf5.error().message, csv + ": not an HDF5 file (NIR files are HDF5)");
}

}  // namespace
}  // namespace xbar::compiler
