// The compiled plan: consistency checks and dequantisation back into layer weights.
#include "compiler/plan.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <set>

#include "device_models/tile_circuit.h"
#include "support/threads.h"

namespace xbar::compiler {
namespace {

Error Invalid(std::string message) { return Error{ErrorCode::kInvalidArgument, std::move(message)}; }

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string TileName(std::size_t t) { return "tile " + std::to_string(t); }


}  // namespace

const char* MappingSchemeName(MappingScheme scheme) {
  return scheme == MappingScheme::kDifferential ? "differential" : "offset";
}

const char* ScaleGranularityName(ScaleGranularity granularity) {
  return granularity == ScaleGranularity::kLayer ? "layer" : "column";
}

const char* ClipModeName(ClipMode mode) {
  switch (mode) {
    case ClipMode::kMax: return "max";
    case ClipMode::kValue: return "value";
    case ClipMode::kPercentile: return "percentile";
  }
  return "?";
}

void PlanTile::MapTopLeft() {
  row_map.resize(static_cast<std::size_t>(rows));
  std::iota(row_map.begin(), row_map.end(), 0);
  column_map.resize(static_cast<std::size_t>(used_columns));
  std::iota(column_map.begin(), column_map.end(), 0);
}

bool PlanTile::IsTopLeft() const {
  for (std::size_t r = 0; r < row_map.size(); ++r) {
    if (row_map[r] != static_cast<int>(r)) return false;
  }
  for (std::size_t c = 0; c < column_map.size(); ++c) {
    if (column_map[c] != static_cast<int>(c)) return false;
  }
  return true;
}

namespace {

std::vector<int> Inverse(const std::vector<int>& map, int lines) {
  std::vector<int> inverse(static_cast<std::size_t>(lines), -1);
  for (std::size_t k = 0; k < map.size(); ++k) inverse[static_cast<std::size_t>(map[k])] = static_cast<int>(k);
  return inverse;
}

/// A row or column map: `used` distinct lines in [0, lines).
Expected<void> ValidateMap(const std::string& what, const std::vector<int>& map, int used, int lines) {
  if (map.size() != static_cast<std::size_t>(used)) {
    return Fail(ErrorCode::kInvalidArgument, what + " has " + std::to_string(map.size()) + " entries, not " +
                                                 std::to_string(used));
  }
  std::vector<char> taken(static_cast<std::size_t>(lines), 0);
  for (int line : map) {
    if (line < 0 || line >= lines || taken[static_cast<std::size_t>(line)]) {
      return Fail(ErrorCode::kInvalidArgument, what + " uses line " + std::to_string(line) +
                                                   " twice or outside [0, " + std::to_string(lines) + ")");
    }
    taken[static_cast<std::size_t>(line)] = 1;
  }
  return {};
}

}  // namespace

Expected<void> PlanTile::ValidateMaps(int physical_rows, int physical_columns) const {
  if (auto ok = ValidateMap("row map", row_map, rows, physical_rows); !ok) return ok;
  return ValidateMap("column map", column_map, used_columns, physical_columns);
}

std::vector<int> PlanTile::UsedRowOf(int physical_rows) const { return Inverse(row_map, physical_rows); }

std::vector<int> PlanTile::UsedColumnOf(int physical_columns) const { return Inverse(column_map, physical_columns); }

std::vector<TileTargets> PlanTargets(const Plan& plan) {
  std::vector<TileTargets> targets;
  targets.reserve(plan.tiles.size());
  for (const auto& tile : plan.tiles) targets.push_back({tile.physical_index, tile.target_g_s});
  return targets;
}

uint32_t PlanTargetsChecksum(const Plan& plan) { return TargetsChecksum(PlanTargets(plan)); }

bool Plan::IsPlainDense() const { return AllPlainDense(Shapes()); }

std::vector<LayerShape> Plan::Shapes() const {
  std::vector<LayerShape> shapes;
  shapes.reserve(layers.size());
  for (const auto& layer : layers) shapes.push_back(layer.shape);
  return shapes;
}

int64_t Plan::Neurons() const {
  int64_t neurons = 0;
  for (const auto& layer : layers) neurons += layer.neurons();
  return neurons;
}

int64_t Plan::ReadCyclesPerStep() const {
  int64_t cycles = 0;
  for (const auto& layer : layers) cycles += layer.read_cycles();
  return cycles;
}

int64_t Plan::ReadStepsPerImage(std::size_t layer) const {
  const int64_t steps = encoding.steps, period = encoding.period;
  return layer == 0 ? (steps + period - 1) / period : steps;
}

int Plan::TilesUsed() const {
  int used = 0;
  for (const auto& tile : tiles) used += tile.physical_index >= 0 ? 1 : 0;
  return used;
}

std::vector<int> Plan::PhysicalTiles() const {
  std::vector<int> physical;
  for (const auto& tile : tiles) physical.push_back(tile.physical_index);
  return physical;
}

double Plan::CellUtilisation() const {
  int64_t used = 0;
  for (const auto& tile : tiles) used += int64_t{tile.rows} * tile.used_columns;
  const int64_t usable =
      int64_t{static_cast<int>(tiles.size())} * chip.tiles.usable_rows() * chip.tiles.usable_columns();
  return usable > 0 ? static_cast<double>(used) / static_cast<double>(usable) : 0.0;
}

Expected<void> Plan::Validate() const {
  if (auto ok = chip.Validate(); !ok) return std::unexpected(WithContext(ok.error(), "chip"));
  if (auto ok = neuron.Validate(); !ok) return ok;
  if (auto ok = encoding.Validate(); !ok) return ok;
  if (layers.empty()) return std::unexpected(Invalid("plan has no layers"));
  if (!populations.empty() && populations.size() != layers.size()) {
    return std::unexpected(Invalid("plan has " + std::to_string(populations.size()) + " neuron populations for " +
                                   std::to_string(layers.size()) + " layers"));
  }
  for (std::size_t l = 0; l < populations.size(); ++l) {
    if (auto ok = populations[l].Validate(); !ok) {
      return std::unexpected(WithContext(ok.error(), "layer " + std::to_string(l)));
    }
    if (populations[l].size() != layers[l].neurons()) {
      return std::unexpected(Invalid("layer " + std::to_string(l) + " has " + std::to_string(populations[l].size()) +
                                     " neurons in its population, " + std::to_string(layers[l].neurons()) + " outputs"));
    }
  }
  const int levels_count = chip.conductance_levels;
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const PlanLayer& layer = layers[l];
    const std::string name = "layer " + std::to_string(l);
    if (layer.inputs < 1 || layer.outputs < 1) {
      return std::unexpected(Invalid(name + " has " + std::to_string(layer.inputs) + " inputs and " +
                                     std::to_string(layer.outputs) + " outputs (need at least 1 each)"));
    }
    if (layer.shape.plain_dense() && l > 0 && layers[l - 1].shape.plain_dense() &&
        layer.inputs != layers[l - 1].outputs) {
      return std::unexpected(Invalid(name + " has " + std::to_string(layer.inputs) +
                                     " inputs but the layer before has " +
                                     std::to_string(layers[l - 1].outputs) + " outputs"));
    }
    if (layer.inputs != layer.shape.matrix_cols() || layer.outputs != layer.shape.matrix_rows()) {
      return std::unexpected(Invalid(name + " has a " + std::to_string(layer.inputs) + "x" +
                                     std::to_string(layer.outputs) + " weight matrix but its geometry " +
                                     layer.shape.ToString() + " needs " + std::to_string(layer.shape.matrix_cols()) +
                                     "x" + std::to_string(layer.shape.matrix_rows())));
    }
    if (layer.replicas < 1 || layer.replicas > layer.positions()) {
      return std::unexpected(Invalid(name + " has " + std::to_string(layer.replicas) + " replicas (need 1 to its " +
                                     std::to_string(layer.positions()) + " output positions)"));
    }
    if (layer.scale.size() != static_cast<std::size_t>(layer.outputs) ||
        layer.clip.size() != static_cast<std::size_t>(layer.outputs)) {
      return std::unexpected(Invalid(name + " has " + std::to_string(layer.scale.size()) +
                                     " scales and " + std::to_string(layer.clip.size()) +
                                     " clips but " + std::to_string(layer.outputs) + " outputs"));
    }
    for (double s : layer.scale) {
      if (!std::isfinite(s) || s <= 0) {
        return std::unexpected(Invalid(name + " scale = " + Num(s) + " must be finite and positive"));
      }
    }
    if (scheme == MappingScheme::kOffset && (layer.reference_level < 0 || layer.reference_level >= levels_count)) {
      return std::unexpected(Invalid(name + " reference level " + std::to_string(layer.reference_level) +
                                     " must lie in [0, " + std::to_string(levels_count - 1) + "]"));
    }
  }
  if (auto ok = ValidateChain(Shapes()); !ok) return std::unexpected(Invalid("plan " + ok.error().message));
  if (conv_replicas < 0) {
    return std::unexpected(Invalid("conv replicas " + std::to_string(conv_replicas) + " must be >= 1 or auto (0)"));
  }
  const auto& geometry = chip.tiles;
  std::set<int> physical;
  // covered[l][replica]: which weights of that copy of the layer's matrix are on a tile.
  std::vector<std::vector<std::vector<char>>> covered(layers.size());
  for (std::size_t l = 0; l < layers.size(); ++l) {
    covered[l].assign(static_cast<std::size_t>(layers[l].replicas),
                      std::vector<char>(static_cast<std::size_t>(layers[l].inputs) * layers[l].outputs, 0));
  }
  for (std::size_t t = 0; t < tiles.size(); ++t) {
    const PlanTile& tile = tiles[t];
    const std::string name = TileName(t);
    if (tile.layer < 0 || tile.layer >= static_cast<int>(layers.size())) {
      return std::unexpected(Invalid(name + " belongs to layer " + std::to_string(tile.layer) + " but the plan has " +
                                     std::to_string(layers.size())));
    }
    const PlanLayer& layer = layers[tile.layer];
    if (tile.replica < 0 || tile.replica >= layer.replicas) {
      return std::unexpected(Invalid(name + " is replica " + std::to_string(tile.replica) + " of layer " +
                                     std::to_string(tile.layer) + " which has " + std::to_string(layer.replicas)));
    }
    const int want_columns = Layout(tile).columns();
    if (tile.rows < 1 || tile.outputs < 1 || tile.row_offset < 0 || tile.column_offset < 0 ||
        tile.row_offset + tile.rows > layer.inputs || tile.column_offset + tile.outputs > layer.outputs) {
      return std::unexpected(Invalid(name + " covers inputs [" + std::to_string(tile.row_offset) + ", " +
                                     std::to_string(tile.row_offset + tile.rows) + ") and outputs [" +
                                     std::to_string(tile.column_offset) + ", " +
                                     std::to_string(tile.column_offset + tile.outputs) + ") outside its " +
                                     std::to_string(layer.inputs) + "-input, " +
                                     std::to_string(layer.outputs) + "-output layer"));
    }
    if (tile.used_columns != want_columns || tile.rows > geometry.usable_rows() ||
        tile.used_columns > geometry.usable_columns() || tile.spare_rows != geometry.rows - tile.rows ||
        tile.spare_columns != geometry.columns - tile.used_columns) {
      return std::unexpected(Invalid(name + " uses " + std::to_string(tile.rows) + "x" +
                                     std::to_string(tile.used_columns) + " cells, inconsistent with " +
                                     std::to_string(tile.outputs) + " outputs (" + MappingSchemeName(scheme) +
                                     ") on usable " + std::to_string(geometry.usable_rows()) + "x" +
                                     std::to_string(geometry.usable_columns())));
    }
    if (tile.levels.rows() != geometry.rows || tile.levels.cols() != geometry.columns ||
        tile.target_g_s.rows() != geometry.rows || tile.target_g_s.cols() != geometry.columns) {
      return std::unexpected(Invalid(name + " matrices are not " + std::to_string(geometry.rows) + "x" +
                                     std::to_string(geometry.columns)));
    }
    if (tile.physical_index >= geometry.count || tile.physical_index < -1 ||
        (tile.physical_index >= 0 && !physical.insert(tile.physical_index).second)) {
      return std::unexpected(Invalid(name + " physical index " + std::to_string(tile.physical_index) +
                                     " is taken or outside [0, " + std::to_string(geometry.count) + ")"));
    }
    if (auto ok = tile.ValidateMaps(geometry.rows, geometry.columns); !ok) {
      return std::unexpected(Invalid(name + " " + ok.error().message));
    }
    const std::vector<int> used_row = tile.UsedRowOf(geometry.rows);
    const std::vector<int> used_column = tile.UsedColumnOf(geometry.columns);
    const double g_min = chip.device.memristor.g_min_s, g_max = chip.device.memristor.g_max_s;
    for (Eigen::Index c = 0; c < geometry.columns; ++c) {
      for (Eigen::Index r = 0; r < geometry.rows; ++r) {
        const int level = tile.levels(r, c);
        const double g = tile.target_g_s(r, c);
        const bool ok = used_row[static_cast<std::size_t>(r)] >= 0 && used_column[static_cast<std::size_t>(c)] >= 0
                            ? level >= 0 && level < levels_count && std::isfinite(g) && g >= g_min && g <= g_max
                            : level == -1 && std::isnan(g);
        if (!ok) {
          return std::unexpected(Invalid(name + " cell (" + std::to_string(r) + ", " + std::to_string(c) +
                                         ") has level " + std::to_string(level) + " and target " +
                                         Num(g) + " S (used cells need a level in [0, " +
                                         std::to_string(levels_count - 1) + "] and a target in the window)"));
        }
      }
    }
    auto& cover = covered[tile.layer][static_cast<std::size_t>(tile.replica)];
    for (int o = 0; o < tile.outputs; ++o) {
      for (int i = 0; i < tile.rows; ++i) {
        char& hit = cover[static_cast<std::size_t>(tile.column_offset + o) * layer.inputs + tile.row_offset + i];
        if (hit) {
          return std::unexpected(Invalid(name + " maps weight (" + std::to_string(tile.column_offset + o) + ", " +
                                         std::to_string(tile.row_offset + i) + ") a second time" +
                                         (layer.replicas > 1 ? " in replica " + std::to_string(tile.replica) : "")));
        }
        hit = 1;
      }
    }
  }
  std::vector<int> listed(tiles.size(), 0);
  for (std::size_t l = 0; l < layers.size(); ++l) {
    for (int t : layers[l].tiles) {
      if (t < 0 || t >= static_cast<int>(tiles.size()) || tiles[t].layer != static_cast<int>(l) || listed[t]++) {
        return std::unexpected(Invalid("layer " + std::to_string(l) + " lists tile " + std::to_string(t) +
                                       " that is not one of its own or is listed twice"));
      }
    }
  }
  for (std::size_t t = 0; t < tiles.size(); ++t) {
    if (!listed[t]) return std::unexpected(Invalid(TileName(t) + " is listed by no layer"));
  }
  for (std::size_t l = 0; l < layers.size(); ++l) {
    for (std::size_t r = 0; r < covered[l].size(); ++r) {
      for (std::size_t k = 0; k < covered[l][r].size(); ++k) {
        if (!covered[l][r][k]) {
          const auto inputs = static_cast<std::size_t>(layers[l].inputs);
          return std::unexpected(Invalid("layer " + std::to_string(l) + " weight (" + std::to_string(k / inputs) +
                                         ", " + std::to_string(k % inputs) + ") is on no tile" +
                                         (covered[l].size() > 1 ? " of replica " + std::to_string(r) : "")));
        }
      }
    }
  }
  return {};
}

