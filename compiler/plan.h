// The compiled plan as plain C++: which weights sit on which tile, row and column, at which conductance.
//
// Written by the pass pipeline (compiler/compile.h), stored as .xbp by compiler/plan_io.h (schema
// xbar.v1.Plan); the mapping schemes and the tile layout are explained in docs/compiler.md.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "compiler/model.h"
#include "compiler/pair_layout.h"
#include "compiler/program_gen.h"
#include "device_models/chip_instance.h"
#include "device_models/chip_spec.h"
#include "support/error.h"

namespace xbar::compiler {

/// Which weights share one scale factor.
enum class ScaleGranularity {
  kLayer,   // one scale per layer (folds into the inter-layer scale)
  kColumn,  // one scale per output neuron (a per-column gain in the periphery)
};
const char* ScaleGranularityName(ScaleGranularity granularity);

/// How the clip value |w| <= w_clip of each scale group is chosen.
enum class ClipMode {
  kMax,         // w_clip = max |w| of the group: nothing is clipped
  kValue,       // w_clip = a given absolute value
  kPercentile,  // w_clip = the given percentile of |w| in the group
};
const char* ClipModeName(ClipMode mode);

inline constexpr double kNotMeasured = std::numeric_limits<double>::quiet_NaN();
/// Plan::conv_replicas (CompileOptions) for `--conv-replicas auto`: fill the chip's free tiles.
inline constexpr int kAutoReplicas = 0;

/// One tile of a layer. Used row r carries layer input row_offset + r and sits on word line
/// row_map[r]; with differential pairs used bit lines 2k and 2k+1 carry G+ and G- of output
/// column_offset + k, with the offset scheme bit line k carries output column_offset + k and bit line
/// `outputs` is the tile's reference column; used bit line c sits on physical bit line
/// column_map[c]. A fresh compile maps the used block onto the top-left corner of the tile (the
/// maps are the identity); remapping around stuck cells (compiler/repair.h) moves rows and columns
/// onto other lines, spares included. Every physical cell no used row and column meets is unused
/// and is held at g_min (RESET).
struct PlanTile {
  int layer = 0;
  /// Which copy of the layer's kernel matrix this tile holds, [0, PlanLayer::replicas): a
  /// convolution layer with R replicas has R sets of tiles with the same targets (0 for dense).
  int replica = 0;
  int physical_index = -1;   // tile on the chip, [0, chip.tiles.count); -1 before placement
  int row_offset = 0;        // first layer input (matrix column of W) on this tile
  int column_offset = 0;     // first layer output (matrix row of W) on this tile
  int rows = 0;              // word lines used, one per input
  int outputs = 0;           // outputs (neurons) fed by this tile
  int used_columns = 0;      // bit lines used: 2 * outputs (differential) or outputs + 1 (offset)
  int spare_rows = 0;        // physical rows left unused (chip spares included)
  int spare_columns = 0;     // physical columns left unused (chip spares included)
  std::vector<int> row_map;     // used row -> physical word line, size rows, distinct
  std::vector<int> column_map;  // used bit line -> physical bit line, size used_columns, distinct
  Eigen::MatrixXi levels;      // physical rows x columns: quantiser level index, -1 unused
  Eigen::MatrixXd target_g_s;  // physical rows x columns: conductance to program, S; NaN unused
  double residual_before = kNotMeasured;  // ||M(G_ideal)^T - G_ideal||_F / ||G_ideal||_F, used block
  double residual_after = kNotMeasured;   // the same with the compensated targets
  int compensation_iterations = 0;        // effective-matrix evaluations spent on this tile

