// Program generation: fixed-pulse, ISPP and model-predicted write-verify, simulated cell by cell.
#include "compiler/program_gen.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <set>
#include <string>

#include "device_models/nonidealities.h"
#include "support/file_io.h"
#include "support/format.h"

namespace xbar::compiler {
namespace {

namespace dm = device_models;

// Largest ladder the int16 pulse encoding can index.
constexpr int kMaxRungs = 32767;
// Model-predicted: learning rate of the log step scale, its clamp per update and overall.
constexpr double kLearnRate = 0.5;
constexpr double kMaxRatio = 4.0;
constexpr double kMaxLogScale = 4.0;

std::unexpected<Error> Invalid(const std::string& message) {
  return Fail(ErrorCode::kInvalidArgument, message);
}

// Everything a cell's write-verify needs, resolved once per run.
struct Setup {
  const dm::MemristorParams* params = nullptr;
  dm::DeviceInstance nominal;
  ProgramScheme scheme = ProgramScheme::kModelPredicted;
  double tolerance_s = 0;
  int max_pulses = 0;
  int stall_pulses = 0;
  double v_min_v = 0, v_step_v = 0;
  int top = 0;                        // highest rung
  int start_set = 0, start_reset = 0;  // lowest rung above the nominal threshold, per polarity
  int fixed_set = 0, fixed_reset = 0;
  double set_width_s = 0, reset_width_s = 0;
  double g_lo_s = 0, g_hi_s = 0;       // the chip's nominal window
  double lsb_s = 0;
  const dm::ReadNoise* read_noise = nullptr;
  double v_read_v = 0, read_time_s = 0;

