// Nonidealities and presets: the published noise, drift and fault curves from many seeded draws.
#include "device_models/nonidealities.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <numbers>
#include <tuple>
#include <utility>
#include <vector>

#include "device_models/presets.h"
#include "tests/testing/stats.h"

namespace xbar::device_models {
namespace {

using ::xbar::testing::Describe;
using ::xbar::testing::kSigmas;
using ::xbar::testing::Sample;
constexpr double kUs = 1e-6;

double Median(std::vector<double> x) {
  const auto mid = x.begin() + static_cast<std::ptrdiff_t>(x.size() / 2);
  std::nth_element(x.begin(), mid, x.end());
  return *mid;
}

// The published curves, written out here independently of the presets.
double PcmProgSigma(double g) { return (-1.1731 * g * g + 1.9650 * g + 0.26348) * kUs; }
double PcmNuMean(double g) { return std::clamp(-0.0155 * std::log(g) + 0.0244, 0.049, 0.1); }
double PcmNuStd(double g) { return std::clamp(-0.0125 * std::log(g) - 0.0059, 0.008, 0.045); }
double PcmReadSigma(double g_s, double t_s) {
  const double q = std::min(0.0088 / std::pow(g_s / (25 * kUs), 0.65), 0.2);
  return q * g_s * std::sqrt(std::log((t_s + 250e-9) / (2 * 250e-9)));
}
double WanSigma(const std::array<double, 5>& c_us, double g) {
  return (c_us[0] + g * (c_us[1] + g * (c_us[2] + g * (c_us[3] + g * c_us[4])))) * kUs;
}
constexpr std::array<double, 5> kWanOneSecond = {0.348, 16.030, -43.853, 45.393, -16.815};
constexpr std::array<double, 5> kWanOneDay = {0.701, 22.086, -50.773, 47.095, -16.458};
constexpr std::array<double, 5> kWanTwoDays = {0.782, 20.274, -43.507, 37.062, -11.934};

// Mean and std of |X|, X ~ N(mu, sigma^2) (the folded normal).
std::pair<double, double> FoldedNormal(double mu, double sigma) {
  const double r = mu / sigma;
  const double mean = sigma * std::sqrt(2 / std::numbers::pi) * std::exp(-0.5 * r * r) +
                      mu * (1 - std::erfc(r / std::sqrt(2.0)));
  return {mean, std::sqrt(mu * mu + sigma * sigma - mean * mean)};
}

TEST(ProgrammingNoise, PcmStdFollowsNandakumarPolynomial) {
  const ProgrammingNoise noise = PcmNandakumar2019().nonidealities.programming;
  Rng rng(101);
  for (double g : {0.1, 0.3, 0.5, 0.8, 1.0}) {
    const double target = g * 25 * kUs;
    std::vector<double> x;
    for (int i = 0; i < 20000; ++i) x.push_back(noise.Apply(target, rng));
    const Sample m = Describe(x);
    EXPECT_NEAR(m.mean, target, kSigmas * m.mean_se) << "g = " << g;
    EXPECT_NEAR(m.std, PcmProgSigma(g), kSigmas * m.std_se) << "g = " << g;
    EXPECT_DOUBLE_EQ(noise.Sigma(target), PcmProgSigma(g));
  }
}

TEST(ProgrammingNoise, RramStdFollowsWanPolynomial) {
  const ProgrammingNoise noise = RramHfO2Wan2022().nonidealities.programming;
  Rng rng(102);
  for (double g : {0.2, 0.4, 0.6, 0.8, 1.0}) {
    const double target = g * 40 * kUs;
    std::vector<double> x;
    for (int i = 0; i < 20000; ++i) x.push_back(noise.Apply(target, rng));
    const Sample m = Describe(x);
    EXPECT_NEAR(m.mean, target, kSigmas * m.mean_se) << "g = " << g;
    EXPECT_NEAR(m.std, WanSigma(kWanOneSecond, g), kSigmas * m.std_se) << "g = " << g;
  }
}

TEST(Drift, PcmExponentMomentsFollowNandakumar) {
  const Drift drift = PcmNandakumar2019().nonidealities.drift;
  Rng rng(103);
  // g = 0.01 is where folding |mu + sigma z| visibly raises the mean above mu.
  for (double g : {0.01, 0.1, 0.3, 1.0}) {
    std::vector<double> nu;
    for (int i = 0; i < 20000; ++i) {
      DeviceInstance d;
      drift.Draw(d, rng);
      nu.push_back(drift.Exponent(d, g * 25 * kUs));
    }
    const auto [mean, std] = FoldedNormal(PcmNuMean(g), PcmNuStd(g));
    const Sample m = Describe(nu);
    EXPECT_NEAR(m.mean, mean, kSigmas * m.mean_se) << "g = " << g;
    EXPECT_NEAR(m.std, std, kSigmas * m.std_se) << "g = " << g;
    EXPECT_GE(*std::min_element(nu.begin(), nu.end()), 0.0);
  }
}

TEST(Drift, PcmMedianDecayFollowsThePowerLaw) {
  const Drift drift = PcmNandakumar2019().nonidealities.drift;
  const int n = 20001;
  for (double g : {0.1, 0.5}) {
    const double g0 = g * 25 * kUs;
    Rng rng(104);
    std::vector<DeviceInstance> devices(n);
    for (auto& d : devices) drift.Draw(d, rng);
    for (double t : {3600.0, 86400.0, 3.15e7}) {
      std::vector<double> ratio;
      for (const auto& d : devices) ratio.push_back(drift.Apply(d, g0, t) / g0);
      // ν is (to 1e-7) normal here, so the median ratio is (t/t0)^-μ; the sample median of ν has
      // standard error sqrt(pi/2) σ / sqrt(n).
      const double expected = std::pow(t / 20.0, -PcmNuMean(g));
      const double se = expected * std::log(t / 20.0) * std::sqrt(std::numbers::pi / 2) *
                        PcmNuStd(g) / std::sqrt(static_cast<double>(n));
      EXPECT_NEAR(Median(ratio), expected, kSigmas * se) << "g = " << g << " t = " << t;
      EXPECT_LT(expected, 0.9);  // the check above is not trivially near 1
    }
    EXPECT_EQ(drift.Apply(devices[0], g0, 20.0), g0) << "no drift until t0";
    EXPECT_EQ(drift.Apply(devices[0], g0, 1.0), g0);
  }
}

TEST(Drift, RramSpreadAfterOneAndTwoDaysMatchesWan) {
  // Programming noise at 1 s plus the zero-mean relaxation exponent reproduce the spread of Wan et
  // al. after 1 day within the 2.2 % residual of our fit and after 2 days (not fitted) within
  // 7.7 %, over 0.1 <= g <= 1 (docs/devices.md).
  const DevicePreset preset = RramHfO2Wan2022();
  Nonidealities n = preset.nonidealities;
  n.read.enabled = false;
  n.stuck.enabled = false;
  Rng rng(105);
  for (double g : {0.1, 0.2, 0.3, 0.5, 0.7, 1.0}) {
    const double target = g * 40 * kUs;
    std::vector<double> at_1s, at_1d, at_2d, log_ratio;
    for (int i = 0; i < 40000; ++i) {
      const DeviceInstance d = CreateDevice(preset.memristor, n, rng);
      const double g_prog = ProgramConductance(n, d, target, rng);
      at_1s.push_back(ReadConductance(n, d, g_prog, 1.0, rng));
      at_1d.push_back(ReadConductance(n, d, g_prog, 86400.0, rng));
      at_2d.push_back(ReadConductance(n, d, g_prog, 2 * 86400.0, rng));
      if (g_prog > 0) log_ratio.push_back(std::log(at_1d.back() / at_1s.back()));
    }
    const Sample s1 = Describe(at_1s), s2 = Describe(at_1d), s3 = Describe(at_2d);
    EXPECT_NEAR(s1.std, WanSigma(kWanOneSecond, g), kSigmas * s1.std_se) << "g = " << g;
    const double one_day = WanSigma(kWanOneDay, g), two_days = WanSigma(kWanTwoDays, g);
    EXPECT_NEAR(s2.std, one_day, 0.025 * one_day + kSigmas * s2.std_se) << "g = " << g;
    EXPECT_NEAR(s3.std, two_days, 0.08 * two_days + kSigmas * s3.std_se) << "g = " << g;
    // Relaxation spreads conductances without a systematic drift: E[ln G(1 d)/G(1 s)] = 0.
    const Sample r = Describe(log_ratio);
    EXPECT_NEAR(r.mean, 0.0, kSigmas * r.mean_se) << "g = " << g;
    EXPECT_GT(r.std, 0.05) << "g = " << g;
  }
}

TEST(ReadNoise, PcmOneOverFMomentsFollowTheLaw) {
  const ReadNoise read = PcmNandakumar2019().nonidealities.read;
  Rng rng(106);
  for (double g : {0.1, 0.5, 1.0}) {
    for (double t : {20.0, 3600.0}) {
      const double g_s = g * 25 * kUs;
      std::vector<double> x;
      for (int i = 0; i < 20000; ++i) x.push_back(read.Apply(g_s, t, rng));
      const Sample m = Describe(x);
      EXPECT_NEAR(m.mean, g_s, kSigmas * m.mean_se) << "g = " << g << " t = " << t;
      EXPECT_NEAR(m.std, PcmReadSigma(g_s, t), kSigmas * m.std_se) << "g = " << g << " t = " << t;
    }
  }
  EXPECT_EQ(read.Sigma(10 * kUs, 100e-9), 0.0) << "nothing accumulated within t_read";
}

TEST(ReadNoise, RramWhiteNoiseIsOnePercent) {
  const ReadNoise read = RramHfO2Wan2022().nonidealities.read;
  Rng rng(107);
  for (double g_s : {5 * kUs, 30 * kUs}) {
    std::vector<double> x;
    for (int i = 0; i < 20000; ++i) x.push_back(read.Apply(g_s, 1e3, rng));
    const Sample m = Describe(x);
    EXPECT_NEAR(m.mean, g_s, kSigmas * m.mean_se);
    EXPECT_NEAR(m.std, 0.01 * g_s, kSigmas * m.std_se);
  }
}

TEST(StuckAtFaults, FractionsFollowTheRates) {
  const DevicePreset preset = RramHfO2Wan2022();
  Nonidealities n = preset.nonidealities;
  n.stuck.p_stuck_value = 0.05;
  const int count = 100000;
  Rng rng(108);
  int on = 0, off = 0, value = 0;
  for (int i = 0; i < count; ++i) {
    const DeviceInstance d = CreateDevice(preset.memristor, n, rng);
    switch (d.stuck) {
      case StuckState::kOn:
        ++on;
        ASSERT_EQ(d.stuck_g_s, d.g_max_s);
        break;
      case StuckState::kOff:
        ++off;
        ASSERT_EQ(d.stuck_g_s, d.g_min_s);
        break;
      case StuckState::kValue:
        ++value;
        ASSERT_GE(d.stuck_g_s, d.g_min_s);
        ASSERT_LE(d.stuck_g_s, d.g_max_s);
        break;
      case StuckState::kNone:
        break;
    }
    if (d.is_stuck()) {
      ASSERT_EQ(ApplyPulse(preset.memristor, d, d.g_min_s, 1.5, 1e-6, rng), d.stuck_g_s);
      ASSERT_EQ(ProgramConductance(n, d, 20 * kUs, rng), d.stuck_g_s);
    }
  }
  for (auto [k, p, what] : {std::tuple{on, n.stuck.p_stuck_on, "on"},
                            std::tuple{off, n.stuck.p_stuck_off, "off"},
                            std::tuple{value, n.stuck.p_stuck_value, "value"}}) {
    const double expected = p * count;
    EXPECT_NEAR(k, expected, kSigmas * std::sqrt(expected * (1 - p))) << what;
  }
}

TEST(Nonidealities, DisabledEffectsAreIdentity) {
  const DevicePreset pcm = PcmNandakumar2019();
  DeviceInstance d = NominalDevice(pcm.memristor);
  d.drift_z = 1.3;
  const double g = 12.5 * kUs;
  Nonidealities on = pcm.nonidealities;
  on.read.sigma_rel = 0.01;
  Nonidealities off = on;
  off.programming.enabled = off.read.enabled = off.drift.enabled = off.stuck.enabled = false;
  on.stuck.enabled = true;
  on.stuck.p_stuck_on = 1.0;

  Rng rng(109);
  const Rng start = rng;
  // Enabled, each effect changes the value (so the identities below can fail) ...
  EXPECT_NE(on.programming.Apply(g, rng), g);
  EXPECT_NE(on.read.Apply(g, 3600, rng), g);
  EXPECT_NE(on.drift.Apply(d, g, 3600), g);
  // ... disabled, it returns its input exactly and draws nothing.
  rng = start;
  EXPECT_EQ(off.programming.Apply(g, rng), g);
  EXPECT_EQ(off.read.Apply(g, 3600, rng), g);
  EXPECT_EQ(off.read.Apply(g, 3600, 3 * g, rng), g);
  EXPECT_EQ(off.drift.Apply(d, g, 3600), g);
  EXPECT_EQ(ProgramConductance(off, d, g, rng), g);
  EXPECT_EQ(ReadConductance(off, d, g, 1e6, rng), g);
  EXPECT_TRUE(rng == start);
  // Per-device draws: disabled leaves the device unaffected but uses the same draws as enabled,
  // so that switching one effect does not reshuffle the others.
  Rng a(110), b(110);
  const DeviceInstance with = CreateDevice(pcm.memristor, on, a);
  const DeviceInstance without = CreateDevice(pcm.memristor, off, b);
  EXPECT_TRUE(a == b);
  EXPECT_NE(with.drift_z, 0.0);
  EXPECT_EQ(without.drift_z, 0.0);
  EXPECT_EQ(with.stuck, StuckState::kOn);
  EXPECT_EQ(without.stuck, StuckState::kNone);
  EXPECT_EQ(with.g_max_s, without.g_max_s);
  EXPECT_EQ(with.set_scale, without.set_scale);
}

// Creates, programs and reads 200 devices at three ages; returns every read.
std::vector<double> ProgramAndRead(const DevicePreset& preset, uint64_t seed) {
  Rng rng(seed);
  std::vector<double> out;
  for (int i = 0; i < 200; ++i) {
    const DeviceInstance d = CreateDevice(preset.memristor, preset.nonidealities, rng);
    const double g_prog = ProgramConductance(preset.nonidealities, d, (5 + i % 15) * kUs, rng);
    for (double t : {20.0, 3600.0, 86400.0}) {
      out.push_back(ReadConductance(preset.nonidealities, d, g_prog, t, rng));
    }
  }
  return out;
}

TEST(Nonidealities, SameSeedGivesBitIdenticalReads) {
  for (const auto& preset : {PcmNandakumar2019(), RramHfO2Wan2022()}) {
    const auto a = ProgramAndRead(preset, 7), b = ProgramAndRead(preset, 7);
    const auto c = ProgramAndRead(preset, 8);
    ASSERT_EQ(a.size(), b.size());
    EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(double)), 0) << preset.name;
    EXPECT_NE(a, c) << preset.name;
  }
}

