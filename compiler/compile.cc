// The compile pipeline: pass metadata, option parsing, and the quantize/tile/place/compensate passes.
#include "compiler/compile.h"

#include <omp.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "device_models/tile_circuit.h"
#include "support/duration.h"

namespace xbar::compiler {
namespace {

namespace dm = device_models;

constexpr PassOptionInfo kQuantizeOptions[] = {
    {"scheme", "enum", "auto",
     "auto|differential|offset: W = s (G+ - G-) on two bit lines, or W = s (G - G_ref) with one "
     "reference column per tile; auto follows the chip's columns_per_neuron"},
    {"scale", "enum", "layer", "layer|column: one scale factor per layer or per output neuron"},
    {"clip", "enum", "max", "max|value|percentile: how the clip |w| <= w_clip of a scale group is chosen"},
    {"clip-value", "double", "0", "clip=value: the clip, weight units (> 0)"},
    {"clip-percentile", "double", "99.9", "clip=percentile: percentile of |w| per scale group, (0, 100]"},
};
constexpr PassStatisticInfo kQuantizeStatistics[] = {
    {"weights", "count", "weights quantised"},
    {"clipped-weights", "count", "weights beyond their clip value"},
    {"rms-error-max", "relative", "worst layer's ||W_q - W||_F / ||W||_F"},
    {"levels", "count", "conductance levels per cell"},
};
constexpr PassStatisticInfo kTileStatistics[] = {
    {"tiles", "count", "tiles the layers were split into"},
    {"cells", "count", "cells used (weights plus reference columns)"},
};
constexpr PassStatisticInfo kPlaceStatistics[] = {
    {"tiles-used", "count", "chip tiles holding a part of the model"},
    {"tiles-available", "count", "tiles on the chip"},
    {"tile-utilisation", "fraction", "tiles used / tiles on the chip"},
    {"cell-utilisation", "fraction", "used cells / usable (non-spare) cells of the tiles used"},
};
constexpr PassOptionInfo kRemapOptions[] = {
    {"age", "duration", "1d", "age of use: stuck cells are counted at the drift-compensation gain of this age"},
    {"rounds", "int", "4", "alternations of row and column assignment per tile, [1, 100]"},
};
constexpr PassStatisticInfo kRemapStatistics[] = {
    {"tiles-with-faults", "count", "tiles with a stuck cell"},
    {"tiles-remapped", "count", "tiles whose rows or bit lines moved"},
    {"rows-moved", "count", "used rows moved to another word line (spares included)"},
    {"columns-moved", "count", "used bit lines moved to another physical bit line"},
    {"harmful-before", "count", "weights a stuck cell leaves wrong beyond the verify tolerance, top-left placement"},
    {"harmful-after", "count", "the same after remapping"},
    {"stuck-gain", "ratio", "drift-compensation gain stuck cells were counted at"},
};
constexpr PassOptionInfo kCompensateOptions[] = {
    {"enable", "bool", "true", "true|false: pre-distort the targets against IR drop"},
    {"iterations", "int", "8", "fixed-point steps per tile, [1, 1000]"},
    {"step", "double", "1", "fixed-point step size, (0, 2]"},
    {"tolerance", "double", "0.001", "stop a tile at this relative residual, [0, 1)"},
};
constexpr PassStatisticInfo kCompensateStatistics[] = {
    {"residual-before", "relative", "mean over tiles of ||M(G)^T - G||_F / ||G||_F with the plain targets"},
    {"residual-after", "relative", "the same with the compensated targets"},
    {"residual-after-max", "relative", "worst tile after compensation"},
    {"evaluations", "count", "exact effective-matrix solves"},
};

constexpr PassInfo kPasses[] = {
    {"quantize", "weights to the chip's conductance levels (differential or offset, per-layer or per-column scale, clipping)",
     kQuantizeOptions, kQuantizeStatistics},
    {"tile", "split each layer over tiles of the chip's usable rows x columns (row-split tiles add currents)",
     {}, kTileStatistics},
    {"place", "assign tiles to the chip's arrays; fails when the model does not fit", {}, kPlaceStatistics},
    {"remap", "with a fault map (xbar compile --faults): move used rows and bit lines off stuck cells, spares included",
     kRemapOptions, kRemapStatistics},
    {"compensate", "pre-distort target conductances so each tile's effective matrix under IR drop matches G",
     kCompensateOptions, kCompensateStatistics},
};

const PassInfo& Info(std::string_view name) {
  for (const auto& pass : kPasses) {
    if (pass.name == name) return pass;
  }
  XBAR_CHECK(false);
  return kPasses[0];
}

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string Flag(std::string_view pass, std::string_view option) {
  return "--" + std::string(pass) + "-" + std::string(option);
}

Expected<double> ParseDouble(std::string_view flag, std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return Fail(ErrorCode::kInvalidArgument, std::string(flag) + " '" + std::string(text) + "' must be a number");
  }
  return value;
}

Expected<void> InRange(std::string_view flag, double value, double lo, double hi, bool lo_open, bool hi_open) {
  const bool ok = (lo_open ? value > lo : value >= lo) && (hi_open ? value < hi : value <= hi);
  if (ok) return {};
  return Fail(ErrorCode::kInvalidArgument, std::string(flag) + " = " + Num(value) + " must lie in " +
                                               (lo_open ? "(" : "[") + Num(lo) + ", " + Num(hi) +
                                               (hi_open ? ")" : "]"));
}

Expected<void> BadChoice(std::string_view flag, std::string_view text, const char* choices) {
  return Fail(ErrorCode::kInvalidArgument,
              std::string(flag) + " '" + std::string(text) + "' must be " + choices);
}

// Nearest-rank percentile of |values|.
double AbsPercentile(std::vector<double> values, double percentile) {
  for (double& v : values) v = std::abs(v);
  const auto n = values.size();
  auto rank = static_cast<std::size_t>(std::ceil(percentile / 100.0 * static_cast<double>(n) - 1e-9));
  rank = std::clamp<std::size_t>(rank, 1, n);
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(rank - 1), values.end());
  return values[rank - 1];
}

