// The compensate pass: targets pre-distorted against IR drop, tile by tile, with its metadata.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "compiler/compile.h"
#include "compiler/pass_options.h"
#include "device_models/tile_circuit.h"

namespace xbar::compiler {
namespace {

namespace dm = device_models;

const std::vector<PassOptionInfo>& Options() {
  static const CompensateOptions d;
  static const std::vector<PassOptionInfo> options = {
      {"enable", "bool", d.enabled ? "true" : "false", "true|false: pre-distort the targets against IR drop"},
      {"iterations", "int", FormatOptionNumber(d.iterations), "fixed-point steps per tile, [1, 1000]"},
      {"step", "double", FormatOptionNumber(d.step), "fixed-point step size, (0, 2]"},
      {"tolerance", "double", FormatOptionNumber(d.tolerance), "stop a tile at this relative residual, [0, 1)"},
  };
  return options;
}

constexpr PassStatisticInfo kStatistics[] = {
    {"residual-before", "relative", "mean over tiles of ||M(G)^T - G||_F / ||G||_F with the plain targets"},
    {"residual-after", "relative", "the same with the compensated targets"},
    {"residual-after-max", "relative", "worst tile after compensation"},
    {"evaluations", "count", "exact effective-matrix solves"},
};

Expected<void> SetOption(CompileOptions& options, std::string_view option, std::string_view flag,
                         std::string_view value) {
  CompensateOptions& c = options.compensate;
  if (option == "enable") {
    if (value == "true" || value == "on" || value == "1") c.enabled = true;
    else if (value == "false" || value == "off" || value == "0") c.enabled = false;
    else return std::unexpected(BadOptionChoice(flag, value, "true or false"));
    return {};
  }
  if (option == "iterations") {
    auto iterations = ParseOptionInt(flag, value, 1, 1000);
    if (!iterations) return std::unexpected(iterations.error());
    c.iterations = *iterations;
    return {};
  }
  if (option != "step" && option != "tolerance") return std::unexpected(UnknownPassOption(flag));
  auto v = ParseOptionNumber(flag, value);
  if (!v) return std::unexpected(v.error());
  if (option == "step") {
    if (auto ok = OptionInRange(flag, *v, 0, 2, true, false); !ok) return ok;
    c.step = *v;
  } else {
    if (auto ok = OptionInRange(flag, *v, 0, 1, false, true); !ok) return ok;
    c.tolerance = *v;
  }
  return {};
}

}  // namespace

const PassInfo& CompensatePassInfo() {
  static const PassInfo info{"compensate",
                             "pre-distort target conductances so each tile's effective matrix under IR drop matches G",
                             Options(), kStatistics, &SetOption};
  return info;
}

void CompensateTile(const dm::ChipSpec& chip, const CompensateOptions& options, PlanTile& tile) {
  const double g_min = chip.device.memristor.g_min_s, g_max = chip.device.memristor.g_max_s;
  const Eigen::MatrixXd ideal = tile.PhysicalTargets(g_min);
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
  // A replica's tile with the same cells as its replica-0 tile (not remapped differently) gets the
  // same targets: the solve depends on nothing else.
  std::vector<int> same_as(static_cast<std::size_t>(n), -1);
  for (const PlanLayer& layer : plan.layers) {
    const std::size_t per = static_cast<std::size_t>(layer.tiles_per_replica());
    for (std::size_t k = per; per > 0 && k < layer.tiles.size(); ++k) {
      const auto t = static_cast<std::size_t>(layer.tiles[k]), first = static_cast<std::size_t>(layer.tiles[k % per]);
      const PlanTile &a = plan.tiles[t], &b = plan.tiles[first];
      if (a.row_map == b.row_map && a.column_map == b.column_map && a.levels == b.levels) {
        same_as[t] = static_cast<int>(first);
      }
    }
  }
  // Each tile is independent, so the result does not depend on the thread count or schedule.
#pragma omp parallel for schedule(dynamic) num_threads(threads > 0 ? threads : omp_get_max_threads())
  for (int t = 0; t < n; ++t) {
    if (same_as[static_cast<std::size_t>(t)] < 0) CompensateTile(plan.chip, options, plan.tiles[static_cast<std::size_t>(t)]);
  }
  for (std::size_t t = 0; t < same_as.size(); ++t) {
    if (same_as[t] < 0) continue;
    const PlanTile& first = plan.tiles[static_cast<std::size_t>(same_as[t])];
    PlanTile& tile = plan.tiles[t];
    tile.target_g_s = first.target_g_s;
    tile.residual_before = first.residual_before;
    tile.residual_after = first.residual_after;
    tile.compensation_iterations = 0;  // no solve of its own
  }
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

}  // namespace xbar::compiler
