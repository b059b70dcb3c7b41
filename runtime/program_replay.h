// Replaying a pulse program on a chip instance: the analog side both backends share, and the
// behavioural replay.
//
// A replay streams every pulse and verify read of a program, in program order, onto a fresh chip
// instance and checks every verify read against the code the program recorded. The behavioural
// replay calls ProgramExecutor directly; the RTL replay (runtime/rtl_chip.h) sends the same
// operations through the controller, whose DPI-C calls reach ProgramExecutor in the same order,
// so both end with bit-identical conductances (docs/rtl.md).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "compiler/program_gen.h"
#include "rtl/dpi_chip.h"
#include "device_models/chip_instance.h"
#include "support/error.h"
#include "support/rng.h"

namespace xbar::runtime {

/// What a replay did and found.
struct ReplayResult {
  int64_t pulses = 0;
  int64_t reads = 0;
  /// Verify reads whose code differs from the one the program recorded.
  int64_t read_mismatches = 0;
  /// The first mismatch, e.g. "read 12 of tile 0 cell (0, 3): code 41, program says 40"; empty if none.
  std::string first_mismatch;
  /// Controller clock cycles the replay took (RTL backend; 0 for the behavioural one).
  uint64_t cycles = 0;
};

/// The analog side of the controller: pulses and verify reads on a chip instance, addressed as the
/// controller addresses them (ladder rung, polarity, width in clock cycles). Noise comes from the
/// program's per-word-line streams, as in GenerateProgram, so replaying a program in its order
/// reproduces its reads exactly. Not thread-safe.
class ProgramExecutor final : public rtl::ProgrammingAnalog {
 public:
  /// Takes the ladder, widths, read time and seed from `program`'s header and the clock from
  /// `chip`. kInvalidArgument when a pulse width or the read time is below one clock cycle or above
  /// 65535 cycles.
  static Expected<ProgramExecutor> Create(const compiler::PulseProgram& program,
                                          device_models::ChipInstance& chip);

  /// Width (clock cycles) of a SET and of a RESET pulse, and the whole verify read time.
  uint32_t set_cycles() const { return set_cycles_; }
  uint32_t reset_cycles() const { return reset_cycles_; }
  uint32_t read_cycles() const { return read_cycles_; }

  /// Applies one pulse: SET (`set`) or RESET at ladder rung `rung` for `width_cycles` clock cycles
  /// (the program's width when it is that polarity's cycle count, else cycles / clock). Returns
  /// false, with last_error() saying why, for a cell outside the chip, a rung outside the ladder
  /// or a zero width.
  bool ApplyPulse(int tile, int row, int column, bool set, int rung, uint32_t width_cycles) override;
  /// One verify read; the ADC code, or -1 with last_error() for a cell outside the chip.
  int64_t VerifyRead(int tile, int row, int column) override;
  /// Why the last refused call was refused.
  const std::string& last_error() const override { return last_error_; }

 private:
  ProgramExecutor(const compiler::PulseProgram& program, device_models::ChipInstance& chip);
  bool CheckCell(int tile, int row, int column);
  Rng& RowStream(int tile, int row);

  device_models::ChipInstance* chip_ = nullptr;
  uint64_t stream_seed_ = 0;
  double v_min_v_ = 0, v_step_v_ = 0;
  int amplitude_count_ = 0;
  double set_width_s_ = 0, reset_width_s_ = 0;
  double clock_hz_ = 0;
  uint32_t set_cycles_ = 0, reset_cycles_ = 0, read_cycles_ = 0;
  std::map<uint64_t, Rng> streams_;
  std::string last_error_;
};

/// Names one operation of a program for messages: "op 17 (SET rung 3 on tile 0, row 1, column 2)".
std::string DescribeOp(int64_t index, const compiler::PulseOp& op, int rung);

/// Ladder rung of a pulse's amplitude in `program` (round to nearest).
int RungOf(const compiler::PulseProgram& program, double amplitude_v);

/// Replays `program` on `chip` (a fresh instance of the chip it was generated on, for matching
/// reads) through ProgramExecutor, in program order. Errors (kInvalidArgument): an operation the
/// analog side refuses (naming the operation and why) and a bad header as ProgramExecutor::Create.
/// Read mismatches are results, not errors.
Expected<ReplayResult> ReplayBehavioural(const compiler::PulseProgram& program,
                                         device_models::ChipInstance& chip);

/// Every verify read of `replay` on `backend` matched the program's: otherwise kDataLoss, one line
/// naming the count and the first mismatch.
Expected<void> CheckReplayMatched(const ReplayResult& replay, const std::string& backend);

}  // namespace xbar::runtime
