// Simulated chip instance: lazily drawn tiles of devices, pulses, verify reads, state snapshots.
#include "device_models/chip_instance.h"

#include <algorithm>
#include <cmath>

#include "device_models/nonidealities.h"

namespace xbar::device_models {
namespace {

constexpr uint64_t kDeviceStream = 0;

double StartConductance(const DeviceInstance& d) { return d.is_stuck() ? d.stuck_g_s : d.g_min_s; }

}  // namespace

ChipInstance::ChipInstance(const ChipSpec& spec, uint64_t seed)
    : spec_(spec),
      seed_(seed),
      lsb_s_(spec.adc.VerifyLsbS(spec.v_read_v)),
      lsb_a_(spec.adc.verify_full_scale_a / std::ldexp(1.0, spec.adc.verify_bits)),
      max_code_(static_cast<uint32_t>((uint64_t{1} << spec.adc.verify_bits) - 1)),
      tiles_(static_cast<std::size_t>(spec.tiles.count)) {}

Expected<ChipInstance> ChipInstance::Create(const ChipSpec& spec, uint64_t seed) {
  if (auto ok = spec.Validate(); !ok) return std::unexpected(ok.error());
  return ChipInstance(spec, seed);
}

Rng ChipInstance::RowStream(int tile, int row) const {
  const uint64_t line = static_cast<uint64_t>(tile) * static_cast<uint64_t>(rows()) +
                        static_cast<uint64_t>(row);
  return Rng(DeriveSeed(DeriveSeed(seed_, kDeviceStream), line));
}

void ChipInstance::DrawTile(int tile) {
  XBAR_CHECK(tile >= 0 && tile < tile_count());
  auto& slot = tiles_[static_cast<std::size_t>(tile)];
  if (slot != nullptr) return;
  auto t = std::make_unique<Tile>();
  const std::size_t cells = static_cast<std::size_t>(rows()) * static_cast<std::size_t>(columns());
  t->devices.resize(cells);
  t->g_s.resize(cells);
  const MemristorParams& p = spec_.device.memristor;
  const Nonidealities& n = spec_.device.nonidealities;
  const int nrows = rows();
#pragma omp parallel for schedule(static)
  for (int r = 0; r < nrows; ++r) {
    Rng rng = RowStream(tile, r);
    for (int c = 0; c < columns(); ++c) {
      const std::size_t i = Index(r, c);
      t->devices[i] = CreateDevice(p, n, rng);
      t->g_s[i] = StartConductance(t->devices[i]);
    }
  }
  slot = std::move(t);
}

DeviceInstance ChipInstance::Device(int tile, int row, int column) const {
  XBAR_CHECK(tile >= 0 && tile < tile_count() && row >= 0 && row < rows() && column >= 0 &&
             column < columns());
  if (const Tile* t = tiles_[static_cast<std::size_t>(tile)].get()) return t->devices[Index(row, column)];
  Rng rng = RowStream(tile, row);
  rng.discard(static_cast<unsigned long long>(kDeviceDraws) * static_cast<unsigned long long>(column));
  return CreateDevice(spec_.device.memristor, spec_.device.nonidealities, rng);
}

double ChipInstance::Conductance(int tile, int row, int column) const {
  if (const Tile* t = tiles_[static_cast<std::size_t>(tile)].get()) return t->g_s[Index(row, column)];
  return StartConductance(Device(tile, row, column));
}

double ChipInstance::ApplyPulse(int tile, int row, int column, double amplitude_v, double width_s,
                                Rng& rng) {
  Tile& t = *tiles_[static_cast<std::size_t>(tile)];
  const std::size_t i = Index(row, column);
  t.g_s[i] = device_models::ApplyPulse(spec_.device.memristor, t.devices[i], t.g_s[i], amplitude_v,
                                       width_s, rng);
  return t.g_s[i];
}

VerifyRead ChipInstance::Read(int tile, int row, int column, Rng& rng) const {
  const Tile& t = *tiles_[static_cast<std::size_t>(tile)];
  const std::size_t i = Index(row, column);
  const ReadNoise& noise = spec_.device.nonidealities.read;
  // Right after a pulse: t = the read's own duration, where the 1/f term is still 0. A noiseless
  // read (sigma 0, e.g. PCM right after programming) draws nothing.
  const double sigma = noise.enabled ? noise.Sigma(t.g_s[i], noise.t_read_s) : 0.0;
  const double g = sigma > 0 ? std::max(t.g_s[i] + sigma * NormalDraw(rng), 0.0) : t.g_s[i];
  const double code = std::nearbyint(g * spec_.v_read_v / lsb_a_);
  VerifyRead read;
  read.code = code <= 0 ? 0u : code >= max_code_ ? max_code_ : static_cast<uint32_t>(code);
  read.g_s = CodeToConductance(read.code);
  return read;
}

void ChipInstance::SetConductance(int tile, int row, int column, double g_s) {
  DrawTile(tile);
  Tile& t = *tiles_[static_cast<std::size_t>(tile)];
  const std::size_t i = Index(row, column);
  const DeviceInstance& d = t.devices[i];
  t.g_s[i] = d.is_stuck() ? d.stuck_g_s : std::clamp(g_s, d.g_min_s, d.g_max_s);
}

ChipState ChipInstance::State(std::span<const int> tiles) const {
  ChipState state;
  state.chip_name = spec_.name;
  state.tile_count = tile_count();
  state.tile_rows = rows();
  state.tile_columns = columns();
  state.chip_seed = seed_;
  std::vector<int> order(tiles.begin(), tiles.end());
  std::sort(order.begin(), order.end());
  order.erase(std::unique(order.begin(), order.end()), order.end());
  for (int tile : order) {
    XBAR_CHECK(tile >= 0 && tile < tile_count());
    TileState ts;
    ts.tile = tile;
    ts.g_s.resize(rows(), columns());
    ts.stuck.resize(static_cast<std::size_t>(rows()) * static_cast<std::size_t>(columns()));
    const Tile* t = tiles_[static_cast<std::size_t>(tile)].get();
    for (int r = 0; r < rows(); ++r) {
      Rng rng = RowStream(tile, r);
      for (int c = 0; c < columns(); ++c) {
        const std::size_t i = Index(r, c);
        const DeviceInstance d =
            t != nullptr ? t->devices[i]
                         : CreateDevice(spec_.device.memristor, spec_.device.nonidealities, rng);
        ts.g_s(r, c) = t != nullptr ? t->g_s[i] : StartConductance(d);
        ts.stuck[i] = d.stuck;
      }
    }
    state.tiles.push_back(std::move(ts));
  }
  return state;
}

Expected<void> ChipInstance::Restore(const ChipState& state) {
  auto mismatch = [&](const std::string& what) {
    return Fail(ErrorCode::kInvalidArgument,
                "chip state is for another chip: " + what + " (restore it onto the chip and seed it was programmed on)");
  };
  if (state.chip_name != spec_.name) {
    return mismatch("its chip is '" + state.chip_name + "', this chip is '" + spec_.name + "'");
  }
  if (state.tile_count != tile_count() || state.tile_rows != rows() ||
      state.tile_columns != columns()) {
    return mismatch("its shape is " + std::to_string(state.tile_count) + " tiles of " +
                    std::to_string(state.tile_rows) + "x" + std::to_string(state.tile_columns) +
                    ", this chip has " + std::to_string(tile_count()) + " tiles of " +
                    std::to_string(rows()) + "x" + std::to_string(columns()));
  }
  if (state.chip_seed != seed_) {
    return mismatch("its seed is " + std::to_string(state.chip_seed) + ", this chip's is " +
                    std::to_string(seed_));
  }
  for (const TileState& ts : state.tiles) {
    if (ts.tile < 0 || ts.tile >= tile_count() || ts.g_s.rows() != rows() ||
        ts.g_s.cols() != columns() ||
        ts.stuck.size() != static_cast<std::size_t>(rows()) * static_cast<std::size_t>(columns())) {
      return mismatch("tile " + std::to_string(ts.tile) + " does not fit");
    }
    DrawTile(ts.tile);
    Tile& t = *tiles_[static_cast<std::size_t>(ts.tile)];
    for (int r = 0; r < rows(); ++r) {
      for (int c = 0; c < columns(); ++c) {
        const std::size_t i = Index(r, c);
        if (t.devices[i].stuck != ts.stuck[i]) {
          return mismatch("cell (" + std::to_string(ts.tile) + ", " + std::to_string(r) + ", " +
                          std::to_string(c) + ") has another stuck state");
        }
        t.g_s[i] = ts.g_s(r, c);
      }
    }
  }
  return {};
}

}  // namespace xbar::device_models