  double Amplitude(int k) const { return v_min_v + k * v_step_v; }
};

// Results of one word line of one tile.
struct RowResult {
  std::vector<CellProgram> cells;
  std::vector<int16_t> pulses;
  std::vector<uint32_t> read_codes;
  std::vector<double> errors_s;  // converged cells
  int64_t set_pulses = 0, reset_pulses = 0;
  double pulse_energy_j = 0, read_energy_j = 0;
};

int FirstRungAbove(const Setup& s, double v_threshold_v) {
  for (int k = 0; k <= s.top; ++k) {
    if (s.Amplitude(k) > v_threshold_v) return k;
  }
  return s.top;
}

// Fixed scheme default: the largest rung whose nominal step from mid-window is within tolerance.
int DefaultFixedRung(const Setup& s, bool set) {
  const double g_mid = 0.5 * (s.g_lo_s + s.g_hi_s);
  const int start = set ? s.start_set : s.start_reset;
  int best = start;
  for (int k = start; k <= s.top; ++k) {
    const double v = set ? s.Amplitude(k) : -s.Amplitude(k);
    const double g = dm::PredictPulse(*s.params, s.nominal, g_mid, v, set ? s.set_width_s : s.reset_width_s);
    if (std::abs(g - g_mid) <= s.tolerance_s) best = k;
  }
  return best;
}

Expected<int> RungOf(const Setup& s, double v, const char* option) {
  const double k = std::nearbyint((v - s.v_min_v) / s.v_step_v);
  if (!(k >= 0 && k <= s.top) || std::abs(s.Amplitude(static_cast<int>(k)) - v) > 1e-9) {
    return Fail(ErrorCode::kInvalidArgument,
                std::string(option) + " = " + FormatNumber(v) + " V is not on the amplitude ladder " +
                    FormatNumber(s.v_min_v) + ", " + FormatNumber(s.Amplitude(1)) + ", ... " +
                    FormatNumber(s.Amplitude(s.top)) + " V (use a ladder amplitude or 0)");
  }
  return static_cast<int>(k);
}

Expected<Setup> Resolve(const dm::ChipInstance& chip, const ProgramOptions& o) {
  const dm::ChipSpec& spec = chip.spec();
  const dm::ProgrammingSpec& ps = spec.programming;
  Setup s;
  s.params = &spec.device.memristor;
  s.nominal = dm::NominalDevice(spec.device.memristor);
  s.scheme = o.scheme;
  s.lsb_s = chip.verify_lsb_s();
  s.tolerance_s = o.tolerance_s > 0 ? o.tolerance_s : ps.verify_tolerance_s;
  if (!std::isfinite(o.tolerance_s) || o.tolerance_s < 0) {
    return Fail(ErrorCode::kInvalidArgument, "tolerance_s = " + FormatNumber(o.tolerance_s) +
                                                 " S must be finite and at least 0 (0 takes the chip's)");
  }
  if (s.tolerance_s < 0.5 * s.lsb_s) {
    return Fail(ErrorCode::kInvalidArgument,
                "tolerance_s = " + FormatNumber(s.tolerance_s) + " S is finer than half a verify code (" +
                    FormatNumber(0.5 * s.lsb_s) + " S): the verify read cannot resolve it (use a larger tolerance)");
  }
  s.max_pulses = o.max_pulses > 0 ? o.max_pulses : ps.max_pulses;
  if (o.max_pulses < 0 || s.max_pulses > dm::kMaxPulsesPerCell) {
    return Fail(ErrorCode::kInvalidArgument, "max_pulses = " + std::to_string(o.max_pulses) +
                                                 " must lie in [0, " + std::to_string(dm::kMaxPulsesPerCell) +
                                                 "] (0 takes the chip's)");
  }
  if (o.stall_pulses < 1) {
    return Fail(ErrorCode::kInvalidArgument,
                "stall_pulses = " + std::to_string(o.stall_pulses) + " must be at least 1");
  }
  s.stall_pulses = o.stall_pulses;
  if (o.threads < 0) {
    return Fail(ErrorCode::kInvalidArgument,
                "threads = " + std::to_string(o.threads) + " must be at least 0 (0: all cores)");
  }
  const int rungs = ps.AmplitudeCount();
  if (rungs > kMaxRungs) {
    return Fail(ErrorCode::kInvalidArgument,
                "the amplitude ladder has " + std::to_string(rungs) + " amplitudes, more than the " +
                    std::to_string(kMaxRungs) + " a pulse program can index (use a larger programming.v_step_v)");
  }
  s.v_min_v = ps.v_min_v;
  s.v_step_v = ps.v_step_v;
  s.top = rungs - 1;
  s.set_width_s = ps.set_width_s;
  s.reset_width_s = ps.reset_width_s;
  s.g_lo_s = spec.device.memristor.g_min_s;
  s.g_hi_s = spec.device.memristor.g_max_s;
  s.start_set = FirstRungAbove(s, s.nominal.v_set_threshold_v);
  s.start_reset = FirstRungAbove(s, s.nominal.v_reset_threshold_v);
  s.read_noise = &spec.device.nonidealities.read;
  s.v_read_v = spec.v_read_v;
  if (!std::isfinite(o.read_time_s) || o.read_time_s < 0) {
    return Fail(ErrorCode::kInvalidArgument, "read_time_s = " + FormatNumber(o.read_time_s) +
                                                 " s must be finite and at least 0 (0: from the chip)");
  }
  const double period_s = 1.0 / spec.clock_hz;
  s.read_time_s = o.read_time_s > 0
                      ? o.read_time_s
                      : (std::ceil(s.read_noise->t_read_s / period_s - 1e-9) + spec.adc.verify_bits) * period_s;
  if (o.fixed_set_v > 0) {
    auto k = RungOf(s, o.fixed_set_v, "fixed_set_v");
    if (!k) return std::unexpected(k.error());
    s.fixed_set = *k;
  } else {
    s.fixed_set = DefaultFixedRung(s, true);
  }
  if (o.fixed_reset_v > 0) {
    auto k = RungOf(s, o.fixed_reset_v, "fixed_reset_v");
    if (!k) return std::unexpected(k.error());
    s.fixed_reset = *k;
  } else {
    s.fixed_reset = DefaultFixedRung(s, false);
  }
  return s;
}

// Write-verify of one cell; appends its pulses and reads to `out`.
class CellProgrammer {
 public:
  CellProgrammer(const Setup& s, dm::ChipInstance& chip, int tile, int row, int column, Rng& rng,
                 RowResult& out)
      : s_(s), chip_(chip), tile_(tile), row_(row), column_(column), rng_(rng), out_(out) {}