// The conductance the circuit sees for every cell: targets, unused cells at g_min.
Eigen::MatrixXd Physical(const PlanTile& tile, double g_min_s) {
  return tile.target_g_s.unaryExpr([g_min_s](double g) { return std::isnan(g) ? g_min_s : g; });
}

// Level k's conductance, kept inside the window against rounding at the top level.
double LevelS(const dm::ChipSpec& chip, int k) {
  return std::clamp(chip.LevelS(k), chip.device.memristor.g_min_s, chip.device.memristor.g_max_s);
}

}  // namespace

std::span<const PassInfo> Passes() { return kPasses; }

std::string FormatPassList() {
  std::string out = "passes, in pipeline order (options are --<pass>-<option>):\n";
  for (const auto& pass : kPasses) {
    out += "\n  " + std::string(pass.name) + ": " + std::string(pass.summary) + "\n";
    for (const auto& option : pass.options) {
      out += "    " + Flag(pass.name, option.name) + " (" + std::string(option.type) + ", default " +
             std::string(option.default_value) + "): " + std::string(option.help) + "\n";
    }
    for (const auto& stat : pass.statistics) {
      out += "    statistic " + std::string(stat.name) + " [" + std::string(stat.unit) + "]: " +
             std::string(stat.help) + "\n";
    }
  }
  return out;
}

