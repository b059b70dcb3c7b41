// The place pass: tiles onto the chip's arrays, with its metadata.
#include <string>

#include "compiler/compile.h"

namespace xbar::compiler {
namespace {

constexpr PassStatisticInfo kStatistics[] = {
    {"tiles-used", "count", "chip tiles holding a part of the model"},
    {"tiles-available", "count", "tiles on the chip"},
    {"tile-utilisation", "fraction", "tiles used / tiles on the chip"},
    {"cell-utilisation", "fraction", "used cells / usable (non-spare) cells of the tiles used"},
};

}  // namespace

const PassInfo& PlacePassInfo() {
  static const PassInfo info{"place",
                             "assign tiles to the chip's arrays; fails when the model needs more tiles or neurons "
                             "than the chip has",
                             {},
                             kStatistics};
  return info;
}

Expected<void> PlacePass(CompileState& state, PassReport& report) {
  Plan& plan = state.plan;
  const auto& geometry = plan.chip.tiles;
  const auto needed = static_cast<int64_t>(plan.tiles.size());
  if (const int64_t neurons = plan.Neurons(); neurons > plan.chip.neurons) {
    return Fail(ErrorCode::kFailedPrecondition, "network needs " + std::to_string(neurons) +
                                                    " neurons but the chip has " +
                                                    std::to_string(plan.chip.neurons) + " (use a larger --chip)");
  }
  if (needed > geometry.count) {
    bool replicated = false;
    for (const auto& layer : plan.layers) replicated = replicated || layer.replicas > 1;
    return Fail(ErrorCode::kFailedPrecondition,
                "plan needs " + std::to_string(needed) + " tiles of " + std::to_string(geometry.rows) + "x" +
                    std::to_string(geometry.columns) + " but the chip has " + std::to_string(geometry.count) +
                    (replicated ? " (use fewer --conv-replicas or a larger --chip)" : " (use a larger --chip)"));
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

}  // namespace xbar::compiler
