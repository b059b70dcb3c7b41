// The compile pipeline: each pass on small models and chips, plan files, and MNIST on the default chip.
#include "compiler/compile.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "compiler/chip_io.h"
#include "compiler/model_io.h"
#include "compiler/plan_io.h"
#include "device_models/tile_circuit.h"
#include "runtime/dataset.h"
#include "runtime/trainer.h"
#include "support/file_io.h"
#include "tests/testing/small_chip.h"
#include "tests/testing/temp.h"

namespace xbar::compiler {
namespace {

namespace dm = device_models;

using ::xbar::testing::SmallChip;

Model OneLayer(const Eigen::MatrixXf& w) {
  Model m;
  m.name = "tiny";
  m.weights.push_back(w);
  return m;
}

Model RandomModel(const std::vector<int>& sizes, unsigned seed) {
  std::srand(seed);
  Model m;
  m.name = "random";
  for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
    m.weights.push_back(Eigen::MatrixXf::Random(sizes[l + 1], sizes[l]) * 0.1f);
  }
  return m;
}

CompileOptions NoCompensation() {
  CompileOptions options;
  options.compensate.enabled = false;
  return options;
}

std::string TempPath(const std::string& name) {
  return (::xbar::testing::TempDir() / ("xbar_compile_" + name)).string();
}

// W_q = clip / steps * round(clamp(w) / clip * steps), the quantiser's definition.
float Quantised(float w, double clip, int steps) {
  const double q = std::lround(std::clamp<double>(w, -clip, clip) / clip * steps);
  return static_cast<float>(q * clip / steps);
}

TEST(Quantize, DifferentialLevelsAndClippingAreExact) {
  Eigen::MatrixXf w(2, 3);
  w << 1.5f, -0.5f, 0.1f,
       0.0f, -2.0f, 0.2f;
  const dm::ChipSpec chip = SmallChip(4, 8, 8, 0, 0);
  CompileOptions options = NoCompensation();
  ASSERT_TRUE(SetPassOption(options, "quantize", "clip", "value").has_value());
  ASSERT_TRUE(SetPassOption(options, "quantize", "clip-value", "1").has_value());
  auto plan = Compile(OneLayer(w), chip, options);
  ASSERT_TRUE(plan.has_value()) << plan.error().message;
  ASSERT_EQ(plan->tiles.size(), 1u);
  const PlanTile& tile = plan->tiles[0];
  // Output o on bit lines 2o (G+) and 2o+1 (G-), input i on word line i; 15 steps per side.
  const int expect_plus[3][2] = {{15, 0}, {0, 0}, {2, 3}};   // [input][output]
  const int expect_minus[3][2] = {{0, 0}, {8, 15}, {0, 0}};  // -0.5 * 15 = -7.5 rounds to -8
  for (int i = 0; i < 3; ++i) {
    for (int o = 0; o < 2; ++o) {
      EXPECT_EQ(tile.levels(i, 2 * o), expect_plus[i][o]) << i << "," << o;
      EXPECT_EQ(tile.levels(i, 2 * o + 1), expect_minus[i][o]) << i << "," << o;
      EXPECT_DOUBLE_EQ(tile.target_g_s(i, 2 * o), chip.LevelS(expect_plus[i][o]));
    }
  }
  EXPECT_EQ(tile.levels(3, 0), -1);
  EXPECT_TRUE(std::isnan(tile.target_g_s(0, 4)));
  EXPECT_EQ(tile.spare_rows, 5);
  EXPECT_EQ(tile.spare_columns, 4);
  const PlanLayer& layer = plan->layers[0];
  EXPECT_DOUBLE_EQ(layer.clipped_fraction, 2.0 / 6.0);
  EXPECT_DOUBLE_EQ(layer.scale[0], 1.0 / (15 * chip.LevelSpacingS()));
  auto back = WeightsFromPlan(*plan, TargetConductances(*plan), false);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  for (int o = 0; o < 2; ++o) {
    for (int i = 0; i < 3; ++i) EXPECT_NEAR(back->weights[0](o, i), Quantised(w(o, i), 1.0, 15), 1e-6);
  }
  EXPECT_NEAR(back->weights[0](0, 0), 1.0f, 1e-6);   // clipped
  EXPECT_NEAR(back->weights[0](1, 1), -1.0f, 1e-6);  // clipped
}

TEST(Quantize, OffsetSchemeDequantisesThroughTheReferenceColumn) {
  Eigen::MatrixXf w(2, 3);
  w << 0.7f, -0.35f, 0.1f,
       0.0f, -0.7f, 0.2f;
  dm::ChipSpec chip = SmallChip(4, 8, 8, 0, 0);
  chip.columns_per_neuron = 1;
  auto plan = Compile(OneLayer(w), chip, NoCompensation());
  ASSERT_TRUE(plan.has_value()) << plan.error().message;
  EXPECT_EQ(plan->scheme, MappingScheme::kOffset);
  const PlanTile& tile = plan->tiles[0];
  EXPECT_EQ(tile.used_columns, 3);  // two outputs and the reference
  // 16 levels: reference at level 7, 7 steps each side; clip = max |w| = 0.7.
  EXPECT_EQ(plan->layers[0].reference_level, 7);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(tile.levels(i, 2), 7);
  EXPECT_EQ(tile.levels(0, 0), 14);
  EXPECT_EQ(tile.levels(1, 1), 0);
  EXPECT_EQ(tile.levels(1, 0), 7 - 4);  // -0.35 / 0.7 * 7 = -3.5 rounds to -4
  auto back = WeightsFromPlan(*plan, TargetConductances(*plan), false);
  ASSERT_TRUE(back.has_value());
  for (int o = 0; o < 2; ++o) {
    for (int i = 0; i < 3; ++i) {
      EXPECT_NEAR(back->weights[0](o, i), Quantised(w(o, i), plan->layers[0].clip[o], 7), 1e-6);
    }
  }
  // The reference column is read per row: a drifted reference cell shifts that row's weights.
  auto g = TargetConductances(*plan);
  g[0](1, 2) += chip.LevelSpacingS();
  auto shifted = WeightsFromPlan(*plan, g, false);
  ASSERT_TRUE(shifted.has_value());
  EXPECT_NEAR(shifted->weights[0](0, 1) - back->weights[0](0, 1), -0.1f, 1e-6);
  EXPECT_NEAR(shifted->weights[0](0, 0) - back->weights[0](0, 0), 0.0f, 1e-7);
  // A scheme the chip's neurons cannot read is refused.
  CompileOptions differential = NoCompensation();
  ASSERT_TRUE(SetPassOption(differential, "quantize", "scheme", "differential").has_value());
  auto refused = Compile(OneLayer(w), chip, differential);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().message,
            "--quantize-scheme differential needs a chip with columns_per_neuron = 2 but chip 'small' has 1 "
            "(use --quantize-scheme auto)");
}