Expected<void> SetPassOption(CompileOptions& options, std::string_view pass, std::string_view option,
                             std::string_view value) {
  const std::string flag = Flag(pass, option);
  QuantizeOptions& q = options.quantize;
  CompensateOptions& c = options.compensate;
  if (pass == "quantize" && option == "scheme") {
    if (value == "auto") q.scheme = QuantizeOptions::Scheme::kAuto;
    else if (value == "differential") q.scheme = QuantizeOptions::Scheme::kDifferential;
    else if (value == "offset") q.scheme = QuantizeOptions::Scheme::kOffset;
    else return BadChoice(flag, value, "auto, differential or offset");
    return {};
  }
  if (pass == "quantize" && option == "scale") {
    if (value == "layer") q.scale = ScaleGranularity::kLayer;
    else if (value == "column") q.scale = ScaleGranularity::kColumn;
    else return BadChoice(flag, value, "layer or column");
    return {};
  }
  if (pass == "quantize" && option == "clip") {
    if (value == "max") q.clip = ClipMode::kMax;
    else if (value == "value") q.clip = ClipMode::kValue;
    else if (value == "percentile") q.clip = ClipMode::kPercentile;
    else return BadChoice(flag, value, "max, value or percentile");
    return {};
  }
  if (pass == "compensate" && option == "enable") {
    if (value == "true" || value == "on" || value == "1") c.enabled = true;
    else if (value == "false" || value == "off" || value == "0") c.enabled = false;
    else return BadChoice(flag, value, "true or false");
    return {};
  }
  if (pass == "remap" && option == "age") {
    auto age = ParseDuration(value);
    if (!age) return std::unexpected(WithContext(age.error(), flag));
    options.remap.age_s = *age;
    return {};
  }
  auto number = ParseDouble(flag, value);
  if (!number) return std::unexpected(number.error());
  const double v = *number;
  if (pass == "quantize" && option == "clip-value") {
    if (auto ok = InRange(flag, v, 0, 1e30, true, false); !ok) return ok;
    q.clip_value = v;
  } else if (pass == "quantize" && option == "clip-percentile") {
    if (auto ok = InRange(flag, v, 0, 100, true, false); !ok) return ok;
    q.clip_percentile = v;
  } else if (pass == "compensate" && option == "iterations") {
    if (v != std::floor(v)) return Fail(ErrorCode::kInvalidArgument, flag + " = " + Num(v) + " must be a whole number");
    if (auto ok = InRange(flag, v, 1, 1000, false, false); !ok) return ok;
    c.iterations = static_cast<int>(v);
  } else if (pass == "remap" && option == "rounds") {
    if (v != std::floor(v)) return Fail(ErrorCode::kInvalidArgument, flag + " = " + Num(v) + " must be a whole number");
    if (auto ok = InRange(flag, v, 1, 100, false, false); !ok) return ok;
    options.remap.rounds = static_cast<int>(v);
  } else if (pass == "compensate" && option == "step") {
    if (auto ok = InRange(flag, v, 0, 2, true, false); !ok) return ok;
    c.step = v;
  } else if (pass == "compensate" && option == "tolerance") {
    if (auto ok = InRange(flag, v, 0, 1, false, true); !ok) return ok;
    c.tolerance = v;
  } else {
    return Fail(ErrorCode::kInvalidArgument, "unknown pass option " + flag + " (see --list-passes)");
  }
  return {};
}

Expected<CompileState> StartCompile(const Model& model, const dm::ChipSpec& chip) {
  if (auto ok = model.Validate(); !ok) return std::unexpected(WithContext(ok.error(), "model"));
  if (auto ok = chip.Validate(); !ok) return std::unexpected(WithContext(ok.error(), "chip"));
  CompileState state;
  state.model = &model;
  state.plan.model_name = model.name;
  state.plan.neuron = model.neuron;
  state.plan.encoding = model.encoding;
  state.plan.chip = chip;
  return state;
}

