// The report library: figure data against independent values, the page, the gnuplot runner, a whole report.
#include "runtime/report/report.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>

#include "compiler/compile.h"
#include "compiler/program_gen.h"
#include "runtime/report/figures.h"
#include "runtime/report/gnuplot.h"
#include "runtime/report/html.h"
#include "runtime/report/report_json.h"
#include "runtime/results.h"
#include "support/file_io.h"
#include "tests/testing/conv_model.h"
#include "tests/testing/small_chip.h"
#include "tests/testing/temp.h"

namespace xbar::runtime::report {
namespace {

namespace dm = device_models;
namespace fs = std::filesystem;

constexpr double kHour = 3600, kYear = 31557600;

compiler::Plan SmallPlan(const dm::ChipSpec& chip, int inputs, int outputs) {
  std::srand(7);
  compiler::Model model;
  model.name = "small";
  model.weights.push_back(Eigen::MatrixXf::Random(outputs, inputs) * 0.1f);
  compiler::CompileOptions options;
  options.compensate.enabled = false;
  auto plan = compiler::Compile(model, chip, options);
  XBAR_CHECK(plan.has_value());
  return std::move(*plan);
}

/// A state holding every plan tile's targets exactly (g_min on unused cells), tiles in reverse order.
dm::ChipState ExactState(const compiler::Plan& plan) {
  dm::ChipState state;
  state.chip_name = plan.chip.name;
  for (auto it = plan.tiles.rbegin(); it != plan.tiles.rend(); ++it) {
    dm::TileState t;
    t.tile = it->physical_index;
    t.g_s = it->target_g_s.unaryExpr([&](double g) { return std::isnan(g) ? plan.chip.device.memristor.g_min_s : g; });
    t.stuck.assign(t.g_s.size(), dm::StuckState::kNone);
    state.tiles.push_back(std::move(t));
  }
  return state;
}

dm::TileState& StateTile(dm::ChipState& state, int physical) {
  auto it = std::find_if(state.tiles.begin(), state.tiles.end(),
                         [&](const dm::TileState& t) { return t.tile == physical; });
  XBAR_CHECK(it != state.tiles.end());
  return *it;
}

AgePoint Point(double age_s, DriftCompensation compensation, double accuracy, int64_t images) {
  AgePoint p;
  p.age_s = age_s;
  p.compensation = compensation;
  p.accuracy = accuracy;
  p.images = images;
  p.correct = std::llround(accuracy * images);
  return p;
}

// 12 inputs on 8-row tiles: two plan tiles (physical 0 and 1), 4 outputs on 8 bit lines each.
TEST(ReportFigureData, ConductanceHistogramCountsEveryUsedCellOfEveryTile) {
  const dm::ChipSpec chip = testing::SmallChip(2, 8, 8, 0, 0);
  const compiler::Plan plan = SmallPlan(chip, 12, 4);
  ASSERT_EQ(plan.tiles.size(), 2u);
  dm::ChipState state = ExactState(plan);
  // Two cells off target: one far (at the window edge away from it), one inside the verify tolerance.
  const auto& m = chip.device.memristor;
  const double tolerance = chip.programming.verify_tolerance_s;
  const double mid = (m.g_min_s + m.g_max_s) / 2;
  const double far_target = plan.tiles[0].target_g_s(0, 0), near_target = plan.tiles[1].target_g_s(1, 1);
  ASSERT_FALSE(std::isnan(far_target) || std::isnan(near_target));
  const double far = far_target > mid ? m.g_min_s : m.g_max_s;
  const double nudge = near_target + tolerance <= m.g_max_s ? 0.5 * tolerance : -0.5 * tolerance;
  StateTile(state, plan.tiles[0].physical_index).g_s(0, 0) = far;
  StateTile(state, plan.tiles[1].physical_index).g_s(1, 1) = near_target + nudge;

  auto tiles = StateTilesOfPlan(plan, state, "s.xbcs");
  ASSERT_TRUE(tiles.has_value()) << tiles.error().message;
  // Cells clearly on either side of the window's middle (bin 0 or bin 1 of two); a value within
  // 1e-12 S of it may round into either.
  int64_t cells = 0, low_target = 0, high_target = 0, low_programmed = 0, high_programmed = 0;
  constexpr double kEdge = 1e-12;
  for (std::size_t t = 0; t < plan.tiles.size(); ++t) {
    const auto& g_t = plan.tiles[t].target_g_s;
    const auto& g_p = (*tiles)[t]->g_s;
    EXPECT_EQ((*tiles)[t]->tile, plan.tiles[t].physical_index);
    for (Eigen::Index i = 0; i < g_t.size(); ++i) {
      if (std::isnan(g_t.data()[i])) continue;
      ++cells;
      low_target += g_t.data()[i] < mid - kEdge;
      high_target += g_t.data()[i] > mid + kEdge;
      low_programmed += g_p.data()[i] < mid - kEdge;
      high_programmed += g_p.data()[i] > mid + kEdge;
    }
  }
  EXPECT_EQ(cells, 12 * 8);  // 12 inputs, 4 outputs on differential pairs

  const ConductanceHistogram h = ConductanceData(plan, *tiles, 2);
  EXPECT_EQ(h.cells, cells);
  EXPECT_DOUBLE_EQ(h.lo_us, m.g_min_s * 1e6);
  EXPECT_DOUBLE_EQ(h.bin_us, (m.g_max_s - m.g_min_s) * 1e6 / 2);
  ASSERT_EQ(h.target.size(), 2u);
  ASSERT_EQ(h.programmed.size(), 2u);
  EXPECT_EQ(h.target[0] + h.target[1], cells);
  EXPECT_EQ(h.programmed[0] + h.programmed[1], cells);
  EXPECT_GE(h.target[0], low_target);
  EXPECT_GE(h.target[1], high_target);
  EXPECT_GE(h.programmed[0], low_programmed);
  EXPECT_GE(h.programmed[1], high_programmed);
  EXPECT_NE(h.target, h.programmed);  // the far cell moved across the middle
  EXPECT_NEAR(h.error_mean_s, (std::abs(far - far_target) + 0.5 * tolerance) / cells, 1e-18);
  EXPECT_DOUBLE_EQ(h.within_tolerance, static_cast<double>(cells - 1) / cells);
  EXPECT_EQ(h.tolerance_s, tolerance);
  EXPECT_DOUBLE_EQ(h.Center(1), (m.g_min_s + 0.75 * (m.g_max_s - m.g_min_s)) * 1e6);
}

TEST(ReportFigureData, StateOfAnotherPlanIsRefused) {
  const dm::ChipSpec chip = testing::SmallChip(2, 8, 8, 0, 0);
  const compiler::Plan plan = SmallPlan(chip, 12, 4);
  dm::ChipState missing = ExactState(plan);
  missing.tiles.erase(missing.tiles.begin());  // physical tile 1
  auto a = StateTilesOfPlan(plan, missing, "s.xbcs");
  ASSERT_FALSE(a.has_value());
  EXPECT_EQ(a.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(a.error().message, "s.xbcs: tile 1 of the plan is not in the chip state (programmed for another plan?)");
  dm::ChipState small = ExactState(plan);
  small.tiles[1].g_s = Eigen::MatrixXd::Zero(4, 8);
  auto b = StateTilesOfPlan(plan, small, "s.xbcs");
  ASSERT_FALSE(b.has_value());
  EXPECT_EQ(b.error().message, "s.xbcs: tile 0 is 4x8, the plan's tiles are 8x8");
}

TEST(ReportFigureData, PulseHistogramWidensItsBinsBeyondAHundredPulses) {
  compiler::PulseProgram program;
  program.tiles.resize(2);
  for (uint32_t pulses : {0u, 3u, 5u}) {
    program.tiles[0].cells.push_back({0, 0, pulses, compiler::CellOutcome::kConverged});
  }
  program.tiles[1].cells.push_back({0, 0, 250, compiler::CellOutcome::kBudgetSpent});
  program.statistics.pulse_energy_j = 2e-9;
  program.statistics.read_energy_j = 1e-9;
  program.statistics.time_parallel_tiles_s = 0.5;
  const PulseHistogram h = PulseData(program);
  EXPECT_EQ(h.cells, 4);
  EXPECT_EQ(h.pulses, 258);
  EXPECT_EQ(h.failed, 1);
  EXPECT_EQ(h.max, 250u);
  EXPECT_DOUBLE_EQ(h.mean, 258.0 / 4);
  EXPECT_EQ(h.bin, 3);  // 251 pulse counts (0 ... 250) in at most 100 bins
  ASSERT_EQ(h.counts.size(), 84u);
  std::vector<int64_t> expected(84, 0);
  expected[0] = 1;   // 0
  expected[1] = 2;   // 3, 5
  expected[83] = 1;  // 250
  EXPECT_EQ(h.counts, expected);
  EXPECT_DOUBLE_EQ(h.energy_j, 3e-9);
  EXPECT_EQ(h.chip_time_s, 0.5);
  compiler::PulseProgram few;
  few.tiles.resize(1);
  few.tiles[0].cells.push_back({0, 0, 99, compiler::CellOutcome::kConverged});
  EXPECT_EQ(PulseData(few).bin, 1);  // 0 ... 99: a hundred counts, one bin each
  EXPECT_EQ(PulseData(few).counts.size(), 100u);
  few.tiles[0].cells[0].pulses = 100;  // 0 ... 100: 101 counts, two per bin
  EXPECT_EQ(PulseData(few).bin, 2);
  EXPECT_EQ(PulseData(few).counts.size(), 51u);
}

// One driven word line, ideal bit lines (r_col = 0: every column node at the virtual ground): the
// word line is a resistor ladder with each cell to ground, solved here from its far end.
TEST(ReportFigureData, IrDropMapMatchesALadderSolvedByHand) {
  const double r = 500;
  dm::ChipSpec chip = testing::SmallChip(1, 4, 6, 0, 0, r);
  chip.wires.r_col_ohm = 0;
  const compiler::Plan plan = SmallPlan(chip, 1, 3);
  ASSERT_EQ(plan.tiles.size(), 1u);
  ASSERT_EQ(plan.tiles[0].rows, 1);
  const dm::ChipState state = ExactState(plan);
  auto map = IrDropData(plan, 0, state.tiles[0], "s.xbcs");
  ASSERT_TRUE(map.has_value()) << map.error().message;

  const Eigen::VectorXd g = state.tiles[0].g_s.row(0).transpose();
  const int n = static_cast<int>(g.size());
  std::vector<double> y(n);  // admittance to ground from node j rightwards
  y[n - 1] = g[n - 1];
  for (int j = n - 2; j >= 0; --j) y[j] = g[j] + 1 / (r + 1 / y[j + 1]);
  std::vector<double> v(n);
  v[0] = 1;
  for (int j = 1; j < n; ++j) v[j] = v[j - 1] * (1 / y[j]) / (r + 1 / y[j]);
  double min = 100, sum = 0;
  for (int j = 0; j < n; ++j) {
    EXPECT_NEAR(map->percent(0, j), 100 * v[j], 1e-9) << "bit line " << j;
    min = std::min(min, 100 * v[j]);
    sum += 100 * v[j];
  }
  EXPECT_LT(v[n - 1], 0.99);  // the drop is there to see
  EXPECT_NEAR(map->min_used, min, 1e-9);
  EXPECT_NEAR(map->mean_used, sum / n, 1e-9);
  for (int row = 1; row < 4; ++row) EXPECT_TRUE(map->percent.row(row).array().isNaN().all()) << "row " << row;
  EXPECT_EQ(map->rows, 1);
  EXPECT_EQ(map->used_columns, 6);
  EXPECT_TRUE(map->top_left);
  EXPECT_EQ(map->v_read_v, chip.v_read_v);
}

TEST(ReportFigureData, AccuracyTableSortsAgesAndKeepsTheModesInOrder) {
  ChipEvalReport run;
  run.points = {Point(kYear, DriftCompensation::kColumn, 0.90, 100),
                Point(kHour, DriftCompensation::kColumn, 0.92, 100),
                Point(kHour, DriftCompensation::kNone, 0.91, 100), Point(kHour, DriftCompensation::kNone, 0.5, 10)};
  const AccuracyTable t = AccuracyData(run);
  EXPECT_EQ(t.compensations, (std::vector<DriftCompensation>{DriftCompensation::kColumn, DriftCompensation::kNone}));
  EXPECT_EQ(t.ages_s, (std::vector<double>{kHour, kYear}));
  ASSERT_TRUE(t.points[0][0] && t.points[0][1] && t.points[1][0]);
  EXPECT_EQ(t.points[0][0]->accuracy, 0.92);
  EXPECT_EQ(t.points[0][1]->accuracy, 0.90);
  EXPECT_EQ(t.points[1][0]->accuracy, 0.5);  // the last point given at an age wins
  EXPECT_FALSE(t.points[1][1]);
  ASSERT_NE(t.Find(DriftCompensation::kNone, kHour), nullptr);
  EXPECT_EQ(t.Find(DriftCompensation::kNone, kHour)->images, 10);
  EXPECT_EQ(t.Find(DriftCompensation::kNone, kYear), nullptr);
  EXPECT_EQ(t.Find(DriftCompensation::kGlobal, kHour), nullptr);
}

/// A programmed small chip and the results of the commands that ran on it, as structs.
struct Fixture {
  ReportOptions options;
  ReportInputs inputs;
};

Fixture SmallChipReport(bool with_program) {
  Fixture f;
  const dm::ChipSpec chip = testing::SmallChip(2, 8, 8, 0, 0, 1.0);
  f.inputs.plan = SmallPlan(chip, 12, 4);
  auto instance = dm::ChipInstance::Create(chip, 5);
  XBAR_CHECK(instance.has_value());
  std::vector<compiler::TileTargets> targets;
  for (const auto& t : f.inputs.plan.tiles) targets.push_back({t.physical_index, t.target_g_s});
  auto program = compiler::GenerateProgram(targets, *instance, {});
  XBAR_CHECK(program.has_value());
  f.inputs.state = compiler::ProgrammedState(*program, *instance);
  if (with_program) f.inputs.program = std::move(*program);
  f.inputs.infer.dataset = "mnist";
  f.inputs.infer.backend = "behavioural";
  ChipEvalReport& e = f.inputs.infer.evaluation;
  e.points = {Point(kHour, DriftCompensation::kNone, 0.91, 100), Point(kHour, DriftCompensation::kColumn, 0.92, 100),
              Point(kYear, DriftCompensation::kNone, 0.62, 100), Point(kYear, DriftCompensation::kColumn, 0.9, 100)};
  e.cycles_per_image = 4321;
  e.latency_s = 4.321e-5;
  e.read_energy_j = 1e-9;
  e.neuron_energy_j = 1.5e-9;
  e.adc_energy_j = 0.5e-9;
  ChipRun rtl;
  rtl.backend = "rtl";
  rtl.evaluation.points = {Point(kHour, DriftCompensation::kColumn, 0.95, 20)};
  f.inputs.rtl = rtl;
  f.inputs.finetune = FinetuneRun{.age = "1d", .compensation = "global", .accuracy_before = 0.8,
                                  .accuracy_after = 0.875, .images = 64, .cells_reprogrammed = 1234,
                                  .delta_pulses = 5678};
  f.inputs.software = EvalResult{.samples = 10000, .correct = 9812};
  f.options.plan_path = "p.xbp";
  f.options.state_path = "s.xbcs";
  f.options.program_path = with_program ? "p.xbpulse" : "";
  f.options.infer_path = "infer.json";
  f.options.rtl_path = "rtl.json";
  return f;
}

TEST(ReportHtml, ShowsEveryTableAndFigure) {
  Fixture f = SmallChipReport(true);
  auto report = BuildReport(f.options, f.inputs);
  ASSERT_TRUE(report.has_value()) << report.error().message;
  EXPECT_EQ(report->figures, (std::vector<std::string>{"accuracy_age", "conductance", "pulses", "irdrop"}));
  const std::string html = ReportHtml(*report);
  for (const std::string stem : {"accuracy_age", "conductance", "pulses", "irdrop"}) {
    EXPECT_NE(html.find("<img src=\"" + stem + ".svg\""), std::string::npos) << stem;
  }
  EXPECT_NE(html.find("<h1>xbar report: small on small</h1>"), std::string::npos);
  // Accuracy: one row per age, software then chip none and column.
  EXPECT_NE(html.find("<tr><th class=\"l\">age</th><th>software</th><th>chip, none</th><th>chip, column</th></tr>\n"
                      "<tr><td class=\"l\">1h</td><td>98.12%</td><td>91.00%</td><td>92.00%</td></tr>\n"
                      "<tr><td class=\"l\">1y</td><td>98.12%</td><td>62.00%</td><td>90.00%</td></tr>\n"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("<td class=\"l\">controller cycles</td><td>4&#8239;321</td>"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"l\">energy</td><td>3 nJ</td>"), std::string::npos);
  const PulseHistogram& p = *report->pulses;
  EXPECT_NE(html.find("<td class=\"l\">cells programmed</td><td>" + CountHtml(static_cast<double>(p.cells))),
            std::string::npos);
  EXPECT_NE(html.find("<td class=\"l\">accuracy after</td><td>87.50%</td>"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"l\">cells reprogrammed</td><td>1&#8239;234</td>"), std::string::npos);
  // The RTL point next to the behavioural one at its age and compensation.
  EXPECT_NE(html.find("<td class=\"l\">1h, column</td><td>95.00% (20 images)</td><td>92.00% (100 images)</td>"),
            std::string::npos);
  EXPECT_EQ(html.find("No pulse program was given"), std::string::npos);

  Fixture bare = SmallChipReport(false);
  bare.inputs.rtl.reset();
  bare.inputs.finetune.reset();
  bare.inputs.software.reset();
  auto bare_report = BuildReport(bare.options, bare.inputs);
  ASSERT_TRUE(bare_report.has_value()) << bare_report.error().message;
  const std::string bare_html = ReportHtml(*bare_report);
  EXPECT_NE(bare_html.find("No pulse program was given"), std::string::npos);
  EXPECT_EQ(bare_html.find("pulses.svg"), std::string::npos);
  EXPECT_EQ(bare_html.find("fine-tuning"), std::string::npos);
  EXPECT_EQ(bare_html.find("RTL controller subset"), std::string::npos);
  EXPECT_EQ(bare_html.find("software"), std::string::npos);
}

// The network card: each layer's geometry, tiles, copies and read cycles per step, for a
// convolutional plan with two copies of its kernel matrices (and a dense plan: one row, one copy).
TEST(ReportHtml, ShowsEachLayersGeometryCopiesAndReadCycles) {
  Fixture f = SmallChipReport(false);
  const compiler::Model model = testing::RandomConvModel("c3k3b-a2-c4k2-5", {1, 8, 8}, 5, 11, 0.2f);
  compiler::CompileOptions options;
  options.compensate.enabled = false;
  ASSERT_TRUE(compiler::SetPassOption(options, "conv", "replicas", "2").has_value());
  auto plan = compiler::Compile(model, testing::SmallChip(40, 8, 8, 0, 0, 1.0), options);
  ASSERT_TRUE(plan.has_value()) << plan.error().message;
  f.inputs.plan = *plan;
  f.inputs.state = ExactState(*plan);
  auto report = BuildReport(f.options, f.inputs);
  ASSERT_TRUE(report.has_value()) << report.error().message;
  const std::string html = ReportHtml(*report);
  EXPECT_NE(html.find("<h2>Network on the chip</h2>"), std::string::npos) << html;
  // 36 output positions over 2 copies, 4 over 2, the dense layer once: 18 + 2 + 1 read cycles.
  auto row = [&](int l, const std::string& geometry, const std::string& shapes, int copies, int cycles) {
    return "<tr><td class=\"l\">" + std::to_string(l) + "</td><td class=\"l\">" + geometry + "</td><td>" + shapes +
           "</td><td>" + std::to_string(plan->layers[static_cast<std::size_t>(l)].tiles.size()) + "</td><td>" +
           std::to_string(copies) + "</td><td>" + std::to_string(cycles) + "</td></tr>\n";
  };
  EXPECT_NE(html.find(row(0, "conv c3k3b", "1x8x8 &rarr; 3x6x6", 2, 18)), std::string::npos) << html;
  EXPECT_NE(html.find(row(1, "conv a2-c4k2", "3x6x6 &rarr; 4x2x2", 2, 2)), std::string::npos) << html;
  EXPECT_NE(html.find(row(2, "dense 5", "4x2x2 &rarr; 5", 1, 1)), std::string::npos) << html;
  EXPECT_EQ(plan->layers[0].tiles.size(), 2 * plan->layers[0].tiles_per_replica());
  EXPECT_NE(html.find("129 neurons; 21 read cycles per time step."), std::string::npos) << html;
  // A dense plan: its one layer (12 rows on tiles of 8: 2 tiles), read once per step.
  const Fixture small = SmallChipReport(false);
  auto dense = BuildReport(small.options, small.inputs);
  ASSERT_TRUE(dense.has_value());
  EXPECT_NE(ReportHtml(*dense).find("<tr><td class=\"l\">0</td><td class=\"l\">dense 4</td><td>12 &rarr; 4</td>"
                                    "<td>2</td><td>1</td><td>1</td></tr>\n"),
            std::string::npos) << ReportHtml(*dense);
}

TEST(ReportHtml, FormatsNumbersForPeople) {
  EXPECT_EQ(SiHtml(3.2e-9, "J"), "3.2 nJ");
  EXPECT_EQ(SiHtml(4.321e-5, "s"), "43.2 &micro;s");
  EXPECT_EQ(SiHtml(std::numeric_limits<double>::quiet_NaN(), "J"), "&ndash;");
  EXPECT_EQ(PercentHtml(0.98126), "98.13%");
  EXPECT_EQ(CountHtml(1234567), "1&#8239;234&#8239;567");
  EXPECT_EQ(CountHtml(-1234), "-1&#8239;234");
  EXPECT_EQ(HtmlEscape("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
}

TEST(BuildReport, RefusesATileOutsideThePlanAndAProgramOfAnotherPlan) {
  Fixture f = SmallChipReport(true);
  f.options.tile = 2;
  auto tile = BuildReport(f.options, f.inputs);
  ASSERT_FALSE(tile.has_value());
  EXPECT_EQ(tile.error().message, "--tile 2 must lie in [0, 1] (tiles of p.xbp)");
  f.options.tile = 0;
  f.options.bins = 0;
  EXPECT_EQ(BuildReport(f.options, f.inputs).error().message, "--bins = 0 must lie in [1, 10000]");
  f.options.bins = 100;
  f.inputs.program->targets_crc32 ^= 1;
  auto program = BuildReport(f.options, f.inputs);
  ASSERT_FALSE(program.has_value());
  EXPECT_NE(program.error().message.find("p.xbpulse: pulse program for chip 'small' and targets crc32 "),
            std::string::npos)
      << program.error().message;
}

fs::path FreshDir(const std::string& name) {
  const fs::path dir = testing::TempDir() / name;
  fs::create_directories(dir);
  return dir;
}

/// Nothing is left under a temporary name (every file is renamed into place, or removed).
void ExpectNoTemporaryFiles(const fs::path& dir) {
  for (const auto& entry : fs::directory_iterator(dir)) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos) << entry.path();
  }
}

TEST(Gnuplot, DrawsSvgAndPngAndLeavesNoTemporaries) {
  const fs::path dir = FreshDir("gnuplot_ok");
  GnuplotFigure line{"line", "1 2\n2 3\n3 5\n", GnuplotScript("line", "A test line.", "set grid\n",
                                                                 "plot 'line.dat' using 1:2 with lines")};
  auto ok = DrawFigures(dir, {line});
  ASSERT_TRUE(ok.has_value()) << ok.error().message;
  EXPECT_EQ(ReadFile((dir / "line.dat").string()).value(), line.data);
  EXPECT_EQ(ReadFile((dir / "line.gp").string()).value(), line.script);
  const auto svg = ReadFile((dir / "line.svg").string());
  ASSERT_TRUE(svg.has_value());
  EXPECT_NE(svg->find("<svg"), std::string::npos);
  const auto png = ReadFile((dir / "line.png").string());
  ASSERT_TRUE(png.has_value());
  EXPECT_EQ(png->substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  ExpectNoTemporaryFiles(dir);
}

TEST(Gnuplot, AFailingScriptIsAnErrorNamingItAndLeavesNoFigure) {
  const fs::path dir = FreshDir("gnuplot_bad");
  GnuplotFigure bad{"bad", "", GnuplotScript("bad", "A plot style gnuplot does not know.", "",
                                             "plot sin(x) with nonsense")};
  auto ok = DrawFigures(dir, {bad});
  ASSERT_FALSE(ok.has_value());
  EXPECT_EQ(ok.error().code, ErrorCode::kFailedPrecondition);
  const std::string prefix = (dir / "bad.gp").string() + ": gnuplot failed (exit 1): ";
  EXPECT_EQ(ok.error().message.substr(0, prefix.size()), prefix) << ok.error().message;
  EXPECT_NE(ok.error().message.find("\"bad.gp\" line 7: unrecognized plot type"), std::string::npos)
      << ok.error().message;
  EXPECT_EQ(ok.error().message.find('\n'), std::string::npos);
  EXPECT_FALSE(fs::exists(dir / "bad.svg"));
  EXPECT_FALSE(fs::exists(dir / "bad.png"));
  ExpectNoTemporaryFiles(dir);
}

TEST(WriteReport, WritesEveryFigureThePageAndTheSummary) {
  Fixture f = SmallChipReport(true);
  f.options.out_dir = (testing::TempDir() / "report" / "out").string();
  f.options.bins = 20;
  auto report = BuildReport(f.options, f.inputs);
  ASSERT_TRUE(report.has_value()) << report.error().message;
  auto ok = WriteReport(*report);
  ASSERT_TRUE(ok.has_value()) << ok.error().message;
  const fs::path dir(f.options.out_dir);
  for (const std::string stem : {"accuracy_age", "conductance", "pulses", "irdrop"}) {
    for (const char* ext : {".dat", ".gp", ".svg", ".png"}) EXPECT_TRUE(fs::exists(dir / (stem + ext))) << stem << ext;
  }
  ExpectNoTemporaryFiles(dir);
  EXPECT_EQ(ReadFile((dir / "report.html").string()).value(), ReportHtml(*report));
  EXPECT_EQ(ReadFile((dir / "report.json").string()).value(), DumpJson(ReportSummaryJson(*report)) + "\n");
  // The conductance data: two comment lines, then one line per bin with both counts.
  const std::string dat = ReadFile((dir / "conductance.dat").string()).value();
  EXPECT_EQ(std::count(dat.begin(), dat.end(), '\n'), 2 + 20);
  EXPECT_EQ(dat, ConductanceFigure(*report).data);
  // The accuracy data: one block per compensation mode, then the RTL subset.
  const std::string acc = ReadFile((dir / "accuracy_age.dat").string()).value();
  EXPECT_NE(acc.find("# compensation: none\n3600 91 100\n31557600 62 100\n\n\n# compensation: column\n"
                     "3600 92 100\n31557600 90 100\n\n\n# RTL controller subset (rtl.json)\n3600 95 20\n"),
            std::string::npos)
      << acc;
  // The summary: what the page shows.
  const std::string summary = DumpJson(ReportSummaryJson(*report));
  EXPECT_NE(summary.find("\"per_image\":{\"cycles\":4321,"), std::string::npos) << summary;
  EXPECT_NE(summary.find("\"figures\":[\"accuracy_age.svg\",\"conductance.svg\",\"pulses.svg\",\"irdrop.svg\"]"),
            std::string::npos)
      << summary;
  EXPECT_NE(summary.find("\"behavioural_accuracy\":0.92,\"behavioural_images\":100"), std::string::npos) << summary;
}

TEST(WriteReport, AFileInTheWayOfTheFolderIsAnError) {
  Fixture f = SmallChipReport(false);
  const fs::path blocker = testing::TempDir() / "blocker";
  ASSERT_TRUE(WriteFileAtomic(blocker.string(), "x").has_value());
  f.options.out_dir = blocker.string();
  auto report = BuildReport(f.options, f.inputs);
  ASSERT_TRUE(report.has_value()) << report.error().message;
  auto ok = WriteReport(*report);
  ASSERT_FALSE(ok.has_value());
  EXPECT_EQ(ok.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(ok.error().message.rfind(blocker.string() + ": cannot create the output folder", 0), 0u)
      << ok.error().message;
}

// The adapter's diagnostics, one malformed result each (the well-formed ones are the commands' own
// output, read in the CLI test).
// The report reads the commands' results through the records they are written with
// (runtime/results.h): what the commands write reads back, and a broken result is one line naming
// the file and the key.
TEST(ReportJson, ReadsWhatTheCommandsWriteAndNamesTheFileAndKeyOfBadResults) {
  auto write = [](const std::string& name, const Json& json) {
    const std::string path = (testing::TempDir() / name).string();
    XBAR_CHECK(WriteFileAtomic(path, DumpJson(json)).has_value());
    return path;
  };
  auto message = [&](const std::string& name, const Json& json, auto read) {
    const std::string path = write(name, json);
    auto result = read(path);
    EXPECT_FALSE(result.has_value()) << name;
    return result ? std::string() : result.error().message.substr(path.size());
  };
  InferRecord infer;
  infer.dataset = "mnist";
  infer.backend = "rtl";
  infer.report.points = {AgePoint{.age_s = 3600, .compensation = DriftCompensation::kColumn, .correct = 9,
                                  .images = 10, .accuracy = 0.9}};
  infer.report.read_energy_j = 1e-9;
  auto run = ReadChipRun(write("infer.json", ToJson(infer)));
  ASSERT_TRUE(run.has_value()) << run.error().message;
  EXPECT_EQ(run->dataset, "mnist");
  EXPECT_EQ(run->backend, "rtl");
  ASSERT_EQ(run->evaluation.points.size(), 1u);
  EXPECT_EQ(run->evaluation.points[0].compensation, DriftCompensation::kColumn);
  EXPECT_EQ(run->evaluation.points[0].accuracy, 0.9);
  EXPECT_EQ(run->evaluation.read_energy_j, 1e-9);

  Json bad = ToJson(infer);
  bad["points"][0]["accuracy"] = 1.5;
  EXPECT_EQ(message("i1.json", bad, ReadChipRun), ": \"points\"[0].\"accuracy\" = 1.5 must lie in [0, 1]");
  bad = ToJson(infer);
  bad["points"][0]["age_s"] = -1;
  EXPECT_EQ(message("i2.json", bad, ReadChipRun), ": \"points\"[0].\"age_s\" = -1 must be >= 0");
  bad = ToJson(infer);
  bad.erase("points");
  EXPECT_EQ(message("i3.json", bad, ReadChipRun), ": \"points\" is missing");

  FinetuneRecord finetune;
  finetune.accuracy_before = 0.5;
  finetune.accuracy_after = 0.75;
  auto tuned = ReadFinetuneRun(write("finetune.json", ToJson(finetune)));
  ASSERT_TRUE(tuned.has_value()) << tuned.error().message;
  EXPECT_EQ(tuned->accuracy_after, 0.75);
  bad = ToJson(finetune);
  bad.erase("accuracy_after");
  EXPECT_EQ(message("f1.json", bad, ReadFinetuneRun), ": \"accuracy_after\" is missing");

  EvalRecord eval;
  eval.samples = 4;
  eval.correct = 3;
  eval.accuracy = 0.75;
  auto software = ReadEvalResult(write("eval.json", ToJson(eval)));
  ASSERT_TRUE(software.has_value()) << software.error().message;
  EXPECT_EQ(software->samples, 4u);
  EXPECT_EQ(software->correct, 3u);
  bad = ToJson(eval);
  bad.erase("samples");
  EXPECT_EQ(message("e1.json", bad, ReadEvalResult), ": \"samples\" is missing");
  EXPECT_EQ(message("e2.json", Json::array({0.5}), ReadEvalResult), ": expected a JSON object");
}

}  // namespace
}  // namespace xbar::runtime::report