TEST(Quantize, PercentileClipAndColumnScale) {
  Eigen::MatrixXf w(2, 100);
  for (int i = 0; i < 100; ++i) {
    w(0, i) = static_cast<float>(i + 1) / 100;   // |w| = 0.01 ... 1.00
    w(1, i) = -static_cast<float>(i + 1) / 10;   // |w| = 0.1 ... 10
  }
  CompileOptions options = NoCompensation();
  ASSERT_TRUE(SetPassOption(options, "quantize", "scale", "column").has_value());
  ASSERT_TRUE(SetPassOption(options, "quantize", "clip", "percentile").has_value());
  ASSERT_TRUE(SetPassOption(options, "quantize", "clip-percentile", "95").has_value());
  auto plan = Compile(OneLayer(w), SmallChip(4, 128, 8, 0, 0), options);
  ASSERT_TRUE(plan.has_value()) << plan.error().message;
  const PlanLayer& layer = plan->layers[0];
  // Nearest rank: the 95th of 100 sorted magnitudes.
  EXPECT_FLOAT_EQ(static_cast<float>(layer.clip[0]), 0.95f);
  EXPECT_FLOAT_EQ(static_cast<float>(layer.clip[1]), 9.5f);
  EXPECT_NEAR(layer.scale[1] / layer.scale[0], 10.0, 1e-5);
  EXPECT_DOUBLE_EQ(layer.clipped_fraction, 0.05);
  // Per-column scale beats one scale for both rows of very different magnitude.
  CompileOptions per_layer = NoCompensation();
  auto coarse = Compile(OneLayer(w), SmallChip(4, 128, 8, 0, 0), per_layer);
  ASSERT_TRUE(coarse.has_value());
  EXPECT_LT(layer.rms_error, coarse->layers[0].rms_error);
}

