// Compile + program, end to end, on synthetic models of 1 M and 10 M weights: cells per second of
// each stage and of the whole, and the 10M/1M time ratio (linear scaling means ~10).
// Synthetic model: one layer of N(0, 1/fan_in) weights, square-ish; default chip (128x128 PCM
// tiles, differential pairs) with as many tiles as the model needs; compensation of IR drop on.
// Usage: compile_program_bench [small_weights=1000000] [large_weights=10000000]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "compiler/artifact_check.h"
#include "compiler/compile.h"
#include "compiler/program_gen.h"
#include "device_models/chip_instance.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

struct Result {
  int64_t cells = 0;
  double compile_s = 0, chip_s = 0, program_s = 0;
  int tiles = 0;
};

Result Run(int64_t weights) {
  const auto side = static_cast<Eigen::Index>(std::llround(std::sqrt(static_cast<double>(weights))));
  xbar::compiler::Model model;
  model.name = "synthetic";
  std::mt19937_64 rng(static_cast<uint64_t>(weights));
  std::normal_distribution<float> normal(0.0f, 1.0f / std::sqrt(static_cast<float>(side)));
  model.weights.push_back(Eigen::MatrixXf::NullaryExpr(side, side, [&] { return normal(rng); }));
  xbar::device_models::ChipSpec chip;
  chip.tiles.count = 1 << 16;
  Result r;
  auto t0 = Clock::now();
  auto plan = xbar::compiler::Compile(model, chip, {});
  r.compile_s = Seconds(t0);
  if (!plan) {
    std::fprintf(stderr, "compile failed: %s\n", plan.error().message.c_str());
    std::exit(1);
  }
  r.tiles = static_cast<int>(plan->tiles.size());
  t0 = Clock::now();
  auto instance = xbar::compiler::CreateChipInstance(*plan, 1);
  const auto targets = xbar::compiler::PlanTargets(*plan);
  r.chip_s = Seconds(t0);
  t0 = Clock::now();
  auto program = xbar::compiler::GenerateProgram(targets, *instance, {});
  r.program_s = Seconds(t0);
  if (!program) {
    std::fprintf(stderr, "program failed: %s\n", program.error().message.c_str());
    std::exit(1);
  }
  r.cells = program->statistics.cells;
  return r;
}

void Print(int64_t weights, const Result& r) {
  const double total = r.compile_s + r.chip_s + r.program_s;
  std::printf("%9lld weights  %6d tiles  %9lld cells  compile %7.2f s (%5.2f M cells/s)  chip %5.2f s  "
              "program %6.2f s (%5.2f M cells/s)  total %7.2f s (%5.2f M cells/s)\n",
              static_cast<long long>(weights), r.tiles, static_cast<long long>(r.cells), r.compile_s,
              r.cells / r.compile_s / 1e6, r.chip_s, r.program_s, r.cells / r.program_s / 1e6, total,
              r.cells / total / 1e6);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t small = argc > 1 ? std::atoll(argv[1]) : 1000000;
  const int64_t large = argc > 2 ? std::atoll(argv[2]) : 10000000;
  const Result a = Run(small);
  Print(small, a);
  const Result b = Run(large);
  Print(large, b);
  const double ta = a.compile_s + a.chip_s + a.program_s, tb = b.compile_s + b.chip_s + b.program_s;
  std::printf("time ratio %lld/%lld weights: total %.2f, compile %.2f, program %.2f (cells ratio %.2f; linear = "
              "the cells ratio)\n",
              static_cast<long long>(large), static_cast<long long>(small), tb / ta, b.compile_s / a.compile_s,
              b.program_s / a.program_s, static_cast<double>(b.cells) / static_cast<double>(a.cells));
  return 0;
}