  CellProgram Run(double target_s) {
    CellProgram cell;
    cell.row = static_cast<uint16_t>(row_);
    cell.column = static_cast<uint16_t>(column_);
    g_true_ = chip_.Conductance(tile_, row_, column_);
    dm::VerifyRead read = Read();
    // Out of the chip's window: not even the acceptance band reaches into it.
    if (!(target_s >= s_.g_lo_s - s_.tolerance_s && target_s <= s_.g_hi_s + s_.tolerance_s)) {
      cell.outcome = CellOutcome::kOutOfWindow;
      return cell;
    }
    const double initial_s = read.g_s;
    // Visible change: two codes plus five read-noise sigmas (a stuck cell's reads stay inside it).
    const double band_s =
        2 * s_.lsb_s + 5 * s_.read_noise->Sigma(std::max(initial_s, target_s), s_.read_noise->t_read_s);
    const double informative_s = 2 * s_.lsb_s + 2 * s_.read_noise->Sigma(target_s, s_.read_noise->t_read_s);
    double best_s = std::abs(read.g_s - target_s);
    bool moved = false;
    int stall = 0;
    int rung_set = s_.start_set, rung_reset = s_.start_reset;  // ISPP
    bool last_set = true;
    bool first = true;
    double log_scale_set = 0, log_scale_reset = 0;  // model-predicted
    int floor_set = s_.start_set, floor_reset = s_.start_reset;  // model-predicted
    while (std::abs(read.g_s - target_s) > s_.tolerance_s) {
      if (static_cast<int>(cell.pulses) >= s_.max_pulses) {
        cell.outcome = moved ? CellOutcome::kBudgetSpent : CellOutcome::kStuck;
        return cell;
      }
      const bool set = target_s > read.g_s;
      if (s_.scheme == ProgramScheme::kIspp && !first && set != last_set) {
        // Overshoot: reverse polarity and restart the ladder.
        rung_set = s_.start_set;
        rung_reset = s_.start_reset;
      }
      int k = 0;
      dm::DeviceInstance belief = s_.nominal;
      switch (s_.scheme) {
        case ProgramScheme::kFixed:
          k = set ? s_.fixed_set : s_.fixed_reset;
          break;
        case ProgramScheme::kIspp:
          k = set ? rung_set : rung_reset;
          break;
        case ProgramScheme::kModelPredicted:
          belief.set_scale = std::exp(log_scale_set);
          belief.reset_scale = std::exp(log_scale_reset);
          k = std::max(PredictRung(belief, read.g_s, target_s, set), set ? floor_set : floor_reset);
          break;
      }
      const double width_s = set ? s_.set_width_s : s_.reset_width_s;
      const double amplitude_v = set ? s_.Amplitude(k) : -s_.Amplitude(k);
      const double g_before_s = g_true_;
      g_true_ = chip_.ApplyPulse(tile_, row_, column_, amplitude_v, width_s, rng_);
      out_.pulse_energy_j += dm::PulseEnergyJ(0.5 * (g_before_s + g_true_), amplitude_v, width_s);
      out_.pulses.push_back(static_cast<int16_t>(set ? k + 1 : -(k + 1)));
      (set ? out_.set_pulses : out_.reset_pulses) += 1;
      ++cell.pulses;
      const dm::VerifyRead previous = read;
      read = Read();
      first = false;
      last_set = set;

      if (s_.scheme == ProgramScheme::kIspp) {
        int& rung = set ? rung_set : rung_reset;
        rung = std::min(rung + 1, s_.top);
      } else if (s_.scheme == ProgramScheme::kModelPredicted) {
        Learn(belief, previous.g_s, read.g_s, amplitude_v, width_s, informative_s,
              set ? log_scale_set : log_scale_reset);
        // A rung that shows no visible effect is below this cell's threshold or too weak here.
        if (std::abs(read.g_s - previous.g_s) < informative_s) {
          int& floor = set ? floor_set : floor_reset;
          floor = std::min(std::max(floor, k + 1), s_.top);
        }
      }
      // Futility guard.
      if (std::abs(read.g_s - initial_s) > band_s) moved = true;
      const double distance_s = std::abs(read.g_s - target_s);
      if (distance_s < best_s - band_s) {
        best_s = distance_s;
        stall = 0;
      } else if (s_.scheme == ProgramScheme::kFixed ? !moved : k == s_.top) {
        // The fixed baseline has no top amplitude to stall at: it gives up only on a cell that
        // never moved, otherwise it runs to its budget.
        if (++stall >= s_.stall_pulses) {
          cell.outcome = moved ? CellOutcome::kOutOfWindow : CellOutcome::kStuck;
          return cell;
        }
      }
      best_s = std::min(best_s, distance_s);
    }
    out_.errors_s.push_back(std::abs(g_true_ - target_s));
    return cell;
  }

