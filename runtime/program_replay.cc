// Replaying a pulse program: the shared analog side (ProgramExecutor) and the behavioural replay.
#include "runtime/program_replay.h"

#include <cmath>
#include <optional>
#include <utility>

namespace xbar::runtime {

using compiler::PulseOp;
using compiler::PulseOpKind;
using compiler::PulseProgram;

namespace {

namespace dm = device_models;

constexpr int64_t kMaxCycles = 65535;

Expected<uint32_t> Cycles(double time_s, double clock_hz, const std::string& what) {
  const double cycles = std::round(time_s * clock_hz);
  if (!(cycles >= 1 && cycles <= static_cast<double>(kMaxCycles))) {
    return Fail(ErrorCode::kInvalidArgument,
                what + " = " + std::to_string(time_s) + " s is " + std::to_string(cycles) +
                    " cycles of the " + std::to_string(clock_hz) +
                    " Hz clock; the controller takes 1 to 65535 cycles");
  }
  return static_cast<uint32_t>(cycles);
}

}  // namespace

ProgramExecutor::ProgramExecutor(const PulseProgram& program, dm::ChipInstance& chip)
    : chip_(&chip),
      stream_seed_(DeriveSeed(program.seed, compiler::kProgramNoiseStream)),
      v_min_v_(program.v_min_v),
      v_step_v_(program.v_step_v),
      amplitude_count_(program.amplitude_count),
      set_width_s_(program.set_width_s),
      reset_width_s_(program.reset_width_s),
      clock_hz_(chip.spec().clock_hz) {}

Expected<ProgramExecutor> ProgramExecutor::Create(const PulseProgram& program,
                                                  dm::ChipInstance& chip) {
  ProgramExecutor ex(program, chip);
  auto set = Cycles(program.set_width_s, ex.clock_hz_, "set_width_s");
  if (!set) return std::unexpected(set.error());
  auto reset = Cycles(program.reset_width_s, ex.clock_hz_, "reset_width_s");
  if (!reset) return std::unexpected(reset.error());
  // Read time: ceil to clock periods (as the program's default read time is built).
  const double read = std::ceil(program.read_time_s * ex.clock_hz_ - 1e-9);
  auto read_cycles = Cycles(read / ex.clock_hz_, ex.clock_hz_, "read_time_s");
  if (!read_cycles) return std::unexpected(read_cycles.error());
  ex.set_cycles_ = *set;
  ex.reset_cycles_ = *reset;
  ex.read_cycles_ = *read_cycles;
  return ex;
}

bool ProgramExecutor::CheckCell(int tile, int row, int column) {
  const dm::ChipInstance& c = *chip_;
  if (tile < 0 || tile >= c.tile_count() || row < 0 || row >= c.rows() || column < 0 ||
      column >= c.columns()) {
    last_error_ = "cell (" + std::to_string(tile) + ", " + std::to_string(row) + ", " +
                  std::to_string(column) + ") is outside the chip's " +
                  std::to_string(c.tile_count()) + " tiles of " + std::to_string(c.rows()) + "x" +
                  std::to_string(c.columns());
    return false;
  }
  chip_->DrawTile(tile);
  return true;
}

Rng& ProgramExecutor::RowStream(int tile, int row) {
  const uint64_t line =
      static_cast<uint64_t>(tile) * static_cast<uint64_t>(chip_->rows()) + static_cast<uint64_t>(row);
  auto it = streams_.find(line);
  if (it == streams_.end()) it = streams_.emplace(line, Rng(DeriveSeed(stream_seed_, line))).first;
  return it->second;
}

bool ProgramExecutor::ApplyPulse(int tile, int row, int column, bool set, int rung,
                                 uint32_t width_cycles) {
  if (!CheckCell(tile, row, column)) return false;
  if (rung < 0 || rung >= amplitude_count_) {
    last_error_ = "rung " + std::to_string(rung) + " is outside the ladder (0 to " +
                  std::to_string(amplitude_count_ - 1) + ")";
    return false;
  }
  if (width_cycles == 0) {
    last_error_ = "a pulse of 0 cycles";
    return false;
  }
  const uint32_t nominal = set ? set_cycles_ : reset_cycles_;
  const double width_s = width_cycles == nominal ? (set ? set_width_s_ : reset_width_s_)
                                                 : static_cast<double>(width_cycles) / clock_hz_;
  const double magnitude_v = v_min_v_ + rung * v_step_v_;
  chip_->ApplyPulse(tile, row, column, set ? magnitude_v : -magnitude_v, width_s,
                    RowStream(tile, row));
  return true;
}

int64_t ProgramExecutor::VerifyRead(int tile, int row, int column) {
  if (!CheckCell(tile, row, column)) return -1;
  return chip_->Read(tile, row, column, RowStream(tile, row)).code;
}

std::string DescribeOp(int64_t index, const PulseOp& op, int rung) {
  std::string s = "op " + std::to_string(index) + " (" + std::string(compiler::PulseOpKindName(op.kind));
  if (op.kind != PulseOpKind::kRead) s += " rung " + std::to_string(rung);
  return s + " on tile " + std::to_string(op.tile) + ", row " + std::to_string(op.row) +
         ", column " + std::to_string(op.column) + ")";
}

int RungOf(const PulseProgram& program, double amplitude_v) {
  if (program.v_step_v <= 0) return 0;
  return static_cast<int>(std::lround((std::abs(amplitude_v) - program.v_min_v) / program.v_step_v));
}

Expected<ReplayResult> ReplayBehavioural(const PulseProgram& program, dm::ChipInstance& chip) {
  auto executor = ProgramExecutor::Create(program, chip);
  if (!executor) return std::unexpected(executor.error());
  ReplayResult result;
  std::optional<Error> error;
  int64_t index = 0;
  program.ForEachOp([&](const PulseOp& op) {
    const int64_t i = index++;
    if (error) return;
    const int rung = RungOf(program, op.amplitude_v);
    if (op.kind == PulseOpKind::kRead) {
      const int64_t code = executor->VerifyRead(op.tile, op.row, op.column);
      if (code < 0) {
        error = Error{ErrorCode::kInvalidArgument, "behavioural replay: " + DescribeOp(i, op, rung) +
                                                       ": " + executor->last_error()};
        return;
      }
      ++result.reads;
      if (code != op.read_code) {
        if (result.read_mismatches++ == 0) {
          result.first_mismatch = DescribeOp(i, op, rung) + ": code " + std::to_string(code) +
                                  ", program says " + std::to_string(op.read_code);
        }
      }
      return;
    }
    const bool set = op.kind == PulseOpKind::kSet;
    if (!executor->ApplyPulse(op.tile, op.row, op.column, set, rung,
                              set ? executor->set_cycles() : executor->reset_cycles())) {
      error = Error{ErrorCode::kInvalidArgument,
                    "behavioural replay: " + DescribeOp(i, op, rung) + ": " + executor->last_error()};
      return;
    }
    ++result.pulses;
  });
  if (error) return std::unexpected(*error);
  return result;
}

Expected<void> CheckReplayMatched(const ReplayResult& replay, const std::string& backend) {
  if (replay.read_mismatches == 0) return {};
  return Fail(ErrorCode::kDataLoss, std::to_string(replay.read_mismatches) + " verify reads differ on the " + backend +
                                        " backend (first: " + replay.first_mismatch +
                                        "); is the pulse program for this plan and chip seed?");
}

}  // namespace xbar::runtime
