// Program generation: write-verify simulation throughput of the three schemes, linearity from 1 M to
// 10 M cells, bytes per pulse of the binary program, and pulses per cell at a 1 % tolerance against
// the fixed-pulse baseline. Synthetic model: every cell of the default chip (scaled up to the cell
// count) gets a random one of the chip's conductance levels, as a quantised layer would.
// Usage: program_bench [small_cells=1048576] [large_cells=10485760] [tolerance_cells=100000]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <omp.h>

#include "compiler/chip_io.h"
#include "compiler/program_gen.h"
#include "compiler/pulse_io.h"
#include "device_models/chip_instance.h"

namespace {

namespace dm = xbar::device_models;
using xbar::compiler::CellOutcome;
using xbar::compiler::ConvergedPulsesMean;
using xbar::compiler::GenerateProgram;
using xbar::compiler::ProgramOptions;
using xbar::compiler::ProgramScheme;
using xbar::compiler::ProgramSchemeName;
using xbar::compiler::PulseProgram;
using xbar::compiler::TileTargets;

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The large chip's RRAM device and periphery (chips/large.textproto) on 128 x 128 tiles.
dm::ChipSpec RramChip() {
  auto chip = xbar::compiler::ReadChipText(std::string(XBAR_SOURCE_DIR) + "/chips/large.textproto");
  if (!chip) {
    std::fprintf(stderr, "%s\n", chip.error().message.c_str());
    std::exit(1);
  }
  chip->tiles = dm::ChipSpec{}.tiles;
  return *chip;
}

// Random levels on every cell of `tiles` tiles.
std::vector<TileTargets> Targets(const dm::ChipSpec& chip, int tiles, uint64_t seed) {
  std::vector<TileTargets> targets;
  for (int t = 0; t < tiles; ++t) {
    xbar::Rng rng(xbar::DeriveSeed(seed, static_cast<uint64_t>(t)));
    TileTargets tt{t, Eigen::MatrixXd(chip.tiles.rows, chip.tiles.columns)};
    for (Eigen::Index i = 0; i < tt.target_g_s.size(); ++i) {
      tt.target_g_s.data()[i] =
          chip.LevelS(static_cast<int>(xbar::UniformIndex(rng, static_cast<uint64_t>(chip.conductance_levels))));
    }
    targets.push_back(std::move(tt));
  }
  return targets;
}

struct Run {
  PulseProgram program;
  double draw_s = 0;
  double program_s = 0;
};

Run Program(dm::ChipSpec chip, int64_t cells, const ProgramOptions& options) {
  const int per_tile = chip.tiles.rows * chip.tiles.columns;
  chip.tiles.count = static_cast<int>((cells + per_tile - 1) / per_tile);
  const auto targets = Targets(chip, chip.tiles.count, 7);
  auto instance = dm::ChipInstance::Create(chip, 11);
  if (!instance) {
    std::fprintf(stderr, "%s\n", instance.error().message.c_str());
    std::exit(1);
  }
  Run run;
  auto t0 = std::chrono::steady_clock::now();
  for (const auto& t : targets) instance->DrawTile(t.tile);
  run.draw_s = Seconds(t0);
  t0 = std::chrono::steady_clock::now();
  auto program = GenerateProgram(targets, *instance, options);
  run.program_s = Seconds(t0);
  if (!program) {
    std::fprintf(stderr, "%s\n", program.error().message.c_str());
    std::exit(1);
  }
  run.program = std::move(*program);
  return run;
}


void Print(const char* chip, int64_t cells, ProgramScheme scheme, const Run& run) {
  const auto& s = run.program.statistics;
  std::printf("%-5s %9lld  %-16s %6.2f s %6.2f M/s (draw %5.2f s)  pulses %6.2f p99 %4.0f  failed %6.3f %% (%lld/%lld/%lld)  err %.3f/%.3f uS  prog %.3g s  E %.3g J\n",
              chip, static_cast<long long>(cells), std::string(ProgramSchemeName(scheme)).c_str(), run.program_s,
              static_cast<double>(s.cells) / run.program_s / 1e6, run.draw_s, s.pulses_mean, s.pulses_p99,
              100.0 * static_cast<double>(s.failed()) / static_cast<double>(s.cells),
              static_cast<long long>(s.outcomes[1]), static_cast<long long>(s.outcomes[2]),
              static_cast<long long>(s.outcomes[3]), s.error_mean_s * 1e6,
              s.error_p99_s * 1e6, s.time_s, s.pulse_energy_j + s.read_energy_j);
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t small = argc > 1 ? std::atoll(argv[1]) : 1 << 20;
  const int64_t large = argc > 2 ? std::atoll(argv[2]) : 10 * (1 << 20);
  const int64_t tol_cells = argc > 3 ? std::atoll(argv[3]) : 100000;
  std::printf("threads %d; default chip (PCM, 128x128 tiles, tolerance 0.5 uS, budget 50)\n",
              omp_get_max_threads());
  const dm::ChipSpec pcm;
  double model_small_s = 0;
  for (ProgramScheme scheme : {ProgramScheme::kFixed, ProgramScheme::kIspp, ProgramScheme::kModelPredicted}) {
    ProgramOptions options;
    options.scheme = scheme;
    const Run run = Program(pcm, small, options);
    Print("pcm", small, scheme, run);
    if (scheme == ProgramScheme::kModelPredicted) {
      model_small_s = run.program_s;
      const std::string bytes = xbar::compiler::SerializePulseProgram(run.program);
      const auto& s = run.program.statistics;
      std::printf("binary program: %zu bytes, %.2f bytes per pulse (pulse and its verify read), %.2f per cell\n",
                  bytes.size(), static_cast<double>(bytes.size()) / static_cast<double>(s.pulses),
                  static_cast<double>(bytes.size()) / static_cast<double>(s.cells));
    }
  }
  if (large > 0) {
    ProgramOptions options;
    const Run run = Program(pcm, large, options);
    Print("pcm", large, options.scheme, run);
    std::printf("10M/1M time ratio (model-predicted): %.2f for %.2f x the cells\n", run.program_s / model_small_s,
                static_cast<double>(large) / static_cast<double>(small));
  }

  std::printf("\npulses per cell to a 1 %% tolerance (of the window), budget 5000, %lld cells\n",
              static_cast<long long>(tol_cells));
  for (const dm::ChipSpec& chip : {pcm, RramChip()}) {
    if (tol_cells <= 0) break;
    const double tol = 0.01 * (chip.device.memristor.g_max_s - chip.device.memristor.g_min_s);
    double mean[3] = {};
    int i = 0;
    for (ProgramScheme scheme : {ProgramScheme::kFixed, ProgramScheme::kIspp, ProgramScheme::kModelPredicted}) {
      ProgramOptions options;
      options.scheme = scheme;
      options.tolerance_s = tol;
      options.max_pulses = 5000;
      const Run run = Program(chip, tol_cells, options);
      Print(chip.name == pcm.name ? "pcm" : "rram", tol_cells, scheme, run);
      mean[i++] = ConvergedPulsesMean(run.program);
    }
    std::printf("  pulses per converged cell: fixed %.2f, ispp %.2f, model-predicted %.2f\n", mean[0], mean[1], mean[2]);
    std::printf("  fixed / ispp %.2f   fixed / model-predicted %.2f   ispp / model-predicted %.2f\n",
                mean[0] / mean[1], mean[0] / mean[2], mean[1] / mean[2]);
  }
  return 0;
}
