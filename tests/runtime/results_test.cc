// The commands' JSON results: every type round-trips through its writer and reader, a missing or
// mistyped key is a one-line error naming it, and the keys the report reads are where it reads them.
#include "runtime/results.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <string>

#include "tests/testing/temp.h"

namespace xbar::runtime {
namespace {

// Writes `record`, reads it back through text, writes again: the same bytes.
template <class Record, class FromJson>
Record RoundTrip(const Record& record, FromJson from_json) {
  const std::string text = DumpJson(ToJson(record));
  auto json = ParseJson(text, "r.json");
  EXPECT_TRUE(json.has_value()) << json.error().message;
  auto back = from_json(*json, "r.json");
  EXPECT_TRUE(back.has_value()) << (back ? "" : back.error().message);
  if (!back) return Record{};
  EXPECT_EQ(DumpJson(ToJson(*back)), text);
  return *back;
}

InferRecord SampleInfer() {
  InferRecord r;
  r.plan = "m.xbp";
  r.dataset = "mnist";
  r.backend = "rtl";
  r.chip_seed = 18446744073709551615u;
  r.seed = 7;
  r.ir_drop = false;
  r.read_noise = true;
  r.drift = false;
  r.report.output_gain = 1.75;
  r.report.points = {{.age_s = 3600, .compensation = DriftCompensation::kNone, .correct = 15, .images = 16,
                      .accuracy = 0.9375, .global_gain = 1, .min_column_gain = 0.5, .max_column_gain = 2,
                      .seconds = 0.25},
                     {.age_s = 3.15576e7, .compensation = DriftCompensation::kColumn, .correct = 12, .images = 16,
                      .accuracy = 0.75, .global_gain = 1.5, .min_column_gain = 1.25, .max_column_gain = 1.5,
                      .seconds = 0.5}};
  r.report.cycles_per_image = 1234;
  r.report.latency_s = 1.234e-5;
  r.report.read_energy_j = 1e-9;
  r.report.driver_energy_j = 4e-10;
  r.report.current_stage_energy_j = 5e-11;
  r.report.synapse_energy_j = 6e-12;
  r.report.neuron_energy_j = 2e-9;
  r.report.adc_energy_j = 3e-10;
  r.report.tile_reads_per_image = 140;
  r.report.seconds = 2.5;
  return r;
}

TEST(Results, InferRoundTripsWithItsReportAndRunMetadata) {
  InferRecord r = SampleInfer();
  const InferRecord state = RoundTrip(r, InferRecordFromJson);
  EXPECT_FALSE(state.programming_energy_j.has_value());
  EXPECT_EQ(state.chip_seed, 18446744073709551615u);
  ASSERT_EQ(state.report.points.size(), 2u);
  EXPECT_EQ(state.report.points[1].compensation, DriftCompensation::kColumn);
  EXPECT_EQ(state.report.points[1].age_s, 3.15576e7);
  EXPECT_EQ(state.report.points[0].accuracy, 0.9375);
  EXPECT_EQ(state.report.neuron_energy_j, 2e-9);
  EXPECT_EQ(state.report.driver_energy_j, 4e-10);
  EXPECT_EQ(state.report.current_stage_energy_j, 5e-11);
  EXPECT_EQ(state.report.synapse_energy_j, 6e-12);
  // A derived key is written from the report: the energy per image is the sum of its parts.
  const Json json = ToJson(r);
  EXPECT_DOUBLE_EQ(json.at("energy_per_image_j").get<double>(), 1e-9 + 4e-10 + 5e-11 + 6e-12 + 2e-9 + 3e-10);
  EXPECT_EQ(json.at("points")[0].at("age").get<std::string>(), "1h");
  EXPECT_FALSE(json.contains("programming_energy_j"));

  r.programming_energy_j = 4.5e-6;
  r.programming_pulses = 99;
  const InferRecord programmed = RoundTrip(r, InferRecordFromJson);
  EXPECT_EQ(programmed.programming_energy_j, 4.5e-6);
  EXPECT_EQ(programmed.programming_pulses, 99);
}

TEST(Results, InferKeysAreInTheOrderTheCommandAlwaysWroteThem) {
  const std::string text = DumpJson(ToJson(SampleInfer()));
  EXPECT_EQ(text.substr(0, 120),
            R"({"plan":"m.xbp","dataset":"mnist","backend":"rtl","chip_seed":18446744073709551615,"seed":7,"ir_drop":false,)"
            R"("read_noise")");
  EXPECT_NE(text.find(R"({"age":"1h","age_s":3600,"compensation":"none","accuracy":0.9375,"correct":15,"images":16,)"
                      R"("global_gain":1,"min_column_gain":0.5,"max_column_gain":2,"seconds":0.25})"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"("cycles_per_image":1234,"latency_s":1.234e-05,"energy_per_image_j":3.756e-09,"read_energy_per_image_j":1e-09,)"
                      R"("driver_energy_per_image_j":4e-10,"current_stage_energy_per_image_j":5e-11,)"
                      R"("synapse_energy_per_image_j":6e-12,"neuron_energy_per_image_j":2e-09,)"),
            std::string::npos)
      << text;
}

TEST(Results, EvalFinetuneProgramAndCompileRoundTrip) {
  const EvalRecord eval = RoundTrip(EvalRecord{.model = "m.xbm", .dataset = "fashion-mnist", .steps = 20, .period = 2,
                                               .samples = 10000, .correct = 9812, .accuracy = 0.9812, .loss = 0.07,
                                               .seconds = 3.5},
                                    EvalRecordFromJson);
  EXPECT_EQ(eval.correct, 9812);
  EXPECT_EQ(eval.dataset, "fashion-mnist");

  const FinetuneRecord tune = RoundTrip(
      FinetuneRecord{.dataset = "mnist", .age = "1d", .compensation = "global", .accuracy_before = 0.91,
                     .accuracy_after = 0.95, .images = 64, .cells_reprogrammed = 300, .delta_pulses = 4000,
                     .delta_energy_j = 1e-7, .finetune_seconds = 12},
      FinetuneRecordFromJson);
  EXPECT_EQ(tune.accuracy_after, 0.95);
  EXPECT_EQ(tune.cells_reprogrammed, 300);
  ProgramRecord program;
  program.program = "p.xbpulse";
  program.backend = "behavioural";
  program.reads_matched = 5;
  program.controller_cycles = 0;
  program.scheme = "model-predicted";
  program.cells = 100;
  program.pulses = 700;
  program.pulses_per_cell_mean = 7;
  program.pulses_per_cell_p99 = 20;
  program.failed = 3;
  program.error_mean_s = 1e-7;
  program.error_p99_s = 3e-7;
  program.chip_time_s = 0.01;
  program.chip_time_serial_s = 0.5;
  program.energy_j = 1e-6;
  program.seconds = 2;
  program.outcomes = {{"converged", 97}, {"stuck", 2}, {"budget", 1}};
  const ProgramRecord p = RoundTrip(program, ProgramRecordFromJson);
  ASSERT_EQ(p.outcomes.size(), 3u);
  EXPECT_EQ(p.outcomes[1].first, "stuck");
  EXPECT_EQ(p.outcomes[1].second, 2);
  CompileRecord compile;
  compile.model = "m.xbm";
  compile.chip = "c.textproto";
  compile.plan = "m.xbp";
  compile.scheme = "differential";
  compile.scale = "layer";
  compile.tiles_used = 12;
  compile.tiles_available = 32;
  compile.cell_utilisation = 0.8;
  compile.seconds = 1.5;
  compile.layers = {{784, 256, 14, 0.01, 0.02, 0.001}, {256, 10, 2, 0.02, 0.03, 0}};
  compile.passes = {{"quantize", 0.1, {{"clipped", 12}}}, {"remap", 0.2, {{"tiles-remapped", 3}, {"stuck-gain", 0.9}}}};
  const CompileRecord c = RoundTrip(compile, CompileRecordFromJson);
  ASSERT_EQ(c.passes.size(), 2u);
  EXPECT_EQ(c.passes[1].pass, "remap");
  EXPECT_EQ(c.passes[1].seconds, 0.2);
  ASSERT_EQ(c.passes[1].statistics.size(), 2u);
  EXPECT_EQ(c.passes[1].statistics[1].first, "stuck-gain");
  EXPECT_EQ(c.layers[0].tiles, 14);
  // The pass statistics sit beside "seconds", flat, as the CLI tests read them.
  EXPECT_NE(DumpJson(ToJson(compile)).find(R"("remap":{"seconds":0.2,"tiles-remapped":3,"stuck-gain":0.9})"),
            std::string::npos);
}

TEST(Results, YieldRoundTripsWithSeedsAsDecimalStrings) {
  YieldRecord y;
  y.plan = "m.xbp";
  y.program = std::nullopt;
  y.dataset = "mnist";
  y.backend = "behavioural";
  y.images = 100;
  y.base_seed = 18446744073709551557u;
  y.scheme = "model-predicted";
  y.chips = 2;
  y.ranks = 2;
  y.threads_per_rank = 1;
  y.seconds = 3;
  y.chips_per_second = 0.66;
  y.points = {{.age_s = 86400, .compensation = DriftCompensation::kGlobal, .mean = 0.95, .p5 = 0.9, .p50 = 0.95,
               .p95 = 0.99, .min = 0.9, .max = 1, .threshold = 0.98, .fraction_above = 0.5, .accuracies = {0.9, 1}}};
  y.seeds = {{1, 2, 3}, {18446744073709551615u, 5, 6}};
  y.failed_cells = {0, 4};
  y.pulses = {100, 120};
  const YieldRecord back = RoundTrip(y, YieldRecordFromJson);
  EXPECT_FALSE(back.program.has_value());
  EXPECT_EQ(back.base_seed, 18446744073709551557u);
  EXPECT_EQ(back.seeds[1].chip, 18446744073709551615u);
  EXPECT_EQ(back.points[0].accuracies[1], 1.0);
  const Json json = ToJson(y);
  EXPECT_TRUE(json.at("program").is_null());
  EXPECT_EQ(json.at("base_seed").get<std::string>(), "18446744073709551557");
  EXPECT_EQ(json.at("seeds")[0].at("read").get<std::string>(), "3");
  y.program = "p.xbpulse";
  EXPECT_EQ(RoundTrip(y, YieldRecordFromJson).program, "p.xbpulse");
}

TEST(Results, NonFiniteNumbersAreWrittenAsNullAndReadAsNan) {
  InferRecord r = SampleInfer();
  r.report.points[0].global_gain = std::nan("");
  const Json json = ToJson(r);
  auto back = InferRecordFromJson(*ParseJson(DumpJson(json), "r"), "r");
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_TRUE(std::isnan(back->report.points[0].global_gain));
}

TEST(Results, MissingOrMistypedKeysAreOneLineErrorsNamingThem_bad) {
  Json infer = ToJson(SampleInfer());
  infer.at("points")[1].erase("accuracy");
  auto missing = InferRecordFromJson(infer, "i.json");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kDataLoss);
  EXPECT_EQ(missing.error().message, R"(i.json: "points"[1]."accuracy" is missing)");

