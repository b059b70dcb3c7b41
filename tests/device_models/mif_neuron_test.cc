// MIF neuron: the published waveform shape and the exact adjoints against finite differences.
#include "device_models/mif_neuron.h"

#include "device_models/chip_spec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace xbar::device_models {
namespace {

using ArrD = Arr<double>;

// Drives one neuron with a single impulse and returns v(t) for t = 1 ... steps.
std::vector<double> ImpulseResponse(const MifParams& p, double impulse, int steps) {
  MifLayer<double> layer(p);
  layer.Reset(1, 1, steps, false);
  std::vector<double> v;
  ArrD u = ArrD::Constant(1, 1, impulse);
  v.push_back(layer.Step(u)(0, 0));
  for (int t = 1; t < steps; ++t) v.push_back(layer.StepZero()(0, 0));
  return v;
}

TEST(MifNeuron, DefaultsAreThePublishedValues) {
  MifParams p;
  EXPECT_EQ(p.r_on_ohm, 1e3);
  EXPECT_EQ(p.r_off_ohm, 1e5);
  EXPECT_EQ(p.v_on_mv, 110);
  EXPECT_EQ(p.v_off_mv, 5);
  EXPECT_EQ(p.tau_steps, 100);
  EXPECT_EQ(p.tau_alpha_steps, 100);
  EXPECT_EQ(p.e1_mv, 0);
  EXPECT_EQ(p.e2_mv, 50);
  EXPECT_EQ(p.c, 1e-4);
  EXPECT_EQ(p.k_mv, 15);
  EXPECT_EQ(p.x0, 0.0238);
  EXPECT_EQ(p.membrane_update, MembraneUpdate::kImplicit);
  EXPECT_TRUE(p.Validate().has_value());
}

// Conductance-weighted mean of the two sources for the neuron's present memristor states.
double WeightedReversal(const MifParams& p, const MifState<double>& s) {
  const double g_on = 1 / p.r_on_ohm, g_off = 1 / p.r_off_ohm;
  const double g1 = g_off + (g_on - g_off) * s.x1(0, 0), g2 = g_off + (g_on - g_off) * s.x2(0, 0);
  return (g1 * p.e1_mv + g2 * p.e2_mv) / (g1 + g2);
}

TEST(MifNeuron, RestsWhereTheMemristiveBranchesBalance) {
  // Without drive, v settles where G1 (v - E1) + G2 (v - E2) = 0 with the memristor states at
  // their own fixed point; memristor 1 relaxes more slowly, so rest lies between E1 and E2.
  MifParams p;
  MifLayer<double> layer(p);
  layer.Reset(1, 1, 0, false);
  for (int t = 0; t < 6000; ++t) layer.StepZero();
  const double v_rest = layer.state().v(0, 0);
  EXPECT_NEAR(layer.StepZero()(0, 0), v_rest, 1e-9);
  EXPECT_NEAR(v_rest, WeightedReversal(p, layer.state()), 1e-9);
  EXPECT_GT(v_rest, p.e1_mv + 1);
  EXPECT_LT(v_rest, p.e2_mv - 1);
}

TEST(MifNeuron, ImpulseDepolarisesThenHyperpolarisesThenRepolarises) {
  MifParams p;
  const int steps = 4000;
  auto rest = ImpulseResponse(p, 0.0, steps).back();
  MifLayer<double> layer(p);
  layer.Reset(1, 1, steps, false);
  ArrD u = ArrD::Constant(1, 1, 0.05);
  std::vector<double> v = {layer.Step(u)(0, 0)};
  double x1_max = 0;
  for (int t = 1; t < steps; ++t) {
    v.push_back(layer.StepZero()(0, 0));
    x1_max = std::max(x1_max, layer.state().x1(0, 0));
  }
  // Depolarisation: tens of mV above rest, past memristor 1's on-threshold region.
  auto peak_it = std::max_element(v.begin(), v.end());
  EXPECT_GT(*peak_it, rest + 60.0);
  // Memristor 1 (E1 = 0 mV) switches on during the spike: that is what pulls v down.
  EXPECT_GT(x1_max, 0.2);
  // Hyperpolarisation: after the peak v undershoots rest by several mV ...
  auto trough_it = std::min_element(peak_it, v.end());
  EXPECT_LT(*trough_it, rest - 5.0);
  // ... and repolarises to rest as memristor 1 relaxes.
  EXPECT_NEAR(v.back(), rest, 0.01);
  EXPECT_GT(trough_it - v.begin(), peak_it - v.begin());
}

TEST(MifNeuron, ExplicitAndImplicitAgreeWhenTheStepIsSmall) {
  // With C large relative to G the two schemes are both accurate and agree closely.
  MifParams p;
  p.c = 1e-2;
  MifParams pe = p;
  pe.membrane_update = MembraneUpdate::kExplicit;
  auto vi = ImpulseResponse(p, 0.2, 300);
  auto ve = ImpulseResponse(pe, 0.2, 300);
  double peak = 0, max_diff = 0;
  for (std::size_t t = 0; t < vi.size(); ++t) {
    peak = std::max(peak, std::abs(vi[t]));
    max_diff = std::max(max_diff, std::abs(vi[t] - ve[t]));
  }
  EXPECT_GT(peak, 100.0);
  EXPECT_LT(max_diff / peak, 0.02);
}

TEST(MifNeuron, ValidateNamesTheBadField) {
  MifParams p;
  p.r_on_ohm = 2e5;
  auto r = p.Validate();
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("r_on_ohm"), std::string::npos);
  p = MifParams{};
  p.x0 = 1.5;
  EXPECT_NE(p.Validate().error().message.find("x0"), std::string::npos);
  p = MifParams{};
  p.c = -1;
  EXPECT_NE(p.Validate().error().message.find("c = -1"), std::string::npos);
  p = MifParams{};
  p.rail_low_mv = 10;  // above e1_mv = 0
  p.rail_high_mv = 500;
  EXPECT_NE(p.Validate().error().message.find("must contain the branch sources e1_mv = 0"), std::string::npos);
  p.rail_low_mv = -500;
  EXPECT_TRUE(p.Validate().has_value());
  p.rail_high_mv = std::numeric_limits<double>::infinity();
  EXPECT_NE(p.Validate().error().message.find("both be finite or both absent"), std::string::npos);
}

