// Stuck-cell remapping: used rows and differential pairs moved off stuck cells by alternating exact linear assignments.
#include "compiler/remap.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>

#include "compiler/repair.h"
#include "support/assignment.h"

namespace xbar::compiler {
namespace {

constexpr double kFree = std::numeric_limits<double>::quiet_NaN();

double Outside(double g, double lo, double hi) { return g < lo ? lo - g : (g > hi ? g - hi : 0.0); }

/// One tile's used block against its physical cells. A unit is what moves as one across bit lines:
/// a differential pair (onto a physical pair 2j, 2j+1, either way round) or, with the offset scheme,
/// one bit line (a weight column or the reference column).
class TileRemapper {
 public:
  TileRemapper(const Plan& plan, const PlanTile& tile, const Eigen::MatrixXd& stuck, std::vector<double> row_weight)
      : tile_(tile),
        stuck_(stuck),
        ideal_(tile.UsedBlock(tile.target_g_s)),
        weight_(std::move(row_weight)),
        pair_(plan.scheme == MappingScheme::kDifferential),
        used_{plan.Layout(tile)},
        physical_{plan.scheme, static_cast<int>(stuck.cols() / PairLayout::ColumnsPerOutput(plan.scheme))},
        lo_(plan.chip.device.memristor.g_min_s),
        hi_(plan.chip.device.memristor.g_max_s),
        units_(pair_ ? tile.outputs : tile.used_columns),
        physical_units_(physical_.outputs) {
    row_map_ = tile.row_map;
    unit_at_.assign(static_cast<std::size_t>(units_), 0);
    flip_.assign(static_cast<std::size_t>(units_), 0);
    for (int u = 0; u < units_; ++u) {
      const int c = tile.column_map[static_cast<std::size_t>(used_.plus_column(u))];
      unit_at_[static_cast<std::size_t>(u)] = physical_.output_of(c);
      flip_[static_cast<std::size_t>(u)] = pair_ ? c - physical_.plus_column(physical_.output_of(c)) : 0;
    }
  }

  /// Whether every pair sits on a physical pair 2j, 2j+1 (a plan remapped otherwise is left alone).
  bool PairsAligned() const {
    if (!pair_) return true;
    for (int u = 0; u < units_; ++u) {
      const int a = tile_.column_map[static_cast<std::size_t>(used_.plus_column(u))];
      const int b = tile_.column_map[static_cast<std::size_t>(used_.minus_column(u))];
      if (physical_.output_of(a) != physical_.output_of(b) || a == b) return false;
    }
    return true;
  }

  /// The residual (S) of the weight of used row r, unit u on word line pr and physical unit j.
  double Error(int r, int u, int pr, int j, int flip) const {
    if (!pair_) {
      const double s = stuck_(pr, j);
      return std::isnan(s) ? 0.0 : std::abs(s - ideal_(r, u));
    }
    const double sa = stuck_(pr, PlusLine(j, flip)), sb = stuck_(pr, MinusLine(j, flip));
    const bool a_stuck = !std::isnan(sa), b_stuck = !std::isnan(sb);
    if (!a_stuck && !b_stuck) return 0.0;
    const double gp = ideal_(r, used_.plus_column(u)), gn = ideal_(r, used_.minus_column(u));
    if (a_stuck && b_stuck) return std::abs((sa - sb) - (gp - gn));
    if (a_stuck) return Outside(gn + (sa - gp), lo_, hi_);
    return Outside(gp + (sb - gn), lo_, hi_);
  }

  /// Sum of weight x residual^2 over the used block, and the count of residuals beyond `tolerance`.
  double Cost(double tolerance, int64_t* harmful) const {
    double total = 0;
    for (int r = 0; r < tile_.rows; ++r) {
      for (int u = 0; u < units_; ++u) {
        const double e = Error(r, u, row_map_[static_cast<std::size_t>(r)], unit_at_[static_cast<std::size_t>(u)],
                               flip_[static_cast<std::size_t>(u)]);
        total += weight_[static_cast<std::size_t>(r)] * e * e;
        if (harmful != nullptr && e > tolerance) ++*harmful;
      }
    }
    return total;
  }

  /// Rows onto word lines for the present unit placement (least cost; ties keep a row in place).
  void AssignRows() {
    const auto lines = static_cast<int>(stuck_.rows());
    std::vector<int> unit_on(static_cast<std::size_t>(physical_units_), -1);
    for (int u = 0; u < units_; ++u) unit_on[static_cast<std::size_t>(unit_at_[static_cast<std::size_t>(u)])] = u;
    Eigen::MatrixXd cost = Eigen::MatrixXd::Zero(tile_.rows, lines);
    for (int pr = 0; pr < lines; ++pr) {
      for (int j = 0; j < physical_units_; ++j) {
        const int u = unit_on[static_cast<std::size_t>(j)];
        if (u < 0 || !HasStuck(pr, j)) continue;
        for (int r = 0; r < tile_.rows; ++r) {
          const double e = Error(r, u, pr, j, flip_[static_cast<std::size_t>(u)]);
          cost(r, pr) += weight_[static_cast<std::size_t>(r)] * e * e;
        }
      }
    }
    KeepInPlace(cost, row_map_);
    row_map_ = SolveAssignment(cost);
  }