TEST(Tile, CoversEveryWeightExactlyOnceAndRowSplitTilesAdd) {
  const Model model = RandomModel({50, 37, 9}, 3);
  // 8 x 8 tiles with one spare row and column: 7 usable rows, 3 differential outputs per tile.
  auto plan = Compile(model, SmallChip(200, 8, 8, 1, 1), NoCompensation());
  ASSERT_TRUE(plan.has_value()) << plan.error().message;
  EXPECT_EQ(plan->layers[0].tiles.size(), 8u * 13u);  // ceil(50/7) x ceil(37/3)
  EXPECT_EQ(plan->layers[1].tiles.size(), 6u * 3u);   // ceil(37/7) x ceil(9/3)
  for (std::size_t l = 0; l < 2; ++l) {
    Eigen::MatrixXi hits = Eigen::MatrixXi::Zero(model.weights[l].rows(), model.weights[l].cols());
    for (int t : plan->layers[l].tiles) {
      const PlanTile& tile = plan->tiles[t];
      EXPECT_LE(tile.rows, 7);
      EXPECT_LE(tile.used_columns, 7);
      hits.block(tile.column_offset, tile.row_offset, tile.outputs, tile.rows).array() += 1;
    }
    EXPECT_EQ(hits.minCoeff(), 1);
    EXPECT_EQ(hits.maxCoeff(), 1);
  }
  EXPECT_TRUE(plan->Validate().has_value());
  // Dequantised weights equal the quantiser's, so partial sums add up correctly.
  auto back = WeightsFromPlan(*plan, TargetConductances(*plan), false);
  ASSERT_TRUE(back.has_value());
  for (std::size_t l = 0; l < 2; ++l) {
    const double clip = plan->layers[l].clip[0];
    const Eigen::MatrixXf expect = model.weights[l].unaryExpr([clip](float v) { return Quantised(v, clip, 15); });
    EXPECT_LT((back->weights[l] - expect).cwiseAbs().maxCoeff(), 1e-6);
    const double rms = (back->weights[l] - model.weights[l]).norm() / model.weights[l].norm();
    EXPECT_NEAR(plan->layers[l].rms_error, rms, 1e-5);
  }
}