// Finite-difference checks of the whole-layer backward pass over T steps, on random states,
// random drives and a random linear loss on every step's membrane voltage.
struct Problem {
  MifParams params;
  int neurons = 3, batch = 2, steps = 40;
  MifState<double> init;
  std::vector<ArrD> u, w;  // drive and loss weights per step
  double drive = 0;        // scale of the drive

  Problem(uint64_t seed, MembraneUpdate update, bool rails) {
    params.membrane_update = update;
    if (rails) {  // rails the random states and drives reach (the test counts the clamped steps)
      params.rail_low_mv = -10;
      params.rail_high_mv = 90;
    }
    if (update == MembraneUpdate::kExplicit) params.c = 1e-2;  // keep the explicit scheme stable
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> unit(0, 1), sym(-1, 1);
    init.Reset(params, neurons, batch);
    for (int k = 0; k < neurons * batch; ++k) {
      init.a(k) = 2e-3 * sym(rng);
      init.i(k) = 2e-3 * sym(rng);
      init.v(k) = 150 * sym(rng) + 50;
      init.x1(k) = 0.05 + 0.9 * unit(rng);
      init.x2(k) = 0.05 + 0.9 * unit(rng);
    }
    drive = update == MembraneUpdate::kExplicit ? 0.3 : 3e-3;
    if (rails) drive *= 10;
    for (int t = 0; t < steps; ++t) {
      u.push_back(drive * ArrD::NullaryExpr(neurons, batch, [&] { return sym(rng); }));
      w.push_back(ArrD::NullaryExpr(neurons, batch, [&] { return sym(rng); }));
    }
  }

  double Loss(const MifState<double>& s0, const std::vector<ArrD>& drives) const {
    MifLayer<double> layer(params);
    layer.Reset(neurons, batch, steps, false);
    layer.SetState(s0);
    double loss = 0;
    for (int t = 0; t < steps; ++t) loss += (layer.Step(drives[t]) * w[t]).sum();
    return loss;
  }
};

class MifGradient : public ::testing::TestWithParam<std::tuple<MembraneUpdate, bool>> {};

