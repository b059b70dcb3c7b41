// Worker-thread counts: one convention for every parallel loop of xbar.
#pragma once

#include <omp.h>

#include <algorithm>

namespace xbar {

/// `requested` when positive, else OpenMP's default (OMP_NUM_THREADS, or the cores). Header-only:
/// callers link OpenMP. No result of xbar depends on it.
inline int ThreadCount(int requested) { return requested > 0 ? requested : std::max(1, omp_get_max_threads()); }

}  // namespace xbar
