// SPICE interop: netlists, parsers and runner, and the C++ tile solver and MIF neuron against ngspice.
#include "device_models/spice.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <random>

namespace xbar::device_models {
namespace {

Eigen::MatrixXd RandomUniform(Eigen::Index r, Eigen::Index c, double lo, double hi, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  return Eigen::MatrixXd::NullaryExpr(r, c, [&] { return u(rng); });
}

// Largest relative difference of any column current from the C++ solve.
double MaxColumnRelErr(const Eigen::VectorXd& spice, const Eigen::VectorXd& cpp) {
  return ((spice - cpp).array().abs() / cpp.array().abs()).maxCoeff();
}

struct TileCheck {
  double err = INFINITY;  // largest relative column-current difference, ngspice vs the solver
  double ir_drop = 0;     // largest relative column-current loss to the wires (solver vs G^T v)
};

// Solves a random tile (G uniform 1-100 uS, reads 0.05-0.2 V) in C++ and in ngspice.
TileCheck TileAgainstNgspice(Eigen::Index r, Eigen::Index c, const TileWires& wires, uint64_t seed,
                             double zero_fraction = 0) {
  Eigen::MatrixXd g = RandomUniform(r, c, 1e-6, 1e-4, seed);
  if (zero_fraction > 0) {  // cells stuck open: G = 0 exactly
    const Eigen::MatrixXd pick = RandomUniform(r, c, 0, 1, seed + 1);
    g = (pick.array() < zero_fraction).select(0.0, g);
  }
  const Eigen::VectorXd v = RandomUniform(r, 1, 0.05, 0.2, seed + 2);
  auto tile = TileCircuit::Create(g, wires);
  EXPECT_TRUE(tile.has_value());
  auto cpp = tile->Solve(v);
  EXPECT_TRUE(cpp.has_value());
  TileCheck check;
  check.ir_drop = MaxColumnRelErr(cpp->currents.col(0), tile->IdealCurrents(v).col(0));
  auto out = RunNgspice(TileNetlist(*tile, v));
  EXPECT_TRUE(out.has_value()) << out.error().message;
  if (!out) return check;
  auto spice = ParseTileCurrents(*out, static_cast<int>(c));
  EXPECT_TRUE(spice.has_value()) << spice.error().message;
  if (!spice) return check;
  check.err = MaxColumnRelErr(*spice, cpp->currents.col(0));
  std::printf("  %ldx%ld r_row %g r_col %g r_driver %g r_sense %g: max column relative error %.2e "
              "(wires change the currents by up to %.2f %%)\n",
              static_cast<long>(r), static_cast<long>(c), wires.r_row_ohm, wires.r_col_ohm, wires.r_driver_ohm,
              wires.r_sense_ohm, check.err, 100 * check.ir_drop);
  return check;
}

std::string Describe(Eigen::Index n, const TileWires& w) {
  char buf[128];
  std::snprintf(buf, sizeof buf, "%ldx%ld r_row %g r_col %g r_driver %g r_sense %g", static_cast<long>(n),
                static_cast<long>(n), w.r_row_ohm, w.r_col_ohm, w.r_driver_ohm, w.r_sense_ohm);
  return buf;
}

// Each size at 1 ohm and 10 ohm per segment; one with ideal periphery, one with driver and sense.
void SquareTilesMatchNgspice(Eigen::Index n, uint64_t seed) {
  for (const TileWires& w : {TileWires{1, 1, 0, 0}, TileWires{10, 10, 100, 50}}) {
    const TileCheck check = TileAgainstNgspice(n, n, w, seed++);
    EXPECT_LE(check.err, 1e-6) << Describe(n, w);
    EXPECT_GT(check.ir_drop, 1e-3) << Describe(n, w);  // the wires matter: a real IR-drop check
  }
}

TEST(SpiceTile, MatchesTheSolverOn16x16) { SquareTilesMatchNgspice(16, 1601); }
TEST(SpiceTile, MatchesTheSolverOn32x32) { SquareTilesMatchNgspice(32, 3201); }
TEST(SpiceTile, MatchesTheSolverOn64x64) { SquareTilesMatchNgspice(64, 6401); }

TEST(SpiceTile, ZeroResistancesAndOpenCellsMatchTheSolver) {
  // Every kind of merged node (row wire, column wire, driver, sense) and stuck-open cells.
  uint64_t seed = 800;
  for (const TileWires& w : {TileWires{0, 2, 10, 0}, TileWires{2, 0, 0, 10}, TileWires{3, 3, 0, 20},
                             TileWires{3, 3, 20, 0}, TileWires{0, 0, 0, 0}}) {
    EXPECT_LE(TileAgainstNgspice(8, 8, w, seed++, 0.25).err, 1e-6) << Describe(8, w);
  }
}

TEST(SpiceTile, SenseCurrentIsPositiveIntoTheVirtualGround) {
  // One 100 uS cell read at 0.1 V through a 100-ohm driver: 0.1 / (1e4 + 100) A, positive.
  auto tile = TileCircuit::Create(Eigen::MatrixXd::Constant(1, 1, 1e-4), TileWires{1, 1, 100, 0});
  auto out = RunNgspice(TileNetlist(*tile, Eigen::VectorXd::Constant(1, 0.1)));
  ASSERT_TRUE(out.has_value()) << out.error().message;
  auto i = ParseTileCurrents(*out, 1);
  ASSERT_TRUE(i.has_value()) << i.error().message;
  EXPECT_NEAR((*i)(0), 0.1 / 10100, 1e-15 * 0.1 / 10100);
}

TEST(SpiceTile, NetlistIsTheDescribedCircuit) {
  Eigen::MatrixXd g(2, 2);
  g << 1e-4, 0, 2e-5, 5e-5;
  auto tile = TileCircuit::Create(g, TileWires{2, 3, 10, 5});
  Eigen::VectorXd v(2);
  v << 0.1, -0.05;
  EXPECT_EQ(TileNetlist(*tile, v),
            "xbar tile 2x2: r_row 2 ohm, r_col 3 ohm, r_driver 10 ohm, r_sense 5 ohm\n"
            "* rows: vin_<i> drives row i at its cell-0 end through rd_<i>\n"
            "vin_0 in_0 0 DC 0.10000000000000001\n"
            "vin_1 in_1 0 DC -0.050000000000000003\n"
            "rd_0 in_0 r_0_0 10\n"
            "rd_1 in_1 r_1_0 10\n"
            "* cells: rg_<i>_<j> = 1/G between row node (i, j) and column node (i, j); G = 0 is left open\n"
            "rg_0_0 r_0_0 c_0_0 10000\n"
            "rg_1_0 r_1_0 c_1_0 49999.999999999993\n"
            "rg_1_1 r_1_1 c_1_1 20000\n"
            "* row wire segments rw_<i>_<j> between (i, j) and (i, j+1)\n"
            "rw_0_0 r_0_0 r_0_1 2\n"
            "rw_1_0 r_1_0 r_1_1 2\n"
            "* column wire segments rb_<i>_<j> between (i, j) and (i+1, j)\n"
            "rb_0_0 c_0_0 c_1_0 3\n"
            "rb_0_1 c_0_1 c_1_1 3\n"
            "rs_0 c_1_0 s_0 5\n"
            "rs_1 c_1_1 s_1 5\n"
            "* columns: sensed at the cell-(R-1) end through rs_<j> into the 0 V source vsense_<j>\n"
            "vsense_0 s_0 0 DC 0\n"
            "vsense_1 s_1 0 DC 0\n"
            ".op\n.control\nset numdgt=16\nrun\nprint i(vsense_0)\nprint i(vsense_1)\nquit 0\n.endc\n.end\n");
  // Zero row wire and driver resistance: every row collapses onto its source node; zero sense
  // resistance: the bottom column node is the sense source's node.
  auto merged = TileCircuit::Create(g, TileWires{0, 3, 0, 0});
  EXPECT_EQ(TileNetlist(*merged, v),
            "xbar tile 2x2: r_row 0 ohm, r_col 3 ohm, r_driver 0 ohm, r_sense 0 ohm\n"
            "* rows: vin_<i> drives row i at its cell-0 end directly\n"
            "vin_0 in_0 0 DC 0.10000000000000001\n"
            "vin_1 in_1 0 DC -0.050000000000000003\n"
            "* cells: rg_<i>_<j> = 1/G between row node (i, j) and column node (i, j); G = 0 is left open\n"
            "rg_0_0 in_0 c_0_0 10000\n"
            "rg_1_0 in_1 s_0 49999.999999999993\n"
            "rg_1_1 in_1 s_1 20000\n"
            "* column wire segments rb_<i>_<j> between (i, j) and (i+1, j)\n"
            "rb_0_0 c_0_0 s_0 3\n"
            "rb_0_1 c_0_1 s_1 3\n"
            "* columns: sensed at the cell-(R-1) end directly into the 0 V source vsense_<j>\n"
            "vsense_0 s_0 0 DC 0\n"
            "vsense_1 s_1 0 DC 0\n"
            ".op\n.control\nset numdgt=16\nrun\nprint i(vsense_0)\nprint i(vsense_1)\nquit 0\n.endc\n.end\n");
}

TEST(SpiceTile, ParserRejectsIncompleteOutput) {
  const std::string ok = "No. of Data Rows : 1\ni(vsense_0) = 1.5e-05\ni(vsense_1) = -2.0000000000000000e-06\n";
  auto i = ParseTileCurrents(ok, 2);
  ASSERT_TRUE(i.has_value());
  EXPECT_EQ((*i)(0), 1.5e-5);
  EXPECT_EQ((*i)(1), -2e-6);
  auto missing = ParseTileCurrents(ok, 3);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kDataLoss);
  EXPECT_EQ(missing.error().message, "ngspice output has no current for column 2 of 3 (did the .op run fail?)");
  EXPECT_EQ(ParseTileCurrents(ok, 1).error().message,
            "ngspice output has a current for column 1 but the tile has 1 columns");
  EXPECT_EQ(ParseTileCurrents(ok + "i(vsense_0) = 1e-5\n", 2).error().message,
            "ngspice output has two currents for column 0");
  EXPECT_EQ(ParseTileCurrents("i(vsense_0) = nan\n", 1).error().message,
            "ngspice output line 'i(vsense_0) = nan' is not '<name> = <finite number>'");
  EXPECT_EQ(ParseTileCurrents(ok, 0).error().code, ErrorCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------------------------
// The MIF neuron

struct Peak {
  double t, v;
};

// Vertex of the parabola through the largest sample and its two neighbours (any spacing).
Peak RefinedPeak(const std::vector<double>& t, const std::vector<double>& v) {
  const auto k = static_cast<std::size_t>(std::max_element(v.begin(), v.end()) - v.begin());
  EXPECT_TRUE(k > 0 && k + 1 < v.size()) << "the peak is at the edge of the window";
  if (k == 0 || k + 1 >= v.size()) return {t[k], v[k]};
  const double t0 = t[k - 1], t1 = t[k], t2 = t[k + 1];
  const double d1 = (v[k] - v[k - 1]) / (t1 - t0), d2 = (v[k + 1] - v[k]) / (t2 - t1);
  const double a = (d2 - d1) / (t2 - t0);
  const double tp = 0.5 * (t0 + t1) - d1 / (2 * a);
  return {tp, v[k - 1] + d1 * (tp - t0) + a * (tp - t0) * (tp - t1)};
}

// The discrete C++ model at step h (in units of the model's step): dt folded into c, tau and
// tau_alpha, and each fine step receiving the drive's integral over its span.
NeuronWaveform ModelAtStep(const MifParams& p, const PwlDrive& u, double h, double t_stop) {
  MifParams q = p;
  q.c = p.c / h;
  q.tau_steps = p.tau_steps / h;
  q.tau_alpha_steps = p.tau_alpha_steps / h;
  const int steps = static_cast<int>(std::lround(t_stop / h));
  MifLayer<double> layer(q);
  layer.Reset(1, 1, steps, false);
  NeuronWaveform w{{0.0}, {0.0}};
  Arr<double> drive(1, 1);
  for (int n = 0; n < steps; ++n) {
    drive(0, 0) = u.Integral(n * h, (n + 1) * h);
    w.v_mv.push_back(layer.Step(drive)(0, 0));
    w.t_steps.push_back((n + 1) * h);
  }
  return w;
}

double Interpolate(const NeuronWaveform& w, double t) {
  const auto hi = std::upper_bound(w.t_steps.begin(), w.t_steps.end(), t);
  if (hi == w.t_steps.begin()) return w.v_mv.front();
  if (hi == w.t_steps.end()) return w.v_mv.back();
  const auto k = static_cast<std::size_t>(hi - w.t_steps.begin());
  const double f = (t - w.t_steps[k - 1]) / (w.t_steps[k] - w.t_steps[k - 1]);
  return w.v_mv[k - 1] + f * (w.v_mv[k] - w.v_mv[k - 1]);
}

TEST(SpiceNeuron, DepolarisingPulseMatchesTheModelAtASmallStep) {
  // The impulse of 0.05 of docs/mif.md as a one-step trapezoid of the same area, from the
  // published initial state; 200 steps cover the depolarisation peak and most of the decay.
  const MifParams p;
  const PwlDrive u = PwlDrive::Pulse(0.05, 0, 1, 0.05);
  const NeuronTransientOptions tran{.t_stop_steps = 200, .max_step_steps = 0.01, .reltol = 1e-6};
  auto out = RunNgspice(NeuronNetlist(p, u, tran));
  ASSERT_TRUE(out.has_value()) << out.error().message;
  auto spice = ParseNeuronWaveform(*out, tran.t_stop_steps);
  ASSERT_TRUE(spice.has_value()) << spice.error().message;
  const NeuronWaveform model = ModelAtStep(p, u, 1e-3, tran.t_stop_steps);

  const Peak ps = RefinedPeak(spice->t_steps, spice->v_mv);
  const Peak pm = RefinedPeak(model.t_steps, model.v_mv);
  EXPECT_GT(pm.v, 60.0);  // a real depolarisation, past memristor 1's switching region
  EXPECT_NEAR(ps.v, pm.v, 0.01 * pm.v);
  EXPECT_NEAR(ps.t, pm.t, 0.01 * pm.t);
  // The whole waveform, not just its peak.
  double max_diff = 0;
  for (std::size_t k = 0; k < spice->t_steps.size(); ++k) {
    max_diff = std::max(max_diff, std::abs(spice->v_mv[k] - Interpolate(model, spice->t_steps[k])));
  }
  EXPECT_LT(max_diff, 0.01 * pm.v);
  std::printf("  peak: ngspice %.4f mV at t = %.4f, model %.4f mV at t = %.4f (rel %.1e, %.1e); "
              "max |dv| %.2e mV over %zu points\n",
              ps.v, ps.t, pm.v, pm.t, std::abs(ps.v - pm.v) / pm.v, std::abs(ps.t - pm.t) / pm.t, max_diff,
              spice->t_steps.size());
}

TEST(SpiceNeuron, PulseAreaIsTheImpulse) {
  const PwlDrive u = PwlDrive::Pulse(0.05, 2, 1, 0.1);
  EXPECT_NEAR(u.Integral(0, 10), 0.05, 1e-15);
  EXPECT_NEAR(u.Integral(2, 2.1), 0.5 * 0.1 * 0.05 / 0.9, 1e-15);  // the rising edge
  EXPECT_NEAR(u.Integral(2.5, 2.6), 0.1 * 0.05 / 0.9, 1e-15);      // on the plateau
  EXPECT_EQ(u.Integral(0, 2), 0.0);
  EXPECT_EQ(u.Integral(3, 50), 0.0);
  // Summed over any grid, the steps receive the whole area.
  double sum = 0;
  for (int n = 0; n < 700; ++n) sum += u.Integral(n * 0.0071, (n + 1) * 0.0071);
  EXPECT_NEAR(sum, 0.05, 1e-15);
}

TEST(SpiceNeuron, NetlistIsTheDescribedCircuit) {
  MifParams p;
  p.e1_mv = -10;
  const PwlDrive u = PwlDrive::Pulse(0.05, 0.5, 1, 0.25);
  EXPECT_EQ(NeuronNetlist(p, u, {.t_stop_steps = 100, .max_step_steps = 0.5, .reltol = 1e-5}),
            "xbar mif neuron: 1 V = 1 model mV, 1 s = 1 step\n"
            ".func sig(z) {1/(1+exp(-z))}\n"
            "* membrane: C dv/dt = I - G1(x1) (v - E1) - G2(x2) (v - E2)\n"
            "cm mem 0 0.0001 ic=0\n"
            "ve1 e1 0 DC -10\n"
            "ve2 e2 0 DC 50\n"
            "bm1 mem e1 I = (V(x1)/1000 + (1-V(x1))/100000) * V(mem,e1)\n"
            "bm2 mem e2 I = (V(x2)/1000 + (1-V(x2))/100000) * V(mem,e2)\n"
            "* memristor states: dx/dt = [(1 - x) sig((v - E - V_on)/k) - x sig((V_off - (v - E))/k)] / tau\n"
            "cx1 x1 0 1 ic=0.023800000000000002\n"
            "bx1 0 x1 I = ((1-V(x1))*sig((V(mem,e1)-110)/15) - V(x1)*sig((5-V(mem,e1))/15))/100\n"
            "cx2 x2 0 1 ic=0.023800000000000002\n"
            "bx2 0 x2 I = ((1-V(x2))*sig((V(mem,e2)-110)/15) - V(x2)*sig((5-V(mem,e2))/15))/100\n"
            "* alpha synapse: da/dt = -a/tau_a + u(t), dI/dt = (a - I)/tau_a; I flows into mem\n"
            "ca a 0 1 ic=0\n"
            "ra a 0 100\n"
            "iu 0 a PWL(0 0 0.5 0 0.75 0.066666666666666666 1.25 0.066666666666666666\n"
            "+ 1.5 0)\n"
            "ci isyn 0 1 ic=0\n"
            "ri isyn 0 100\n"
            "gi 0 isyn a 0 0.01\n"
            "gsyn 0 mem isyn 0 1\n"
            ".options reltol=1.0000000000000001e-05 abstol=1e-15 vntol=1e-9 method=gear\n"
            ".tran 0.5 100 0 0.5 uic\n"
            ".control\nset numdgt=16\nset nobreak\nrun\nprint v(mem)\nquit 0\n.endc\n.end\n");
}

TEST(SpiceNeuron, ParserRejectsATruncatedTransient) {
  const std::string head =
      "No. of Data Rows : 3\n"
      "Index   time            v(mem)\n"
      "--------------------------------------------------------------------------------\n"
      "0\t1.0000000000000000e-04\t1.6779862193486538e-03\t\n"
      "1\t5.0000000000000000e+01\t2.5e+01\t\n";
  auto truncated = ParseNeuronWaveform(head, 100);
  ASSERT_FALSE(truncated.has_value());
  EXPECT_EQ(truncated.error().message, "ngspice transient ends at t = 50 steps, before t_stop = 100 (aborted?)");
  auto whole = ParseNeuronWaveform(head + "2\t1.0000000000000000e+02\t2.0e+01\t\n", 100);
  ASSERT_TRUE(whole.has_value()) << whole.error().message;
  EXPECT_EQ(whole->t_steps, (std::vector<double>{1e-4, 50, 100}));
  EXPECT_EQ(whole->v_mv, (std::vector<double>{1.6779862193486538e-03, 25, 20}));
  EXPECT_EQ(ParseNeuronWaveform("ngspice-39 done\n", 100).error().message,
            "ngspice output has no v(mem) rows (did the transient run fail?)");
  EXPECT_EQ(ParseNeuronWaveform(head + "2\t4.0e+01\t2.0e+01\t\n", 100).error().message,
            "ngspice output line 6: time 40 does not increase (previous 50)");
  EXPECT_EQ(ParseNeuronWaveform(head + "2\t1.0e+02\n", 100).error().message,
            "ngspice output line 6 '2\t1.0e+02' is not '<index> <time> <v(mem)>'");
}

// ---------------------------------------------------------------------------------------------
// The runner

TEST(Ngspice, ReportsNetlistErrors) {
  auto r = RunNgspice("bad\nr1 a 0 abc\n.op\n.control\nrun\nquit 0\n.endc\n.end\n");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kInternal);
  EXPECT_NE(r.error().message.find("ngspice exited with status 1: error on line 2"), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("unknown parameter (abc)"), std::string::npos) << r.error().message;
}

TEST(Ngspice, ReportsAnAbortedTransient) {
  // Runaway growth: ngspice stops with "timestep too small" yet exits 0 because of `quit 0`.
  auto r = RunNgspice("runaway\ncx x 0 1 ic=0\nbx 0 x I = exp(5*V(x))\n.tran 0.01 2 uic\n"
                      ".control\nrun\nprint v(x)\nquit 0\n.endc\n.end\n");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("ngspice reported: doanalyses: tran: timestep too small"), std::string::npos)
      << r.error().message;
}

TEST(Ngspice, MissingBinaryIsAClearError) {
  const char* old = std::getenv("PATH");
  const std::optional<std::string> saved = old ? std::optional<std::string>(old) : std::nullopt;
  ::setenv("PATH", "/nonexistent-xbar-test-dir", 1);
  auto r = RunNgspice("title\n.end\n");
  if (saved) ::setenv("PATH", saved->c_str(), 1); else ::unsetenv("PATH");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(r.error().message, "ngspice not found (run scripts/setup)");
}

}  // namespace
}  // namespace xbar::device_models