Expected<void> QuantizePass(const QuantizeOptions& options, CompileState& state, PassReport& report) {
  Plan& plan = state.plan;
  const dm::ChipSpec& chip = plan.chip;
  const int levels = chip.conductance_levels;
  MappingScheme scheme = chip.columns_per_neuron == 2 ? MappingScheme::kDifferential : MappingScheme::kOffset;
  if (options.scheme == QuantizeOptions::Scheme::kDifferential) scheme = MappingScheme::kDifferential;
  if (options.scheme == QuantizeOptions::Scheme::kOffset) scheme = MappingScheme::kOffset;
  const int needed_columns = scheme == MappingScheme::kDifferential ? 2 : 1;
  if (chip.columns_per_neuron != needed_columns) {
    return Fail(ErrorCode::kInvalidArgument,
                std::string("--quantize-scheme ") + MappingSchemeName(scheme) + " needs a chip with columns_per_neuron = " +
                    std::to_string(needed_columns) + " but chip '" + chip.name + "' has " +
                    std::to_string(chip.columns_per_neuron) + " (use --quantize-scheme auto)");
  }
  if (scheme == MappingScheme::kOffset && levels < 3) {
    return Fail(ErrorCode::kInvalidArgument, "--quantize-scheme offset needs at least 3 conductance levels but chip '" +
                                                 chip.name + "' has " + std::to_string(levels));
  }
  if (options.clip == ClipMode::kValue && !(options.clip_value > 0)) {
    return Fail(ErrorCode::kInvalidArgument, "--quantize-clip value needs --quantize-clip-value > 0");
  }
  plan.scheme = scheme;
  plan.scale_granularity = options.scale;
  plan.clip_mode = options.clip;
  plan.clip_value = options.clip == ClipMode::kValue ? options.clip_value : 0;
  plan.clip_percentile = options.clip == ClipMode::kPercentile ? options.clip_percentile : 0;
  const int reference = scheme == MappingScheme::kOffset ? (levels - 1) / 2 : -1;
  // Level steps available on each side of zero.
  const int steps = scheme == MappingScheme::kDifferential ? levels - 1 : std::min(reference, levels - 1 - reference);
  const double spacing_s = chip.LevelSpacingS();

  int64_t weights = 0, clipped = 0;
  double worst = 0;
  plan.layers.clear();
  state.layer_levels.clear();
  for (const Eigen::MatrixXf& w : state.model->weights) {
    PlanLayer layer;
    layer.inputs = static_cast<int>(w.cols());
    layer.outputs = static_cast<int>(w.rows());
    layer.reference_level = reference;
    const Eigen::MatrixXd wd = w.cast<double>();
    // Clip value per output, from its scale group (the layer or the output's row of W).
    auto group_clip = [&](const Eigen::MatrixXd& group) {
      switch (options.clip) {
        case ClipMode::kMax: return group.cwiseAbs().maxCoeff();
        case ClipMode::kValue: return options.clip_value;
        case ClipMode::kPercentile:
          return AbsPercentile(std::vector<double>(group.data(), group.data() + group.size()), options.clip_percentile);
      }
      return 0.0;
    };
    const double layer_clip = options.scale == ScaleGranularity::kLayer ? group_clip(wd) : 0.0;
    Eigen::MatrixXi q_levels(layer.inputs, scheme == MappingScheme::kDifferential ? 2 * layer.outputs : layer.outputs);
    double err2 = 0, max_err = 0;
    int64_t layer_clipped = 0;
    for (int o = 0; o < layer.outputs; ++o) {
      double clip = options.scale == ScaleGranularity::kLayer ? layer_clip : group_clip(wd.row(o));
      if (!(clip > 0)) clip = 1.0;  // an all-zero group: any scale represents it exactly
      layer.clip.push_back(clip);
      layer.scale.push_back(clip / (steps * spacing_s));
      for (int i = 0; i < layer.inputs; ++i) {
        const double v = wd(o, i);
        layer_clipped += std::abs(v) > clip ? 1 : 0;
        const int q = static_cast<int>(std::lround(std::clamp(v, -clip, clip) / clip * steps));
        if (scheme == MappingScheme::kDifferential) {
          q_levels(i, 2 * o) = std::max(q, 0);
          q_levels(i, 2 * o + 1) = std::max(-q, 0);
        } else {
          q_levels(i, o) = reference + q;
        }
        const double e = q * clip / steps - v;
        err2 += e * e;
        max_err = std::max(max_err, std::abs(e));
      }
    }
    const double norm = wd.norm();
    layer.rms_error = norm > 0 ? std::sqrt(err2) / norm : 0.0;
    layer.max_abs_error = max_err;
    const int64_t count = int64_t{layer.inputs} * layer.outputs;
    weights += count;
    clipped += layer_clipped;
    layer.clipped_fraction = static_cast<double>(layer_clipped) / static_cast<double>(count);
    plan.layers.push_back(std::move(layer));
    state.layer_levels.push_back(std::move(q_levels));
    worst = std::max(worst, plan.layers.back().rms_error);
  }
  report.statistics = {{"weights", static_cast<double>(weights), "count"},
                       {"clipped-weights", static_cast<double>(clipped), "count"},
                       {"rms-error-max", worst, "relative"},
                       {"levels", static_cast<double>(levels), "count"}};
  return {};
}