std::vector<Eigen::MatrixXd> TargetConductances(const Plan& plan) {
  std::vector<Eigen::MatrixXd> out;
  out.reserve(plan.tiles.size());
  const double g_min = plan.chip.device.memristor.g_min_s;
  for (const auto& tile : plan.tiles) out.push_back(tile.PhysicalTargets(g_min));
  return out;
}

Expected<Model> WeightsFromPlan(const Plan& plan, const std::vector<Eigen::MatrixXd>& tile_conductances,
                                bool ir_drop, int threads, int replica) {
  if (tile_conductances.size() != plan.tiles.size()) {
    return Fail(ErrorCode::kInvalidArgument, "plan has " + std::to_string(plan.tiles.size()) + " tiles but " +
                                                 std::to_string(tile_conductances.size()) +
                                                 " conductance matrices were given");
  }
  const auto& geometry = plan.chip.tiles;
  for (std::size_t t = 0; t < tile_conductances.size(); ++t) {
    const auto& g = tile_conductances[t];
    if (g.rows() != geometry.rows || g.cols() != geometry.columns) {
      return Fail(ErrorCode::kInvalidArgument, TileName(t) + " conductances are " + std::to_string(g.rows()) + "x" +
                                                   std::to_string(g.cols()) + " but the chip's tiles are " +
                                                   std::to_string(geometry.rows) + "x" +
                                                   std::to_string(geometry.columns));
    }
    if (!g.allFinite() || (g.array() < 0).any()) {
      return Fail(ErrorCode::kInvalidArgument,
                  TileName(t) + " conductances must be finite and non-negative siemens");
    }
  }
  // The conductance each used cell presents to its input row: G itself, or (M^T) under IR drop.
  std::vector<Eigen::MatrixXd> effective(tile_conductances.size());
  const int n = static_cast<int>(tile_conductances.size());
#pragma omp parallel for schedule(dynamic) num_threads(ThreadCount(threads))
  for (int t = 0; t < n; ++t) {
    const PlanTile& tile = plan.tiles[static_cast<std::size_t>(t)];
    const int copies = plan.layers[static_cast<std::size_t>(tile.layer)].replicas;
    if (tile.replica != (replica < copies ? replica : 0)) continue;  // another copy of the weights
    if (!ir_drop) {
      effective[t] = tile_conductances[t];
      continue;
    }
    auto circuit = device_models::TileCircuit::Create(tile_conductances[t], plan.chip.wires);
    XBAR_CHECK(circuit.has_value());  // shapes and values checked above, wires by the chip
    effective[t] = circuit->EffectiveMatrix().transpose();
  }
  Model model = ZeroWeightModel(plan);
  for (std::size_t t = 0; t < plan.tiles.size(); ++t) {
    const PlanTile& tile = plan.tiles[t];
    if (effective[t].size() == 0) continue;  // another copy of the weights
    AddTileWeights(plan, tile, tile.UsedBlock(effective[t]), model.weights[static_cast<std::size_t>(tile.layer)]);
  }
  return model;
}

Model ZeroWeightModel(const Plan& plan) {
  Model model;
  model.name = plan.model_name;
  model.neuron = plan.neuron;
  model.encoding = plan.encoding;
  model.populations = plan.populations;
  if (!plan.IsPlainDense() || !plan.populations.empty()) model.layers = plan.Shapes();
  for (const auto& layer : plan.layers) model.weights.push_back(Eigen::MatrixXf::Zero(layer.outputs, layer.inputs));
  return model;
}

void AddTileWeights(const Plan& plan, const PlanTile& tile, const Eigen::Ref<const Eigen::MatrixXd>& g,
                    Eigen::MatrixXf& weights) {
  const PlanLayer& layer = plan.layers[static_cast<std::size_t>(tile.layer)];
  const PairLayout columns = plan.Layout(tile);
  for (int k = 0; k < tile.outputs; ++k) {
    const int o = tile.column_offset + k;
    for (int r = 0; r < tile.rows; ++r) {
      const double diff = columns.Difference(g, r, k);
      weights(o, tile.row_offset + r) += static_cast<float>(layer.scale[static_cast<std::size_t>(o)] * diff);
    }
  }
}

}  // namespace xbar::compiler
