// Memristor pulse model: direction, saturation, amplitude and width laws, spreads, inverse helpers.
#include "device_models/memristor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "device_models/nonidealities.h"
#include "device_models/presets.h"
#include "tests/testing/stats.h"

namespace xbar::device_models {
namespace {

using ::xbar::testing::Describe;
using ::xbar::testing::kSigmas;
using ::xbar::testing::Sample;

MemristorParams Quiet(MemristorParams p) {
  p.set.step_std = 0;
  p.reset.step_std = 0;
  return p;
}

std::vector<DevicePreset> Presets() { return {PcmNandakumar2019(), RramHfO2Wan2022()}; }

double Mid(const DeviceInstance& d) { return 0.5 * (d.g_min_s + d.g_max_s); }

// Strength of a SET pulse with bound exponent 1, recovered exactly from its effect.
double SetStrength(const DeviceInstance& d, double g0, double g1) {
  return -std::log((d.g_max_s - g1) / (d.g_max_s - g0));
}

TEST(Memristor, SetRaisesAndResetLowersConductance) {
  for (const auto& preset : Presets()) {
    const MemristorParams& p = preset.memristor;
    const DeviceInstance d = NominalDevice(p);
    const double g = Mid(d);
    EXPECT_GT(PredictPulse(p, d, g, p.set.v_ref_v, p.set.width_ref_s), g) << preset.name;
    EXPECT_LT(PredictPulse(p, d, g, -p.reset.v_ref_v, p.reset.width_ref_s), g) << preset.name;
    // With cycle-to-cycle noise a SET never lowers G and a RESET never raises it.
    Rng rng(7);
    int raised = 0, lowered = 0;
    for (int i = 0; i < 2000; ++i) {
      const double up = ApplyPulse(p, d, g, p.set.v_ref_v, p.set.width_ref_s, rng);
      const double down = ApplyPulse(p, d, g, -p.reset.v_ref_v, p.reset.width_ref_s, rng);
      raised += up > g && up <= d.g_max_s;
      lowered += down < g && down >= d.g_min_s;
    }
    EXPECT_EQ(raised, 2000) << preset.name;
    EXPECT_EQ(lowered, 2000) << preset.name;
  }
}

TEST(Memristor, StepsShrinkTowardsTheWindowEdges) {
  const MemristorParams p = Quiet(RramHfO2Wan2022().memristor);
  const DeviceInstance d = NominalDevice(p);
  const double window = d.g_max_s - d.g_min_s;
  // SET from the bottom: every step smaller than the last, G never leaves the window.
  double g = d.g_min_s, last_step = INFINITY;
  for (int i = 0; i < 200; ++i) {
    const double next = PredictPulse(p, d, g, p.set.v_ref_v, p.set.width_ref_s);
    ASSERT_LT(next - g, last_step) << "pulse " << i;
    ASSERT_GT(next, g);
    ASSERT_LE(next, d.g_max_s);
    last_step = next - g;
    g = next;
  }
  EXPECT_GT(g, d.g_max_s - 0.01 * window);
  // Soft bounds (γ = 1): the step is proportional to the distance to g_max.
  const double far = PredictPulse(p, d, d.g_min_s, p.set.v_ref_v, p.set.width_ref_s) - d.g_min_s;
  const double g_near = d.g_max_s - 0.1 * window;
  const double near = PredictPulse(p, d, g_near, p.set.v_ref_v, p.set.width_ref_s) - g_near;
  EXPECT_NEAR(near / far, 0.1, 1e-12);
  // RESET from the top (γ = 1.5): shrinking steps, approaching g_min.
  g = d.g_max_s;
  last_step = INFINITY;
  for (int i = 0; i < 200; ++i) {
    const double next = PredictPulse(p, d, g, -p.reset.v_ref_v, p.reset.width_ref_s);
    ASSERT_LT(g - next, last_step) << "pulse " << i;
    ASSERT_LT(next, g);
    ASSERT_GE(next, d.g_min_s);
    last_step = g - next;
    g = next;
  }
  EXPECT_LT(g, d.g_min_s + 0.05 * window);
}

TEST(Memristor, StrengthGrowsAsAPowerOfTheExcessAmplitude) {
  const MemristorParams p = Quiet(RramHfO2Wan2022().memristor);
  const DeviceInstance d = NominalDevice(p);
  const double g = Mid(d), w = p.set.width_ref_s;
  const double s_ref = SetStrength(d, g, PredictPulse(p, d, g, p.set.v_ref_v, w));
  EXPECT_NEAR(s_ref, p.set.step_ref, 1e-12);  // the definition of step_ref
  double last = 0;
  for (double v = p.set.v_threshold_v + 0.05; v < 2.0; v += 0.05) {
    const double s = SetStrength(d, g, PredictPulse(p, d, g, v, w));
    const double expected = std::pow((v - p.set.v_threshold_v) /
                                         (p.set.v_ref_v - p.set.v_threshold_v),
                                     p.set.amplitude_exponent);
    EXPECT_NEAR(s / s_ref, expected, 1e-9 * expected) << "v = " << v;
    EXPECT_GT(s, last) << "v = " << v;
    last = s;
  }
  // RESET: larger amplitude, larger step.
  double last_step = 0;
  for (double v = p.reset.v_threshold_v + 0.05; v < 2.0; v += 0.05) {
    const double step = g - PredictPulse(p, d, g, -v, p.reset.width_ref_s);
    EXPECT_GT(step, last_step) << "v = " << v;
    last_step = step;
  }
}

TEST(Memristor, NoChangeAtOrBelowThreshold) {
  for (const auto& preset : Presets()) {
    const MemristorParams& p = preset.memristor;  // with cycle-to-cycle noise
    const DeviceInstance d = NominalDevice(p);
    const double g = Mid(d);
    Rng rng(3);
    const Rng before = rng;
    for (double f = 0; f <= 1.0; f += 0.125) {
      EXPECT_EQ(ApplyPulse(p, d, g, f * p.set.v_threshold_v, 1e-6, rng), g) << preset.name;
      EXPECT_EQ(ApplyPulse(p, d, g, -f * p.reset.v_threshold_v, 1e-6, rng), g) << preset.name;
    }
    EXPECT_EQ(ApplyPulse(p, d, g, p.set.v_ref_v, 0.0, rng), g) << "zero width";
    EXPECT_TRUE(rng == before) << "a pulse that does nothing must draw nothing";
    // Just above threshold it switches (so the checks above can fail).
    EXPECT_GT(ApplyPulse(p, d, g, 1.01 * p.set.v_threshold_v, 1e-6, rng), g) << preset.name;
  }
}

TEST(Memristor, StepIsLinearInWidthAndPulsesCompose) {
  const MemristorParams p = Quiet(RramHfO2Wan2022().memristor);
  const DeviceInstance d = NominalDevice(p);
  const double g = Mid(d), w = p.set.width_ref_s, v = p.set.v_ref_v;
  // Strength exactly proportional to width.
  EXPECT_NEAR(SetStrength(d, g, PredictPulse(p, d, g, v, 2 * w)) /
                  SetStrength(d, g, PredictPulse(p, d, g, v, w)), 2.0, 1e-9);
  // Small steps: the conductance step itself is nearly linear in width.
  const double dg1 = PredictPulse(p, d, g, v, w / 10) - g;
  const double dg2 = PredictPulse(p, d, g, v, w / 5) - g;
  EXPECT_NEAR(dg2 / dg1, 2.0, 0.01);
  // N pulses of width w equal one pulse of width N w, for SET (γ = 1) and RESET (γ = 1.5).
  for (double amp : {v, -p.reset.v_ref_v}) {
    double g_n = g;
    for (int i = 0; i < 7; ++i) g_n = PredictPulse(p, d, g_n, amp, w);
    EXPECT_NEAR(g_n, PredictPulse(p, d, g, amp, 7 * w), 1e-12 * d.g_max_s) << "amplitude " << amp;
    EXPECT_NE(g_n, g);
  }
}

TEST(Memristor, SetAndResetAreAsymmetric) {
  {
    const MemristorParams p = Quiet(RramHfO2Wan2022().memristor);
    const DeviceInstance d = NominalDevice(p);
    const double g = Mid(d);
    const double up = PredictPulse(p, d, g, 1.2, 100e-9) - g;
    const double down = g - PredictPulse(p, d, g, -1.2, 100e-9);
    EXPECT_GT(up, 0);
    EXPECT_GT(down, 0);
    EXPECT_GT(std::abs(up - down), 0.1 * std::max(up, down));
  }
  {
    // PCM: gradual SET, abrupt RESET.
    const MemristorParams p = Quiet(PcmNandakumar2019().memristor);
    const DeviceInstance d = NominalDevice(p);
    const double window = d.g_max_s - d.g_min_s;
    const double set = PredictPulse(p, d, d.g_min_s, p.set.v_ref_v, p.set.width_ref_s) - d.g_min_s;
    const double reset = PredictPulse(p, d, d.g_max_s, -p.reset.v_ref_v, p.reset.width_ref_s);
    EXPECT_LT(set, 0.15 * window);
    EXPECT_LT(reset - d.g_min_s, 0.01 * window);
  }
}

TEST(Memristor, CycleToCycleSpreadOfTheStrengthIsStepStd) {
  for (const auto& preset : Presets()) {
    const MemristorParams& p = preset.memristor;
    ASSERT_EQ(p.set.bound_exponent, 1.0);  // SetStrength inverts the γ = 1 law
    const DeviceInstance d = NominalDevice(p);
    const double g = d.g_min_s + 0.3 * (d.g_max_s - d.g_min_s);
    const double w = 0.1 * p.set.width_ref_s;  // small steps: far from saturating
    Rng rng(11);
    std::vector<double> s;
    for (int i = 0; i < 20000; ++i) {
      s.push_back(SetStrength(d, g, ApplyPulse(p, d, g, p.set.v_ref_v, w, rng)));
    }
    const double nominal = SetStrength(d, g, PredictPulse(p, d, g, p.set.v_ref_v, w));
    const Sample m = Describe(s);
    EXPECT_NEAR(m.mean, nominal, kSigmas * m.mean_se) << preset.name;
    EXPECT_NEAR(m.std, p.set.step_std * nominal, kSigmas * m.std_se) << preset.name;
  }
}

TEST(DeviceSpread, WindowStepAndThresholdSpreadsMatchTheirDtod) {
  const MemristorParams p = RramHfO2Wan2022().memristor;
  Rng rng(2024);
  std::vector<double> ln_min, ln_max, ln_step, asym, ln_vset, ln_vreset;
  for (int i = 0; i < 20000; ++i) {
    const DeviceInstance d = CreateDevice(p, rng);
    ln_min.push_back(std::log(d.g_min_s / p.g_min_s));
    ln_max.push_back(std::log(d.g_max_s / p.g_max_s));
    ln_step.push_back(0.5 * std::log(d.set_scale * d.reset_scale));
    asym.push_back(0.5 * std::log(d.set_scale / d.reset_scale));
    ln_vset.push_back(std::log(d.v_set_threshold_v / p.set.v_threshold_v));
    ln_vreset.push_back(std::log(d.v_reset_threshold_v / p.reset.v_threshold_v));
  }
  for (auto [values, spread, what] :
       {std::tuple{&ln_min, p.g_min_dtod, "g_min"}, std::tuple{&ln_max, p.g_max_dtod, "g_max"},
        std::tuple{&ln_step, p.step_dtod, "step"}, std::tuple{&asym, p.set_reset_dtod, "set/reset"},
        std::tuple{&ln_vset, p.v_threshold_dtod, "v_set"},
        std::tuple{&ln_vreset, p.v_threshold_dtod, "v_reset"}}) {
    const Sample m = Describe(*values);
    EXPECT_NEAR(m.mean, 0.0, kSigmas * m.mean_se) << what;
    EXPECT_NEAR(m.std, spread, kSigmas * m.std_se) << what;
  }
  // Without spreads a created device is the nominal one.
  MemristorParams none = p;
  none.g_min_dtod = none.g_max_dtod = none.step_dtod = none.set_reset_dtod = 0;
  none.v_threshold_dtod = 0;
  const DeviceInstance d = CreateDevice(none, rng);
  const DeviceInstance nominal = NominalDevice(none);
  EXPECT_EQ(d.g_min_s, nominal.g_min_s);
  EXPECT_EQ(d.g_max_s, nominal.g_max_s);
  EXPECT_EQ(d.set_scale, 1.0);
  EXPECT_EQ(d.reset_scale, 1.0);
  EXPECT_EQ(d.v_set_threshold_v, nominal.v_set_threshold_v);
  EXPECT_EQ(d.v_reset_threshold_v, nominal.v_reset_threshold_v);
}

// Programs 64 devices with a fixed random pulse train and returns every conductance visited.
std::vector<double> PulseTrain(uint64_t seed) {
  const DevicePreset preset = RramHfO2Wan2022();
  Rng rng(seed);
  std::vector<double> out;
  for (int cell = 0; cell < 64; ++cell) {
    const DeviceInstance d = CreateDevice(preset.memristor, preset.nonidealities, rng);
    double g = d.g_min_s;
    for (int k = 0; k < 50; ++k) {
      const double amplitude = (k % 3 == 2 ? -1.0 : 1.0) * (0.6 + 0.01 * (k % 60));
      g = ApplyPulse(preset.memristor, d, g, amplitude, 100e-9, rng);
      out.push_back(g);
    }
  }
  return out;
}

TEST(Memristor, SameSeedGivesBitIdenticalConductances) {
  const auto a = PulseTrain(42), b = PulseTrain(42), c = PulseTrain(43);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(double)), 0);
  EXPECT_NE(a, c);
}

