// Program generation: write-verify pulse sequences for every target cell, simulated on a chip instance.
//
// Three schemes (docs/programming.md): a fixed-pulse baseline, incremental-step pulse programming
// (ISPP) and model-predicted pulse selection. Every pulse is followed by a verify read through the
// ADC; a cell that does not converge (stuck, target outside its window, budget spent) is counted
// with its reason and the run goes on. Deterministic for a seed at any thread count.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "device_models/chip_instance.h"
#include "support/error.h"

namespace xbar::compiler {

/// Target conductances of one physical tile (rows x columns of the chip's tile); NaN leaves a cell
/// untouched (no pulse, no read).
/// Stream id, under a run's seed, of the programming noise (per word line: DeriveSeed of this
/// stream's seed and the line). GenerateProgram and every replay must draw from the same streams.
inline constexpr uint64_t kProgramNoiseStream = 1;

struct TileTargets {
  int tile = 0;
  Eigen::MatrixXd target_g_s;
};

/// How each pulse's amplitude is chosen.
enum class ProgramScheme : uint8_t {
  kFixed,           // one amplitude per polarity, repeated (the baseline)
  kIspp,            // amplitude +v_step_v after every pulse; polarity reversal restarts the ladder
  kModelPredicted,  // the device model's inverse on the nominal device, rescaled by what reads show
};
/// "fixed", "ispp", "model-predicted".
std::string_view ProgramSchemeName(ProgramScheme scheme);
/// The scheme called `name`; kInvalidArgument listing the known names otherwise.
Expected<ProgramScheme> ProgramSchemeByName(std::string_view name);

/// What became of a cell.
enum class CellOutcome : uint8_t {
  kConverged,    // the last verify read is within the tolerance of the target
  kStuck,        // no pulse moved the cell beyond the read-noise band, even at the top amplitude
  kOutOfWindow,  // target outside the chip's window, or the cell stalled at its own window edge
  kBudgetSpent,  // max_pulses pulses without converging
};
inline constexpr int kCellOutcomes = 4;
/// "converged", "stuck", "out-of-window", "budget-spent".
std::string_view CellOutcomeName(CellOutcome outcome);

/// Options of a programming run; zeros take the chip's values.
struct ProgramOptions {
  ProgramScheme scheme = ProgramScheme::kModelPredicted;
  /// Acceptance band (S): a cell is done when |verify read - target| <= this. 0: the chip's
  /// programming.verify_tolerance_s.
  double tolerance_s = 0;
  /// Pulses per cell before it counts as budget-spent (verify reads not counted). 0: the chip's
  /// programming.max_pulses.
  int max_pulses = 0;
  /// Seed of this run's cycle-to-cycle and read noise (the chip's devices have their own seed).
  uint64_t seed = 1;
  /// Futility guard: give a cell up after this many pulses at the top amplitude without getting
  /// closer to the target by the read-noise band (>= 1). The fixed baseline gives up only on a
  /// cell that never moved (after this many pulses) and otherwise runs to its budget.
  int stall_pulses = 8;
  /// Fixed scheme: SET and RESET amplitude magnitudes (V, on the ladder). 0: the largest ladder
  /// amplitude whose nominal step from mid-window is at most the tolerance.
  double fixed_set_v = 0;
  double fixed_reset_v = 0;
  /// Duration of one verify read (s). 0: the read-noise integration time t_read_s rounded up to
  /// clock periods, plus one clock period per ADC bit (successive approximation).
  double read_time_s = 0;
  /// OpenMP threads; 0: the OpenMP default. Results do not depend on it.
  int threads = 0;
};

/// One cell's write-verify record. Its pulses and reads follow those of the cells before it in
/// TileProgram::pulses and TileProgram::read_codes: `pulses` entries, and pulses + 1 reads (one
/// before the first pulse and one after each).
struct CellProgram {
  uint16_t row = 0;
  uint16_t column = 0;
  uint32_t pulses = 0;
  CellOutcome outcome = CellOutcome::kConverged;
};

/// The pulses of one tile, cells in programming order (row-major).
struct TileProgram {
  int tile = 0;
  std::vector<CellProgram> cells;
  /// One entry per pulse: +(k + 1) is a SET at ladder amplitude k, -(k + 1) a RESET at it.
  std::vector<int16_t> pulses;
  /// ADC code of every verify read.
  std::vector<uint32_t> read_codes;
};

/// Operation kinds of a pulse program.
enum class PulseOpKind : uint8_t { kSet, kReset, kRead };
/// "SET", "RESET", "READ".
std::string_view PulseOpKindName(PulseOpKind kind);

/// One operation, expanded (for instruments and inspection).
struct PulseOp {
  int tile = 0;
  int row = 0;
  int column = 0;
  PulseOpKind kind = PulseOpKind::kRead;
  /// Signed amplitude (V): > 0 SET, < 0 RESET; v_read_v for a read.
  double amplitude_v = 0;
  /// Pulse width or read duration (s).
  double width_s = 0;
  /// Reads only (-1 and NaN for pulses): the ADC code and the conductance it stands for (S).
  int64_t read_code = -1;
  double read_g_s = std::numeric_limits<double>::quiet_NaN();
};

/// Figures of a programming run.
struct ProgramStatistics {
  int64_t cells = 0;
  /// Cells per CellOutcome, indexed by its value.
  int64_t outcomes[kCellOutcomes] = {};
  int64_t pulses = 0;
  int64_t reads = 0;
  /// Programming pulses per cell (all cells), mean and 99th percentile.
  double pulses_mean = 0;
  double pulses_p99 = 0;
  /// |programmed G - target| (S, true conductance) over converged cells, mean and 99th percentile.
  double error_mean_s = 0;
  double error_p99_s = 0;
  /// Pulse widths plus read time, one cell after another (s); and with the tiles working in
  /// parallel (the slowest tile, s).
  double time_s = 0;
  double time_parallel_tiles_s = 0;
  /// Joule energy in the cells (J): Σ V² G w per pulse (G the mean before and after) and Σ
  /// v_read² G t_read per read.
  double pulse_energy_j = 0;
  double read_energy_j = 0;

