// Sample statistics for the stochastic-model tests: moments with their standard errors.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

namespace xbar::testing {

/// Tolerance of every statistical check, in standard errors.
inline constexpr double kSigmas = 4.0;

/// Sample mean and standard deviation with the standard errors of each (delta method with the
/// sample's own fourth moment, so it holds for non-Gaussian samples too).
struct Sample {
  double mean = 0, std = 0, mean_se = 0, std_se = 0;
};

inline Sample Describe(const std::vector<double>& x) {
  const double n = static_cast<double>(x.size());
  double mean = 0;
  for (double v : x) mean += v;
  mean /= n;
  double m2 = 0, m4 = 0;
  for (double v : x) {
    const double d2 = (v - mean) * (v - mean);
    m2 += d2;
    m4 += d2 * d2;
  }
  m2 /= n;
  m4 /= n;
  Sample s;
  s.mean = mean;
  s.std = std::sqrt(m2 * n / (n - 1));
  s.mean_se = s.std / std::sqrt(n);
  s.std_se = s.std * std::sqrt(std::max(m4 / (m2 * m2) - 1.0, 0.0) / (4 * n));
  return s;
}

}  // namespace xbar::testing
