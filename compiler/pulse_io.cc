// Pulse programs: conversion between compiler::PulseProgram and xbar.v1.PulseProgram, and CSV.
#include "compiler/pulse_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "support/file_io.h"
#include "xbar/v1/pulse.pb.h"

namespace xbar::compiler {
namespace {

constexpr ArtifactKind kPulseKind{"XPP1", "pulse program", 1};

v1::ProgramScheme ToProto(ProgramScheme s) {
  switch (s) {
    case ProgramScheme::kFixed: return v1::PROGRAM_SCHEME_FIXED;
    case ProgramScheme::kIspp: return v1::PROGRAM_SCHEME_ISPP;
    case ProgramScheme::kModelPredicted: return v1::PROGRAM_SCHEME_MODEL_PREDICTED;
  }
  return v1::PROGRAM_SCHEME_UNSPECIFIED;
}

v1::CellOutcome ToProto(CellOutcome o) {
  return static_cast<v1::CellOutcome>(static_cast<int>(o) + 1);
}

std::string Num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

// Streams text into a temporary file beside `path` and renames it into place on Commit; a writer
// destroyed without Commit removes the temporary file.
class AtomicTextFile {
 public:
  explicit AtomicTextFile(std::string path) : path_(std::move(path)), tmp_(path_ + ".tmp.XXXXXX") {
    const int fd = ::mkstemp(tmp_.data());
    if (fd >= 0) file_ = ::fdopen(fd, "w");
    if (file_ == nullptr) {
      error_ = std::strerror(errno);
      if (fd >= 0) ::close(fd);
    }
  }
  AtomicTextFile(const AtomicTextFile&) = delete;
  AtomicTextFile& operator=(const AtomicTextFile&) = delete;
  ~AtomicTextFile() {
    if (file_ != nullptr) {
      std::fclose(file_);
      ::unlink(tmp_.c_str());
    }
  }

  bool ok() const { return file_ != nullptr; }
  const std::string& error() const { return error_; }
  void Write(std::string_view text) { std::fwrite(text.data(), 1, text.size(), file_); }

  Expected<void> Commit() {
    std::FILE* f = file_;
    file_ = nullptr;
    const bool written = std::fflush(f) == 0 && !std::ferror(f);
    ::fchmod(::fileno(f), 0644);
    const bool synced = written && ::fsync(::fileno(f)) == 0;
    const std::string why = std::strerror(errno);
    if (std::fclose(f) != 0 || !synced) {
      ::unlink(tmp_.c_str());
      return Fail(ErrorCode::kFailedPrecondition, path_ + ": write failed (" + why + ")");
    }
    if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
      const std::string why_rename = std::strerror(errno);
      ::unlink(tmp_.c_str());
      return Fail(ErrorCode::kFailedPrecondition, path_ + ": cannot rename into place (" + why_rename + ")");
    }
    return {};
  }

 private:
  std::string path_;
  std::string tmp_;
  std::FILE* file_ = nullptr;
  std::string error_;
};

}  // namespace

