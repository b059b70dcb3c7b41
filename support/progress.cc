// Progress reporting: a redrawn bar on a terminal, plain lines every 10 % otherwise.
#include "support/progress.h"

#include <unistd.h>

namespace xbar {

Progress::Progress(std::string label, uint64_t total, bool quiet)
    : label_(std::move(label)),
      total_(total == 0 ? 1 : total),
      quiet_(quiet),
      tty_(::isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

void Progress::Update(uint64_t done, const std::string& status) {
  if (quiet_) return;
  const auto now = std::chrono::steady_clock::now();
  const int percent = static_cast<int>(100 * done / total_);
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  if (tty_) {
    if (now - last_draw_ < std::chrono::milliseconds(100) && done < total_) return;
    last_draw_ = now;
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(kWidth * done / total_);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(kWidth, '.');
    std::fprintf(stderr, "\r%s [%s] %3d%% %6.1fs %s\x1b[K", label_.c_str(), bar.c_str(), percent,
                 elapsed, status.c_str());
  } else {
    if (percent / 10 == last_percent_ / 10) return;
    std::fprintf(stderr, "%s %3d%% %6.1fs %s\n", label_.c_str(), percent, elapsed, status.c_str());
  }
  last_percent_ = percent;
  std::fflush(stderr);
}

void Progress::Finish() {
  if (quiet_ || !tty_) return;
  std::fprintf(stderr, "\r\x1b[K");
  std::fflush(stderr);
}

}  // namespace xbar