 private:
  dm::VerifyRead Read() {
    const dm::VerifyRead read = chip_.Read(tile_, row_, column_, rng_);
    out_.read_codes.push_back(read.code);
    out_.read_energy_j += s_.v_read_v * s_.v_read_v * g_true_ * s_.read_time_s;
    return read;
  }

  // The rung whose predicted result (believed device, from the last read) lands nearest the target.
  int PredictRung(const dm::DeviceInstance& belief, double g_s, double target_s, bool set) const {
    const int start = set ? s_.start_set : s_.start_reset;
    // Aim inside the nominal window: a soft bound itself is never reached.
    const double aim_s =
        std::clamp(target_s, s_.g_lo_s + 0.5 * s_.tolerance_s, s_.g_hi_s - 0.5 * s_.tolerance_s);
    const double width_s = set ? s_.set_width_s : s_.reset_width_s;
    const std::optional<double> v = dm::AmplitudeForTarget(*s_.params, belief, g_s, aim_s, width_s);
    if (!v) return s_.top;  // beyond the believed window: push as hard as the ladder allows
    if (*v == 0 || (*v > 0) != set) return start;
    const double kf = (std::abs(*v) - s_.v_min_v) / s_.v_step_v;
    const int k0 = std::clamp(static_cast<int>(std::floor(kf)), start, s_.top);
    const int k1 = std::min(k0 + 1, s_.top);
    auto miss = [&](int k) {
      const double a = set ? s_.Amplitude(k) : -s_.Amplitude(k);
      return std::abs(dm::PredictPulse(*s_.params, belief, g_s, a, width_s) - aim_s);
    };
    return miss(k1) < miss(k0) ? k1 : k0;
  }

  // Rescales the believed step of the pulse's polarity by the observed over the predicted strength.
  void Learn(const dm::DeviceInstance& belief, double before_s, double after_s, double amplitude_v,
             double width_s, double informative_s, double& log_scale) const {
    const double predicted_s = dm::PredictPulse(*s_.params, belief, before_s, amplitude_v, width_s);
    const double d_pred = predicted_s - before_s;
    const double d_obs = after_s - before_s;
    if (std::abs(d_pred) < s_.lsb_s && std::abs(d_obs) < informative_s) return;
    double ratio = 0;
    if (d_obs != 0 && (d_obs > 0) == (amplitude_v > 0)) {
      const auto r = dm::PulsesForTarget(*s_.params, belief, before_s, after_s, amplitude_v, width_s);
      ratio = r ? *r : (d_pred != 0 ? d_obs / d_pred : kMaxRatio);
    }
    ratio = std::clamp(ratio, 1.0 / kMaxRatio, kMaxRatio);
    log_scale = std::clamp(log_scale + kLearnRate * std::log(ratio), -kMaxLogScale, kMaxLogScale);
  }

