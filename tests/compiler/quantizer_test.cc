// The differential-pair column layout and the quantiser on their own, and against the compile pipeline.
#include "compiler/quantizer.h"

#include <gtest/gtest.h>

#include <string>

#include "compiler/compile.h"
#include "compiler/pair_layout.h"
#include "compiler/plan.h"
#include "tests/testing/small_chip.h"

namespace xbar::compiler {
namespace {

TEST(PairLayout, DifferentialPairsSitSideBySide) {
  const PairLayout layout{MappingScheme::kDifferential, 3};
  EXPECT_EQ(layout.columns(), 6);
  EXPECT_EQ(layout.weight_columns(), 6);
  EXPECT_EQ(layout.plus_column(1), 2);
  EXPECT_EQ(layout.minus_column(1), 3);
  EXPECT_EQ(layout.partner_column(2), 3);
  EXPECT_EQ(layout.partner_column(3), 2);
  EXPECT_EQ(layout.output_of(5), 2);
  EXPECT_EQ(layout.reference_column(), -1);
  EXPECT_EQ(PairLayout::OutputsPerTile(MappingScheme::kDifferential, 128), 64);
  Eigen::MatrixXd g(1, 6);
  g << 5, 1, 2, 7, 0, 0;
  EXPECT_EQ(layout.Difference(g, 0, 0), 4);
  EXPECT_EQ(layout.Difference(g, 0, 1), -5);
}

TEST(PairLayout, OffsetSchemeMeasuresEveryOutputAgainstOneReferenceColumn) {
  const PairLayout layout{MappingScheme::kOffset, 3};
  EXPECT_EQ(layout.columns(), 4);
  EXPECT_EQ(layout.weight_columns(), 3);
  EXPECT_EQ(layout.plus_column(1), 1);
  EXPECT_EQ(layout.minus_column(1), 3);
  EXPECT_EQ(layout.minus_column(0), 3);
  EXPECT_EQ(layout.reference_column(), 3);
  EXPECT_EQ(layout.partner_column(1), -1);
  EXPECT_EQ(PairLayout::OutputsPerTile(MappingScheme::kOffset, 128), 127);
  Eigen::MatrixXd g(1, 4);
  g << 5, 1, 2, 3;
  EXPECT_EQ(layout.Difference(g, 0, 0), 2);
  EXPECT_EQ(layout.Difference(g, 0, 1), -2);
}

Model TwoLayers() {
  std::srand(11);
  Model m;
  m.name = "two";
  m.weights.push_back(Eigen::MatrixXf::Random(12, 40) * 0.2f);
  m.weights.push_back(Eigen::MatrixXf::Random(10, 12) * 0.5f);
  m.weights[1].row(3).setZero();  // an all-zero scale group with --quantize-scale column
  return m;
}

// Every scheme, scale and clip mode: the plan's ideal targets, read back as weights, are exactly
// what the quantiser says they stand for (one quantiser behind the pass).
TEST(Quantizer, DequantisedWeightsAreThoseOfTheCompiledPlanInEveryMode) {
  const Model model = TwoLayers();
  for (const auto& [scheme, columns_per_neuron] : {std::pair{"differential", 2}, std::pair{"offset", 1}}) {
    auto chip = ::xbar::testing::SmallChip(8, 32, 32, 0, 0);
    chip.columns_per_neuron = columns_per_neuron;
    for (const char* scale : {"layer", "column"}) {
      for (const char* clip : {"max", "value", "percentile"}) {
        SCOPED_TRACE(std::string(scheme) + " " + scale + " " + clip);
        CompileOptions options;
        options.compensate.enabled = false;
        ASSERT_TRUE(SetPassOption(options, "quantize", "scheme", scheme).has_value());
        ASSERT_TRUE(SetPassOption(options, "quantize", "scale", scale).has_value());
        ASSERT_TRUE(SetPassOption(options, "quantize", "clip", clip).has_value());
        ASSERT_TRUE(SetPassOption(options, "quantize", "clip-value", "0.05").has_value());
        ASSERT_TRUE(SetPassOption(options, "quantize", "clip-percentile", "90").has_value());
        auto plan = Compile(model, chip, options);
        ASSERT_TRUE(plan.has_value()) << plan.error().message;
        auto back = WeightsFromPlan(*plan, TargetConductances(*plan), false);
        ASSERT_TRUE(back.has_value());
        auto quantizer = Quantizer::Create(options.quantize, chip);
        ASSERT_TRUE(quantizer.has_value());
        for (std::size_t l = 0; l < model.weights.size(); ++l) {
          const QuantizedLayer q = quantizer->Quantize(model.weights[l]);
          EXPECT_EQ(q.layer.scale, plan->layers[l].scale);
          EXPECT_EQ(q.layer.clip, plan->layers[l].clip);
          EXPECT_TRUE((quantizer->Dequantize(q).array() == back->weights[l].array()).all()) << "layer " << l;
        }
      }
    }
  }
}

TEST(Quantizer, RejectsASchemeTheChipDoesNotHaveAndAClipValueOfZero) {
  auto chip = ::xbar::testing::SmallChip(1, 8, 8, 0, 0);
  QuantizeOptions options;
  options.scheme = QuantizeOptions::Scheme::kOffset;
  EXPECT_EQ(Quantizer::Create(options, chip).error().message,
            "--quantize-scheme offset needs a chip with columns_per_neuron = 1 but chip 'small' has 2 "
            "(use --quantize-scheme auto)");
  options = {};
  options.clip = ClipMode::kValue;
  EXPECT_EQ(Quantizer::Create(options, chip).error().message, "--quantize-clip value needs --quantize-clip-value > 0");
}

// The pass list shows the options structs' own defaults (written once).
TEST(Passes, DefaultsShownAreTheOptionsStructsDefaults) {
  const std::string list = FormatPassList();
  for (const char* text : {"--quantize-scheme (enum, default auto)", "--quantize-scale (enum, default layer)",
                           "--quantize-clip (enum, default max)", "--quantize-clip-value (double, default 0)",
                           "--quantize-clip-percentile (double, default 99.9)", "--remap-age (duration, default 1d)",
                           "--remap-rounds (int, default 4)", "--compensate-enable (bool, default true)",
                           "--compensate-iterations (int, default 8)", "--compensate-step (double, default 1)",
                           "--compensate-tolerance (double, default 0.001)"}) {
    EXPECT_NE(list.find(text), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace xbar::compiler