TEST_P(MifGradient, MatchesFiniteDifferencesOverTime) {
  const auto [update, rails] = GetParam();
  int at_rail = 0, inside = 0;
  for (uint64_t seed : {1u, 2u, 3u}) {
    Problem pr(seed, update, rails);
    MifLayer<double> layer(pr.params);
    layer.Reset(pr.neurons, pr.batch, pr.steps, true);
    layer.SetState(pr.init);
    for (int t = 0; t < pr.steps; ++t) {
      const ArrD& v = layer.Step(pr.u[t]);
      const auto clamped = (v == pr.params.rail_low_mv || v == pr.params.rail_high_mv).count();
      at_rail += static_cast<int>(clamped);
      inside += static_cast<int>(v.size() - clamped);
      if (rails) {
        EXPECT_TRUE((v >= pr.params.rail_low_mv).all() && (v <= pr.params.rail_high_mv).all());
      }
    }
    MifState<double> adj;
    adj.Zero(pr.neurons, pr.batch);
    std::vector<ArrD> u_bar(pr.steps);
    for (int t = pr.steps; t >= 1; --t) {
      adj.v += pr.w[t - 1];
      layer.BackwardStep(t, adj, u_bar[t - 1]);
    }
    // Central differences with a step relative to each variable's scale.
    auto check = [&](double analytic, auto perturb, double h, const char* what, int t, int k) {
      const double lp = perturb(h), lm = perturb(-h);
      const double numeric = (lp - lm) / (2 * h);
      const double denom = std::max({std::abs(analytic), std::abs(numeric), 1e-4});
      EXPECT_LE(std::abs(analytic - numeric) / denom, 1e-5)
          << what << " t=" << t << " k=" << k << " analytic " << analytic << " numeric " << numeric;
    };
    for (int k = 0; k < pr.neurons * pr.batch; ++k) {
      for (auto [arr, adj_arr, h, what] :
           {std::tuple{&MifState<double>::a, &adj.a, 1e-7, "a0"},
            std::tuple{&MifState<double>::i, &adj.i, 1e-7, "I0"},
            std::tuple{&MifState<double>::v, &adj.v, 1e-4, "v0"},
            std::tuple{&MifState<double>::x1, &adj.x1, 1e-6, "x1_0"},
            std::tuple{&MifState<double>::x2, &adj.x2, 1e-6, "x2_0"}}) {
        check((*adj_arr)(k), [&, arr = arr](double d) {
          MifState<double> s = pr.init;
          (s.*arr)(k) += d;
          return pr.Loss(s, pr.u);
        }, h, what, 0, k);
      }
      for (int t : {0, 7, pr.steps / 2, pr.steps - 1}) {
        check(u_bar[t](k), [&](double d) {
          auto drives = pr.u;
          drives[t](k) += d;
          return pr.Loss(pr.init, drives);
        }, 1e-4 * pr.drive, "u", t, k);
      }
    }
  }
  // With rails, both regimes occur: the check covers the clamp's zero derivative and the free one.
  EXPECT_GT(inside, 0);
  if (rails) {
    EXPECT_GT(at_rail, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(UpdatesAndRails, MifGradient,
                         ::testing::Combine(::testing::Values(MembraneUpdate::kImplicit, MembraneUpdate::kExplicit),
                                            ::testing::Bool()),
                         [](const auto& p) {
                           return std::string(std::get<0>(p.param) == MembraneUpdate::kImplicit ? "Implicit"
                                                                                              : "Explicit") +
                                  (std::get<1>(p.param) ? "WithRails" : "Unbounded");
                         });

}  // namespace
}  // namespace xbar::device_models

namespace xbar::device_models {
namespace {

// --step-scale: the same circuit at a longer time step. Stepping the same ODE more coarsely, the
// impulse response sampled every F published steps deviates more the larger F is (first order:
// about half at F = 2 of what it is at F = 5); the deviation is what a coarser step costs.
double StepScaleDeviation(int factor) {
  MifParams p;
  const MifParams s = p.WithStepScale(factor).value();
  MifLayer<double> fine(p), coarse(s);
  fine.Reset(1, 1, 0, false);
  coarse.Reset(1, 1, 0, false);
  // The same impulse into the synapse state a (a drive applied at every step would be F times
  // larger at the coarse step: it is charge per step).
  Arr<double> u(1, 1);
  u(0, 0) = 0.05;
  fine.Step(u);
  coarse.Step(u);
  double peak = 0, worst = 0;
  for (int t = 1; t < 500 / factor; ++t) {
    for (int k = 0; k < factor; ++k) fine.StepZero();
    const double v_coarse = coarse.StepZero()(0, 0), v_fine = fine.state().v(0, 0);
    peak = std::max(peak, std::abs(v_fine));
    worst = std::max(worst, std::abs(v_coarse - v_fine));
  }
  EXPECT_GT(peak, 50.0);
  return worst / peak;
}

TEST(MifParams, StepScaleDividesTheTimeConstantsAndTheCapacitance) {
  MifParams p;
  auto s = p.WithStepScale(5);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_DOUBLE_EQ(s->tau_steps, 20);
  EXPECT_DOUBLE_EQ(s->tau_alpha_steps, 20);
  EXPECT_DOUBLE_EQ(s->c, 2e-5);
  EXPECT_DOUBLE_EQ(s->r_on_ohm, p.r_on_ohm);
  auto bad = p.WithStepScale(0);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "--step-scale 0.000000 must lie in [0.001, 1000]");
}

TEST(MifParams, StepScaleIsACoarserDiscretisationOfTheSameCircuit) {
  const double at2 = StepScaleDeviation(2), at5 = StepScaleDeviation(5);
  RecordProperty("deviation_at_2", std::to_string(at2));
  RecordProperty("deviation_at_5", std::to_string(at5));
  EXPECT_LT(at2, 0.65 * at5);
  EXPECT_LT(at5, 0.5);
}

// The chip's analog chain (docs/chip.md "The analog chain in SI units"): the dimensionless model
// neuron, at step scale 1 and 5, stepped side by side with the circuit the chip builds, written
// here in SI units only (F, ohm, A, V, s) from PhysicalNeuron: the same membrane voltages, for a
// random drive with the rails binding.
TEST(PhysicalNeuron, TheModelNeuronIsTheChipsCircuitInSiUnits) {
  const ChipSpec chip;
  ASSERT_TRUE(chip.Validate().has_value());
  for (double scale : {1.0, 5.0}) {
    MifParams model = chip.neuron.WithStepScale(scale).value();
    model.rail_low_mv = -250;
    model.rail_high_mv = 250;
    const PhysicalNeuron p = chip.Physical(model);
    // The default chip: 1 us steps of the published neuron with a 1 pF capacitor.
    EXPECT_NEAR(p.alpha, 0.01, 1e-15) << scale;
    EXPECT_NEAR(p.step_s, scale * 1e-6, 1e-18) << scale;
    EXPECT_NEAR(p.r_on_ohm, 100e3, 1e-6) << scale;
    EXPECT_NEAR(p.r_off_ohm, 10e6, 1e-4) << scale;
    EXPECT_NEAR(p.tau_s, 100e-6, 1e-15) << scale;
    EXPECT_NEAR(p.tau_alpha_s, 100e-6, 1e-15) << scale;
    EXPECT_NEAR(p.amps_per_unit, 1e-5, 1e-20) << scale;
    EXPECT_EQ(p.rail_high_mv, 1000);

    const int batch = 4, steps = static_cast<int>(200 / scale);
    MifLayer<double> layer(model);
    layer.Reset(1, batch, steps, false);
    // The circuit: C_m dv/dt = I + sum_i G_i(x_i) (E_i - v), backward Euler over step_s; the
    // synapse's two first-order stages with time constant tau_alpha_s; the memristor states.
    const double c_per_step = chip.analog.membrane_capacitance_f / p.step_s;  // S
    const double g_on = 1 / p.r_on_ohm, g_off = 1 / p.r_off_ohm;          // S
    const double e1 = model.e1_mv * 1e-3, e2 = model.e2_mv * 1e-3;         // V
    const double v_on = model.v_on_mv * 1e-3, v_off = model.v_off_mv * 1e-3, k = model.k_mv * 1e-3;
    const double low = model.rail_low_mv * 1e-3, high = model.rail_high_mv * 1e-3;
    const double decay = 1 - p.step_s / p.tau_alpha_s, rate = p.step_s / p.tau_s;
    auto sig = [](double z) { return 1 / (1 + std::exp(-z)); };
    std::vector<double> a(batch, 0), i(batch, 0), v(batch, 0), x1(batch, model.x0), x2(batch, model.x0);
    std::mt19937_64 rng(7);
    std::normal_distribution<double> normal(0, 3);
    double worst = 0, peak = 0;
    int at_rail = 0;
    for (int t = 0; t < steps; ++t) {
      ArrD u(1, batch);
      for (int b = 0; b < batch; ++b) u(0, b) = (t % 10 == 0) ? normal(rng) * scale : 0;
      const ArrD& vm = layer.Step(u);
      for (int b = 0; b < batch; ++b) {
        a[b] = decay * a[b] + u(0, b) * p.amps_per_unit;  // A
        i[b] = decay * i[b] + a[b] * p.step_s / p.tau_alpha_s;
        const double g1 = g_off + (g_on - g_off) * x1[b], g2 = g_off + (g_on - g_off) * x2[b];
        v[b] = std::clamp((c_per_step * v[b] + i[b] + g1 * e1 + g2 * e2) / (c_per_step + g1 + g2), low, high);
        x1[b] += rate * ((1 - x1[b]) * sig((v[b] - e1 - v_on) / k) - x1[b] * sig((v_off - v[b] + e1) / k));
        x2[b] += rate * ((1 - x2[b]) * sig((v[b] - e2 - v_on) / k) - x2[b] * sig((v_off - v[b] + e2) / k));
        worst = std::max(worst, std::abs(vm(0, b) - 1e3 * v[b]));
        peak = std::max(peak, std::abs(vm(0, b)));
        at_rail += std::abs(v[b]) == high;
      }
    }
    EXPECT_GT(peak, 100) << scale;    // the memristors switch (v above E + v_on)
    EXPECT_GT(at_rail, 0) << scale;   // and the rails bind
    EXPECT_LT(worst, 1e-9 * peak) << scale;
  }
}

}  // namespace
}  // namespace xbar::device_models