Expected<void> TilePass(CompileState& state, PassReport& report) {
  Plan& plan = state.plan;
  XBAR_CHECK(state.layer_levels.size() == plan.layers.size());
  const auto& geometry = plan.chip.tiles;
  const bool differential = plan.scheme == MappingScheme::kDifferential;
  const int rows_per_tile = geometry.usable_rows();
  const int outputs_per_tile = differential ? geometry.usable_columns() / 2 : geometry.usable_columns() - 1;
  if (outputs_per_tile < 1) {
    return Fail(ErrorCode::kInvalidArgument,
                "tiles have " + std::to_string(geometry.usable_columns()) + " usable column(s) but the " +
                    MappingSchemeName(plan.scheme) + " scheme needs at least 2 (use a chip with more columns)");
  }
  plan.tiles.clear();
  int64_t cells = 0;
  for (std::size_t l = 0; l < plan.layers.size(); ++l) {
    PlanLayer& layer = plan.layers[l];
    const Eigen::MatrixXi& q = state.layer_levels[l];
    layer.tiles.clear();
    for (int out0 = 0; out0 < layer.outputs; out0 += outputs_per_tile) {
      for (int in0 = 0; in0 < layer.inputs; in0 += rows_per_tile) {
        PlanTile tile;
        tile.layer = static_cast<int>(l);
        tile.row_offset = in0;
        tile.column_offset = out0;
        tile.rows = std::min(rows_per_tile, layer.inputs - in0);
        tile.outputs = std::min(outputs_per_tile, layer.outputs - out0);
        tile.used_columns = differential ? 2 * tile.outputs : tile.outputs + 1;
        tile.spare_rows = geometry.rows - tile.rows;
        tile.spare_columns = geometry.columns - tile.used_columns;
        tile.MapTopLeft();
        tile.levels = Eigen::MatrixXi::Constant(geometry.rows, geometry.columns, -1);
        tile.target_g_s = Eigen::MatrixXd::Constant(geometry.rows, geometry.columns, kNotMeasured);
        const int logical0 = differential ? 2 * out0 : out0;
        const int logical_columns = differential ? tile.used_columns : tile.outputs;
        tile.levels.topLeftCorner(tile.rows, logical_columns) = q.block(in0, logical0, tile.rows, logical_columns);
        if (!differential) tile.levels.col(tile.outputs).head(tile.rows).setConstant(layer.reference_level);
        for (int c = 0; c < tile.used_columns; ++c) {
          for (int r = 0; r < tile.rows; ++r) tile.target_g_s(r, c) = LevelS(plan.chip, tile.levels(r, c));
        }
        cells += int64_t{tile.rows} * tile.used_columns;
        layer.tiles.push_back(static_cast<int>(plan.tiles.size()));
        plan.tiles.push_back(std::move(tile));
      }
    }
  }
  report.statistics = {{"tiles", static_cast<double>(plan.tiles.size()), "count"},
                       {"cells", static_cast<double>(cells), "count"}};
  return {};
}

Expected<void> PlacePass(CompileState& state, PassReport& report) {
  Plan& plan = state.plan;
  const auto& geometry = plan.chip.tiles;
  const auto needed = static_cast<int64_t>(plan.tiles.size());
  if (needed > geometry.count) {
    return Fail(ErrorCode::kFailedPrecondition,
                "plan needs " + std::to_string(needed) + " tiles of " + std::to_string(geometry.rows) + "x" +
                    std::to_string(geometry.columns) + " but the chip has " + std::to_string(geometry.count) +
                    " (use a larger --chip)");
  }
  // Tiles go to the arrays in order: a layer's tiles sit side by side, those feeding the same
  // outputs next to each other.
  for (std::size_t t = 0; t < plan.tiles.size(); ++t) plan.tiles[t].physical_index = static_cast<int>(t);
  report.statistics = {
      {"tiles-used", static_cast<double>(needed), "count"},
      {"tiles-available", static_cast<double>(geometry.count), "count"},
      {"tile-utilisation", static_cast<double>(needed) / geometry.count, "fraction"},
      {"cell-utilisation", plan.CellUtilisation(), "fraction"}};
  return {};
}

Expected<void> RemapPass(const RemapOptions& options, CompileState& state, PassReport& report) {
  auto remap = RemapAroundStuckCells(state.plan, options);
  if (!remap) return std::unexpected(remap.error());
  report.statistics = {{"tiles-with-faults", static_cast<double>(remap->tiles_with_faults), "count"},
                       {"tiles-remapped", static_cast<double>(remap->tiles_remapped), "count"},
                       {"rows-moved", static_cast<double>(remap->rows_moved), "count"},
                       {"columns-moved", static_cast<double>(remap->columns_moved), "count"},
                       {"harmful-before", static_cast<double>(remap->harmful_before), "count"},
                       {"harmful-after", static_cast<double>(remap->harmful_after), "count"},
                       {"stuck-gain", remap->stuck_gain, "ratio"}};
  return {};
}