TEST(Memristor, PulsesForTargetPredictsTheNoiseFreeResponse) {
  const MemristorParams p = Quiet(RramHfO2Wan2022().memristor);
  Rng rng(5);
  const DeviceInstance d = CreateDevice(p, rng);  // device spreads enter the prediction
  const double w = 100e-9;
  for (auto [g0, target, amplitude] :
       {std::tuple{5e-6, 20e-6, 1.0}, std::tuple{30e-6, 8e-6, -1.2}}) {
    const auto n = PulsesForTarget(p, d, g0, target, amplitude, w);
    ASSERT_TRUE(n.has_value());
    ASSERT_GT(*n, 2.0);
    const int whole = static_cast<int>(std::floor(*n));
    double g = g0;
    for (int i = 0; i < whole; ++i) g = PredictPulse(p, d, g, amplitude, w);
    const bool up = target > g0;
    EXPECT_TRUE(up ? g < target : g > target) << "one pulse short of the prediction";
    g = PredictPulse(p, d, g, amplitude, w);
    EXPECT_TRUE(up ? g >= target : g <= target) << "the predicted count reaches the target";
    // The fractional count is exact: one pulse of width n w lands on the target.
    EXPECT_NEAR(PredictPulse(p, d, g0, amplitude, *n * w), target, 1e-9 * target);
  }
  const DeviceInstance nominal = NominalDevice(p);
  EXPECT_EQ(PulsesForTarget(p, nominal, 10e-6, 10e-6, 1.0, w), 0.0);
  auto reachable = [&](double target, double amplitude) {
    return PulsesForTarget(p, nominal, 10e-6, target, amplitude, w).has_value();
  };
  EXPECT_TRUE(reachable(20e-6, 1.0));
  EXPECT_FALSE(reachable(20e-6, -1.0)) << "wrong polarity";
  EXPECT_FALSE(reachable(20e-6, 0.5)) << "below threshold";
  EXPECT_FALSE(reachable(p.g_max_s, 1.0)) << "on a soft bound";
  EXPECT_FALSE(reachable(2 * p.g_max_s, 1.0)) << "outside the window";
  // With γ < 1 the bound is reached after a finite number of pulses.
  MemristorParams hard = p;
  hard.set.bound_exponent = 0.5;
  const auto to_edge = PulsesForTarget(hard, nominal, 10e-6, hard.g_max_s, 1.0, w);
  ASSERT_TRUE(to_edge.has_value());
  EXPECT_EQ(PredictPulse(hard, nominal, 10e-6, 1.0, *to_edge * w * (1 + 1e-9)), hard.g_max_s);
}