std::string SerializePulseProgram(const PulseProgram& program) {
  v1::PulseProgram m;
  auto* h = m.mutable_header();
  h->set_chip_name(program.chip_name);
  h->set_chip_seed(program.chip_seed);
  h->set_seed(program.seed);
  h->set_scheme(ToProto(program.scheme));
  h->set_tolerance_s(program.tolerance_s);
  h->set_max_pulses(static_cast<uint32_t>(program.max_pulses));
  h->set_tile_rows(static_cast<uint32_t>(program.tile_rows));
  h->set_tile_columns(static_cast<uint32_t>(program.tile_columns));
  h->set_v_min_v(program.v_min_v);
  h->set_v_step_v(program.v_step_v);
  h->set_amplitude_count(static_cast<uint32_t>(program.amplitude_count));
  h->set_set_width_s(program.set_width_s);
  h->set_reset_width_s(program.reset_width_s);
  h->set_v_read_v(program.v_read_v);
  h->set_verify_lsb_s(program.verify_lsb_s);
  h->set_read_time_s(program.read_time_s);
  h->set_targets_crc32(program.targets_crc32);
  for (const TileProgram& t : program.tiles) {
    auto* tp = m.add_tiles();
    tp->set_tile(static_cast<uint32_t>(t.tile));
    tp->mutable_cell_index_deltas()->Reserve(static_cast<int>(t.cells.size()));
    tp->mutable_pulse_counts()->Reserve(static_cast<int>(t.cells.size()));
    tp->mutable_outcomes()->Reserve(static_cast<int>(t.cells.size()));
    int64_t previous = -1;
    for (const CellProgram& cell : t.cells) {
      const int64_t index = int64_t{cell.row} * program.tile_columns + cell.column;
      tp->add_cell_index_deltas(static_cast<uint32_t>(index - previous - 1));
      previous = index;
      tp->add_pulse_counts(cell.pulses);
      tp->add_outcomes(ToProto(cell.outcome));
    }
    tp->mutable_pulses()->Reserve(static_cast<int>(t.pulses.size()));
    for (int16_t p : t.pulses) tp->add_pulses(p);
    tp->mutable_read_code_deltas()->Reserve(static_cast<int>(t.read_codes.size()));
    std::size_t r = 0;
    for (const CellProgram& cell : t.cells) {
      int64_t last = 0;
      for (uint32_t i = 0; i <= cell.pulses; ++i, ++r) {
        tp->add_read_code_deltas(static_cast<int32_t>(int64_t{t.read_codes[r]} - last));
        last = t.read_codes[r];
      }
    }
  }
  const ProgramStatistics& s = program.statistics;
  auto* ps = m.mutable_statistics();
  ps->set_cells(static_cast<uint64_t>(s.cells));
  ps->set_converged(static_cast<uint64_t>(s.outcomes[static_cast<int>(CellOutcome::kConverged)]));
  ps->set_stuck(static_cast<uint64_t>(s.outcomes[static_cast<int>(CellOutcome::kStuck)]));
  ps->set_out_of_window(static_cast<uint64_t>(s.outcomes[static_cast<int>(CellOutcome::kOutOfWindow)]));
  ps->set_budget_spent(static_cast<uint64_t>(s.outcomes[static_cast<int>(CellOutcome::kBudgetSpent)]));
  ps->set_pulses(static_cast<uint64_t>(s.pulses));
  ps->set_reads(static_cast<uint64_t>(s.reads));
  ps->set_pulses_mean(s.pulses_mean);
  ps->set_pulses_p99(s.pulses_p99);
  ps->set_error_mean_s(s.error_mean_s);
  ps->set_error_p99_s(s.error_p99_s);
  ps->set_time_s(s.time_s);
  ps->set_time_parallel_tiles_s(s.time_parallel_tiles_s);
  ps->set_pulse_energy_j(s.pulse_energy_j);
  ps->set_read_energy_j(s.read_energy_j);
  std::string payload;
  XBAR_CHECK(m.SerializeToString(&payload));
  return payload;
}

Expected<void> WritePulseProgram(const std::string& path, const PulseProgram& program) {
  return WriteArtifact(path, kPulseKind, SerializePulseProgram(program));
}