  const Setup& s_;
  dm::ChipInstance& chip_;
  int tile_, row_, column_;
  Rng& rng_;
  RowResult& out_;
  double g_true_ = 0;
};

int64_t Percentile99(const std::vector<int64_t>& histogram, int64_t total) {
  if (total == 0) return 0;
  const double want = 0.99 * static_cast<double>(total);
  int64_t seen = 0;
  for (std::size_t n = 0; n < histogram.size(); ++n) {
    seen += histogram[n];
    if (static_cast<double>(seen) >= want) return static_cast<int64_t>(n);
  }
  return static_cast<int64_t>(histogram.size()) - 1;
}

}  // namespace

std::string_view ProgramSchemeName(ProgramScheme scheme) {
  switch (scheme) {
    case ProgramScheme::kFixed: return "fixed";
    case ProgramScheme::kIspp: return "ispp";
    case ProgramScheme::kModelPredicted: return "model-predicted";
  }
  return "?";
}

Expected<ProgramScheme> ProgramSchemeByName(std::string_view name) {
  for (ProgramScheme s : {ProgramScheme::kFixed, ProgramScheme::kIspp, ProgramScheme::kModelPredicted}) {
    if (name == ProgramSchemeName(s)) return s;
  }
  return Fail(ErrorCode::kInvalidArgument, "unknown programming scheme '" + std::string(name) +
                                               "' (use one of: fixed, ispp, model-predicted)");
}

std::string_view CellOutcomeName(CellOutcome outcome) {
  switch (outcome) {
    case CellOutcome::kConverged: return "converged";
    case CellOutcome::kStuck: return "stuck";
    case CellOutcome::kOutOfWindow: return "out-of-window";
    case CellOutcome::kBudgetSpent: return "budget-spent";
  }
  return "?";
}

std::string_view PulseOpKindName(PulseOpKind kind) {
  switch (kind) {
    case PulseOpKind::kSet: return "SET";
    case PulseOpKind::kReset: return "RESET";
    case PulseOpKind::kRead: return "READ";
  }
  return "?";
}

void PulseProgram::ForEachOp(const std::function<void(const PulseOp&)>& visit) const {
  for (const TileProgram& t : tiles) {
    std::size_t p = 0, r = 0;
    for (const CellProgram& cell : t.cells) {
      PulseOp read;
      read.tile = t.tile;
      read.row = cell.row;
      read.column = cell.column;
      read.kind = PulseOpKind::kRead;
      read.amplitude_v = v_read_v;
      read.width_s = read_time_s;
      auto emit_read = [&] {
        read.read_code = t.read_codes[r];
        read.read_g_s = t.read_codes[r] * verify_lsb_s;
        ++r;
        visit(read);
      };
      emit_read();
      for (uint32_t i = 0; i < cell.pulses; ++i, ++p) {
        const int code = t.pulses[p];
        PulseOp op;
        op.tile = t.tile;
        op.row = cell.row;
        op.column = cell.column;
        op.kind = code > 0 ? PulseOpKind::kSet : PulseOpKind::kReset;
        op.amplitude_v = code > 0 ? Amplitude(code - 1) : -Amplitude(-code - 1);
        op.width_s = code > 0 ? set_width_s : reset_width_s;
        visit(op);
        emit_read();
      }
    }
  }
}

Expected<PulseProgram> GenerateProgram(const std::vector<TileTargets>& targets,
                                       dm::ChipInstance& chip, const ProgramOptions& options) {
  auto setup = Resolve(chip, options);
  if (!setup) return std::unexpected(setup.error());
  const Setup& s = *setup;
  std::set<int> seen;
  for (const TileTargets& t : targets) {
    if (t.tile < 0 || t.tile >= chip.tile_count()) {
      return Invalid("target tile " + std::to_string(t.tile) + " is not on the chip (tiles 0 to " +
                     std::to_string(chip.tile_count() - 1) + ")");
    }
    if (t.target_g_s.rows() != chip.rows() || t.target_g_s.cols() != chip.columns()) {
      return Invalid("targets of tile " + std::to_string(t.tile) + " are " +
                     std::to_string(t.target_g_s.rows()) + "x" + std::to_string(t.target_g_s.cols()) +
                     " but the chip's tiles are " + std::to_string(chip.rows()) + "x" +
                     std::to_string(chip.columns()) + " (give physical rows x columns, NaN for unused cells)");
    }
    if (!seen.insert(t.tile).second) {
      return Invalid("tile " + std::to_string(t.tile) + " has targets twice (give each tile once)");
    }
  }
  for (const TileTargets& t : targets) chip.DrawTile(t.tile);

  // Work units: word lines with at least one target, in program order.
  struct Unit {
    std::size_t target;
    int row;
  };
  std::vector<Unit> units;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    for (int r = 0; r < chip.rows(); ++r) {
      if (!targets[i].target_g_s.row(r).array().isNaN().all()) units.push_back({i, r});
    }
  }
  std::vector<RowResult> rows(units.size());
  const uint64_t stream_seed = DeriveSeed(options.seed, kProgramNoiseStream);
  const int threads = options.threads > 0 ? options.threads : omp_get_max_threads();
  const int64_t nunits = static_cast<int64_t>(units.size());
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (int64_t u = 0; u < nunits; ++u) {
    const Unit& unit = units[static_cast<std::size_t>(u)];
    const TileTargets& t = targets[unit.target];
    Rng rng(DeriveSeed(stream_seed, static_cast<uint64_t>(t.tile) * static_cast<uint64_t>(chip.rows()) +
                                        static_cast<uint64_t>(unit.row)));
    RowResult& out = rows[static_cast<std::size_t>(u)];
    for (int c = 0; c < chip.columns(); ++c) {
      const double target_s = t.target_g_s(unit.row, c);
      if (std::isnan(target_s)) continue;
      out.cells.push_back(CellProgrammer(s, chip, t.tile, unit.row, c, rng, out).Run(target_s));
    }
  }

