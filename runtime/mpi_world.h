// The MPI ranks of one xbar run, behind a tiny interface: the only place xbar touches MPI. Built
// without MPI (XBAR_HAVE_MPI undefined), or started without mpirun, it is one rank of one.
#pragma once

#include <optional>
#include <vector>

#include "support/error.h"

namespace xbar::runtime {

class MpiWorld {
 public:
  /// Initialises MPI (singleton init when not started by mpirun or srun). One per process.
  MpiWorld();
  /// Finalises MPI.
  ~MpiWorld();
  MpiWorld(const MpiWorld&) = delete;
  MpiWorld& operator=(const MpiWorld&) = delete;

  /// Whether xbar was built with MPI.
  static bool Available();
  /// This process's rank in [0, size()), and the number of ranks.
  int rank() const { return rank_; }
  int size() const { return size_; }
  /// Ranks on this machine (for the default thread count).
  int local_size() const { return local_size_; }

  /// Collective: the lowest rank whose `ok` is false, or -1 when every rank is ok.
  int FirstFailure(bool ok) const;
  /// What one rank does when some rank failed: report `error`, or stop quietly (`quiet`) with its
  /// code (its own error's when it failed too, else kInternal).
  struct Failure {
    Error error;
    bool quiet = false;
  };
  /// Collective: nullopt when every rank is ok (`error` null on this rank). Otherwise only the
  /// lowest failing rank reports (prefixed with its rank when that is not rank 0), so a
  /// deterministic error is said once.
  std::optional<Failure> AgreeOnFailure(const Error* error) const;
  /// Collective: every rank's `values` concatenated in rank order, on rank 0; empty elsewhere.
  std::vector<double> GatherToRoot(const std::vector<double>& values) const;

 private:
  int rank_ = 0;
  int size_ = 1;
  int local_size_ = 1;
  bool initialised_ = false;
};

}  // namespace xbar::runtime
