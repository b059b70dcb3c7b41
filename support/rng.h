// Seeded random generators: every random draw in xbar comes from one of these.
#pragma once

#include <cstdint>
#include <cmath>
#include <random>

namespace xbar {

/// The generator used everywhere; same seed, same sequence on every platform.
using Rng = std::mt19937_64;

/// Derives an independent stream seed from a base seed and a stream index (SplitMix64).
inline uint64_t DeriveSeed(uint64_t base, uint64_t stream) {
  uint64_t z = base + 0x9E3779B97F4A7C15ull * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// Standard normal draw by Box-Muller from the generator's raw bits, so that results do not depend
/// on the standard library's distribution implementation.
inline double NormalDraw(Rng& rng) {
  constexpr double kScale = 1.0 / 9007199254740992.0;  // 2^-53
  const double u1 = (static_cast<double>(rng() >> 11) + 1.0) * kScale;
  const double u2 = static_cast<double>(rng() >> 11) * kScale;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

/// Uniform integer in [0, n) without modulo bias, independent of the standard library.
inline uint64_t UniformIndex(Rng& rng, uint64_t n) {
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t r;
  do r = rng(); while (r >= limit);
  return r % n;
}

}  // namespace xbar