  /// Sets the maps to the identity: the used block in the top-left corner.
  void MapTopLeft();
  /// Whether the maps are the identity (the used block in the top-left corner).
  bool IsTopLeft() const;
  /// The maps hold `rows` and `used_columns` distinct lines of a physical_rows x physical_columns
  /// tile (kInvalidArgument naming the map and the line).
  Expected<void> ValidateMaps(int physical_rows, int physical_columns) const;
  /// The used block of a physical rows x columns matrix (rows x used_columns, in the order of the
  /// tile's inputs and bit lines); assignable.
  template <typename Derived>
  auto UsedBlock(Eigen::DenseBase<Derived>& physical) const {
    return physical(row_map, column_map);
  }
  template <typename Derived>
  auto UsedBlock(const Eigen::DenseBase<Derived>& physical) const {
    return physical(row_map, column_map);
  }
  /// What the cells hold once programmed, physical rows x columns (S): target_g_s with unused cells
  /// at `g_min_s` (their RESET state).
  Eigen::MatrixXd PhysicalTargets(double g_min_s) const {
    return target_g_s.unaryExpr([g_min_s](double g) { return g != g ? g_min_s : g; });
  }
  /// Physical word line -> used row, -1 where none (size `physical_rows`).
  std::vector<int> UsedRowOf(int physical_rows) const;
  /// Physical bit line -> used bit line, -1 where none (size `physical_columns`).
  std::vector<int> UsedColumnOf(int physical_columns) const;
};

/// One layer: its geometry, scale factors, tiles and quantisation error. `inputs` x `outputs` is
/// the weight matrix on the crossbar: one row per fan-in element (and the bias row) and one output
/// per output channel (for a convolution its kernel matrix, LayerShape::matrix_cols() x
/// matrix_rows()). A convolution applies it at every output position: with R replicas, position p
/// (row-major over the output's height and width) is read by replica p % R in read cycle p / R of
/// the step, so a step needs ceil(positions / R) read cycles (docs/conv.md).
struct PlanLayer {
  int inputs = 0;
  int outputs = 0;
  /// The layer's geometry (a plain dense layer for plans of plain dense models).
  LayerShape shape;
  /// Copies of the weight matrix on the chip, [1, positions()]; 1 for dense layers.
  int replicas = 1;
  std::vector<double> scale;  // per output: weight units per siemens, W = scale * (G+ - G-) or (G - G_ref)
  std::vector<double> clip;   // per output: |w| clip value, weight units
  int reference_level = -1;   // offset scheme: level of every reference cell; -1 for differential
  std::vector<int> tiles;     // indices into Plan::tiles; tiles with equal column_offset add currents
  double rms_error = kNotMeasured;  // ||W_q - W||_F / ||W||_F of the dequantised weights
  double max_abs_error = kNotMeasured;  // max |W_q - W|, weight units
  double clipped_fraction = 0;  // fraction of weights with |w| > clip, [0, 1]

  /// Neuron circuits the layer's outputs need: out_channels x output positions (LayerShape::neurons).
  int neurons() const { return shape.neurons(); }
  /// Output positions the weight matrix is applied at per step (1 for dense).
  int positions() const { return shape.positions(); }
  /// Read cycles per step the layer is read in: ceil(positions / replicas).
  int read_cycles() const { return (positions() + replicas - 1) / replicas; }
  /// Tiles of one copy of the weight matrix.
  int tiles_per_replica() const { return static_cast<int>(tiles.size()) / replicas; }
};

/// A named figure a pass reported (declared in the pass's metadata, compile.h).
struct Statistic {
  std::string name;
  double value = 0;
  std::string unit;
};

/// What one pass did.
struct PassReport {
  std::string pass;
  double seconds = 0;
  std::vector<Statistic> statistics;
};

/// A model compiled for a chip: everything later stages need to program and run it.
struct Plan {
  std::string model_name;
  device_models::MifParams neuron;
  Encoding encoding;
  /// NIR models: per layer, its neuron population (Model::populations); empty for MIF networks.
  std::vector<device_models::SpikingParams> populations;
  device_models::ChipSpec chip;
  MappingScheme scheme = MappingScheme::kDifferential;
  ScaleGranularity scale_granularity = ScaleGranularity::kLayer;
  ClipMode clip_mode = ClipMode::kMax;
  double clip_value = 0;       // kValue: the clip, weight units
  double clip_percentile = 0;  // kPercentile: the percentile, (0, 100]
  bool compensated = false;    // targets pre-distorted against IR drop
  std::vector<PlanLayer> layers;
  std::vector<PlanTile> tiles;
  std::vector<PassReport> passes;
  double compile_seconds = 0;
  /// Remapped around the stuck cells of this chip instance (seed); unset: for any instance.
  std::optional<uint64_t> faults_chip_seed;
  /// The --conv-replicas choice the plan was compiled with: N >= 1, or kAutoReplicas.
  int conv_replicas = 1;

