// The report's figures as data: conductance and pulse histograms, a tile's IR-drop map, accuracy over age.
#include "runtime/report/figure_data.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "device_models/tile_circuit.h"

namespace xbar::runtime::report {

Expected<std::vector<const device_models::TileState*>> StateTilesOfPlan(const compiler::Plan& plan,
                                                                       const device_models::ChipState& state,
                                                                       const std::string& state_path) {
  std::vector<const device_models::TileState*> tiles;
  for (const auto& t : plan.tiles) {
    auto it = std::find_if(state.tiles.begin(), state.tiles.end(),
                           [&](const device_models::TileState& s) { return s.tile == t.physical_index; });
    if (it == state.tiles.end()) {
      return Fail(ErrorCode::kInvalidArgument, state_path + ": tile " + std::to_string(t.physical_index) +
                                                   " of the plan is not in the chip state (programmed for "
                                                   "another plan?)");
    }
    if (it->g_s.rows() != t.target_g_s.rows() || it->g_s.cols() != t.target_g_s.cols()) {
      return Fail(ErrorCode::kInvalidArgument,
                  state_path + ": tile " + std::to_string(t.physical_index) + " is " + std::to_string(it->g_s.rows()) +
                      "x" + std::to_string(it->g_s.cols()) + ", the plan's tiles are " +
                      std::to_string(t.target_g_s.rows()) + "x" + std::to_string(t.target_g_s.cols()));
    }
    tiles.push_back(&*it);
  }
  return tiles;
}

ConductanceHistogram ConductanceData(const compiler::Plan& plan,
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
  ConductanceHistogram f;
  f.cells = static_cast<int64_t>(target.size());
  f.tolerance_s = plan.chip.programming.verify_tolerance_s;
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
  auto bin = [&](double g) { return std::clamp(static_cast<int>((g * 1e6 - f.lo_us) / f.bin_us), 0, bins - 1); };
  double error = 0;
  int64_t within = 0;
  for (std::size_t i = 0; i < target.size(); ++i) {
    ++f.target[bin(target[i])];
    ++f.programmed[bin(programmed[i])];
    const double e = std::abs(programmed[i] - target[i]);
    error += e;
    within += e <= f.tolerance_s;
  }
  if (f.cells > 0) {
    f.error_mean_s = error / f.cells;
    f.within_tolerance = static_cast<double>(within) / f.cells;
  }
  return f;
}

PulseHistogram PulseData(const compiler::PulseProgram& program) {
  PulseHistogram f;
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
  f.energy_j = program.statistics.pulse_energy_j + program.statistics.read_energy_j;
  f.chip_time_s = program.statistics.time_parallel_tiles_s;
  return f;
}

Expected<IrDropMap> IrDropData(const compiler::Plan& plan, int t, const device_models::TileState& state,
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
  IrDropMap f;
  f.plan_tile = t;
  f.physical_tile = tile.physical_index;
  f.rows = tile.rows;
  f.used_columns = tile.used_columns;
  f.top_left = tile.IsTopLeft();
  f.v_read_v = v_read;
  f.percent = 100.0 * (solution->row_v - solution->col_v) / v_read;
  const Eigen::MatrixXd used = tile.UsedBlock(f.percent);
  for (Eigen::Index r = 0; r < v.rows(); ++r) {
    if (v(r, 0) == 0) f.percent.row(r).setConstant(std::numeric_limits<double>::quiet_NaN());
  }
  f.min_used = used.size() > 0 ? used.minCoeff() : std::numeric_limits<double>::quiet_NaN();
  f.mean_used = used.size() > 0 ? used.mean() : std::numeric_limits<double>::quiet_NaN();
  return f;
}

const AgePoint* AccuracyTable::Find(DriftCompensation compensation, double age_s) const {
  const auto c = std::find(compensations.begin(), compensations.end(), compensation) - compensations.begin();
  const auto a = std::find(ages_s.begin(), ages_s.end(), age_s) - ages_s.begin();
  if (c == std::ssize(compensations) || a == std::ssize(ages_s) || !points[c][a]) return nullptr;
  return &*points[c][a];
}

AccuracyTable AccuracyData(const ChipEvalReport& run) {
  AccuracyTable t;
  for (const auto& p : run.points) {
    if (std::find(t.compensations.begin(), t.compensations.end(), p.compensation) == t.compensations.end()) {
      t.compensations.push_back(p.compensation);
    }
    if (std::find(t.ages_s.begin(), t.ages_s.end(), p.age_s) == t.ages_s.end()) t.ages_s.push_back(p.age_s);
  }
  std::sort(t.ages_s.begin(), t.ages_s.end());
  t.points.assign(t.compensations.size(), std::vector<std::optional<AgePoint>>(t.ages_s.size()));
  for (const auto& p : run.points) {
    const auto c = std::find(t.compensations.begin(), t.compensations.end(), p.compensation) - t.compensations.begin();
    const auto a = std::find(t.ages_s.begin(), t.ages_s.end(), p.age_s) - t.ages_s.begin();
    t.points[c][a] = p;
  }
  return t;
}

}  // namespace xbar::runtime::report
