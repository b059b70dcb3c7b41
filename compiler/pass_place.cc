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
  // NIR populations run on the chip's integrate-and-fire arrays, MIF layers on its MIF neurons.
  const auto& spiking = plan.chip.spiking;
  for (std::size_t l = 0; l < plan.populations.size(); ++l) {
    if (!spiking.Has(plan.populations[l].kind)) {
      std::string kinds;
      for (auto kind : spiking.kinds) kinds += std::string(kinds.empty() ? "" : ", ") + device_models::SpikingKindName(kind);
      return Fail(ErrorCode::kFailedPrecondition,
                  "layer " + std::to_string(l) + "'s " + device_models::SpikingKindName(plan.populations[l].kind) +
                      " neurons have no circuit on the chip, whose spiking_neurons.kinds are " +
                      (kinds.empty() ? "none" : kinds) + " (use another --chip)");
    }
  }
  if (const int64_t neurons = plan.Neurons(); !plan.populations.empty() && neurons > spiking.count) {
    return Fail(ErrorCode::kFailedPrecondition, "network needs " + std::to_string(neurons) +
                                                    " integrate-and-fire neurons but the chip has " +
                                                    std::to_string(spiking.count) + " (use a larger --chip)");
  }
  if (const int64_t neurons = plan.Neurons(); plan.populations.empty() && neurons > plan.chip.neurons) {
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