  PulseProgram program;
  const dm::ChipSpec& spec = chip.spec();
  program.chip_name = spec.name;
  program.chip_seed = chip.seed();
  program.seed = options.seed;
  program.scheme = options.scheme;
  program.tolerance_s = s.tolerance_s;
  program.max_pulses = s.max_pulses;
  program.tile_rows = chip.rows();
  program.tile_columns = chip.columns();
  program.v_min_v = s.v_min_v;
  program.v_step_v = s.v_step_v;
  program.amplitude_count = s.top + 1;
  program.set_width_s = s.set_width_s;
  program.reset_width_s = s.reset_width_s;
  program.v_read_v = s.v_read_v;
  program.verify_lsb_s = s.lsb_s;
  program.read_time_s = s.read_time_s;
  program.targets_crc32 = TargetsChecksum(targets);

  ProgramStatistics& st = program.statistics;
  std::vector<int64_t> histogram(static_cast<std::size_t>(s.max_pulses) + 1, 0);
  std::vector<double> errors;
  double error_sum = 0;
  std::size_t u = 0;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    TileProgram tile;
    tile.tile = targets[i].tile;
    std::size_t ncells = 0, npulses = 0, nreads = 0;
    for (std::size_t v = u; v < units.size() && units[v].target == i; ++v) {
      ncells += rows[v].cells.size();
      npulses += rows[v].pulses.size();
      nreads += rows[v].read_codes.size();
    }
    tile.cells.reserve(ncells);
    tile.pulses.reserve(npulses);
    tile.read_codes.reserve(nreads);
    int64_t set_pulses = 0, reset_pulses = 0;
    for (; u < units.size() && units[u].target == i; ++u) {
      RowResult& row = rows[u];
      tile.cells.insert(tile.cells.end(), row.cells.begin(), row.cells.end());
      tile.pulses.insert(tile.pulses.end(), row.pulses.begin(), row.pulses.end());
      tile.read_codes.insert(tile.read_codes.end(), row.read_codes.begin(), row.read_codes.end());
      for (const CellProgram& cell : row.cells) {
        ++histogram[cell.pulses];
        ++st.outcomes[static_cast<int>(cell.outcome)];
      }
      for (double e : row.errors_s) error_sum += e;
      errors.insert(errors.end(), row.errors_s.begin(), row.errors_s.end());
      set_pulses += row.set_pulses;
      reset_pulses += row.reset_pulses;
      st.pulse_energy_j += row.pulse_energy_j;
      st.read_energy_j += row.read_energy_j;
      row = RowResult{};
    }
    st.cells += static_cast<int64_t>(tile.cells.size());
    st.pulses += set_pulses + reset_pulses;
    st.reads += static_cast<int64_t>(tile.read_codes.size());
    const double tile_time_s = static_cast<double>(set_pulses) * s.set_width_s +
                               static_cast<double>(reset_pulses) * s.reset_width_s +
                               static_cast<double>(tile.read_codes.size()) * s.read_time_s;
    st.time_s += tile_time_s;
    st.time_parallel_tiles_s = std::max(st.time_parallel_tiles_s, tile_time_s);
    program.tiles.push_back(std::move(tile));
  }
  if (st.cells > 0) {
    st.pulses_mean = static_cast<double>(st.pulses) / static_cast<double>(st.cells);
    st.pulses_p99 = static_cast<double>(Percentile99(histogram, st.cells));
  }
  if (!errors.empty()) {
    st.error_mean_s = error_sum / static_cast<double>(errors.size());
    const std::size_t k = static_cast<std::size_t>(std::ceil(0.99 * static_cast<double>(errors.size()))) - 1;
    std::nth_element(errors.begin(), errors.begin() + static_cast<std::ptrdiff_t>(k), errors.end());
    st.error_p99_s = errors[k];
  }
  return program;
}