TEST(Memristor, AmplitudeForTargetLandsOnTheTarget) {
  for (const auto& preset : Presets()) {
    const MemristorParams p = Quiet(preset.memristor);
    Rng rng(9);
    const DeviceInstance d = CreateDevice(p, rng);
    const double window = d.g_max_s - d.g_min_s;
    for (double from : {0.1, 0.5, 0.9}) {
      for (double to : {0.05, 0.3, 0.6, 0.95}) {
        const double g0 = d.g_min_s + from * window, target = d.g_min_s + to * window;
        const double width = (to > from ? p.set : p.reset).width_ref_s;
        const auto v = AmplitudeForTarget(p, d, g0, target, width);
        ASSERT_TRUE(v.has_value()) << preset.name << " " << from << " -> " << to;
        EXPECT_EQ(*v > 0, to > from);
        EXPECT_NEAR(PredictPulse(p, d, g0, *v, width), target, 1e-9 * window)
            << preset.name << " " << from << " -> " << to;
      }
    }
    EXPECT_EQ(AmplitudeForTarget(p, d, d.g_min_s, d.g_min_s, 1e-7), 0.0);
    EXPECT_FALSE(AmplitudeForTarget(p, d, d.g_min_s, 2 * d.g_max_s, 1e-7).has_value());
  }
}

