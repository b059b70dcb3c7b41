// Remapping around stuck cells (docs/reliability.md): the rows and bit lines of each tile's used
// block move onto other physical lines of the tile, spares included, so that stuck cells land
// where they do the least harm: under inputs that are rarely driven, on the side of a pair whose
// weight needs that conductance anyway, or outside the used block altogether.
#pragma once

#include <cstdint>
#include <vector>

#include "compiler/plan.h"
#include "device_models/chip_instance.h"
#include "support/error.h"

namespace xbar::compiler {

struct RemapOptions {
  /// What is known of the chip's tiles: the stuck flag and present conductance of every cell (a
  /// chip state after write-verify). Tiles of the plan not listed are taken as free of faults.
  std::vector<device_models::TileState> faults;
  /// Age of use: a stuck cell does not drift while the others do, so drift compensation sees it at
  /// the gain of this age (StuckGainAtAge).
  double age_s = 86400;
  /// Per layer, the cost of an error on each input's weights (e.g. the mean square of the input);
  /// a layer without an entry: every input alike.
  std::vector<std::vector<double>> input_weight;
  int rounds = 4;  // alternations of row and column assignment per tile, >= 1
};

struct RemapReport {
  int tiles_with_faults = 0;   // plan tiles with a stuck cell anywhere
  int tiles_remapped = 0;      // plan tiles whose maps changed
  int64_t rows_moved = 0;      // used rows on another word line than before
  int64_t columns_moved = 0;   // used bit lines on another physical bit line than before
  /// Weights whose pair cannot be made right by its free device (residual beyond the verify
  /// tolerance), before and after.
  int64_t harmful_before = 0, harmful_after = 0;
  /// Sum over weights of input weight x residual^2, S^2, before and after.
  double cost_before = 0, cost_after = 0;
  double stuck_gain = 1;       // the compensation gain stuck cells were counted at
};

/// Chooses, per tile with stuck cells, the word line of each used row and the bit lines of each
/// used column (pair) by alternating two linear assignment problems, and moves the tile's levels
/// and targets there; the targets are the plain level conductances (compensate after). The cost of
/// a weight is the residual its pair keeps when the free device is re-targeted (repair.h), at the
/// stuck gain of the age of use. Errors (kInvalidArgument): a fault tile of another shape, a
/// weight vector of the wrong length or with negative entries.
Expected<RemapReport> RemapAroundStuckCells(Plan& plan, const RemapOptions& options);

}  // namespace xbar::compiler
