// xbar report: the main job's figures (gnuplot, SVG and PNG) and a one-page HTML report, from a plan,
// its programmed chip state and pulse program, and the --json outputs of xbar infer and finetune.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <system_error>

#include <sys/wait.h>

#include "compiler/chip_state_io.h"
#include "compiler/plan_io.h"
#include "compiler/program_gen.h"
#include "compiler/pulse_io.h"
#include "device_models/tile_circuit.h"
#include "support/duration.h"
#include "support/file_io.h"
#include "support/format.h"
#include "tools/xbar/cli.h"

namespace xbar::tools {
namespace {

namespace fs = std::filesystem;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// ---------------------------------------------------------------------------------------------
// The JSON inputs.

/// One accuracy of xbar infer --json ("points").
struct AccuracyPoint {
  double age_s = 0;
  std::string age;
  std::string compensation;
  double accuracy = 0;  // [0, 1]
  int64_t images = 0;   // 0: not given
};

/// What the report uses of xbar infer --json.
struct InferResult {
  std::string dataset, backend;
  std::vector<AccuracyPoint> points;
  double cycles_per_image = kNaN, latency_s = kNaN, energy_j = kNaN;
  double read_energy_j = kNaN, neuron_energy_j = kNaN, adc_energy_j = kNaN;
};

/// What the report uses of xbar finetune --json.
struct FinetuneResult {
  std::string age, compensation;
  double before = 0, after = 0;
  double cells = kNaN, pulses = kNaN, energy_j = kNaN;
  int64_t images = 0;
};

/// The software model's accuracy (xbar eval --json).
struct EvalResult {
  double accuracy = 0;
  int64_t samples = 0;
};

Expected<Json> ReadJsonObject(const std::string& path, const std::string& what) {
  auto text = ReadFile(path);
  if (!text) return std::unexpected(text.error());
  auto json = ParseJson(*text, path);
  if (!json) return json;
  if (!json->is_object()) {
    return Fail(ErrorCode::kDataLoss, path + ": expected a JSON object (the --json output of " + what + ")");
  }
  return json;
}

double OptionalNumber(const Json& object, std::string_view key) {
  const auto v = object.find(key);
  return v != object.end() && v->is_number() ? v->get<double>() : kNaN;
}

std::string OptionalString(const Json& object, std::string_view key) {
  const auto v = object.find(key);
  return v != object.end() && v->is_string() ? v->get<std::string>() : std::string();
}

Expected<double> RequiredNumber(const Json& object, std::string_view key, const std::string& where) {
  const auto v = object.find(key);
  if (v == object.end() || !v->is_number()) {
    return Fail(ErrorCode::kDataLoss, where + ": \"" + std::string(key) + "\" is missing or not a number");
  }
  return v->get<double>();
}

Expected<double> RequiredFraction(const Json& object, std::string_view key, const std::string& where) {
  auto v = RequiredNumber(object, key, where);
  if (v && !(*v >= 0 && *v <= 1)) {
    return Fail(ErrorCode::kDataLoss, where + ": \"" + std::string(key) + "\" = " + FormatNumber(*v) +
                                          " must lie in [0, 1]");
  }
  return v;
}

Expected<InferResult> ReadInfer(const std::string& path) {
  auto json = ReadJsonObject(path, "xbar infer");
  if (!json) return std::unexpected(json.error());
  InferResult r;
  r.dataset = OptionalString(*json, "dataset");
  r.backend = OptionalString(*json, "backend");
  const auto points = json->find("points");
  if (points == json->end() || !points->is_array() || points->empty()) {
    return Fail(ErrorCode::kDataLoss, path + ": \"points\" is missing or not a non-empty array (is it the --json "
                                             "output of xbar infer?)");
  }
  for (std::size_t i = 0; i < points->size(); ++i) {
    const Json& p = (*points)[i];
    const std::string where = path + ": points[" + std::to_string(i) + "]";
    if (!p.is_object()) return Fail(ErrorCode::kDataLoss, where + " is not an object");
    AccuracyPoint a;
    auto age = RequiredNumber(p, "age_s", where);
    if (!age) return std::unexpected(age.error());
    if (!(*age >= 0) || !std::isfinite(*age)) {
      return Fail(ErrorCode::kDataLoss, where + ": \"age_s\" = " + FormatNumber(*age) + " must be >= 0");
    }
    a.age_s = *age;
    auto accuracy = RequiredFraction(p, "accuracy", where);
    if (!accuracy) return std::unexpected(accuracy.error());
    a.accuracy = *accuracy;
    a.age = OptionalString(p, "age");
    if (a.age.empty()) a.age = FormatDuration(a.age_s);
    a.compensation = OptionalString(p, "compensation");
    if (a.compensation.empty()) a.compensation = "none";
    const double images = OptionalNumber(p, "images");
    a.images = std::isfinite(images) ? static_cast<int64_t>(images) : 0;
    r.points.push_back(std::move(a));
  }
  r.cycles_per_image = OptionalNumber(*json, "cycles_per_image");
  r.latency_s = OptionalNumber(*json, "latency_s");
  r.energy_j = OptionalNumber(*json, "energy_per_image_j");
  r.read_energy_j = OptionalNumber(*json, "read_energy_per_image_j");
  r.neuron_energy_j = OptionalNumber(*json, "neuron_energy_per_image_j");
  r.adc_energy_j = OptionalNumber(*json, "adc_energy_per_image_j");
  return r;
}

Expected<FinetuneResult> ReadFinetune(const std::string& path) {
  auto json = ReadJsonObject(path, "xbar finetune");
  if (!json) return std::unexpected(json.error());
  FinetuneResult r;
  auto before = RequiredFraction(*json, "accuracy_before", path);
  if (!before) return std::unexpected(before.error());
  auto after = RequiredFraction(*json, "accuracy_after", path);
  if (!after) return std::unexpected(after.error());
  r.before = *before;
  r.after = *after;
  r.age = OptionalString(*json, "age");
  r.compensation = OptionalString(*json, "compensation");
  r.cells = OptionalNumber(*json, "cells_reprogrammed");
  r.pulses = OptionalNumber(*json, "delta_pulses");
  r.energy_j = OptionalNumber(*json, "delta_energy_j");
  const double images = OptionalNumber(*json, "images");
  r.images = std::isfinite(images) ? static_cast<int64_t>(images) : 0;
  return r;
}

Expected<EvalResult> ReadEval(const std::string& path) {
  auto json = ReadJsonObject(path, "xbar eval");
  if (!json) return std::unexpected(json.error());
  auto accuracy = RequiredFraction(*json, "accuracy", path);
  if (!accuracy) return std::unexpected(accuracy.error());
  const double samples = OptionalNumber(*json, "samples");
  return EvalResult{*accuracy, std::isfinite(samples) ? static_cast<int64_t>(samples) : 0};
}

// ---------------------------------------------------------------------------------------------
// The figures' data.

/// Target and programmed conductances of every used cell of the plan, binned.
struct ConductanceFigure {
  double lo_us = 0, bin_us = 1;
  std::vector<int64_t> target, programmed;
  int64_t cells = 0;
  double error_mean_s = 0;
  double within_tolerance = 0;  // fraction of cells with |programmed - target| <= verify tolerance
};

ConductanceFigure Conductances(const compiler::Plan& plan,
                               const std::vector<const device_models::TileState*>& state_tiles, int bins) {
  std::vector<double> target, programmed;
  for (std::size_t t = 0; t < plan.tiles.size(); ++t) {
    const auto& g_t = plan.tiles[t].target_g_s;
    const auto& g_p = state_tiles[t]->g_s;
    for (Eigen::Index r = 0; r < g_t.rows(); ++r) {
      for (Eigen::Index c = 0; c < g_t.cols(); ++c) {
        if (std::isnan(g_t(r, c))) continue;
        target.push_back(g_t(r, c));
        programmed.push_back(g_p(r, c));
      }
    }
  }
  ConductanceFigure f;
  f.cells = static_cast<int64_t>(target.size());
  const auto& m = plan.chip.device.memristor;
  double lo = m.g_min_s, hi = m.g_max_s;
  for (std::size_t i = 0; i < target.size(); ++i) {
    lo = std::min({lo, target[i], programmed[i]});
    hi = std::max({hi, target[i], programmed[i]});
  }
  f.lo_us = lo * 1e6;
  f.bin_us = (hi - lo) * 1e6 / bins;
  f.target.assign(bins, 0);
  f.programmed.assign(bins, 0);
  auto bin = [&](double g) {
    return std::clamp(static_cast<int>((g * 1e6 - f.lo_us) / f.bin_us), 0, bins - 1);
  };
  double error = 0;
  int64_t within = 0;
  const double tolerance = plan.chip.programming.verify_tolerance_s;
  for (std::size_t i = 0; i < target.size(); ++i) {
    ++f.target[bin(target[i])];
    ++f.programmed[bin(programmed[i])];
    const double e = std::abs(programmed[i] - target[i]);
    error += e;
    within += e <= tolerance;
  }
  if (f.cells > 0) {
    f.error_mean_s = error / f.cells;
    f.within_tolerance = static_cast<double>(within) / f.cells;
  }
  return f;
}

/// Programming pulses per cell, binned.
struct PulseFigure {
  int bin = 1;                  // pulses per bin
  std::vector<int64_t> counts;  // bin k: [k bin, (k + 1) bin) pulses
  int64_t cells = 0, pulses = 0, failed = 0;
  uint32_t max = 0;
  double mean = 0;
};

PulseFigure Pulses(const compiler::PulseProgram& program) {
  PulseFigure f;
  for (const auto& tile : program.tiles) {
    for (const auto& cell : tile.cells) {
      f.max = std::max(f.max, cell.pulses);
      f.pulses += cell.pulses;
      ++f.cells;
      f.failed += cell.outcome != compiler::CellOutcome::kConverged;
    }
  }
  f.bin = std::max(1, static_cast<int>(std::ceil((f.max + 1) / 100.0)));
  f.counts.assign(f.max / f.bin + 1, 0);
  for (const auto& tile : program.tiles) {
    for (const auto& cell : tile.cells) ++f.counts[cell.pulses / f.bin];
  }
  if (f.cells > 0) f.mean = static_cast<double>(f.pulses) / f.cells;
  return f;
}

/// The voltage across every cell of one tile with its used word lines driven at v_read_v.
struct IrDropFigure {
  int plan_tile = 0, physical_tile = 0, rows = 0, used_columns = 0;
  bool top_left = true;     // the used block is the top-left corner (not remapped)
  Eigen::MatrixXd percent;  // R x C, % of v_read_v; NaN on word lines not driven
  double min_used = 0, mean_used = 0;  // over the used block
};

Expected<IrDropFigure> IrDrop(const compiler::Plan& plan, int t, const device_models::TileState& state,
                              const std::string& state_path) {
  const auto& tile = plan.tiles[t];
  auto circuit = device_models::TileCircuit::Create(state.g_s, plan.chip.wires);
  if (!circuit) {
    return std::unexpected(WithContext(circuit.error(), state_path + ": tile " + std::to_string(state.tile)));
  }
  const double v_read = plan.chip.v_read_v;
  Eigen::MatrixXd v = Eigen::MatrixXd::Zero(state.g_s.rows(), 1);
  for (int line : tile.row_map) v(line, 0) = v_read;
  device_models::SolveOptions options;
  options.node_voltages = true;
  auto solution = circuit->Solve(v, options);
  if (!solution) {
    return std::unexpected(WithContext(solution.error(), "ir-drop solve of plan tile " + std::to_string(t)));
  }
  IrDropFigure f;
  f.plan_tile = t;
  f.physical_tile = tile.physical_index;
  f.rows = tile.rows;
  f.used_columns = tile.used_columns;
  f.top_left = tile.IsTopLeft();
  f.percent = 100.0 * (solution->row_v - solution->col_v) / v_read;
  const Eigen::MatrixXd used = tile.UsedBlock(f.percent);
  for (Eigen::Index r = 0; r < v.rows(); ++r) {
    if (v(r, 0) == 0) f.percent.row(r).setConstant(kNaN);
  }
  f.min_used = used.size() > 0 ? used.minCoeff() : kNaN;
  f.mean_used = used.size() > 0 ? used.mean() : kNaN;
  return f;
}

// ---------------------------------------------------------------------------------------------
// Writing: data files, gnuplot scripts, and gnuplot itself.

std::string Num(double v, int significant = 6) { return std::isfinite(v) ? FormatNumber(v, significant) : "NaN"; }

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

/// A gnuplot script that writes STEM.svg and STEM.png (names overridable with -e "svg_out='...'").
std::string GnuplotScript(const std::string& stem, const std::string& what, const std::string& settings,
                          const std::string& plot) {
  return "# " + what + "\n# Written by xbar report; regenerate the figures here with: gnuplot " + stem +
         ".gp\nif (!exists(\"svg_out\")) svg_out = '" + stem + ".svg'\nif (!exists(\"png_out\")) png_out = '" + stem +
         ".png'\n" + settings +
         "set terminal svg size 800,500 dynamic enhanced font 'Helvetica,13' background rgb 'white'\n"
         "set output svg_out\n" + plot +
         "\nset terminal pngcairo size 800,500 enhanced font 'Helvetica,11' background rgb 'white'\n"
         "set output png_out\n" + plot + "\nset output\n";
}

/// Runs DIR/STEM.gp in DIR; its SVG and PNG are written under temporary names and renamed into place
/// only when gnuplot succeeds.
Expected<void> RunGnuplot(const fs::path& dir, const std::string& stem) {
  const std::string script = (dir / (stem + ".gp")).string();
  const std::string svg_tmp = "." + stem + ".svg.tmp", png_tmp = "." + stem + ".png.tmp";
  const std::string command = "cd " + ShellQuote(dir.string()) + " && gnuplot -e " +
                              ShellQuote("svg_out='" + svg_tmp + "'; png_out='" + png_tmp + "'") + " " +
                              ShellQuote(stem + ".gp") + " 2>&1";
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return Fail(ErrorCode::kFailedPrecondition, script + ": cannot start gnuplot");
  std::string output;
  char buf[512];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) output.append(buf, n);
  const int status = ::pclose(pipe);
  const int code = status == -1 ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::error_code ignored;
  if (code != 0) {
    fs::remove(dir / svg_tmp, ignored);
    fs::remove(dir / png_tmp, ignored);
    if (code == 127) {
      return Fail(ErrorCode::kFailedPrecondition, script + ": gnuplot not found (install gnuplot-nox)");
    }
    // gnuplot's message spans lines (the offending text, a caret, the reason): keep the last one.
    std::string last;
    std::istringstream lines(output);
    for (std::string line; std::getline(lines, line);) {
      if (line.find_first_not_of(" ^\t") != std::string::npos) last = line;
    }
    return Fail(ErrorCode::kFailedPrecondition,
                script + ": gnuplot failed (exit " + std::to_string(code) + ")" + (last.empty() ? "" : ": " + last));
  }
  for (const auto& [tmp, final_name] : {std::pair{svg_tmp, stem + ".svg"}, std::pair{png_tmp, stem + ".png"}}) {
    std::error_code ec;
    if (fs::file_size(dir / tmp, ec) == 0 || ec) {
      fs::remove(dir / svg_tmp, ignored);
      fs::remove(dir / png_tmp, ignored);
      return Fail(ErrorCode::kFailedPrecondition, script + ": gnuplot wrote no " + final_name);
    }
    fs::rename(dir / tmp, dir / final_name, ec);
    if (ec) return Fail(ErrorCode::kFailedPrecondition, (dir / final_name).string() + ": " + ec.message());
  }
  return {};
}

/// Age ticks people read (log axis), within [lo, hi] seconds.
std::string AgeTics(double lo, double hi) {
  struct Tick {
    double s;
    const char* label;
  };
  constexpr double kDay = 86400;
  const Tick ticks[] = {{1, "1s"},           {60, "1min"},          {3600, "1h"},
                        {kDay, "1d"},        {7 * kDay, "1w"},      {30 * kDay, "1mo"},
                        {365.25 * kDay, "1y"}, {3652.5 * kDay, "10y"}, {36525 * kDay, "100y"}};
  std::string out;
  for (const auto& t : ticks) {
    if (t.s < lo || t.s > hi) continue;
    out += (out.empty() ? "" : ", ") + std::string("'") + t.label + "' " + Num(t.s, 10);
  }
  return out.empty() ? "" : "set xtics (" + out + ")\n";
}

std::string Html(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

/// "12.3 µJ": three significant digits with an SI prefix; "–" for NaN.
std::string Si(double v, const std::string& unit) {
  if (!std::isfinite(v)) return "&ndash;";
  struct Prefix {
    double scale;
    const char* name;
  };
  const Prefix prefixes[] = {{1e9, "G"}, {1e6, "M"}, {1e3, "k"}, {1, ""}, {1e-3, "m"},
                             {1e-6, "&micro;"}, {1e-9, "n"}, {1e-12, "p"}, {1e-15, "f"}};
  for (const auto& p : prefixes) {
    if (std::abs(v) >= p.scale || p.scale == 1e-15) return FormatNumber(v / p.scale, 3) + " " + p.name + unit;
  }
  return FormatNumber(v, 3) + " " + unit;
}

std::string Percent(double fraction) {
  if (!std::isfinite(fraction)) return "&ndash;";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", 100 * fraction);
  return buf;
}

std::string Count(double v) {
  if (!std::isfinite(v)) return "&ndash;";
  std::string digits = std::to_string(static_cast<long long>(std::llround(v)));
  std::string out;
  const std::size_t first = digits[0] == '-' ? 1 : 0;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > first && (digits.size() - i) % 3 == 0) out += "&#8239;";
    out.push_back(digits[i]);
  }
  return out;
}

}  // namespace

