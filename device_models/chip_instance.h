// A simulated chip: every cell's device draws and present conductance, verify reads through the ADC.
//
// Drawn from a ChipSpec and a seed (docs/programming.md). Tiles are drawn lazily, on first use, but
// a cell's device never depends on which cells or tiles were used first, nor on thread count: the
// devices of one word line come from their own stream, DeriveSeed(DeriveSeed(seed, 0), tile ·
// rows + row), consumed in column order with a fixed number of draws per cell.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "device_models/chip_spec.h"
#include "device_models/memristor.h"
#include "support/error.h"
#include "support/rng.h"

namespace xbar::device_models {

/// Raw generator draws CreateDevice(memristor, nonidealities, rng) consumes per device: 6 + 1
/// normals (2 draws each) and 2 uniforms.
inline constexpr int kDeviceDraws = 16;

/// One verify read: the ADC code and the conductance it stands for (code · LSB, S).
struct VerifyRead {
  uint32_t code = 0;
  double g_s = 0;
};

/// The programmed conductances of some tiles, a snapshot a later run can resume from.
struct TileState {
  int tile = 0;
  /// Present conductance (S) of every cell, physical rows x columns.
  Eigen::MatrixXd g_s;
  /// Stuck state of every cell, row-major (row · columns + column).
  std::vector<StuckState> stuck;
};

/// A chip's state: enough, with the chip description, to recreate the chip instance exactly.
/// Tiles not listed are as fabricated (recreated from the seed).
struct ChipState {
  std::string chip_name;
  int tile_count = 0;
  int tile_rows = 0;
  int tile_columns = 0;
  /// Seed the chip instance was drawn from.
  uint64_t chip_seed = 0;
  /// Time since programming (s); 0 right after programming.
  double age_s = 0;
  /// Listed tiles in ascending order.
  std::vector<TileState> tiles;
};

/// A simulated chip instance. Start state (as fabricated): every cell at its own g_min_s (the fully
/// RESET state after forming), a stuck cell at its stuck conductance.
class ChipInstance {
 public:
  /// Validates `spec` (kInvalidArgument as ChipSpec::Validate) and sets up an undrawn chip.
  static Expected<ChipInstance> Create(const ChipSpec& spec, uint64_t seed);

  const ChipSpec& spec() const { return spec_; }
  uint64_t seed() const { return seed_; }
  int tile_count() const { return spec_.tiles.count; }
  int rows() const { return spec_.tiles.rows; }
  int columns() const { return spec_.tiles.columns; }

  /// Draws the devices of `tile` (parallel over rows) unless already drawn. Not thread-safe.
  void DrawTile(int tile);
  bool IsDrawn(int tile) const { return tiles_[static_cast<std::size_t>(tile)] != nullptr; }

  /// Device of a cell; on an undrawn tile it is drawn on the fly (same result, slower).
  DeviceInstance Device(int tile, int row, int column) const;
  /// Present conductance (S) of a cell (as fabricated on an undrawn tile).
  double Conductance(int tile, int row, int column) const;

  /// Applies one pulse (> 0 SET, < 0 RESET; V, s) to a cell of a drawn tile with the cycle-to-cycle
  /// noise from `rng`; returns the new conductance (S). Thread-safe for distinct cells.
  double ApplyPulse(int tile, int row, int column, double amplitude_v, double width_s, Rng& rng);

  /// One verify read of a cell of a drawn tile: read noise right after programming (one normal from
  /// `rng`, none when its sigma is 0), then the ADC (round to nearest, clipped to
  /// [0, 2^verify_bits - 1]). Thread-safe.
  VerifyRead Read(int tile, int row, int column, Rng& rng) const;

  /// Sets a cell's conductance directly (clipped to the device's window; a stuck cell keeps its
  /// value). For restoring state and tests.
  void SetConductance(int tile, int row, int column, double g_s);

  /// Conductance (S) a verify code stands for; the LSB is spec().adc.VerifyLsbS(v_read_v).
  double CodeToConductance(uint32_t code) const { return code * lsb_s_; }
  double verify_lsb_s() const { return lsb_s_; }

  /// Snapshot of the listed tiles (drawn or not), in ascending tile order.
  ChipState State(std::span<const int> tiles) const;

  /// Loads conductances from `state`. kInvalidArgument when the state belongs to another chip
  /// (name, shape or seed differ) or a cell's stuck state disagrees with this chip's devices.
  Expected<void> Restore(const ChipState& state);

 private:
  struct Tile {
    std::vector<DeviceInstance> devices;  // row-major
    std::vector<double> g_s;              // row-major
  };

  ChipInstance(const ChipSpec& spec, uint64_t seed);
  Rng RowStream(int tile, int row) const;
  std::size_t Index(int row, int column) const {
    return static_cast<std::size_t>(row) * static_cast<std::size_t>(columns()) +
           static_cast<std::size_t>(column);
  }

  ChipSpec spec_;
  uint64_t seed_ = 0;
  double lsb_s_ = 0;
  double lsb_a_ = 0;
  uint32_t max_code_ = 0;
  std::vector<std::unique_ptr<Tile>> tiles_;
};

}  // namespace xbar::device_models