  /// Units onto physical units (and pairs' polarity) for the present row placement.
  void AssignUnits() {
    const auto lines = static_cast<int>(stuck_.rows());
    std::vector<int> row_on(static_cast<std::size_t>(lines), -1);
    for (int r = 0; r < tile_.rows; ++r) row_on[static_cast<std::size_t>(row_map_[static_cast<std::size_t>(r)])] = r;
    Eigen::MatrixXd cost[2] = {Eigen::MatrixXd::Zero(units_, physical_units_), Eigen::MatrixXd::Zero(units_, physical_units_)};
    for (int j = 0; j < physical_units_; ++j) {
      for (int pr = 0; pr < lines; ++pr) {
        const int r = row_on[static_cast<std::size_t>(pr)];
        if (r < 0 || !HasStuck(pr, j)) continue;
        for (int u = 0; u < units_; ++u) {
          for (int flip = 0; flip < (pair_ ? 2 : 1); ++flip) {
            const double e = Error(r, u, pr, j, flip);
            cost[flip](u, j) += weight_[static_cast<std::size_t>(r)] * e * e;
          }
        }
      }
    }
    Eigen::MatrixXd best = pair_ ? cost[0].cwiseMin(cost[1]) : cost[0];
    KeepInPlace(best, unit_at_);
    unit_at_ = SolveAssignment(best);
    for (int u = 0; u < units_; ++u) {
      const int j = unit_at_[static_cast<std::size_t>(u)];
      flip_[static_cast<std::size_t>(u)] = pair_ && cost[1](u, j) < cost[0](u, j) ? 1 : 0;
    }
  }

  std::vector<int> RowMap() const { return row_map_; }
  std::vector<int> ColumnMap() const {
    if (!pair_) return unit_at_;
    std::vector<int> map(static_cast<std::size_t>(used_.columns()));
    for (int u = 0; u < units_; ++u) {
      const int j = unit_at_[static_cast<std::size_t>(u)], flip = flip_[static_cast<std::size_t>(u)];
      map[static_cast<std::size_t>(used_.plus_column(u))] = PlusLine(j, flip);
      map[static_cast<std::size_t>(used_.minus_column(u))] = MinusLine(j, flip);
    }
    return map;
  }

 private:
  bool HasStuck(int pr, int j) const {
    return pair_ ? !std::isnan(stuck_(pr, PlusLine(j, 0))) || !std::isnan(stuck_(pr, MinusLine(j, 0)))
                 : !std::isnan(stuck_(pr, j));
  }
  // Physical bit lines of pair j's G+ and G- cells, swapped when `flip`.
  int PlusLine(int j, int flip) const { return flip ? physical_.minus_column(j) : physical_.plus_column(j); }
  int MinusLine(int j, int flip) const { return flip ? physical_.plus_column(j) : physical_.minus_column(j); }

  // A line that costs no more where it is stays there: its present place gets a bias far below
  // any real difference.
  static void KeepInPlace(Eigen::MatrixXd& cost, const std::vector<int>& present) {
    const double bias = 1e-9 * std::max(cost.maxCoeff(), 1e-300);
    cost.array() += bias;
    for (std::size_t k = 0; k < present.size(); ++k) cost(static_cast<Eigen::Index>(k), present[k]) -= bias;
  }

