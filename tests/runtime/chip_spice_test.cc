// The whole-chip circuit's pieces without ngspice: the schedule, the fine-step reference, the
// netlist's structure and the parser of ngspice's data (the ngspice comparison itself:
// XbarCli.SpiceChipMatchesTheWholeChipWithNgspice).
#include "runtime/chip_spice.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "compiler/compile.h"
#include "compiler/layer_shape.h"
#include "tests/testing/small_chip.h"

namespace xbar::runtime {
namespace {

// A 6-4-3 network on four 8 x 8 tiles with 1 Ohm wire segments, T = 20, P = 4, step scale 5.
compiler::Plan DensePlan() {
  std::srand(21);
  compiler::Model model;
  model.name = "dense";
  model.weights = {Eigen::MatrixXf::Random(4, 6) * 0.6f, Eigen::MatrixXf::Random(3, 4) * 0.6f};
  model.encoding.steps = 20;
  model.encoding.period = 4;
  auto neuron = model.neuron.WithStepScale(5);
  EXPECT_TRUE(neuron.has_value());
  model.neuron = *neuron;
  compiler::CompileOptions options;
  options.compensate.enabled = false;
  auto plan = compiler::Compile(model, ::xbar::testing::SmallChip(4, 8, 8, 0, 0, 1.0), options);
  EXPECT_TRUE(plan.has_value()) << plan.error().message;
  return *plan;
}

std::vector<Eigen::MatrixXd> Programmed(const compiler::Plan& plan) {
  std::vector<Eigen::MatrixXd> g;
  for (const auto& tile : plan.tiles) g.push_back(tile.PhysicalTargets(plan.chip.device.memristor.g_min_s));
  return g;
}

ChipView View(const compiler::Plan& plan, const std::vector<Eigen::MatrixXd>& g) {
  auto view = ChipView::Create(plan, g, nullptr, {});
  EXPECT_TRUE(view.has_value()) << view.error().message;
  return std::move(*view);
}

const std::vector<uint8_t> kCodes = {255, 0, 128, 200, 30, 90};

TEST(AnalogSchedule, IsTheModelsStepsAsAPipeline) {
  const compiler::Plan plan = DensePlan();
  const ChipView view = View(plan, Programmed(plan));
  auto s = AnalogSchedule::Of(plan, view);
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_DOUBLE_EQ(s->step_s, 5e-6);    // 1 us per published step, step scale 5
  EXPECT_DOUBLE_EQ(s->window_s, 1e-7);  // 10 sense cycles at 100 MHz
  EXPECT_DOUBLE_EQ(s->WindowStart(1, 3), 4 * 5e-6);
  EXPECT_DOUBLE_EQ(s->SampleTime(1, 3), 5 * 5e-6);
  EXPECT_DOUBLE_EQ(s->StopTime(), 21 * 5e-6);
  EXPECT_TRUE(s->Reads(0, 8));
  EXPECT_FALSE(s->Reads(0, 9));
  EXPECT_TRUE(s->Reads(1, 9));
}

TEST(AnalogSchedule, RefusesConvolutions) {
  auto layers = compiler::ParseArchitecture("c2k3-3", {1, 4, 4}, 3);
  ASSERT_TRUE(layers.has_value());
  compiler::Model model;
  model.name = "conv";
  model.layers = *layers;
  model.weights = {Eigen::MatrixXf::Constant(2, 9, 0.1f), Eigen::MatrixXf::Constant(3, 8, 0.1f)};
  compiler::CompileOptions options;
  options.compensate.enabled = false;
  auto plan = compiler::Compile(model, ::xbar::testing::SmallChip(4, 16, 16, 0, 0), options);
  ASSERT_TRUE(plan.has_value()) << plan.error().message;
  const ChipView view = View(*plan, Programmed(*plan));
  auto s = AnalogSchedule::Of(*plan, view);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().message, "layer 0 is a convolution: the whole-chip circuit covers dense networks");
}

TEST(SimulateAnalog, ConvergesAtFirstOrderInItsStep) {
  const compiler::Plan plan = DensePlan();
  const ChipView view = View(plan, Programmed(plan));
  auto coarse = SimulateAnalog(plan, view, kCodes, 1);
  auto mid = SimulateAnalog(plan, view, kCodes, 4);
  auto fine = SimulateAnalog(plan, view, kCodes, 16);
  ASSERT_TRUE(coarse.has_value() && mid.has_value() && fine.has_value());
  auto worst = [&](const AnalogWaveforms& a) {
    double e = 0, peak = 0;
    for (int l = 0; l < 2; ++l) {
      for (int n = 0; n < static_cast<int>(fine->v_mv[l].rows()); ++n) {
        for (std::size_t k = 0; k < a.t_s.size(); ++k) {
          e = std::max(e, std::abs(a.v_mv[l](n, static_cast<Eigen::Index>(k)) - fine->At(l, n, a.t_s[k])));
          peak = std::max(peak, std::abs(fine->At(l, n, a.t_s[k])));
        }
      }
    }
    EXPECT_GT(peak, 1.0);  // the network is driven: membranes move by more than 1 mV
    return e;
  };
  const double e1 = worst(*coarse), e4 = worst(*mid);
  EXPECT_GT(e1, 0);
  // 4x the steps: the error against 16x shrinks about 4 x 15/12 = 5-fold at first order
  // (measured: 20.1 mV -> 4.0 mV).
  EXPECT_LT(e4, e1 / 3) << e1 << " " << e4;
  EXPECT_GT(fine->read_j, 0);
  EXPECT_GT(fine->neuron_j, 0);
}

TEST(ChipNetlist, HoldsEveryCellNeuronAndDriver) {
  const compiler::Plan plan = DensePlan();
  const auto g = Programmed(plan);
  const ChipView view = View(plan, g);
  const std::string netlist = ChipNetlist(plan, g, view, kCodes, "/tmp/never.data");
  int cells = 0, membranes = 0, stages = 0, drivers = 0;
  std::size_t start = 0;
  while (start < netlist.size()) {
    const std::size_t end = std::min(netlist.find('\n', start), netlist.size());
    const std::string line = netlist.substr(start, end - start);
    cells += line.rfind("rg_t", 0) == 0;
    membranes += line.rfind("cm_", 0) == 0;
    stages += line.rfind("fp_", 0) == 0 || line.rfind("fm_", 0) == 0;
    drivers += line.rfind("bw_", 0) == 0;
    start = end + 1;
  }
  int conducting = 0;
  for (const auto& m : g) conducting += static_cast<int>((m.array() > 0).count());
  EXPECT_EQ(cells, conducting);
  EXPECT_EQ(membranes, 4 + 3);
  EXPECT_EQ(stages, 2 * (4 + 3));  // one mirror per bit line of each pair
  EXPECT_EQ(drivers, 6 + 4);       // the used word lines: 6 inputs, 4 hidden membranes
  EXPECT_NE(netlist.find("wrdata /tmp/never.data"), std::string::npos);
  EXPECT_NE(netlist.find(".tran "), std::string::npos);
}

TEST(ParseChipData, ReadsWrdataAndRejectsWhatIsNot) {
  const compiler::Plan plan = DensePlan();
  const ChipView view = View(plan, Programmed(plan));
  std::string header = " time";
  for (int l = 0; l < 2; ++l) {
    for (int n = 0; n < (l == 0 ? 4 : 3); ++n) header += " v(m_" + std::to_string(l) + "_" + std::to_string(n) + ")";
  }
  header += " v(eread) v(eneuron)\n";
  auto row = [](double t, double v, double e) {
    std::string r = " " + std::to_string(t);
    for (int c = 0; c < 7; ++c) r += " " + std::to_string(v);
    return r + " " + std::to_string(e) + " " + std::to_string(2 * e) + "\n";
  };
  const std::string good = header + row(0, 0, 0) + row(5e-5, 0.25, 1.5) + row(1.05e-4, 0.5, 3);
  auto w = ParseChipData(good, view, 1.05e-4);
  ASSERT_TRUE(w.has_value()) << w.error().message;
  EXPECT_DOUBLE_EQ(w->v_mv[1](2, 2), 500);  // volts to mV
  EXPECT_DOUBLE_EQ(w->read_j, 3e-12);       // the meters read pJ
  EXPECT_DOUBLE_EQ(w->neuron_j, 6e-12);
  EXPECT_DOUBLE_EQ(w->At(0, 1, 2.5e-5), 125);
  struct Case {
    std::string data, message;
  };
  for (const Case& c : {Case{header + row(0, 0, 0) + row(0, 0, 0), "ngspice data line 3: time does not increase"},
                        Case{header + row(0, 0, 0) + " 1e-4 nan 0 0 0 0 0 0 0 0\n", "ngspice data line 3: 'nan' is not a finite number"},
                        Case{header + row(0, 0, 0), "ngspice transient ends at 0 s, before 0.000105 s"},
                        Case{" time v(m_0_0)\n", "ngspice data line 1: 2 columns, expected 10"},
                        Case{"", "ngspice data has no rows (did the transient run?)"}}) {
    auto bad = ParseChipData(c.data, view, 1.05e-4);
    ASSERT_FALSE(bad.has_value()) << c.message;
    EXPECT_EQ(bad.error().code, ErrorCode::kDataLoss);
    EXPECT_EQ(bad.error().message, c.message);
  }
}

}  // namespace
}  // namespace xbar::runtime