Expected<PulseProgram> ParsePulseProgram(std::string_view bytes, const std::string& name) {
  auto payload = ParseArtifact(bytes, kPulseKind, name);
  if (!payload) return std::unexpected(payload.error());
  auto bad = [&](const std::string& what) { return Fail(ErrorCode::kDataLoss, name + ": " + what); };
  v1::PulseProgram m;
  if (!m.ParseFromString(*payload)) return bad("payload is not a valid xbar.v1.PulseProgram");
  const auto& h = m.header();
  PulseProgram program;
  switch (h.scheme()) {
    case v1::PROGRAM_SCHEME_FIXED: program.scheme = ProgramScheme::kFixed; break;
    case v1::PROGRAM_SCHEME_ISPP: program.scheme = ProgramScheme::kIspp; break;
    case v1::PROGRAM_SCHEME_MODEL_PREDICTED: program.scheme = ProgramScheme::kModelPredicted; break;
    default: return bad("header.scheme " + std::to_string(h.scheme()) + " is not a known scheme");
  }
  if (h.tile_rows() < 1 || h.tile_rows() > 16384 || h.tile_columns() < 1 || h.tile_columns() > 16384) {
    return bad("header tile shape " + std::to_string(h.tile_rows()) + "x" +
               std::to_string(h.tile_columns()) + " must lie in [1, 16384] per side");
  }
  if (h.amplitude_count() < 1 || h.amplitude_count() > 32767) {
    return bad("header.amplitude_count = " + std::to_string(h.amplitude_count()) + " must lie in [1, 32767]");
  }
  program.chip_name = h.chip_name();
  program.chip_seed = h.chip_seed();
  program.seed = h.seed();
  program.tolerance_s = h.tolerance_s();
  program.max_pulses = static_cast<int>(std::min<uint32_t>(h.max_pulses(), 1u << 30));
  program.tile_rows = static_cast<int>(h.tile_rows());
  program.tile_columns = static_cast<int>(h.tile_columns());
  program.v_min_v = h.v_min_v();
  program.v_step_v = h.v_step_v();
  program.amplitude_count = static_cast<int>(h.amplitude_count());
  program.set_width_s = h.set_width_s();
  program.reset_width_s = h.reset_width_s();
  program.v_read_v = h.v_read_v();
  program.verify_lsb_s = h.verify_lsb_s();
  program.read_time_s = h.read_time_s();
  program.targets_crc32 = h.targets_crc32();
  const int64_t tile_cells = int64_t{program.tile_rows} * program.tile_columns;
  for (const auto& tp : m.tiles()) {
    const std::string where = "tile " + std::to_string(tp.tile()) + ": ";
    const int ncells = tp.cell_index_deltas_size();
    if (tp.pulse_counts_size() != ncells || tp.outcomes_size() != ncells) {
      return bad(where + std::to_string(ncells) + " cells but " + std::to_string(tp.pulse_counts_size()) +
                 " pulse counts and " + std::to_string(tp.outcomes_size()) + " outcomes");
    }
    TileProgram t;
    t.tile = static_cast<int>(std::min<uint32_t>(tp.tile(), 1u << 30));
    t.cells.resize(static_cast<std::size_t>(ncells));
    int64_t index = -1;
    uint64_t total_pulses = 0;
    for (int i = 0; i < ncells; ++i) {
      index += int64_t{tp.cell_index_deltas(i)} + 1;
      if (index >= tile_cells) {
        return bad(where + "cell " + std::to_string(i) + " lies at index " + std::to_string(index) +
                   ", outside the " + std::to_string(program.tile_rows) + "x" +
                   std::to_string(program.tile_columns) + " tile");
      }
      const int outcome = tp.outcomes(i);
      if (outcome < v1::CELL_OUTCOME_CONVERGED || outcome > v1::CELL_OUTCOME_BUDGET_SPENT) {
        return bad(where + "cell " + std::to_string(i) + " has unknown outcome " + std::to_string(outcome));
      }
      CellProgram& cell = t.cells[static_cast<std::size_t>(i)];
      cell.row = static_cast<uint16_t>(index / program.tile_columns);
      cell.column = static_cast<uint16_t>(index % program.tile_columns);
      cell.pulses = tp.pulse_counts(i);
      cell.outcome = static_cast<CellOutcome>(outcome - 1);
      total_pulses += cell.pulses;
    }
    if (total_pulses != static_cast<uint64_t>(tp.pulses_size())) {
      return bad(where + "pulse counts add up to " + std::to_string(total_pulses) + " pulses but " +
                 std::to_string(tp.pulses_size()) + " are stored");
    }
    if (total_pulses + static_cast<uint64_t>(ncells) != static_cast<uint64_t>(tp.read_code_deltas_size())) {
      return bad(where + std::to_string(total_pulses + static_cast<uint64_t>(ncells)) +
                 " verify reads expected but " + std::to_string(tp.read_code_deltas_size()) + " are stored");
    }
    t.pulses.resize(total_pulses);
    for (int i = 0; i < tp.pulses_size(); ++i) {
      const int32_t p = tp.pulses(i);
      if (p == 0 || p > program.amplitude_count || p < -program.amplitude_count) {
        return bad(where + "pulse " + std::to_string(i) + " names ladder rung " + std::to_string(p) +
                   ", outside +-[1, " + std::to_string(program.amplitude_count) + "]");
      }
      t.pulses[static_cast<std::size_t>(i)] = static_cast<int16_t>(p);
    }
    t.read_codes.resize(static_cast<std::size_t>(tp.read_code_deltas_size()));
    int r = 0;
    for (const CellProgram& cell : t.cells) {
      int64_t code = 0;
      for (uint32_t i = 0; i <= cell.pulses; ++i, ++r) {
        code += tp.read_code_deltas(r);
        if (code < 0 || code > (int64_t{1} << 24)) {
          return bad(where + "verify read " + std::to_string(r) + " decodes to code " +
                     std::to_string(code) + ", outside [0, 2^24]");
        }
        t.read_codes[static_cast<std::size_t>(r)] = static_cast<uint32_t>(code);
      }
    }
    program.tiles.push_back(std::move(t));
  }
  const auto& ps = m.statistics();
  ProgramStatistics& s = program.statistics;
  s.cells = static_cast<int64_t>(ps.cells());
  s.outcomes[static_cast<int>(CellOutcome::kConverged)] = static_cast<int64_t>(ps.converged());
  s.outcomes[static_cast<int>(CellOutcome::kStuck)] = static_cast<int64_t>(ps.stuck());
  s.outcomes[static_cast<int>(CellOutcome::kOutOfWindow)] = static_cast<int64_t>(ps.out_of_window());
  s.outcomes[static_cast<int>(CellOutcome::kBudgetSpent)] = static_cast<int64_t>(ps.budget_spent());
  s.pulses = static_cast<int64_t>(ps.pulses());
  s.reads = static_cast<int64_t>(ps.reads());
  s.pulses_mean = ps.pulses_mean();
  s.pulses_p99 = ps.pulses_p99();
  s.error_mean_s = ps.error_mean_s();
  s.error_p99_s = ps.error_p99_s();
  s.time_s = ps.time_s();
  s.time_parallel_tiles_s = ps.time_parallel_tiles_s();
  s.pulse_energy_j = ps.pulse_energy_j();
  s.read_energy_j = ps.read_energy_j();
  return program;
}

Expected<PulseProgram> ReadPulseProgram(const std::string& path) {
  auto bytes = ReadFile(path);
  if (!bytes) return std::unexpected(bytes.error());
  return ParsePulseProgram(*bytes, path);
}

Expected<void> WritePulseCsv(const std::string& path, const PulseProgram& program) {
  AtomicTextFile file(path);
  if (!file.ok()) {
    return Fail(ErrorCode::kNotFound, path + ": cannot create a temporary file beside it (" + file.error() + ")");
  }
  file.Write(kPulseCsvHeader);
  file.Write("\n");
  std::string line;
  program.ForEachOp([&](const PulseOp& op) {
    line = std::to_string(op.tile) + "," + std::to_string(op.row) + "," + std::to_string(op.column) + "," +
           std::string(PulseOpKindName(op.kind)) + "," + Num(op.amplitude_v) + "," + Num(op.width_s) + ",";
    if (op.kind == PulseOpKind::kRead) line += std::to_string(op.read_code) + "," + Num(op.read_g_s);
    else line += ",";
    line += "\n";
    file.Write(line);
  });
  return file.Commit();
}

}  // namespace xbar::compiler
