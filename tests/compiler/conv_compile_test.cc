// Convolutional networks on the chip: kernel matrices tiled like dense ones, replicas (N and auto),
// every pass on convolution tiles, plan files with geometry, the neuron budget, and the latency.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "compiler/artifact_check.h"
#include "compiler/compile.h"
#include "compiler/plan_io.h"
#include "compiler/program_gen.h"
#include "compiler/quantizer.h"
#include "compiler/repair.h"
#include "runtime/backend.h"
#include "runtime/chip_view.h"
#include "runtime/latency.h"
#include "tests/testing/small_chip.h"
#include "tests/testing/temp.h"

namespace xbar::compiler {
namespace {

namespace dm = device_models;

using ::xbar::testing::SmallChip;

// 1x8x8 images: conv 3 channels 3x3 with bias (3x6x6, 36 positions; kernel matrix 10 rows x 3),
// average pooling 2, conv 4 channels 2x2 (4x2x2, 4 positions; 12 x 4), dense 16 -> 5.
// Neurons: 108 + 16 + 5 = 129.
Model ConvModel(unsigned seed = 11) {
  auto layers = ParseArchitecture("c3k3b-a2-c4k2-5", Shape3{1, 8, 8}, 5);
  XBAR_CHECK(layers.has_value());
  std::srand(seed);
  Model m;
  m.name = "conv";
  m.layers = *layers;
  for (const LayerShape& s : m.layers) {
    m.weights.push_back(Eigen::MatrixXf::Random(s.matrix_rows(), s.matrix_cols()) * 0.2f);
  }
  XBAR_CHECK(m.Validate().has_value());
  return m;
}

CompileOptions Options(const std::string& replicas, bool compensate = false) {
  CompileOptions options;
  options.compensate.enabled = compensate;
  XBAR_CHECK(SetPassOption(options, "conv", "replicas", replicas).has_value());
  return options;
}

// The quantised weight matrices a plan of `model` should hold (the quantiser's own dequantisation).
std::vector<Eigen::MatrixXf> Quantised(const Model& model, const dm::ChipSpec& chip,
                                       const QuantizeOptions& options = {}) {
  auto quantizer = Quantizer::Create(options, chip);
  XBAR_CHECK(quantizer.has_value());
  std::vector<Eigen::MatrixXf> out;
  for (const auto& w : model.weights) out.push_back(quantizer->Dequantize(quantizer->Quantize(w)));
  return out;
}

// What the cells of every tile mean: the conductance of its level (targets before compensation).
std::vector<Eigen::MatrixXd> LevelConductances(const Plan& plan) {
  std::vector<Eigen::MatrixXd> out;
  for (const auto& tile : plan.tiles) {
    Eigen::MatrixXd g = Eigen::MatrixXd::Constant(tile.levels.rows(), tile.levels.cols(),
                                                  plan.chip.device.memristor.g_min_s);
    for (Eigen::Index i = 0; i < g.size(); ++i) {
      if (tile.levels.data()[i] >= 0) g.data()[i] = LevelConductanceS(plan.chip, tile.levels.data()[i]);
    }
    out.push_back(std::move(g));
  }
  return out;
}

double RelativeError(const Eigen::MatrixXf& a, const Eigen::MatrixXf& b) { return (a - b).norm() / b.norm(); }

TEST(ConvCompile, KernelMatricesAreTiledLikeDenseMatrices) {
  const Model model = ConvModel();
  const dm::ChipSpec chip = SmallChip(16, 8, 8, 0, 0);
  auto plan = Compile(model, chip, Options("1"));
  ASSERT_TRUE(plan.has_value()) << plan.error().message;
  // 8 x 8 tiles take 8 inputs and 4 outputs: 2 + 2 + 2 x 2 tiles.
  ASSERT_EQ(plan->layers.size(), 3u);
  EXPECT_EQ(plan->layers[0].inputs, 10);
  EXPECT_EQ(plan->layers[0].outputs, 3);
  EXPECT_EQ(plan->layers[1].inputs, 12);
  EXPECT_EQ(plan->layers[2].inputs, 16);
  EXPECT_EQ(plan->layers[0].tiles.size(), 2u);
  EXPECT_EQ(plan->layers[1].tiles.size(), 2u);
  EXPECT_EQ(plan->layers[2].tiles.size(), 4u);
  EXPECT_EQ(plan->layers[0].positions(), 36);
  EXPECT_EQ(plan->layers[1].positions(), 4);
  EXPECT_EQ(plan->Neurons(), 129);
  EXPECT_EQ(plan->ReadCyclesPerStep(), 36 + 4 + 1);
  EXPECT_FALSE(plan->IsPlainDense());
  EXPECT_EQ(plan->layers[0].shape.ToString(), model.layers[0].ToString());
  auto back = WeightsFromPlan(*plan, TargetConductances(*plan), false);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(back->Describe(), model.Describe());
  ASSERT_TRUE(back->Validate().has_value());
  const auto expect = Quantised(model, chip);
  for (std::size_t l = 0; l < expect.size(); ++l) {
    EXPECT_LT((back->weights[l] - expect[l]).cwiseAbs().maxCoeff(), 1e-6) << "layer " << l;
  }
}

TEST(ConvCompile, ReplicasCopyEveryTileOfAConvolutionCappedAtItsPositions) {
  const Model model = ConvModel();
  const dm::ChipSpec chip = SmallChip(40, 8, 8, 0, 0);
  auto plan = Compile(model, chip, Options("3"));
  ASSERT_TRUE(plan.has_value()) << plan.error().message;
  EXPECT_EQ(plan->conv_replicas, 3);
  EXPECT_EQ(plan->layers[0].replicas, 3);
  EXPECT_EQ(plan->layers[1].replicas, 3);
  EXPECT_EQ(plan->layers[2].replicas, 1);  // dense: one position
  EXPECT_EQ(plan->TilesUsed(), 6 + 6 + 4);
  EXPECT_EQ(plan->layers[0].read_cycles(), 12);
  EXPECT_EQ(plan->layers[1].read_cycles(), 2);
  EXPECT_EQ(plan->ReadCyclesPerStep(), 12 + 2 + 1);
  // Replica-major within the layer: copy r holds the same targets as copy 0.
  for (const auto& layer : plan->layers) {
    const std::size_t per = static_cast<std::size_t>(layer.tiles_per_replica());
    for (std::size_t k = 0; k < layer.tiles.size(); ++k) {
      const PlanTile& tile = plan->tiles[static_cast<std::size_t>(layer.tiles[k])];
      const PlanTile& first = plan->tiles[static_cast<std::size_t>(layer.tiles[k % per])];
      EXPECT_EQ(tile.replica, static_cast<int>(k / per));
      EXPECT_EQ(tile.row_offset, first.row_offset);
      EXPECT_EQ(tile.column_offset, first.column_offset);
      EXPECT_TRUE(tile.levels == first.levels);
    }
  }
  const auto expect = Quantised(model, chip);
  for (int r = 0; r < 3; ++r) {
    auto back = WeightsFromPlan(*plan, TargetConductances(*plan), false, 0, r);
    ASSERT_TRUE(back.has_value()) << back.error().message;
    for (std::size_t l = 0; l < expect.size(); ++l) {
      EXPECT_LT((back->weights[l] - expect[l]).cwiseAbs().maxCoeff(), 1e-6) << "replica " << r << " layer " << l;
    }
  }
  // More copies than positions: the second convolution stops at its 4.
  auto capped = Compile(model, chip, Options("10"));
  ASSERT_TRUE(capped.has_value()) << capped.error().message;
  EXPECT_EQ(capped->layers[0].replicas, 10);
  EXPECT_EQ(capped->layers[1].replicas, 4);
  EXPECT_EQ(capped->layers[1].read_cycles(), 1);
  EXPECT_EQ(capped->TilesUsed(), 20 + 8 + 4);
}

TEST(ConvCompile, AutoReplicasFillTheFreeTilesWhereReadCyclesCostMost) {
  const Model model = ConvModel();
  // 8 tiles for one copy of each layer, 32 free. Layer 0 is read at ceil(100/20) = 5 steps of an
  // image, layer 1 at all 100: layer 1 (4 x 100 read cycles) goes first, to 2 then 4 copies (2
  // tiles each), then layer 0 (36 x 5) to 2, 3, 4, 5, 6, 8, 9, 12 copies: 18 tiles of 2 x 12 = 24
  // more; 18 copies would need 12 more tiles but only 4 are left.
  auto plan = Compile(model, SmallChip(40, 8, 8, 0, 0), Options("auto"));
  ASSERT_TRUE(plan.has_value()) << plan.error().message;
  EXPECT_EQ(plan->conv_replicas, kAutoReplicas);
  EXPECT_EQ(plan->layers[0].replicas, 12);
  EXPECT_EQ(plan->layers[1].replicas, 4);
  EXPECT_EQ(plan->layers[2].replicas, 1);
  EXPECT_EQ(plan->TilesUsed(), 36);
  EXPECT_EQ(plan->ReadCyclesPerStep(), 3 + 1 + 1);
  const auto& conv = plan->passes[2];
  ASSERT_EQ(conv.pass, "conv");
  EXPECT_EQ(conv.statistics[0].name, "replica-tiles");
  EXPECT_EQ(conv.statistics[0].value, 28);
  // No room: one copy each.
  auto tight = Compile(model, SmallChip(8, 8, 8, 0, 0), Options("auto"));
  ASSERT_TRUE(tight.has_value()) << tight.error().message;
  EXPECT_EQ(tight->ReadCyclesPerStep(), 36 + 4 + 1);
}

TEST(ConvCompile, SaysWhenTheNetworkNeedsMoreNeuronsOrTilesThanTheChipHas) {
  const Model model = ConvModel();
  dm::ChipSpec chip = SmallChip(16, 8, 8, 0, 0);
  chip.neurons = 128;
  auto neurons = Compile(model, chip, Options("1"));
  ASSERT_FALSE(neurons.has_value());
  EXPECT_EQ(neurons.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(neurons.error().message, "network needs 129 neurons but the chip has 128 (use a larger --chip)");
  chip.neurons = 129;
  EXPECT_TRUE(Compile(model, chip, Options("1")).has_value());
  auto tiles = Compile(model, SmallChip(7, 8, 8, 0, 0), Options("1"));
  ASSERT_FALSE(tiles.has_value());
  EXPECT_EQ(tiles.error().message, "plan needs 8 tiles of 8x8 but the chip has 7 (use a larger --chip)");
  auto copies = Compile(model, SmallChip(12, 8, 8, 0, 0), Options("3"));
  ASSERT_FALSE(copies.has_value());
  EXPECT_EQ(copies.error().message,
            "plan needs 16 tiles of 8x8 but the chip has 12 (use fewer --conv-replicas or a larger --chip)");
  CompileOptions options;
  EXPECT_EQ(SetPassOption(options, "conv", "replicas", "0").error().message,
            "--conv-replicas '0' must be a whole number in [1, 1048576] or auto");
  EXPECT_EQ(SetPassOption(options, "conv", "replicas", "many").error().message,
            "--conv-replicas 'many' must be a whole number in [1, 1048576] or auto");
}

// Compensation against IR drop and remapping around stuck cells on a replica's tile: the levels
// still mean the kernel matrices exactly, and under IR drop every replica realises them closely.
TEST(ConvCompile, EveryPassWorksOnConvolutionTilesAndTheirReplicas) {
  const Model model = ConvModel();
  // 8 x 8 tiles with 2 spare rows and columns (6 x 6 usable, 3 outputs): 2 + 4 + 6 tiles a copy.
  const dm::ChipSpec chip = SmallChip(24, 8, 8, 2, 2, 20);
  CompileOptions options = Options("2", true);
  options.compensate.iterations = 20;
  // Weights of at most 0.2 on a 0.4 clip: targets in the lower half of the window leave the
  // compensation headroom (cells at g_max cannot be raised).
  ASSERT_TRUE(SetPassOption(options, "quantize", "clip", "value").has_value());
  ASSERT_TRUE(SetPassOption(options, "quantize", "clip-value", "0.4").has_value());
  // Physical tile 2 is the first tile of layer 0's replica 1; its word line 1 is stuck on.
  dm::TileState faults;
  faults.tile = 2;
  faults.g_s = Eigen::MatrixXd::Constant(8, 8, chip.device.memristor.g_min_s);
  faults.stuck.assign(64, dm::StuckState::kNone);
  for (int c = 0; c < 6; ++c) {
    faults.g_s(1, c) = chip.device.memristor.g_max_s;
    faults.stuck[static_cast<std::size_t>(8 + c)] = dm::StuckState::kOn;
  }
  options.remap.faults = {faults};
  auto plan = Compile(model, chip, options);
  ASSERT_TRUE(plan.has_value()) << plan.error().message;
  ASSERT_EQ(plan->TilesUsed(), 2 * 2 + 4 * 2 + 6);
  const PlanTile& hit = plan->tiles[2];
  EXPECT_EQ(hit.layer, 0);
  EXPECT_EQ(hit.replica, 1);
  EXPECT_EQ(std::count(hit.row_map.begin(), hit.row_map.end(), 1), 0);  // off the stuck word line
  std::map<std::string, double> remap;
  for (const auto& report : plan->passes) {
    if (report.pass == "remap") {
      for (const auto& s : report.statistics) remap[s.name] = s.value;
    }
  }
  EXPECT_GT(remap["harmful-before"], 0);
  EXPECT_EQ(remap["harmful-after"], 0);
  // The remapped copy is compensated on its own; a copy with the same cells as its replica-0 tile
  // (tile 3, of tile 1) takes that tile's targets without solving again.
  EXPECT_GT(hit.compensation_iterations, 0);
  EXPECT_FALSE(hit.PhysicalTargets(0) == plan->tiles[0].PhysicalTargets(0));
  EXPECT_EQ(plan->tiles[3].compensation_iterations, 0);
  EXPECT_GT(plan->tiles[1].compensation_iterations, 0);
  EXPECT_TRUE(plan->tiles[3].PhysicalTargets(0) == plan->tiles[1].PhysicalTargets(0));
  const auto expect = Quantised(model, chip, options.quantize);
  CompileOptions uncompensated = options;
  uncompensated.compensate.enabled = false;
  auto plain = Compile(model, chip, uncompensated);
  ASSERT_TRUE(plain.has_value()) << plain.error().message;
  for (int r = 0; r < 2; ++r) {
    auto levels = WeightsFromPlan(*plan, LevelConductances(*plan), false, 0, r);
    auto after = WeightsFromPlan(*plan, TargetConductances(*plan), true, 0, r);
    auto before = WeightsFromPlan(*plain, TargetConductances(*plain), true, 0, r);
    ASSERT_TRUE(levels && after && before);
    for (std::size_t l = 0; l < expect.size(); ++l) {
      EXPECT_LT((levels->weights[l] - expect[l]).cwiseAbs().maxCoeff(), 1e-6) << "replica " << r << " layer " << l;
      const double err_before = RelativeError(before->weights[l], expect[l]);
      const double err_after = RelativeError(after->weights[l], expect[l]);
      EXPECT_LT(err_after, err_before / 5) << "replica " << r << " layer " << l << ": " << err_before << " -> "
                                           << err_after;
    }
  }
}

TEST(ConvCompile, PlanFilesCarryGeometryAndReplicas) {
  const Model model = ConvModel();
  auto plan = Compile(model, SmallChip(40, 8, 8, 0, 0), Options("auto"));
  ASSERT_TRUE(plan.has_value()) << plan.error().message;
  plan->chip.neurons = 1000;
  const std::string path = (::xbar::testing::TempDir() / "xbar_conv_plan.xbp").string();
  ASSERT_TRUE(WritePlan(path, *plan).has_value());
  auto back = ReadPlan(path);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(back->conv_replicas, kAutoReplicas);
  EXPECT_EQ(back->chip.neurons, 1000);
  ASSERT_EQ(back->layers.size(), plan->layers.size());
  for (std::size_t l = 0; l < plan->layers.size(); ++l) {
    const LayerShape &a = back->layers[l].shape, &b = plan->layers[l].shape;
    EXPECT_EQ(a.ToString(), b.ToString());
    EXPECT_EQ(a.kind, b.kind);
    EXPECT_EQ(a.source, b.source);
    EXPECT_EQ(a.pool, b.pool);
    EXPECT_EQ(a.pool_size, b.pool_size);
    EXPECT_EQ(a.kernel, b.kernel);
    EXPECT_EQ(a.stride, b.stride);
    EXPECT_EQ(a.padding, b.padding);
    EXPECT_EQ(a.out_channels, b.out_channels);
    EXPECT_EQ(a.bias, b.bias);
    EXPECT_EQ(back->layers[l].replicas, plan->layers[l].replicas);
    EXPECT_EQ(back->layers[l].tiles, plan->layers[l].tiles);
  }
  ASSERT_EQ(back->tiles.size(), plan->tiles.size());
  for (std::size_t t = 0; t < plan->tiles.size(); ++t) EXPECT_EQ(back->tiles[t].replica, plan->tiles[t].replica);
  EXPECT_EQ(PlanTargetsChecksum(*back), PlanTargetsChecksum(*plan));

  // What Validate refuses.
  Plan bad = *plan;
  bad.layers[1].replicas = 5;
  EXPECT_EQ(bad.Validate().error().message, "layer 1 has 5 replicas (need 1 to its 4 output positions)");
  bad = *plan;
  bad.tiles[static_cast<std::size_t>(bad.layers[0].tiles.back())].replica = 12;
  EXPECT_EQ(bad.Validate().error().message,
            "tile " + std::to_string(bad.layers[0].tiles.back()) + " is replica 12 of layer 0 which has 12");
  bad = *plan;
  const int last = bad.layers[0].tiles.back();  // replica 11's second tile: kernel rows 8 and 9
  bad.tiles[static_cast<std::size_t>(last)].replica = 0;
  EXPECT_EQ(bad.Validate().error().message,
            "tile " + std::to_string(last) + " maps weight (0, 8) a second time in replica 0");
  bad = *plan;
  bad.layers[1].shape.kernel = 3;
  EXPECT_EQ(bad.Validate().error().message,
            "layer 1 has a 12x4 weight matrix but its geometry a2-c4k3 needs 27x4");
}

TEST(ConvCompile, TheConvPlanProgramsOnTheChip) {
  const Model model = ConvModel();
  auto plan = Compile(model, SmallChip(40, 8, 8, 0, 0), Options("2"));
  ASSERT_TRUE(plan.has_value()) << plan.error().message;
  auto chip = CreateChipInstance(*plan, 3);
  ASSERT_TRUE(chip.has_value()) << chip.error().message;
  ProgramOptions options;
  options.seed = 4;
  auto program = GenerateProgram(PlanTargets(*plan), *chip, options);
  ASSERT_TRUE(program.has_value()) << program.error().message;
  int64_t cells = 0;
  for (const auto& tile : plan->tiles) cells += int64_t{tile.rows} * tile.used_columns;
  EXPECT_EQ(program->statistics.cells, cells);
  EXPECT_LT(program->statistics.failed(), cells / 2);  // write-verify converges on most cells
  EXPECT_TRUE(CheckProgramFitsPlan(*plan, *program, "p.xbpulse").has_value());
  // Repair re-targets the partners of the cells that failed, in whichever copy they are.
  auto repair = RetargetPartners(*plan, *program);
  ASSERT_TRUE(repair.has_value()) << repair.error().message;
  EXPECT_EQ(repair->failed_cells, program->statistics.failed());
  EXPECT_TRUE(repair->plan.Validate().has_value());
  EXPECT_EQ(repair->plan.layers[0].replicas, 2);
}

TEST(ConvLatency, CountsTheSequencersCyclesWithReadCyclesPerLayer) {
  // docs/rtl.md: MNIST 784-1024-10, T = 100, P = 20, S = 10, N = 5, 8-bit outputs: 14,705 cycles.
  const std::vector<int> dense = {1, 1};
  EXPECT_EQ(runtime::InputLoadCycles(784) + runtime::InferenceCycles(100, 20, dense, 10, 8, {}), 14705u);
  // Three layers read in 36, 4 and 1 read cycles: layer 0 at 5 steps, the others at 100.
  const std::vector<int> conv = {36, 4, 1};
  EXPECT_EQ(runtime::InferenceCycles(100, 20, conv, 5, 8, {}),
            3u + 100 * 3 * 7 + (5 * 36 + 100 * 4 + 100 * 1) * 11 + 100 * 5 * 9 + 5 + 1);
  // A compiled conv plan: the same figures, at the chip's clock.
  const Model model = ConvModel();
  auto plan = Compile(model, SmallChip(40, 8, 8, 0, 0), Options("1"));
  ASSERT_TRUE(plan.has_value()) << plan.error().message;
  const runtime::PlanLatency latency = runtime::EstimateLatency(*plan);
  EXPECT_EQ(latency.read_cycles_per_step, 41);
  EXPECT_EQ(latency.cycles_per_image, runtime::InputLoadCycles(64) + runtime::InferenceCycles(100, 20, conv, 5, 8, {}));
  EXPECT_DOUBLE_EQ(latency.seconds, static_cast<double>(latency.cycles_per_image) / 100e6);
}

TEST(ConvLatency, DensePlansAgreeWithTheInferenceBackend) {
  std::srand(5);
  Model model;
  model.name = "dense";
  model.weights = {Eigen::MatrixXf::Random(12, 20) * 0.1f, Eigen::MatrixXf::Random(4, 12) * 0.1f};
  CompileOptions options;
  options.compensate.enabled = false;
  auto plan = Compile(model, SmallChip(20, 8, 8, 0, 0), options);
  ASSERT_TRUE(plan.has_value()) << plan.error().message;
  runtime::ChipViewOptions view_options;
  view_options.ir_drop = false;
  view_options.timing = {.sense_cycles = 7, .neuron_cycles = 3};
  auto view = runtime::ChipView::Create(*plan, TargetConductances(*plan), nullptr, view_options);
  ASSERT_TRUE(view.has_value()) << view.error().message;
  const runtime::PlanLatency latency = runtime::EstimateLatency(*plan, view_options.timing);
  EXPECT_EQ(latency.cycles_per_image, runtime::InputLoadCycles(view->inputs()) + view->InferenceCycles());
  EXPECT_EQ(latency.read_cycles_per_step, 2);
}

}  // namespace
}  // namespace xbar::compiler
