// Which bit lines of a tile carry which output: the differential-pair and offset column layouts.
//
// The one place that knows that output k of a tile sits on used bit lines 2k (G+) and 2k+1 (G-)
// with differential pairs, or on bit line k with bit line `outputs` as the reference column with
// the offset scheme (docs/compiler.md). Columns here are used bit lines (PlanTile::column_map
// turns them into physical ones) or, for the quantiser's level matrices, logical columns.
#pragma once

namespace xbar::compiler {

/// How a signed weight becomes conductances.
enum class MappingScheme {
  kDifferential,  // W = scale * (G+ - G-): two bit lines per output (2j: G+, 2j+1: G-)
  kOffset,        // W = scale * (G - G_ref): one bit line per output, one reference column per tile
};
const char* MappingSchemeName(MappingScheme scheme);

/// The bit lines of `outputs` outputs under `scheme`.
struct PairLayout {
  MappingScheme scheme = MappingScheme::kDifferential;
  int outputs = 0;

  bool differential() const { return scheme == MappingScheme::kDifferential; }
  /// Bit lines used on a tile: 2 * outputs (differential) or outputs + 1 (offset: the reference).
  int columns() const { return differential() ? 2 * outputs : outputs + 1; }
  /// Columns holding weights (the quantiser's level matrix): 2 * outputs or outputs.
  int weight_columns() const { return differential() ? 2 * outputs : outputs; }
  /// Bit line of output k's G+ (differential) or G (offset) cell.
  int plus_column(int k) const { return differential() ? 2 * k : k; }
  /// Bit line output k's weight is measured against: its G- cell, or the reference column.
  int minus_column(int k) const { return differential() ? 2 * k + 1 : outputs; }
  /// The offset scheme's reference column; -1 for differential pairs.
  int reference_column() const { return differential() ? -1 : outputs; }
  /// The other device of bit line c's pair (differential); -1 for the offset scheme.
  int partner_column(int c) const { return differential() ? c ^ 1 : -1; }
  /// Output a weight column belongs to (first_output + this for the layer's output).
  int output_of(int c) const { return differential() ? c / 2 : c; }
  /// Bit lines one output needs: 2 or 1 (plus one reference per tile for the offset scheme).
  static int ColumnsPerOutput(MappingScheme scheme) { return scheme == MappingScheme::kDifferential ? 2 : 1; }
  /// Outputs a tile of `usable_columns` bit lines holds (0 when none fits).
  static int OutputsPerTile(MappingScheme scheme, int usable_columns) {
    return scheme == MappingScheme::kDifferential ? usable_columns / 2 : usable_columns - 1;
  }
  /// The difference output k's weight is proportional to, from row r of a used block `g`
  /// (rows x columns(), siemens): G+ - G- or G - G_ref.
  template <typename Matrix>
  double Difference(const Matrix& g, int r, int k) const {
    return g(r, plus_column(k)) - g(r, minus_column(k));
  }
};

}  // namespace xbar::compiler