dm::ChipState ProgrammedState(const PulseProgram& program, const dm::ChipInstance& chip) {
  std::vector<int> tiles;
  for (const TileProgram& t : program.tiles) tiles.push_back(t.tile);
  return chip.State(tiles);
}

double ConvergedPulsesMean(const PulseProgram& program) {
  double pulses = 0, cells = 0;
  for (const auto& t : program.tiles) {
    for (const auto& c : t.cells) {
      if (c.outcome != CellOutcome::kConverged) continue;
      pulses += c.pulses;
      cells += 1;
    }
  }
  return cells > 0 ? pulses / cells : 0.0;
}

uint32_t TargetsChecksum(const std::vector<TileTargets>& targets) {
  std::string bytes;
  for (const TileTargets& t : targets) {
    const int64_t tile = t.tile;
    bytes.append(reinterpret_cast<const char*>(&tile), sizeof tile);
    for (Eigen::Index r = 0; r < t.target_g_s.rows(); ++r) {
      for (Eigen::Index c = 0; c < t.target_g_s.cols(); ++c) {
        double g = t.target_g_s(r, c);
        if (std::isnan(g)) g = std::numeric_limits<double>::quiet_NaN();  // one NaN pattern
        bytes.append(reinterpret_cast<const char*>(&g), sizeof g);
      }
    }
  }
  return Crc32(bytes);
}

}  // namespace xbar::compiler