TEST(Memristor, PulseEnergyIsVSquaredGTime) {
  EXPECT_DOUBLE_EQ(PulseEnergyJ(20e-6, 1.2, 100e-9), 1.44 * 20e-6 * 100e-9);
  EXPECT_DOUBLE_EQ(PulseEnergyJ(20e-6, -1.2, 100e-9), PulseEnergyJ(20e-6, 1.2, 100e-9));
}

TEST(Memristor, StuckDeviceIgnoresPulsesAndCannotBeTargeted) {
  const MemristorParams p = RramHfO2Wan2022().memristor;
  DeviceInstance d = NominalDevice(p);
  d.stuck = StuckState::kOn;
  d.stuck_g_s = d.g_max_s;
  Rng rng(1);
  EXPECT_EQ(ApplyPulse(p, d, 5e-6, -1.5, 1e-6, rng), d.g_max_s);
  EXPECT_EQ(ApplyPulse(p, d, 5e-6, 1.5, 1e-6, rng), d.g_max_s);
  EXPECT_FALSE(PulsesForTarget(p, d, 5e-6, 10e-6, 1.5, 1e-6).has_value());
  EXPECT_FALSE(AmplitudeForTarget(p, d, 5e-6, 10e-6, 1e-6).has_value());
}

TEST(MemristorParams, ValidateNamesTheBadField) {
  for (const auto& preset : Presets()) {
    EXPECT_TRUE(preset.memristor.Validate().has_value()) << preset.name;
  }
  EXPECT_TRUE(MemristorParams{}.Validate().has_value());
  auto message = [](const MemristorParams& p) {
    auto r = p.Validate();
    return r ? std::string("valid") : r.error().message;
  };
  MemristorParams p;
  p.g_max_s = 0.5e-6;
  EXPECT_EQ(message(p), "memristor g_max_s = 5e-07 must be finite and above g_min_s = 1e-06");
  p = MemristorParams{};
  p.set.v_ref_v = 0.5;
  EXPECT_EQ(message(p),
            "memristor set.v_ref_v = 0.5 must exceed set.v_threshold_v = 0.8 (a reference pulse "
            "has to switch the device)");
  p = MemristorParams{};
  p.reset.step_ref = 0;
  EXPECT_EQ(message(p), "memristor reset.step_ref = 0 must be positive and finite");
  p = MemristorParams{};
  p.reset.step_std = -0.1;
  EXPECT_EQ(message(p), "memristor reset.step_std = -0.1 must be finite and at least 0");
  p = MemristorParams{};
  p.step_dtod = 3;
  EXPECT_NE(message(p).find("step_dtod = 3 must lie in [0, 2]"), std::string::npos);
}

}  // namespace
}  // namespace xbar::device_models