TEST(Nonidealities, ValidateNamesTheBadField) {
  auto message = [](const Nonidealities& n) {
    auto r = n.Validate();
    return r ? std::string("valid") : r.error().message;
  };
  Nonidealities n;
  EXPECT_EQ(message(n), "valid");
  n.stuck.p_stuck_on = 0.7;
  n.stuck.p_stuck_off = 0.6;
  EXPECT_EQ(message(n), "stuck-at rates add up to 1.3 but must not exceed 1");
  n = Nonidealities{};
  n.drift.t0_s = 0;
  EXPECT_EQ(message(n), "drift t0_s = 0 must be positive and finite");
  n = Nonidealities{};
  n.drift.nu_std = {.slope = 0, .intercept = 0.01, .min = -0.1, .max = 0.1};
  EXPECT_EQ(message(n),
            "drift nu_std clip range [-0.1, 0.1] must be ordered and start at or above 0");
  n = Nonidealities{};
  n.read.sigma_rel = -0.01;
  EXPECT_EQ(message(n), "read noise sigma_rel = -0.01 must be finite and at least 0");
  n = Nonidealities{};
  n.programming.g_ref_s = -1;
  EXPECT_EQ(message(n), "programming noise g_ref_s = -1 must be positive and finite");
}

TEST(Presets, PcmUsesAihwkitNandakumarNumbers) {
  const DevicePreset p = PcmNandakumar2019();
  const Nonidealities& n = p.nonidealities;
  EXPECT_EQ(p.memristor.g_max_s, 25e-6);
  EXPECT_EQ(n.programming.g_ref_s, 25e-6);
  EXPECT_EQ(n.programming.sigma_poly_s, (std::array<double, 5>{0.26348e-6, 1.9650e-6, -1.1731e-6,
                                                               0, 0}));
  EXPECT_EQ(n.drift.t0_s, 20.0);
  EXPECT_TRUE(n.drift.fold);
  EXPECT_EQ(n.read.q_coeff, 0.0088);
  EXPECT_EQ(n.read.q_exponent, 0.65);
  EXPECT_EQ(n.read.q_max, 0.2);
  EXPECT_EQ(n.read.t_read_s, 250e-9);
  for (double g : {0.001, 0.05, 0.3, 1.0, 1.5}) {
    EXPECT_DOUBLE_EQ(n.drift.nu_mean(g), PcmNuMean(g)) << g;
    EXPECT_DOUBLE_EQ(n.drift.nu_std(g), PcmNuStd(g)) << g;
  }
}

