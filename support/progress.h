// Progress reporting: a redrawn bar on a terminal, plain periodic lines otherwise.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace xbar {

/// Shows progress of `total` work items on stderr. Quiet mode prints nothing.
class Progress {
 public:
  Progress(std::string label, uint64_t total, bool quiet = false);
  /// Sets the number of finished items and a short status text (e.g. the running loss).
  void Update(uint64_t done, const std::string& status);
  /// Clears the bar (terminal) so the caller can print a summary line.
  void Finish();

 private:
  std::string label_;
  uint64_t total_;
  bool quiet_;
  bool tty_;
  int last_percent_ = -1;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace xbar
