// The tile pass: each layer split over tiles of the chip's usable rows x columns, with its metadata.
#include <algorithm>
#include <string>

#include "compiler/compile.h"

namespace xbar::compiler {
namespace {

constexpr PassStatisticInfo kStatistics[] = {
    {"tiles", "count", "tiles the layers were split into"},
    {"cells", "count", "cells used (weights plus reference columns)"},
};

}  // namespace

const PassInfo& TilePassInfo() {
  static const PassInfo info{
      "tile", "split each layer over tiles of the chip's usable rows x columns (row-split tiles add currents)", {},
      kStatistics};
  return info;
}

Expected<void> TilePass(CompileState& state, PassReport& report) {
  Plan& plan = state.plan;
  XBAR_CHECK(state.layer_levels.size() == plan.layers.size());
  const auto& geometry = plan.chip.tiles;
  const int rows_per_tile = geometry.usable_rows();
  const int outputs_per_tile = PairLayout::OutputsPerTile(plan.scheme, geometry.usable_columns());
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
    const PairLayout layer_columns{plan.scheme, layer.outputs};
    layer.tiles.clear();
    for (int out0 = 0; out0 < layer.outputs; out0 += outputs_per_tile) {
      for (int in0 = 0; in0 < layer.inputs; in0 += rows_per_tile) {
        PlanTile tile;
        tile.layer = static_cast<int>(l);
        tile.row_offset = in0;
        tile.column_offset = out0;
        tile.rows = std::min(rows_per_tile, layer.inputs - in0);
        tile.outputs = std::min(outputs_per_tile, layer.outputs - out0);
        const PairLayout columns = plan.Layout(tile);
        tile.used_columns = columns.columns();
        tile.spare_rows = geometry.rows - tile.rows;
        tile.spare_columns = geometry.columns - tile.used_columns;
        tile.MapTopLeft();
        tile.levels = Eigen::MatrixXi::Constant(geometry.rows, geometry.columns, -1);
        tile.target_g_s = Eigen::MatrixXd::Constant(geometry.rows, geometry.columns, kNotMeasured);
        // The tile's outputs are a contiguous run of the layer's weight columns.
        tile.levels.topLeftCorner(tile.rows, columns.weight_columns()) =
            q.block(in0, layer_columns.plus_column(out0), tile.rows, columns.weight_columns());
        if (const int ref = columns.reference_column(); ref >= 0) {
          tile.levels.col(ref).head(tile.rows).setConstant(layer.reference_level);
        }
        for (int c = 0; c < tile.used_columns; ++c) {
          for (int r = 0; r < tile.rows; ++r) tile.target_g_s(r, c) = LevelConductanceS(plan.chip, tile.levels(r, c));
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

}  // namespace xbar::compiler