void CompensateTile(const dm::ChipSpec& chip, const CompensateOptions& options, PlanTile& tile) {
  const double g_min = chip.device.memristor.g_min_s, g_max = chip.device.memristor.g_max_s;
  const Eigen::MatrixXd ideal = Physical(tile, g_min);
  const Eigen::MatrixXd ideal_used = tile.UsedBlock(ideal);
  const double ideal_norm = ideal_used.norm();
  Eigen::MatrixXd g = ideal, best = ideal;
  double best_residual = 0;
  int evaluations = 0;
  for (int it = 0; it <= options.iterations; ++it) {
    auto circuit = dm::TileCircuit::Create(g, chip.wires);
    XBAR_CHECK(circuit.has_value());
    const Eigen::MatrixXd effective = circuit->EffectiveMatrix().transpose();
    const Eigen::MatrixXd error = tile.UsedBlock(effective) - ideal_used;
    ++evaluations;
    const double residual = ideal_norm > 0 ? error.norm() / ideal_norm : 0.0;
    if (it == 0) tile.residual_before = residual;
    if (it == 0 || residual < best_residual) {
      best_residual = residual;
      best = g;
    }
    if (residual <= options.tolerance || it == options.iterations) break;
    const Eigen::MatrixXd next = (tile.UsedBlock(g) - options.step * error).cwiseMax(g_min).cwiseMin(g_max);
    tile.UsedBlock(g) = next;
  }
  tile.residual_after = best_residual;
  tile.compensation_iterations = evaluations;
  const Eigen::MatrixXd chosen = tile.UsedBlock(best);
  tile.UsedBlock(tile.target_g_s) = chosen;
}

Expected<void> CompensatePass(const CompensateOptions& options, int threads, CompileState& state,
                              PassReport& report) {
  Plan& plan = state.plan;
  const int n = static_cast<int>(plan.tiles.size());
  // Each tile is independent, so the result does not depend on the thread count or schedule.
#pragma omp parallel for schedule(dynamic) num_threads(threads > 0 ? threads : omp_get_max_threads())
  for (int t = 0; t < n; ++t) CompensateTile(plan.chip, options, plan.tiles[static_cast<std::size_t>(t)]);
  plan.compensated = true;
  double before = 0, after = 0, worst = 0;
  int64_t evaluations = 0;
  for (const auto& tile : plan.tiles) {
    before += tile.residual_before;
    after += tile.residual_after;
    worst = std::max(worst, tile.residual_after);
    evaluations += tile.compensation_iterations;
  }
  const double count = std::max(n, 1);
  report.statistics = {{"residual-before", before / count, "relative"},
                       {"residual-after", after / count, "relative"},
                       {"residual-after-max", worst, "relative"},
                       {"evaluations", static_cast<double>(evaluations), "count"}};
  return {};
}

void PopulatePipeline(const CompileOptions& options, std::vector<Pass>& pipeline) {
  pipeline.push_back({&Info("quantize"), [q = options.quantize](CompileState& s, PassReport& r) {
                        return QuantizePass(q, s, r);
                      }});
  pipeline.push_back({&Info("tile"), [](CompileState& s, PassReport& r) { return TilePass(s, r); }});
  pipeline.push_back({&Info("place"), [](CompileState& s, PassReport& r) { return PlacePass(s, r); }});
  if (!options.remap.faults.empty()) {
    pipeline.push_back({&Info("remap"), [&r = options.remap](CompileState& s, PassReport& report) {
                          return RemapPass(r, s, report);
                        }});
  }
  if (options.compensate.enabled) {
    pipeline.push_back({&Info("compensate"), [c = options.compensate, threads = options.threads](
                                                 CompileState& s, PassReport& r) {
                          return CompensatePass(c, threads, s, r);
                        }});
  }
}

Expected<Plan> Compile(const Model& model, const dm::ChipSpec& chip, const CompileOptions& options) {
  const auto start = Clock::now();
  auto state = StartCompile(model, chip);
  if (!state) return std::unexpected(state.error());
  std::vector<Pass> pipeline;
  PopulatePipeline(options, pipeline);
  for (const Pass& pass : pipeline) {
    PassReport report;
    report.pass = std::string(pass.info->name);
    const auto pass_start = Clock::now();
    if (auto ok = pass.run(*state, report); !ok) return std::unexpected(ok.error());
    report.seconds = Seconds(pass_start);
    state->plan.passes.push_back(std::move(report));
  }
  state->plan.compile_seconds = Seconds(start);
  return std::move(state->plan);
}

}  // namespace xbar::compiler