TEST(Presets, RramUsesWanFits) {
  const DevicePreset p = RramHfO2Wan2022();
  const Nonidealities& n = p.nonidealities;
  EXPECT_EQ(p.memristor.g_max_s, 40e-6);
  for (double g : {0.0, 0.25, 0.5, 1.0}) {
    EXPECT_NEAR(n.programming.Sigma(g * 40e-6), WanSigma(kWanOneSecond, g), 1e-15) << g;
  }
  EXPECT_FALSE(n.drift.fold);
  EXPECT_EQ(n.drift.t0_s, 1.0);
  EXPECT_EQ(n.drift.nu_mean(0.5), 0.0);
  EXPECT_DOUBLE_EQ(n.drift.nu_std(0.5), -0.0138 * std::log(0.5) + 0.0050);
  EXPECT_EQ(n.read.sigma_rel, 0.01);
  EXPECT_EQ(n.stuck.p_stuck_on, 0.0904);
  EXPECT_EQ(n.stuck.p_stuck_off, 0.0175);
  // Spreads of Gong & Rasch et al. (aihwkit ReRamArrayHfO2PresetDevice), converted.
  const MemristorParams& m = p.memristor;
  EXPECT_EQ(m.set.step_std, 0.22);
  EXPECT_EQ(m.reset.step_std, 0.22);
  EXPECT_EQ(m.step_dtod, 0.71);
  EXPECT_EQ(m.set_reset_dtod, 0.01);
  EXPECT_EQ(m.g_max_dtod, 0.21);
}

TEST(Presets, PcmPulseSpreadsAreAihwkitPcmPresetDevice) {
  const MemristorParams m = PcmNandakumar2019().memristor;
  EXPECT_EQ(m.set.step_std, 0.6);
  EXPECT_EQ(m.step_dtod, 0.2);
  EXPECT_EQ(m.set_reset_dtod, 0.05);
  EXPECT_EQ(m.g_max_dtod, 0.1);
  EXPECT_EQ(m.g_min_dtod, 0.0);
}

TEST(Presets, LookupByNameAndEveryPresetValidates) {
  for (const auto& name : PresetNames()) {
    const auto preset = PresetByName(name);
    ASSERT_TRUE(preset.has_value()) << name;
    EXPECT_EQ(preset->name, name);
    EXPECT_FALSE(preset->source.empty());
    EXPECT_TRUE(preset->memristor.Validate().has_value()) << name;
    EXPECT_TRUE(preset->nonidealities.Validate().has_value()) << name;
  }
  const auto bad = PresetByName("pcm");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().message,
            "unknown device preset 'pcm' (use one of: pcm-nandakumar2019, rram-hfo2-wan2022)");
}

}  // namespace
}  // namespace xbar::device_models
