// The report's figures as data: conductance and pulse histograms, a tile's IR-drop map, accuracy over age.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compiler/plan.h"
#include "compiler/program_gen.h"
#include "device_models/chip_instance.h"
#include "runtime/chip_eval.h"
#include "support/error.h"

namespace xbar::runtime::report {

/// The state tile of every plan tile (by physical index), in plan order. kInvalidArgument naming
/// `state_path` when a plan tile is missing from the state or has another shape.
Expected<std::vector<const device_models::TileState*>> StateTilesOfPlan(const compiler::Plan& plan,
                                                                       const device_models::ChipState& state,
                                                                       const std::string& state_path);

/// Target and programmed conductances of every used cell of a plan (target not NaN), binned over
/// the device's nominal window widened to cover every value.
struct ConductanceHistogram {
  double lo_us = 0;   // left edge of bin 0 (µS)
  double bin_us = 1;  // bin width (µS)
  std::vector<int64_t> target, programmed;  // cells per bin; the last bin is closed on the right
  int64_t cells = 0;
  double error_mean_s = 0;      // mean |programmed - target| (S)
  double tolerance_s = 0;       // the chip's verify tolerance (S)
  double within_tolerance = 0;  // fraction of cells with |programmed - target| <= tolerance_s

  /// Centre of bin `k` (µS).
  double Center(std::size_t k) const { return lo_us + (static_cast<double>(k) + 0.5) * bin_us; }
};

/// `bins` >= 1 bins; `state_tiles` as StateTilesOfPlan returns them.
ConductanceHistogram ConductanceData(const compiler::Plan& plan,
                                     const std::vector<const device_models::TileState*>& state_tiles, int bins);

/// Write-verify pulses per programmed cell, binned: one pulse per bin up to 100 pulses, wider beyond.
struct PulseHistogram {
  int bin = 1;                  // pulses per bin
  std::vector<int64_t> counts;  // bin k: cells with [k bin, (k + 1) bin) pulses
  int64_t cells = 0, pulses = 0, failed = 0;  // failed: cells that did not converge
  uint32_t max = 0;
  double mean = 0;              // pulses per cell
  double energy_j = 0;          // pulse and verify-read energy of the whole program (J)
  double chip_time_s = 0;       // programming time with the tiles in parallel (s)
};

PulseHistogram PulseData(const compiler::PulseProgram& program);

/// The voltage across every cell of one plan tile with its used word lines driven at the chip's
/// v_read_v and the others at 0 V (the worst case of a read), solved with the wires.
struct IrDropMap {
  int plan_tile = 0, physical_tile = 0, rows = 0, used_columns = 0;
  bool top_left = true;     // the used block is the top-left corner (not remapped)
  double v_read_v = 0;
  Eigen::MatrixXd percent;  // physical rows x columns, % of v_read_v; NaN on word lines not driven
  double min_used = 0, mean_used = 0;  // over the used block (%)
};

/// `tile` indexes plan.tiles; `state` is its state tile. A failing circuit or solve is an error
/// naming `state_path` or the tile.
Expected<IrDropMap> IrDropData(const compiler::Plan& plan, int tile, const device_models::TileState& state,
                               const std::string& state_path);

/// A chip run's accuracies as a table: compensation modes by age.
struct AccuracyTable {
  std::vector<DriftCompensation> compensations;  // in the order they first appear in the run
  std::vector<double> ages_s;              // every age of the run, ascending, distinct
  /// points[c][a]: the run's point at compensations[c] and ages_s[a] (the last one given), if any.
  std::vector<std::vector<std::optional<AgePoint>>> points;

  /// The point at `compensation` and `age_s`, if the run has one.
  const AgePoint* Find(DriftCompensation compensation, double age_s) const;
};

AccuracyTable AccuracyData(const ChipEvalReport& run);

}  // namespace xbar::runtime::report