  /// Whether every layer is plain dense (the plan file then carries no geometry).
  bool IsPlainDense() const;
  /// The geometry of every layer.
  std::vector<LayerShape> Shapes() const;
  /// Neuron circuits the network needs: the sum of PlanLayer::neurons().
  int64_t Neurons() const;
  /// Read cycles per time step when every layer is read: the sum of PlanLayer::read_cycles().
  int64_t ReadCyclesPerStep() const;
  /// Time steps of one image at which layer `layer` is read: ceil(T / P) for layer 0 (driven at the
  /// impulse steps only), T for every other layer.
  int64_t ReadStepsPerImage(std::size_t layer) const;

  /// Tiles placed on the chip.
  int TilesUsed() const;
  /// The physical tile of every plan tile, in plan order (what a chip state of the plan lists).
  std::vector<int> PhysicalTiles() const;
  /// Used cells over the usable (non-spare) cells of the tiles used, [0, 1].
  double CellUtilisation() const;
  /// Checks internal consistency: the chip, the layers chaining (their geometry), each layer's
  /// matrix matching its geometry and its replicas in [1, positions], every tile inside its layer
  /// and the chip, shapes, levels, distinct physical tiles, and every weight on exactly one tile of
  /// each replica (kInvalidArgument naming the layer or tile).
  Expected<void> Validate() const;
  /// The column layout of `tile` under the plan's scheme.
  PairLayout Layout(const PlanTile& tile) const { return {scheme, tile.outputs}; }
};

/// What a programming run writes: one TileTargets per plan tile, in plan order (its physical tile
/// and target_g_s, NaN on unused cells). Every program generation and checksum starts from this.
std::vector<TileTargets> PlanTargets(const Plan& plan);

/// TargetsChecksum(PlanTargets(plan)): the crc32 a pulse program of this plan records.
uint32_t PlanTargetsChecksum(const Plan& plan);

/// The conductance each tile should hold, physical rows x columns in siemens: the targets, with
/// unused cells at g_min (their RESET state).
std::vector<Eigen::MatrixXd> TargetConductances(const Plan& plan);

/// The plan's network (neuron, encoding, populations, layer shapes) with every weight zero: what
/// AddTileWeights fills.
Model ZeroWeightModel(const Plan& plan);

/// Adds one tile's weights to `weights` (the tile's layer, outputs x inputs): per output, scale
/// times the difference of its bit lines (G+ - G-, or G - G_ref of the same word line), where `g`
/// gives the conductance each used cell presents to its word line, rows x used_columns (the used
/// block: used rows x used bit lines, PlanTile::UsedBlock), siemens.
void AddTileWeights(const Plan& plan, const PlanTile& tile, const Eigen::Ref<const Eigen::MatrixXd>& g,
                    Eigen::MatrixXf& weights);

/// Rebuilds the network the chip realises from tile conductances (e.g. TargetConductances, or
/// conductances read back after programming), one physical rows x columns matrix per plan tile,
/// siemens. With `ir_drop` every tile acts through its exact effective matrix under the chip's
/// wires (TileCircuit::EffectiveMatrix), otherwise through G itself. Weights are dequantised per
/// output (W = scale * (G+ - G-) or scale * (G - G_ref of the same row)) and row-split tiles add.
/// The neuron and encoding come from the plan; a plan that is not plain dense gives a Model with
/// `layers` set, each weight matrix from the tiles of replica 0 (`replica` picks another copy,
/// for every layer that has it; layers with fewer copies give their replica 0). The chip itself
/// reads each replica's own conductances (the inference backend, not this model, sees the
/// differences between copies). Errors (kInvalidArgument): wrong count or shape,
/// negative or non-finite conductances.
Expected<Model> WeightsFromPlan(const Plan& plan, const std::vector<Eigen::MatrixXd>& tile_conductances,
                                bool ir_drop, int threads = 0, int replica = 0);

}  // namespace xbar::compiler
