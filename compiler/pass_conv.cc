// The conv pass: copies of each convolution layer's tiles against latency (--conv-replicas), with its metadata.
#include <algorithm>
#include <string>
#include <vector>

#include "compiler/compile.h"
#include "compiler/pass_options.h"

namespace xbar::compiler {
namespace {

const std::vector<PassOptionInfo>& Options() {
  static const ConvOptions d;
  static const std::vector<PassOptionInfo> options = {
      {"replicas", "int|auto", d.replicas == kAutoReplicas ? "auto" : FormatOptionNumber(d.replicas),
       "copies of every convolution layer's tiles, each reading other output positions in the same read cycle "
       "(capped at the layer's positions), or auto: fill the chip's free tiles"},
  };
  return options;
}

constexpr PassStatisticInfo kStatistics[] = {
    {"replica-tiles", "count", "tiles added as copies of convolution layers"},
    {"replicas-max", "count", "most copies of one layer"},
    {"read-cycles-per-step", "count", "sum over layers of ceil(positions / replicas)"},
};

Expected<void> SetOption(CompileOptions& options, std::string_view option, std::string_view flag,
                         std::string_view value) {
  if (option != "replicas") return std::unexpected(UnknownPassOption(flag));
  if (value == "auto") {
    options.conv.replicas = kAutoReplicas;
    return {};
  }
  auto n = ParseOptionInt(flag, value, 1, 1 << 20);
  if (!n) return std::unexpected(BadOptionChoice(flag, value, "a whole number in [1, 1048576] or auto"));
  options.conv.replicas = *n;
  return {};
}

}  // namespace

const PassInfo& ConvPassInfo() {
  static const PassInfo info{
      "conv", "copy convolution layers' tiles so that several output positions are read at once (fewer read cycles)",
      Options(), kStatistics, &SetOption};
  return info;
}

std::vector<int> ChooseReplicas(const Plan& plan, const ConvOptions& options) {
  const std::size_t n = plan.layers.size();
  std::vector<int> replicas(n, 1);
  if (options.replicas != kAutoReplicas) {
    for (std::size_t l = 0; l < n; ++l) replicas[l] = std::min(options.replicas, plan.layers[l].positions());
    return replicas;
  }
  int64_t free = int64_t{plan.chip.tiles.count} - static_cast<int64_t>(plan.tiles.size());
  while (free > 0) {
    std::size_t best = n;
    int64_t best_weight = 0;
    int best_replicas = 0;
    for (std::size_t l = 0; l < n; ++l) {
      const int positions = plan.layers[l].positions();
      const int cycles = (positions + replicas[l] - 1) / replicas[l];
      if (cycles <= 1) continue;
      // The fewest copies that save one read cycle per step.
      const int next = (positions + cycles - 2) / (cycles - 1);
      const int64_t cost = int64_t{next - replicas[l]} * static_cast<int64_t>(plan.layers[l].tiles.size());
      const int64_t weight = int64_t{cycles} * plan.ReadStepsPerImage(l);
      if (cost <= free && weight > best_weight) {
        best = l;
        best_weight = weight;
        best_replicas = next;
      }
    }
    if (best == n) break;
    free -= int64_t{best_replicas - replicas[best]} * static_cast<int64_t>(plan.layers[best].tiles.size());
    replicas[best] = best_replicas;
  }
  return replicas;
}

Expected<void> ConvPass(const ConvOptions& options, CompileState& state, PassReport& report) {
  Plan& plan = state.plan;
  const std::vector<int> replicas = ChooseReplicas(plan, options);
  std::vector<PlanTile> tiles;
  int64_t added = 0;
  for (std::size_t l = 0; l < plan.layers.size(); ++l) {
    PlanLayer& layer = plan.layers[l];
    const std::vector<int> base = std::move(layer.tiles);
    layer.tiles.clear();
    layer.replicas = replicas[l];
    // Replica-major: copy r holds tiles r * base.size() ... of the layer's list.
    for (int r = 0; r < layer.replicas; ++r) {
      for (int t : base) {
        PlanTile tile = plan.tiles[static_cast<std::size_t>(t)];
        tile.replica = r;
        layer.tiles.push_back(static_cast<int>(tiles.size()));
        tiles.push_back(std::move(tile));
        added += r > 0 ? 1 : 0;
      }
    }
  }
  plan.tiles = std::move(tiles);
  plan.conv_replicas = options.replicas;
  report.statistics = {
      {"replica-tiles", static_cast<double>(added), "count"},
      {"replicas-max", static_cast<double>(*std::max_element(replicas.begin(), replicas.end())), "count"},
      {"read-cycles-per-step", static_cast<double>(plan.ReadCyclesPerStep()), "count"}};
  return {};
}

}  // namespace xbar::compiler