  int64_t failed() const { return cells - outcomes[static_cast<int>(CellOutcome::kConverged)]; }
};

/// A pulse program: the header to interpret it, the pulses per tile, and the run's figures.
struct PulseProgram {
  std::string chip_name;
  uint64_t chip_seed = 0;
  uint64_t seed = 0;
  ProgramScheme scheme = ProgramScheme::kModelPredicted;
  double tolerance_s = 0;
  int max_pulses = 0;
  int tile_rows = 0;
  int tile_columns = 0;
  /// The amplitude ladder: magnitude of rung k is v_min_v + k v_step_v, k < amplitude_count.
  double v_min_v = 0;
  double v_step_v = 0;
  int amplitude_count = 0;
  double set_width_s = 0;
  double reset_width_s = 0;
  double v_read_v = 0;
  /// Conductance (S) of one verify code, and the duration of one read (s).
  double verify_lsb_s = 0;
  double read_time_s = 0;
  /// TargetsChecksum of the targets it was generated for (0: unknown).
  uint32_t targets_crc32 = 0;
  std::vector<TileProgram> tiles;
  ProgramStatistics statistics;

  /// Amplitude magnitude (V) of rung `k`.
  double Amplitude(int k) const { return v_min_v + k * v_step_v; }
  /// Calls `visit` for every operation in program order.
  void ForEachOp(const std::function<void(const PulseOp&)>& visit) const;
};

/// Programs every non-NaN target cell of `targets` on `chip` (whose conductances change), and
/// returns the program. Errors (kInvalidArgument): a tile index outside the chip, a target matrix
/// of the wrong shape, a duplicate tile, bad options (naming the option and its limit). Cells that
/// do not converge are results (CellOutcome), never errors.
Expected<PulseProgram> GenerateProgram(const std::vector<TileTargets>& targets,
                                       device_models::ChipInstance& chip,
                                       const ProgramOptions& options);

/// CRC-32 of targets (tile indices, and every target with NaN for unused cells, row-major): ties a
/// pulse program to the plan it programs.
uint32_t TargetsChecksum(const std::vector<TileTargets>& targets);

/// Mean programming pulses of the cells that converged: what a scheme needs to reach its band.
double ConvergedPulsesMean(const PulseProgram& program);

/// Snapshot of the tiles `program` touched, after programming.
device_models::ChipState ProgrammedState(const PulseProgram& program,
                                         const device_models::ChipInstance& chip);

}  // namespace xbar::compiler
