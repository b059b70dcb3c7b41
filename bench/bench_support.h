// What the benchmarks share: wall-clock seconds, medians of repeats, and unwrapping a result or
// exiting with the benchmark's name and the error.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <utility>
#include <vector>

#include "support/error.h"

namespace xbar::bench {

inline double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

/// The median of `v` (the upper one of an even count); `v` must not be empty.
inline double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

/// The value of `e`, or exit 1 after "BENCH: WHAT: message" on stderr.
template <typename T>
T Must(Expected<T> e, const char* bench, const char* what) {
  if (!e) {
    std::fprintf(stderr, "%s: %s: %s\n", bench, what, e.error().message.c_str());
    std::exit(1);
  }
  return std::move(*e);
}

}  // namespace xbar::bench
