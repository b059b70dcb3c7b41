// The compile pipeline: model + chip -> plan, as a list of passes declared with their metadata.
//
// Like CIRCT's SeqPasses.td, every pass states its CLI name, summary, options and statistics
// (Passes()); like Firtool.h, CompileOptions holds every option and PopulatePipeline builds the
// pass list from it. `xbar compile --list-passes` prints FormatPassList(). Each pass lives in its
// own file with its metadata: compiler/pass_{quantize,tile,conv,place,remap,compensate}.cc. Option
// defaults are written once, in the options structs (here and in quantizer.h); the pass list
// shows them from there. docs/compiler.md.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/model.h"
#include "compiler/plan.h"
#include "compiler/quantizer.h"
#include "compiler/remap.h"
#include "device_models/chip_spec.h"
#include "support/error.h"

namespace xbar::compiler {

/// compensate: pre-distortion of the targets against IR drop.
struct CompensateOptions {
  bool enabled = true;
  int iterations = 8;        // effective-matrix evaluations per tile after the first, [1, 1000]
  double step = 1.0;         // fixed-point step size, (0, 2]
  double tolerance = 1e-3;   // stop a tile once its residual is at or below this, [0, 1)
};

/// conv: copies of each convolution layer's tiles, so that several output positions are read in
/// one read cycle (docs/conv.md).
struct ConvOptions {
  /// N >= 1 copies of every convolution layer (capped at its output positions), or kAutoReplicas:
  /// fill the chip's free tiles, greedily giving copies to the layer that costs the most read
  /// cycles per image. 1: one copy, reused over time for every position.
  int replicas = 1;
};

/// Everything the pipeline can be told.
struct CompileOptions {
  QuantizeOptions quantize;
  ConvOptions conv;  // runs when replicas is not 1
  RemapOptions remap;  // runs when it has a fault map
  CompensateOptions compensate;
  int threads = 0;  // worker threads for per-tile work (0: all cores); results do not depend on it
};

/// One option of a pass, as the CLI shows it (--<pass>-<name>).
struct PassOptionInfo {
  std::string_view name;
  std::string_view type;           // "enum", "double", "int", "bool"
  std::string default_value;        // as text, from the options struct's default
  std::string_view help;
};

/// One statistic a pass reports (PassReport).
struct PassStatisticInfo {
  std::string_view name;
  std::string_view unit;
  std::string_view help;
};

/// A pass's metadata.
struct PassInfo {
  std::string_view name;
  std::string_view summary;
  std::span<const PassOptionInfo> options;
  std::span<const PassStatisticInfo> statistics;
  /// Sets option `option` (one of `options`) from text; `flag` is --<pass>-<option> for messages.
  Expected<void> (*set_option)(CompileOptions& options, std::string_view option, std::string_view flag,
                               std::string_view value) = nullptr;
};

/// Every pass, in pipeline order: quantize, tile, conv, place, remap, compensate.
std::span<const PassInfo> Passes();

/// Each pass's metadata, defined beside the pass (compiler/pass_<name>.cc).
const PassInfo& QuantizePassInfo();
const PassInfo& TilePassInfo();
const PassInfo& ConvPassInfo();
const PassInfo& PlacePassInfo();
const PassInfo& RemapPassInfo();
const PassInfo& CompensatePassInfo();

/// Human-readable list of the passes with their options and statistics (for --list-passes).
std::string FormatPassList();

/// Sets option `option` of pass `pass` from text (e.g. "quantize", "clip", "percentile").
/// kInvalidArgument naming the flag (--quantize-clip) and what it accepts.
Expected<void> SetPassOption(CompileOptions& options, std::string_view pass, std::string_view option,
                             std::string_view value);

/// Working state the passes transform: the model being compiled and the plan being built.
struct CompileState {
  const Model* model = nullptr;
  Plan plan;
  /// quantize -> tile: each layer's conductance levels, inputs x
  /// PairLayout{plan.scheme, outputs}.weight_columns() (QuantizedLayer::levels).
  std::vector<Eigen::MatrixXi> layer_levels;
};

/// A pass instance in a pipeline.
struct Pass {
  const PassInfo* info = nullptr;
  std::function<Expected<void>(CompileState&, PassReport&)> run;
};

/// Appends the passes `options` asks for (conv only with replicas other than 1, remap only with a
/// fault map, compensate only when enabled), in order.
void PopulatePipeline(const CompileOptions& options, std::vector<Pass>& pipeline);

/// The passes, usable one by one (tests) or through Compile.
Expected<void> QuantizePass(const QuantizeOptions& options, CompileState& state, PassReport& report);
Expected<void> TilePass(CompileState& state, PassReport& report);
/// Copies each convolution layer's tiles (PlanTile::replica) as `options` asks; records the choice
/// in Plan::conv_replicas.
Expected<void> ConvPass(const ConvOptions& options, CompileState& state, PassReport& report);
/// The replicas `options` gives each layer of `plan` (tiled, one copy each) on its chip: N capped
/// at each convolution's positions (dense layers 1), or for kAutoReplicas the greedy fill of the
/// chip's free tiles: while a copy fits, the layer with the most read cycles per image (layer 0
/// is read at ceil(T/P) of the T steps, every other layer at each) goes to the fewest copies that
/// cut its read cycles per step by one.
std::vector<int> ChooseReplicas(const Plan& plan, const ConvOptions& options);
/// Place: fails when the network needs more neuron circuits or tiles than the chip has.
Expected<void> PlacePass(CompileState& state, PassReport& report);
/// Pre-distorts one tile's used cells against IR drop (the compensate pass, for one tile): the
/// targets become those whose effective matrix best matches the ideal targets (its present ones).
void CompensateTile(const device_models::ChipSpec& chip, const CompensateOptions& options, PlanTile& tile);
Expected<void> RemapPass(const RemapOptions& options, CompileState& state, PassReport& report);
Expected<void> CompensatePass(const CompensateOptions& options, int threads, CompileState& state,
                              PassReport& report);

/// A fresh state for `model` on `chip` (validates both; kInvalidArgument).
Expected<CompileState> StartCompile(const Model& model, const device_models::ChipSpec& chip);

/// Runs the whole pipeline. Errors are the first failing pass's (e.g. the model does not fit).
Expected<Plan> Compile(const Model& model, const device_models::ChipSpec& chip,
                       const CompileOptions& options);

}  // namespace xbar::compiler