TEST(Place, ReportsUtilisationAndSaysWhenTheModelDoesNotFit) {
  const Model model = RandomModel({20, 12}, 4);
  // 8 x 8, no spares, differential: ceil(20/8) x ceil(12/4) = 9 tiles.
  auto plan = Compile(model, SmallChip(12, 8, 8, 0, 0), NoCompensation());
  ASSERT_TRUE(plan.has_value()) << plan.error().message;
  EXPECT_EQ(plan->TilesUsed(), 9);
  for (std::size_t t = 0; t < plan->tiles.size(); ++t) EXPECT_EQ(plan->tiles[t].physical_index, static_cast<int>(t));
  EXPECT_DOUBLE_EQ(plan->CellUtilisation(), 20.0 * 24 / (9 * 64));
  const auto& place = plan->passes[2];
  ASSERT_EQ(place.pass, "place");
  EXPECT_EQ(place.statistics[2].name, "tile-utilisation");
  EXPECT_DOUBLE_EQ(place.statistics[2].value, 0.75);
  auto full = Compile(model, SmallChip(8, 8, 8, 0, 0), NoCompensation());
  ASSERT_FALSE(full.has_value());
  EXPECT_EQ(full.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(full.error().message, "plan needs 9 tiles of 8x8 but the chip has 8 (use a larger --chip)");
}

TEST(Compensate, ReducesTheResidualOnATileWithSignificantIrDrop) {
  const Model model = RandomModel({32, 16}, 5);
  dm::ChipSpec chip = SmallChip(4, 32, 32, 0, 0);
  chip.wires = {.r_row_ohm = 20, .r_col_ohm = 20, .r_driver_ohm = 50, .r_sense_ohm = 50};
  // Weights of at most 0.1 on a 0.2 clip: targets in the lower half of the window leave the
  // compensation headroom (cells already at g_max cannot be raised further).
  CompileOptions no_compensation = NoCompensation();
  ASSERT_TRUE(SetPassOption(no_compensation, "quantize", "clip", "value").has_value());
  ASSERT_TRUE(SetPassOption(no_compensation, "quantize", "clip-value", "0.2").has_value());
  auto plain = Compile(model, chip, no_compensation);
  CompileOptions options = no_compensation;
  options.compensate.enabled = true;
  options.compensate.iterations = 20;
  auto compensated = Compile(model, chip, options);
  ASSERT_TRUE(plain.has_value() && compensated.has_value());
  const PlanTile& tile = compensated->tiles[0];
  EXPECT_GT(tile.residual_before, 0.05);  // significant IR drop
  EXPECT_LT(tile.residual_after, tile.residual_before / 5);
  // Independently: the weights the chip realises under IR drop get closer to the quantised ones.
  auto ideal = WeightsFromPlan(*plain, TargetConductances(*plain), false);
  auto before = WeightsFromPlan(*plain, TargetConductances(*plain), true);
  auto after = WeightsFromPlan(*compensated, TargetConductances(*compensated), true);
  ASSERT_TRUE(ideal && before && after);
  const double err_before = (before->weights[0] - ideal->weights[0]).norm() / ideal->weights[0].norm();
  const double err_after = (after->weights[0] - ideal->weights[0]).norm() / ideal->weights[0].norm();
  EXPECT_LT(err_after, err_before / 5) << err_before << " -> " << err_after;
  std::printf("residual %.4f -> %.4f, weights under IR drop %.4f -> %.4f\n", tile.residual_before,
              tile.residual_after, err_before, err_after);
  // The targets stay in the window and are the same for any thread count.
  const double g_max = chip.device.memristor.g_max_s;
  EXPECT_LE(tile.target_g_s.topLeftCorner(tile.rows, tile.used_columns).maxCoeff(), g_max);
  options.threads = 1;
  auto serial = Compile(model, chip, options);
  ASSERT_TRUE(serial.has_value());
  EXPECT_TRUE(serial->tiles[0].target_g_s.topLeftCorner(32, 32).isApprox(tile.target_g_s.topLeftCorner(32, 32), 0));
}

TEST(PlanIo, RoundTripsEveryField) {
  const Model model = RandomModel({20, 12, 5}, 6);
  dm::ChipSpec chip = SmallChip(20, 8, 8, 1, 1);
  chip.wires.r_row_ohm = 2;
  CompileOptions options;
  options.compensate.iterations = 2;
  auto plan = Compile(model, chip, options);
  ASSERT_TRUE(plan.has_value()) << plan.error().message;
  const std::string path = TempPath("rt.xbp");
  ASSERT_TRUE(WritePlan(path, *plan).has_value());
  auto back = ReadPlan(path);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(back->model_name, plan->model_name);
  EXPECT_EQ(FormatChipText(back->chip), FormatChipText(plan->chip));
  EXPECT_EQ(back->encoding.steps, plan->encoding.steps);
  EXPECT_EQ(back->neuron.k_mv, plan->neuron.k_mv);
  EXPECT_TRUE(back->compensated);
  ASSERT_EQ(back->layers.size(), plan->layers.size());
  for (std::size_t l = 0; l < plan->layers.size(); ++l) {
    EXPECT_EQ(back->layers[l].scale, plan->layers[l].scale);
    EXPECT_EQ(back->layers[l].tiles, plan->layers[l].tiles);
    EXPECT_EQ(back->layers[l].rms_error, plan->layers[l].rms_error);
  }
  ASSERT_EQ(back->tiles.size(), plan->tiles.size());
  for (std::size_t t = 0; t < plan->tiles.size(); ++t) {
    const PlanTile &a = plan->tiles[t], &b = back->tiles[t];
    EXPECT_EQ(a.levels, b.levels);
    EXPECT_TRUE(a.target_g_s.array().isNaN().matrix() == b.target_g_s.array().isNaN().matrix());
    EXPECT_EQ(a.target_g_s.topLeftCorner(a.rows, a.used_columns), b.target_g_s.topLeftCorner(b.rows, b.used_columns));
    EXPECT_EQ(a.residual_after, b.residual_after);
    EXPECT_EQ(a.physical_index, b.physical_index);
  }
  ASSERT_EQ(back->passes.size(), 4u);
  EXPECT_EQ(back->passes[3].statistics[0].name, "residual-before");
  EXPECT_EQ(back->passes[3].statistics[0].value, plan->passes[3].statistics[0].value);
}

TEST(PlanIo, DamagedFilesAreRejectedWithExactMessages) {
  auto plan = Compile(RandomModel({10, 4}, 7), SmallChip(4, 8, 8, 0, 0), NoCompensation());
  ASSERT_TRUE(plan.has_value());
  const std::string path = TempPath("damaged.xbp");
  ASSERT_TRUE(WritePlan(path, *plan).has_value());
  const std::string good = *ReadFile(path);
  auto message = [&](const std::string& bytes) {
    EXPECT_TRUE(WriteFileAtomic(path, bytes).has_value());
    auto read = ReadPlan(path);
    EXPECT_FALSE(read.has_value());
    if (read) return std::string("accepted");
    EXPECT_EQ(read.error().code, ErrorCode::kDataLoss);
    return read.error().message;
  };
  const std::string payload_bytes = std::to_string(good.size() - kArtifactHeaderBytes);
  EXPECT_EQ(message(good.substr(0, good.size() - 10)),
            path + ": truncated: header says " + payload_bytes + " payload bytes, file has " +
                std::to_string(good.size() - kArtifactHeaderBytes - 10));
  EXPECT_EQ(message(good.substr(0, 10)), path + ": truncated: 10 bytes, shorter than the 24-byte xbar header");
  std::string corrupt = good;
  corrupt[good.size() / 2] ^= 0x40;
  EXPECT_EQ(message(corrupt), path + ": corrupt: payload checksum does not match the header");
  std::string version = good;
  version[8] = 2;
  EXPECT_EQ(message(version), path + ": plan schema version 2 is not supported (this xbar reads version 1)");
  std::string kind = good;
  kind.replace(4, 4, "XBM1");
  EXPECT_EQ(message(kind), path + ": is a 'XBM1' file, expected a plan ('XBP1')");
  const ArtifactKind plan_kind{"XBP1", "plan", 1};
  ASSERT_TRUE(WriteArtifact(path, plan_kind, "\xff\xff\xff").has_value());
  EXPECT_EQ(ReadPlan(path).error().message, path + ": plan payload is not a valid xbar.v1.Plan");
  // A well-formed container whose plan is inconsistent: an empty payload has no layers.
  ASSERT_TRUE(WriteArtifact(path, plan_kind, "").has_value());
  EXPECT_EQ(ReadPlan(path).error().message, path + ": encoding kind 0 is not supported");
  EXPECT_EQ(ReadPlan("/nonexistent.xbp").error().code, ErrorCode::kNotFound);
}

TEST(Passes, ListPassesShowsEveryPassWithItsOptionsAndStatistics) {
  const std::string list = FormatPassList();
  for (const char* text : {"quantize:", "tile:", "place:", "remap:", "compensate:", "--quantize-scheme",
                           "--quantize-scale", "--remap-age", "statistic harmful-after",
                           "--quantize-clip-percentile", "--compensate-enable", "--compensate-iterations",
                           "statistic rms-error-max", "statistic tile-utilisation", "statistic residual-after"}) {
    EXPECT_NE(list.find(text), std::string::npos) << text;
  }
  ASSERT_EQ(Passes().size(), 6u);
  EXPECT_EQ(Passes()[0].name, "quantize");
  EXPECT_EQ(Passes()[2].name, "conv");
  EXPECT_NE(list.find("--conv-replicas (int|auto, default 1)"), std::string::npos) << list;
  CompileOptions options;
  EXPECT_EQ(SetPassOption(options, "quantize", "clip", "huge").error().message,
            "--quantize-clip 'huge' must be max, value or percentile");
  EXPECT_EQ(SetPassOption(options, "compensate", "step", "3").error().message,
            "--compensate-step = 3 must lie in (0, 2]");
  EXPECT_EQ(SetPassOption(options, "compensate", "iterations", "x").error().message,
            "--compensate-iterations 'x' must be a number");
  auto age = SetPassOption(options, "remap", "age", "soon");
  ASSERT_FALSE(age.has_value());
  EXPECT_EQ(age.error().message.rfind("--remap-age: ", 0), 0u) << age.error().message;
  ASSERT_TRUE(SetPassOption(options, "remap", "age", "1y").has_value());
  EXPECT_EQ(options.remap.age_s, 365.25 * 86400);
  ASSERT_TRUE(SetPassOption(options, "compensate", "enable", "false").has_value());
  std::vector<Pass> pipeline;
  PopulatePipeline(options, pipeline);
  EXPECT_EQ(pipeline.size(), 3u);  // quantize, tile, place: one copy of each layer, no fault map, no compensation
  ASSERT_TRUE(SetPassOption(options, "conv", "replicas", "auto").has_value());
  EXPECT_EQ(options.conv.replicas, kAutoReplicas);
  pipeline.clear();
  PopulatePipeline(options, pipeline);
  ASSERT_EQ(pipeline.size(), 4u);
  EXPECT_EQ(pipeline[2].info->name, "conv");
}

}  // namespace
}  // namespace xbar::compiler
