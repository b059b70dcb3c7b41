// Partner re-targeting: the differential partner of a cell write-verify could not program keeps the weight.
#include "compiler/repair.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>

#include "device_models/nonidealities.h"

namespace xbar::compiler {

double StuckGainAtAge(const Plan& plan, double age_s) {
  const auto& drift = plan.chip.device.nonidealities.drift;
  device_models::DeviceInstance median;  // drift_z = 0: the median exponent
  double programmed = 0, drifted = 0;
  for (const PlanTile& tile : plan.tiles) {
    for (const double g : tile.UsedBlock(tile.target_g_s).reshaped()) {
      programmed += g;
      drifted += drift.Apply(median, g, age_s);
    }
  }
  return drifted > 0 ? programmed / drifted : 1.0;
}

Expected<RepairResult> RetargetPartners(const Plan& plan, const PulseProgram& program, double stuck_gain) {
  if (!(stuck_gain > 0) || !std::isfinite(stuck_gain)) {
    return Fail(ErrorCode::kInvalidArgument, "repair: stuck gain " + std::to_string(stuck_gain) + " must be > 0");
  }
  const uint32_t checksum = PlanTargetsChecksum(plan);
  if (program.targets_crc32 != checksum) {
    return Fail(ErrorCode::kInvalidArgument, "repair: the pulse program's targets crc32 " +
                                                 std::to_string(program.targets_crc32) + " is not the plan's " +
                                                 std::to_string(checksum) + " (a program of another plan)");
  }
  std::map<int, std::size_t> plan_tile;
  for (std::size_t t = 0; t < plan.tiles.size(); ++t) plan_tile[plan.tiles[t].physical_index] = t;
  const double lo = plan.chip.device.memristor.g_min_s, hi = plan.chip.device.memristor.g_max_s;
  const double tolerance = program.tolerance_s;

  RepairResult result;
  result.plan = plan;
  for (const TileProgram& tp : program.tiles) {
    auto it = plan_tile.find(tp.tile);
    if (it == plan_tile.end()) continue;
    PlanTile& tile = result.plan.tiles[it->second];
    const Eigen::MatrixXd& original = plan.tiles[it->second].target_g_s;
    // Where each cell ended: its last verify read.
    Eigen::MatrixXd final_g = Eigen::MatrixXd::Constant(original.rows(), original.cols(),
                                                        std::numeric_limits<double>::quiet_NaN());
    const std::vector<int> used_row = tile.UsedRowOf(static_cast<int>(original.rows()));
    const std::vector<int> used_column = tile.UsedColumnOf(static_cast<int>(original.cols()));
    std::vector<const CellProgram*> failed;
    std::size_t read = 0;
    for (const CellProgram& cell : tp.cells) {
      read += cell.pulses + 1;
      final_g(cell.row, cell.column) = tp.read_codes[read - 1] * program.verify_lsb_s;
      if (cell.outcome != CellOutcome::kConverged && used_row[cell.row] >= 0 && used_column[cell.column] >= 0) {
        failed.push_back(&cell);
      }
    }
    TileTargets delta{tp.tile, Eigen::MatrixXd::Constant(original.rows(), original.cols(),
                                                         std::numeric_limits<double>::quiet_NaN())};
    bool any = false;
    for (const CellProgram* cell : failed) {
      ++result.failed_cells;
      if (cell->outcome == CellOutcome::kStuck) ++result.stuck_cells;
      const int r = cell->row, c = cell->column;
      const double seen = cell->outcome == CellOutcome::kStuck ? stuck_gain * final_g(r, c) : final_g(r, c);
      const double error = seen - original(r, c);
      tile.target_g_s(r, c) = std::clamp(final_g(r, c), lo, hi);  // what it holds, as far as a plan can say
      // The other device of the pair (the offset scheme has none).
      const int logical_partner = plan.Layout(tile).partner_column(used_column[static_cast<std::size_t>(c)]);
      const int partner = logical_partner >= 0 ? tile.column_map[static_cast<std::size_t>(logical_partner)] : -1;
      const bool partner_ok = partner >= 0 && std::abs(final_g(r, partner) - original(r, partner)) <= tolerance;
      if (!partner_ok) {
        if (std::abs(error) > tolerance) ++result.unrepaired;
        continue;
      }
      const double wanted = original(r, partner) + error;
      const double reachable = std::clamp(wanted, lo, hi);
      if (std::abs(reachable - wanted) > tolerance) ++result.unrepaired;
      if (std::abs(reachable - final_g(r, partner)) <= tolerance) continue;  // already there
      tile.target_g_s(r, partner) = reachable;
      delta.target_g_s(r, partner) = reachable;
      ++result.partners_retargeted;
      any = true;
    }
    if (any) result.delta.push_back(std::move(delta));
  }
  return result;
}

}  // namespace xbar::compiler