  const PlanTile& tile_;
  const Eigen::MatrixXd& stuck_;
  const Eigen::MatrixXd ideal_;
  const std::vector<double> weight_;
  const bool pair_;
  const PairLayout used_, physical_;  // the tile's used bit lines; the chip's physical ones
  const double lo_, hi_;
  const int units_, physical_units_;
  std::vector<int> row_map_, unit_at_, flip_;
};

}  // namespace

Expected<RemapReport> RemapAroundStuckCells(Plan& plan, const RemapOptions& options) {
  auto bad = [](std::string m) { return Fail(ErrorCode::kInvalidArgument, "remap: " + std::move(m)); };
  if (options.rounds < 1) return bad("rounds = " + std::to_string(options.rounds) + " must be at least 1");
  if (options.input_weight.size() > plan.layers.size()) {
    return bad(std::to_string(options.input_weight.size()) + " input weight vectors for " +
               std::to_string(plan.layers.size()) + " layers");
  }
  for (std::size_t l = 0; l < options.input_weight.size(); ++l) {
    const auto& w = options.input_weight[l];
    if (w.empty()) continue;
    if (w.size() != static_cast<std::size_t>(plan.layers[l].inputs)) {
      return bad("layer " + std::to_string(l) + " has " + std::to_string(plan.layers[l].inputs) + " inputs but " +
                 std::to_string(w.size()) + " input weights");
    }
    if (!std::all_of(w.begin(), w.end(), [](double x) { return std::isfinite(x) && x >= 0; })) {
      return bad("layer " + std::to_string(l) + " input weights must be finite and >= 0");
    }
  }
  const auto& geometry = plan.chip.tiles;
  std::map<int, const device_models::TileState*> faults;
  for (const auto& t : options.faults) {
    if (t.g_s.rows() != geometry.rows || t.g_s.cols() != geometry.columns ||
        t.stuck.size() != static_cast<std::size_t>(geometry.rows) * geometry.columns) {
      return bad("fault map of tile " + std::to_string(t.tile) + " is not " + std::to_string(geometry.rows) + "x" +
                 std::to_string(geometry.columns));
    }
    faults[t.tile] = &t;
  }
  RemapReport report;
  report.stuck_gain = StuckGainAtAge(plan, options.age_s);
  const double tolerance = plan.chip.programming.verify_tolerance_s;
  for (PlanTile& tile : plan.tiles) {
    auto it = faults.find(tile.physical_index);
    if (it == faults.end()) continue;
    const device_models::TileState& state = *it->second;
    Eigen::MatrixXd stuck = Eigen::MatrixXd::Constant(geometry.rows, geometry.columns, kFree);
    bool any = false;
    for (int r = 0; r < geometry.rows; ++r) {
      for (int c = 0; c < geometry.columns; ++c) {
        if (state.stuck[static_cast<std::size_t>(r) * geometry.columns + c] == device_models::StuckState::kNone) continue;
        stuck(r, c) = report.stuck_gain * state.g_s(r, c);
        any = true;
      }
    }
    if (!any) continue;
    ++report.tiles_with_faults;
    const auto layer = static_cast<std::size_t>(tile.layer);
    std::vector<double> row_weight(static_cast<std::size_t>(tile.rows), 1.0);
    if (layer < options.input_weight.size() && !options.input_weight[layer].empty()) {
      for (int r = 0; r < tile.rows; ++r) {
        row_weight[static_cast<std::size_t>(r)] = options.input_weight[layer][static_cast<std::size_t>(tile.row_offset + r)];
      }
    }
    TileRemapper remapper(plan, tile, stuck, row_weight);
    int64_t harmful_before = 0;
    const double before = remapper.Cost(tolerance, &harmful_before);
    report.cost_before += before;
    report.harmful_before += harmful_before;
    if (!remapper.PairsAligned() || before == 0) {
      report.cost_after += before;
      report.harmful_after += harmful_before;
      continue;
    }
    std::vector<int> best_rows = tile.row_map, best_columns = tile.column_map;
    double best = before;
    for (int round = 0; round < options.rounds; ++round) {
      remapper.AssignRows();
      remapper.AssignUnits();
      const double cost = remapper.Cost(tolerance, nullptr);
      if (!(cost < best)) break;
      best = cost;
      best_rows = remapper.RowMap();
      best_columns = remapper.ColumnMap();
    }
    // Score the chosen placement (the last round may have been worse and dropped).
    PlanTile moved = tile;
    moved.row_map = best_rows;
    moved.column_map = best_columns;
    int64_t harmful_after = 0;
    report.cost_after += TileRemapper(plan, moved, stuck, row_weight).Cost(tolerance, &harmful_after);
    report.harmful_after += harmful_after;
    if (best_rows == tile.row_map && best_columns == tile.column_map) continue;
    for (int r = 0; r < tile.rows; ++r) report.rows_moved += best_rows[static_cast<std::size_t>(r)] != tile.row_map[static_cast<std::size_t>(r)];
    for (int c = 0; c < tile.used_columns; ++c) {
      report.columns_moved += best_columns[static_cast<std::size_t>(c)] != tile.column_map[static_cast<std::size_t>(c)];
    }
    const Eigen::MatrixXi levels = tile.UsedBlock(tile.levels);
    const Eigen::MatrixXd targets = tile.UsedBlock(tile.target_g_s);
    tile.levels.setConstant(-1);
    tile.target_g_s.setConstant(kFree);
    tile.row_map = std::move(best_rows);
    tile.column_map = std::move(best_columns);
    tile.UsedBlock(tile.levels) = levels;
    tile.UsedBlock(tile.target_g_s) = targets;
    ++report.tiles_remapped;
  }
  return report;
}

}  // namespace xbar::compiler