  infer = ToJson(SampleInfer());
  infer["seed"] = "seven";
  EXPECT_EQ(InferRecordFromJson(infer, "i.json").error().message, R"(i.json: "seed" is not an integer)");
  infer = ToJson(SampleInfer());
  infer.at("points")[0]["compensation"] = "sometimes";
  EXPECT_EQ(InferRecordFromJson(infer, "i.json").error().message,
            R"(i.json: "points"[0]."compensation": drift compensation 'sometimes' is not one of none, global, column)");
  infer = ToJson(SampleInfer());
  infer.at("points")[0]["accuracy"] = 1.5;
  EXPECT_EQ(InferRecordFromJson(infer, "i.json").error().message,
            R"(i.json: "points"[0]."accuracy" = 1.5 must lie in [0, 1])");
  infer = ToJson(SampleInfer());
  infer["points"] = Json::array();
  EXPECT_EQ(InferRecordFromJson(infer, "i.json").error().message, R"(i.json: "points" is empty)");

  Json yield = ToJson(YieldRecord{});
  yield["base_seed"] = 5;
  EXPECT_EQ(YieldRecordFromJson(yield, "y.json").error().message, R"(y.json: "base_seed" is not a decimal string)");
  Json compile = ToJson(CompileRecord{});
  compile["passes"] = Json::object({{"tile", Json::object({{"tiles", 3}})}});
  EXPECT_EQ(CompileRecordFromJson(compile, "c.json").error().message, R"(c.json: "passes"."tile"."seconds" is missing)");
  EXPECT_EQ(EvalRecordFromJson(Json::array(), "e.json").error().message, "e.json: expected a JSON object");
  Json tune = ToJson(FinetuneRecord{});
  tune["accuracy_after"] = -0.5;
  EXPECT_EQ(FinetuneRecordFromJson(tune, "f.json").error().message,
            R"(f.json: "accuracy_after" = -0.5 must lie in [0, 1])");
}

TEST(Results, ReadsTheFileACommandWrote) {
  const std::string path = (::xbar::testing::TempDir() / "xbar_results_eval.json").string();
  EvalRecord eval;
  eval.model = "m.xbm";
  eval.dataset = "mnist";
  eval.samples = 4;
  eval.correct = 3;
  eval.accuracy = 0.75;
  std::ofstream(path) << DumpJson(ToJson(eval)) << "\n";
  auto back = ReadEvalRecord(path);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(back->correct, 3);
  std::ofstream(path) << "{\"model\": ";
  auto truncated = ReadEvalRecord(path);
  ASSERT_FALSE(truncated.has_value());
  EXPECT_EQ(truncated.error().message.rfind(path + ": offset 10: ", 0), 0u) << truncated.error().message;
  EXPECT_FALSE(ReadInferRecord(path + ".absent").has_value());
}

}  // namespace
}  // namespace xbar::runtime