int RunReport(int argc, char** argv) {
  const std::string name = "report";
  CommonOptions common;
  std::string plan_path, state_path, program_path, infer_path, rtl_path, finetune_path, eval_path, out_dir;
  int tile = 0;
  int bins = 100;
  po::options_description desc("options");
  AddCommonOptions(desc, common);
  desc.add_options()
      ("plan", po::value(&plan_path)->required(), "plan from xbar compile (.xbp)")
      ("state", po::value(&state_path)->required(), "programmed chip state from xbar program --state (.xbcs)")
      ("program", po::value(&program_path), "pulse program from xbar program (.xbpulse): pulses per cell")
      ("infer", po::value(&infer_path)->required(), "xbar infer --json output: accuracy over age, energy, latency")
      ("infer-rtl", po::value(&rtl_path), "xbar infer --backend rtl --json output: the RTL subset")
      ("finetune", po::value(&finetune_path), "xbar finetune --json output: accuracy before and after")
      ("eval", po::value(&eval_path), "xbar eval --json output: the software model's accuracy")
      ("tile", po::value(&tile)->default_value(tile), "plan tile of the IR-drop map")
      ("bins", po::value(&bins)->default_value(bins), "bins of the conductance histogram")
      ("out,o", po::value(&out_dir)->required(), "folder to write the figures and report.html into");
  po::positional_options_description positional;
  positional.add("plan", 1);
  po::variables_map vm;
  if (auto code = Parse(name,
                        "PLAN.xbp --state S.xbcs [--program P.xbpulse] --infer I.json [--infer-rtl R.json] "
                        "[--finetune F.json] [--eval E.json] [--tile N] -o DIR",
                        argc, argv, desc, &positional, vm)) {
    return *code;
  }
  if (bins < 1 || bins > 10000) {
    return ReportError(name, Error{ErrorCode::kInvalidArgument, "--bins = " + std::to_string(bins) +
                                                                    " must lie in [1, 10000]"});
  }

  // Everything is read and computed before the first file is written.
  auto plan = compiler::ReadPlan(plan_path);
  if (!plan) return ReportError(name, plan.error());
  if (tile < 0 || tile >= static_cast<int>(plan->tiles.size())) {
    return ReportError(name, Error{ErrorCode::kInvalidArgument,
                                   "--tile " + std::to_string(tile) + " must lie in [0, " +
                                       std::to_string(plan->tiles.size() - 1) + "] (tiles of " + plan_path + ")"});
  }
  auto state = compiler::ReadChipState(state_path);
  if (!state) return ReportError(name, state.error());
  std::vector<const device_models::TileState*> state_tiles;
  for (const auto& t : plan->tiles) {
    auto it = std::find_if(state->tiles.begin(), state->tiles.end(),
                           [&](const device_models::TileState& s) { return s.tile == t.physical_index; });
    if (it == state->tiles.end()) {
      return ReportError(name, Error{ErrorCode::kInvalidArgument,
                                     state_path + ": tile " + std::to_string(t.physical_index) +
                                         " of the plan is not in the chip state (programmed for another plan?)"});
    }
    if (it->g_s.rows() != t.target_g_s.rows() || it->g_s.cols() != t.target_g_s.cols()) {
      return ReportError(name, Error{ErrorCode::kInvalidArgument,
                                     state_path + ": tile " + std::to_string(t.physical_index) + " is " +
                                         std::to_string(it->g_s.rows()) + "x" + std::to_string(it->g_s.cols()) +
                                         ", the plan's tiles are " + std::to_string(t.target_g_s.rows()) + "x" +
                                         std::to_string(t.target_g_s.cols())});
    }
    state_tiles.push_back(&*it);
  }
  std::optional<compiler::PulseProgram> program;
  if (!program_path.empty()) {
    auto read = compiler::ReadPulseProgram(program_path);
    if (!read) return ReportError(name, read.error());
    std::vector<compiler::TileTargets> targets;
    for (const auto& t : plan->tiles) targets.push_back({t.physical_index, t.target_g_s});
    const uint32_t expected = compiler::TargetsChecksum(targets);
    if (read->targets_crc32 != 0 && read->targets_crc32 != expected) {  // 0: written before checksums
      return ReportError(name, Error{ErrorCode::kInvalidArgument,
                                     program_path + ": pulse program for targets crc32 " +
                                         std::to_string(read->targets_crc32) + ", the plan has targets crc32 " +
                                         std::to_string(expected) + " (generate it from this plan)"});
    }
    program = std::move(*read);
  }
  auto infer = ReadInfer(infer_path);
  if (!infer) return ReportError(name, WithContext(infer.error(), "--infer"));
  std::optional<InferResult> rtl;
  if (!rtl_path.empty()) {
    auto read = ReadInfer(rtl_path);
    if (!read) return ReportError(name, WithContext(read.error(), "--infer-rtl"));
    rtl = std::move(*read);
  }
  std::optional<FinetuneResult> finetune;
  if (!finetune_path.empty()) {
    auto read = ReadFinetune(finetune_path);
    if (!read) return ReportError(name, WithContext(read.error(), "--finetune"));
    finetune = *read;
  }
  std::optional<EvalResult> eval;
  if (!eval_path.empty()) {
    auto read = ReadEval(eval_path);
    if (!read) return ReportError(name, WithContext(read.error(), "--eval"));
    eval = *read;
  }

  const ConductanceFigure conductance = Conductances(*plan, state_tiles, bins);
  std::optional<PulseFigure> pulses;
  if (program) pulses = Pulses(*program);
  auto irdrop = IrDrop(*plan, tile, *state_tiles[tile], state_path);
  if (!irdrop) return ReportError(name, irdrop.error());

  // Accuracy by compensation mode (in the order they first appear), then by age.
  std::vector<std::string> modes;
  std::vector<double> ages;
  std::map<std::pair<std::string, double>, const AccuracyPoint*> by_mode_age;
  for (const auto& p : infer->points) {
    if (std::find(modes.begin(), modes.end(), p.compensation) == modes.end()) modes.push_back(p.compensation);
    if (std::find(ages.begin(), ages.end(), p.age_s) == ages.end()) ages.push_back(p.age_s);
    by_mode_age[{p.compensation, p.age_s}] = &p;
  }
  std::sort(ages.begin(), ages.end());

  // ---- data files and scripts
  const fs::path dir(out_dir);
  {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir)) {
      return ReportError(name, Error{ErrorCode::kFailedPrecondition,
                                     out_dir + ": cannot create the output folder" +
                                         (ec ? " (" + ec.message() + ")" : std::string(" (a file is in the way)"))});
    }
  }
  std::vector<std::pair<std::string, std::string>> files;  // name, contents

  {  // accuracy against age
    std::string dat = "# xbar report: test accuracy of the programmed chip against its age (" + infer_path +
                      ")\n# one block per drift compensation mode" + std::string(rtl ? ", then the RTL subset" : "") +
                      "\n# age_s accuracy_pct images\n";
    std::string plot = "plot ";
    int index = 0;
    for (const auto& mode : modes) {
      dat += "# compensation: " + mode + "\n";
      for (double age : ages) {
        auto it = by_mode_age.find({mode, age});
        if (it == by_mode_age.end()) continue;
        const AccuracyPoint& p = *it->second;
        dat += Num(age, 10) + " " + Num(100 * p.accuracy, 8) + " " + std::to_string(p.images) + "\n";
      }
      dat += "\n\n";
      plot += std::string(index ? ", \\\n     " : "") + "'accuracy_age.dat' index " + std::to_string(index) +
              " using 1:2 with linespoints lw 2 pt 7 ps 0.8 title 'chip, " + mode + " compensation'";
      ++index;
    }
    if (rtl) {
      dat += "# RTL controller subset (" + rtl_path + ")\n";
      for (const auto& p : rtl->points) {
        dat += Num(p.age_s, 10) + " " + Num(100 * p.accuracy, 8) + " " + std::to_string(p.images) + "\n";
      }
      dat += "\n\n";
      plot += ", \\\n     'accuracy_age.dat' index " + std::to_string(index) +
              " using 1:2 with points pt 9 ps 1.6 lc rgb 'black' title 'RTL controller subset'";
    }
    if (eval) {
      plot += ", \\\n     " + Num(100 * eval->accuracy, 8) +
              " with lines dt 2 lw 2 lc rgb 'gray40' title 'software model'";
    }
    double lo = std::numeric_limits<double>::infinity(), hi = 0;
    std::vector<double> all_ages = ages;
    if (rtl) {
      for (const auto& p : rtl->points) all_ages.push_back(p.age_s);
    }
    for (double age : all_ages) {
      if (age > 0) {
        lo = std::min(lo, age);
        hi = std::max(hi, age);
      }
    }
    if (!(hi > 0)) {
      lo = 1;
      hi = 1;
    }
    lo /= 2;
    hi *= 2;
    // Accuracy axis: every point and the software line, with a margin, within [0, 100].
    double a_lo = 100, a_hi = 0;
    auto cover = [&](double fraction) {
      a_lo = std::min(a_lo, 100 * fraction);
      a_hi = std::max(a_hi, 100 * fraction);
    };
    for (const auto& p : infer->points) cover(p.accuracy);
    if (rtl) {
      for (const auto& p : rtl->points) cover(p.accuracy);
    }
    if (eval) cover(eval->accuracy);
    const double margin = std::max(0.5, 0.08 * (a_hi - a_lo));
    const std::string settings = "set logscale x\nset xrange [" + Num(lo, 10) + ":" + Num(hi, 10) + "]\n" +
                                 "set yrange [" + Num(std::max(0.0, a_lo - margin), 4) + ":" +
                                 Num(std::min(100.0, a_hi + margin), 4) + "]\n" +
                                 AgeTics(lo, hi) +
                                 "set xlabel 'time since programming'\nset ylabel 'test accuracy (%)'\n"
                                 "set grid\nset key bottom left\nset title 'Accuracy against age" +
                                 (infer->dataset.empty() ? std::string() : " (" + infer->dataset + ")") + "'\n";
    files.emplace_back("accuracy_age.dat", dat);
    files.emplace_back("accuracy_age.gp",
                       GnuplotScript("accuracy_age", "Test accuracy of the programmed chip against its age.",
                                     settings, plot));
  }
  {  // conductance histograms
    const auto& c = conductance;
    std::string dat = "# xbar report: conductance of the " + std::to_string(c.cells) +
                      " used cells of the plan, target (" + plan_path + ") and programmed (" + state_path +
                      ")\n# bin_center_us target_cells programmed_cells\n";
    for (std::size_t k = 0; k < c.target.size(); ++k) {
      dat += Num(c.lo_us + (k + 0.5) * c.bin_us, 8) + " " + std::to_string(c.target[k]) + " " +
             std::to_string(c.programmed[k]) + "\n";
    }
    const std::string settings = "set style fill transparent solid 0.45 noborder\nset boxwidth " +
                                 Num(c.bin_us, 8) +
                                 "\nset logscale y\nset yrange [0.8:*]\nset format y '10^{%T}'\n"
                                 "set xlabel 'conductance (µS)'\nset ylabel 'cells'\nset grid\nset key top right\n"
                                 "set title 'Conductances of the used cells: target and programmed'\n";
    const std::string plot =
        "plot 'conductance.dat' using 1:($2 > 0 ? $2 : 1/0) with boxes lc rgb '#1f77b4' title 'target', \\\n"
        "     '' using 1:($3 > 0 ? $3 : 1/0) with boxes lc rgb '#d62728' title 'programmed'";
    files.emplace_back("conductance.dat", dat);
    files.emplace_back("conductance.gp",
                       GnuplotScript("conductance", "Histogram of the target and programmed conductances.", settings,
                                     plot));
  }
  if (pulses) {
    const auto& p = *pulses;
    std::string dat = "# xbar report: programming pulses per cell (" + program_path + "), " +
                      std::to_string(p.cells) + " cells\n# first_pulse_count_of_bin cells\n";
    for (std::size_t k = 0; k < p.counts.size(); ++k) {
      dat += std::to_string(k * p.bin) + " " + std::to_string(p.counts[k]) + "\n";
    }
    const std::string settings = "set style fill solid 0.6 noborder\nset boxwidth " + Num(0.9 * p.bin) +
                                 "\nset logscale y\nset yrange [0.8:*]\nset format y '10^{%T}'\n"
                                 "set xrange [" + Num(-0.6 * p.bin) +
                                 ":*]\nset xlabel 'programming pulses'\nset ylabel 'cells'\nset grid\nunset key\n"
                                 "set title 'Write-verify pulses per cell (mean " + Num(p.mean, 3) + ")'\n";
    const std::string plot = "plot 'pulses.dat' using ($1 + " + Num((p.bin - 1) / 2.0) +
                             "):($2 > 0 ? $2 : 1/0) with boxes lc rgb '#2ca02c'";
    files.emplace_back("pulses.dat", dat);
    files.emplace_back("pulses.gp",
                       GnuplotScript("pulses", "Histogram of programming pulses per cell.", settings, plot));
  }
  {  // IR-drop map
    const auto& f = *irdrop;
    std::string dat = "# xbar report: voltage across each cell of plan tile " + std::to_string(f.plan_tile) +
                      " (physical tile " + std::to_string(f.physical_tile) + "), % of v_read = " +
                      Num(plan->chip.v_read_v) + " V, with its " + std::to_string(f.rows) +
                      " used word lines driven\n# one line per word line, one number per bit line; NaN: word line not driven\n";
    for (Eigen::Index r = 0; r < f.percent.rows(); ++r) {
      for (Eigen::Index c = 0; c < f.percent.cols(); ++c) dat += (c ? " " : "") + Num(f.percent(r, c), 6);
      dat += "\n";
    }
    const std::string settings =
        "set xrange [-0.5:" + Num(f.percent.cols() - 0.5) + "]\nset yrange [" + Num(f.percent.rows() - 0.5) +
        ":-0.5]\nset size ratio -1\nset xlabel 'bit line'\nset ylabel 'word line'\n"
        "set cblabel 'voltage across the cell (% of v_{read})'\n"
        "set palette defined (0 '#440154', 0.25 '#3b528b', 0.5 '#21918c', 0.75 '#5ec962', 1 '#fde725')\n" +
        (f.top_left ? "set object 1 rect from -0.5,-0.5 to " + Num(f.used_columns - 0.5) + "," + Num(f.rows - 0.5) +
                          " front fillstyle empty border lc rgb 'white' lw 1.5\n"
                    : std::string()) +
        "unset key\nset title 'IR drop on plan tile " + std::to_string(f.plan_tile) + " (physical tile " +
        std::to_string(f.physical_tile) + (f.top_left ? "): used block framed'\n" : "): remapped around stuck cells'\n");
    files.emplace_back("irdrop.dat", dat);
    files.emplace_back("irdrop.gp", GnuplotScript("irdrop", "Map of the voltage each cell of one tile sees (IR drop).",
                                                  settings, "plot 'irdrop.dat' matrix with image"));
  }
  for (const auto& [file, contents] : files) {
    if (auto ok = WriteFileAtomic((dir / file).string(), contents); !ok) return ReportError(name, ok.error());
  }
  std::vector<std::string> figures = {"accuracy_age", "conductance", "irdrop"};
  if (pulses) figures.insert(figures.begin() + 2, "pulses");
  for (const auto& stem : figures) {
    if (auto ok = RunGnuplot(dir, stem); !ok) return ReportError(name, ok.error());
  }

  // ---- report.json
  Json accuracy = Json::array();
  for (const auto& p : infer->points) {
    accuracy.push_back(Json::object({{"age", p.age},
                                     {"age_s", p.age_s},
                                     {"compensation", p.compensation},
                                     {"accuracy", p.accuracy},
                                     {"images", p.images}}));
  }
  const auto& c = conductance;
  Json summary = Json::object({{"plan", plan_path},
                               {"state", state_path},
                               {"infer", infer_path},
                               {"dataset", infer->dataset},
                               {"backend", infer->backend},
                               {"accuracy", accuracy},
                               {"per_image", Json::object({{"cycles", infer->cycles_per_image},
                                                           {"latency_s", infer->latency_s},
                                                           {"energy_j", infer->energy_j},
                                                           {"read_energy_j", infer->read_energy_j},
                                                           {"neuron_energy_j", infer->neuron_energy_j},
                                                           {"adc_energy_j", infer->adc_energy_j}})},
                               {"conductance", Json::object({{"cells", c.cells},
                                                             {"error_mean_s", c.error_mean_s},
                                                             {"tolerance_s", plan->chip.programming.verify_tolerance_s},
                                                             {"within_tolerance", c.within_tolerance}})},
                               {"ir_drop", Json::object({{"tile", irdrop->plan_tile},
                                                         {"physical_tile", irdrop->physical_tile},
                                                         {"v_read_v", plan->chip.v_read_v},
                                                         {"min_cell_voltage_pct", irdrop->min_used},
                                                         {"mean_cell_voltage_pct", irdrop->mean_used}})}});
  if (eval) summary["software"] = Json::object({{"accuracy", eval->accuracy}, {"images", eval->samples}});
  if (pulses) {
    const auto& s = program->statistics;
    summary["program"] = Json::object({{"path", program_path},
                                       {"cells", pulses->cells},
                                       {"pulses", pulses->pulses},
                                       {"pulses_per_cell_mean", pulses->mean},
                                       {"pulses_per_cell_max", static_cast<int64_t>(pulses->max)},
                                       {"failed", pulses->failed},
                                       {"energy_j", s.pulse_energy_j + s.read_energy_j},
                                       {"chip_time_s", s.time_parallel_tiles_s}});
  }
  if (finetune) {
    summary["finetune"] = Json::object({{"age", finetune->age},
                                        {"compensation", finetune->compensation},
                                        {"accuracy_before", finetune->before},
                                        {"accuracy_after", finetune->after},
                                        {"cells_reprogrammed", finetune->cells},
                                        {"delta_pulses", finetune->pulses}});
  }
  // The behavioural accuracy at each RTL point's age and compensation, where the main run has it.
  auto behavioural = [&](const AccuracyPoint& p) -> const AccuracyPoint* {
    auto it = by_mode_age.find({p.compensation, p.age_s});
    return it == by_mode_age.end() ? nullptr : it->second;
  };
  if (rtl) {
    Json points = Json::array();
    for (const auto& p : rtl->points) {
      const AccuracyPoint* b = behavioural(p);
      points.push_back(Json::object({{"age", p.age},
                                     {"compensation", p.compensation},
                                     {"accuracy", p.accuracy},
                                     {"images", p.images},
                                     {"behavioural_accuracy", b ? b->accuracy : kNaN},
                                     {"behavioural_images", b ? b->images : 0}}));
    }
    summary["rtl"] = Json::object({{"infer", rtl_path}, {"points", points}});
  }
  Json figure_list = Json::array();
  for (const auto& stem : figures) figure_list.push_back(stem + ".svg");
  summary["figures"] = figure_list;

  // ---- report.html
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>xbar report: "
    << Html(plan->model_name.empty() ? plan_path : plan->model_name) << "</title>\n<style>\n"
    << "body{font-family:Helvetica,Arial,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}\n"
    << "h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin:1.4em 0 .4em}\n"
    << ".sub{color:#666;margin-top:0}table{border-collapse:collapse;margin:.4em 0}\n"
    << "th,td{border:1px solid #ccc;padding:.25em .7em;text-align:right}th{background:#f3f3f3}\n"
    << "td.l,th.l{text-align:left}.grid{display:grid;grid-template-columns:1fr 1fr;gap:1em}\n"
    << ".cards{display:flex;flex-wrap:wrap;gap:1.5em;align-items:flex-start}\n"
    << "figure{margin:0;border:1px solid #ddd;padding:.5em}figure img{width:100%}\n"
    << "figcaption{font-size:.9em;color:#444}.note{color:#666;font-size:.9em}\n</style>\n</head>\n<body>\n";
  h << "<h1>xbar report: " << Html(plan->model_name.empty() ? "model" : plan->model_name) << " on "
    << Html(plan->chip.name) << "</h1>\n<p class=\"sub\">" << plan->TilesUsed() << " tiles of " << plan->chip.tiles.rows
    << "&times;" << plan->chip.tiles.columns << ", " << Html(compiler::MappingSchemeName(plan->scheme))
    << " mapping; test set " << Html(infer->dataset.empty() ? "?" : infer->dataset) << " on the "
    << Html(infer->backend.empty() ? "?" : infer->backend) << " backend. Plan <code>" << Html(plan_path)
    << "</code>, chip state <code>" << Html(state_path) << "</code>.</p>\n";

  h << "<div class=\"cards\">\n<div>\n<h2>Accuracy over the chip's life</h2>\n<table>\n<tr><th class=\"l\">age</th>";
  if (eval) h << "<th>software</th>";
  for (const auto& mode : modes) h << "<th>chip, " << Html(mode) << "</th>";
  h << "</tr>\n";
  for (double age : ages) {
    std::string label = FormatDuration(age);
    for (const auto& mode : modes) {
      auto it = by_mode_age.find({mode, age});
      if (it != by_mode_age.end()) label = it->second->age;
    }
    h << "<tr><td class=\"l\">" << Html(label) << "</td>";
    if (eval) h << "<td>" << Percent(eval->accuracy) << "</td>";
    for (const auto& mode : modes) {
      auto it = by_mode_age.find({mode, age});
      h << "<td>" << (it == by_mode_age.end() ? "&ndash;" : Percent(it->second->accuracy)) << "</td>";
    }
    h << "</tr>\n";
  }
  h << "</table>\n<p class=\"note\">" << Count(static_cast<double>(infer->points.front().images))
    << " test images per point"
    << (eval ? "; software: the model itself (xbar eval), " + Count(eval->samples) + " images" : "")
    << ".</p>\n</div>\n";

  h << "<div>\n<h2>Per image</h2>\n<table>\n"
    << "<tr><td class=\"l\">latency</td><td>" << Si(infer->latency_s, "s") << "</td></tr>\n"
    << "<tr><td class=\"l\">controller cycles</td><td>" << Count(infer->cycles_per_image) << "</td></tr>\n"
    << "<tr><td class=\"l\">energy</td><td>" << Si(infer->energy_j, "J") << "</td></tr>\n"
    << "<tr><td class=\"l\">&nbsp;&nbsp;tile reads</td><td>" << Si(infer->read_energy_j, "J") << "</td></tr>\n"
    << "<tr><td class=\"l\">&nbsp;&nbsp;neurons</td><td>" << Si(infer->neuron_energy_j, "J") << "</td></tr>\n"
    << "<tr><td class=\"l\">&nbsp;&nbsp;output ADC</td><td>" << Si(infer->adc_energy_j, "J") << "</td></tr>\n"
    << "</table>\n</div>\n";

  h << "<div>\n<h2>Programming</h2>\n<table>\n";
  if (pulses) {
    const auto& s = program->statistics;
    h << "<tr><td class=\"l\">cells programmed</td><td>" << Count(static_cast<double>(pulses->cells)) << "</td></tr>\n"
      << "<tr><td class=\"l\">pulses</td><td>" << Count(static_cast<double>(pulses->pulses)) << "</td></tr>\n"
      << "<tr><td class=\"l\">pulses per cell, mean / max</td><td>" << FormatNumber(pulses->mean, 3) << " / "
      << pulses->max << "</td></tr>\n"
      << "<tr><td class=\"l\">cells not converged</td><td>" << Count(static_cast<double>(pulses->failed))
      << "</td></tr>\n"
      << "<tr><td class=\"l\">energy</td><td>" << Si(s.pulse_energy_j + s.read_energy_j, "J") << "</td></tr>\n"
      << "<tr><td class=\"l\">time (tiles in parallel)</td><td>" << Si(s.time_parallel_tiles_s, "s") << "</td></tr>\n";
  } else {
    h << "<tr><td class=\"l\">cells (plan)</td><td>" << Count(static_cast<double>(c.cells)) << "</td></tr>\n";
  }
  h << "<tr><td class=\"l\">mean |G &minus; target|</td><td>" << Si(c.error_mean_s, "S") << "</td></tr>\n"
    << "<tr><td class=\"l\">within &plusmn;" << Si(plan->chip.programming.verify_tolerance_s, "S") << "</td><td>"
    << Percent(c.within_tolerance) << "</td></tr>\n</table>\n</div>\n";

  if (finetune) {
    h << "<div>\n<h2>Chip-in-the-loop fine-tuning</h2>\n<table>\n"
      << "<tr><td class=\"l\">at age, compensation</td><td>" << Html(finetune->age.empty() ? "?" : finetune->age)
      << ", "
      << Html(finetune->compensation.empty() ? "?" : finetune->compensation) << "</td></tr>\n"
      << "<tr><td class=\"l\">accuracy before</td><td>" << Percent(finetune->before) << "</td></tr>\n"
      << "<tr><td class=\"l\">accuracy after</td><td>" << Percent(finetune->after) << "</td></tr>\n"
      << "<tr><td class=\"l\">cells reprogrammed</td><td>" << Count(finetune->cells) << "</td></tr>\n"
      << "<tr><td class=\"l\">delta pulses</td><td>" << Count(finetune->pulses) << "</td></tr>\n"
      << "</table>\n";
    if (finetune->images > 0) {
      h << "<p class=\"note\">" << Count(static_cast<double>(finetune->images)) << " test images.</p>\n";
    }
    h << "</div>\n";
  }
  if (rtl) {
    h << "<div>\n<h2>RTL controller subset</h2>\n<table>\n<tr><th class=\"l\">age, compensation</th><th>RTL</th>"
         "<th>behavioural</th></tr>\n";
    for (const auto& p : rtl->points) {
      const AccuracyPoint* b = behavioural(p);
      h << "<tr><td class=\"l\">" << Html(p.age + ", " + p.compensation) << "</td><td>" << Percent(p.accuracy) << " ("
        << Count(static_cast<double>(p.images)) << " images)</td><td>"
        << (b ? Percent(b->accuracy) + " (" + Count(static_cast<double>(b->images)) + " images)" : "&ndash;")
        << "</td></tr>\n";
    }
    h << "</table>\n<p class=\"note\">The RTL controller runs a subset of the test images: compare with the "
         "behavioural figure over its own image count in mind.</p>\n</div>\n";
  }
  h << "</div>\n";

  h << "<h2>Figures</h2>\n<div class=\"grid\">\n"
    << "<figure><img src=\"accuracy_age.svg\" alt=\"accuracy against age\"><figcaption>Test accuracy against the "
       "time since programming, one line per drift compensation mode.</figcaption></figure>\n"
    << "<figure><img src=\"conductance.svg\" alt=\"conductance histograms\"><figcaption>Conductances of the "
    << Count(static_cast<double>(c.cells))
    << " used cells: targets of the plan and what the chip state holds.</figcaption></figure>\n";
  if (pulses) {
    h << "<figure><img src=\"pulses.svg\" alt=\"pulses per cell\"><figcaption>Write-verify pulses per cell ("
      << Count(static_cast<double>(pulses->cells)) << " cells).</figcaption></figure>\n";
  } else {
    h << "<figure><p class=\"note\">No pulse program was given (<code>--program</code>): no pulses-per-cell "
         "figure.</p></figure>\n";
  }
  h << "<figure><img src=\"irdrop.svg\" alt=\"IR-drop map\"><figcaption>Voltage across each cell of plan tile "
    << irdrop->plan_tile << " (physical " << irdrop->physical_tile << ") with its " << irdrop->rows
    << " used word lines at v<sub>read</sub> = " << FormatNumber(plan->chip.v_read_v) << " V: used cells see "
    << FormatNumber(irdrop->min_used, 4) << "&ndash;100%, " << FormatNumber(irdrop->mean_used, 4)
    << "% on average.</figcaption></figure>\n</div>\n";
  h << "<p class=\"note\">Data and gnuplot scripts sit next to this page (<code>*.dat</code>, <code>*.gp</code>); "
       "PNG copies of the figures too. Made by <code>xbar report</code>.</p>\n</body>\n</html>\n";

  if (auto ok = WriteFileAtomic((dir / "report.json").string(), DumpJson(summary) + "\n"); !ok) {
    return ReportError(name, ok.error());
  }
  if (auto ok = WriteFileAtomic((dir / "report.html").string(), h.str()); !ok) return ReportError(name, ok.error());
  if (!common.quiet) {
    std::fprintf(stderr, "wrote %s: %zu figures (SVG and PNG), report.json, report.html\n", out_dir.c_str(),
                 figures.size());
  }
  EmitJson(common, summary);
  return 0;
}

}  // namespace xbar::tools
