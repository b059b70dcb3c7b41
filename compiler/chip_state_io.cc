// Chip states: conversion between device_models::ChipState and xbar.v1.ChipState.
#include "compiler/chip_state_io.h"

#include <cmath>

#include "support/file_io.h"
#include "xbar/v1/chip_state.pb.h"

namespace xbar::compiler {
namespace {

namespace dm = device_models;

constexpr ArtifactKind kChipStateKind{"XCS1", "chip state", 1};

v1::StuckState ToProto(dm::StuckState s) {
  switch (s) {
    case dm::StuckState::kNone: return v1::STUCK_STATE_NONE;
    case dm::StuckState::kOn: return v1::STUCK_STATE_ON;
    case dm::StuckState::kOff: return v1::STUCK_STATE_OFF;
    case dm::StuckState::kValue: return v1::STUCK_STATE_VALUE;
  }
  return v1::STUCK_STATE_UNSPECIFIED;
}

}  // namespace

Expected<void> WriteChipState(const std::string& path, const dm::ChipState& state) {
  v1::ChipState m;
  m.set_chip_name(state.chip_name);
  m.set_tile_count(static_cast<uint32_t>(state.tile_count));
  m.set_tile_rows(static_cast<uint32_t>(state.tile_rows));
  m.set_tile_columns(static_cast<uint32_t>(state.tile_columns));
  m.set_chip_seed(state.chip_seed);
  m.set_age_s(state.age_s);
  for (const dm::TileState& t : state.tiles) {
    XBAR_CHECK(t.g_s.rows() == state.tile_rows && t.g_s.cols() == state.tile_columns &&
               t.stuck.size() == static_cast<std::size_t>(t.g_s.size()));
    auto* tp = m.add_tiles();
    tp->set_tile(static_cast<uint32_t>(t.tile));
    tp->mutable_conductances_s()->Reserve(static_cast<int>(t.g_s.size()));
    for (int r = 0; r < state.tile_rows; ++r) {
      for (int c = 0; c < state.tile_columns; ++c) tp->add_conductances_s(t.g_s(r, c));
    }
    tp->mutable_stuck_states()->Reserve(static_cast<int>(t.stuck.size()));
    for (dm::StuckState s : t.stuck) tp->add_stuck_states(ToProto(s));
  }
  std::string payload;
  XBAR_CHECK(m.SerializeToString(&payload));
  return WriteArtifact(path, kChipStateKind, payload);
}

Expected<dm::ChipState> ParseChipState(std::string_view bytes, const std::string& name) {
  auto payload = ParseArtifact(bytes, kChipStateKind, name);
  if (!payload) return std::unexpected(payload.error());
  auto bad = [&](const std::string& what) { return Fail(ErrorCode::kDataLoss, name + ": " + what); };
  v1::ChipState m;
  if (!m.ParseFromString(*payload)) return bad("payload is not a valid xbar.v1.ChipState");
  if (m.tile_rows() < 1 || m.tile_rows() > 16384 || m.tile_columns() < 1 || m.tile_columns() > 16384 ||
      m.tile_count() < 1 || m.tile_count() > (1u << 20)) {
    return bad("shape " + std::to_string(m.tile_count()) + " tiles of " + std::to_string(m.tile_rows()) +
               "x" + std::to_string(m.tile_columns()) +
               " is out of range (tiles [1, 1048576], sides [1, 16384])");
  }
  dm::ChipState state;
  state.chip_name = m.chip_name();
  state.tile_count = static_cast<int>(m.tile_count());
  state.tile_rows = static_cast<int>(m.tile_rows());
  state.tile_columns = static_cast<int>(m.tile_columns());
  state.chip_seed = m.chip_seed();
  state.age_s = m.age_s();
  const int cells = state.tile_rows * state.tile_columns;
  int previous = -1;
  for (const auto& tp : m.tiles()) {
    const std::string where = "tile " + std::to_string(tp.tile()) + ": ";
    if (tp.tile() >= m.tile_count() || static_cast<int>(tp.tile()) <= previous) {
      return bad(where + "not on the chip or out of order (tiles ascend in [0, " +
                 std::to_string(m.tile_count() - 1) + "])");
    }
    previous = static_cast<int>(tp.tile());
    if (tp.conductances_s_size() != cells || tp.stuck_states_size() != cells) {
      return bad(where + std::to_string(tp.conductances_s_size()) + " conductances and " +
                 std::to_string(tp.stuck_states_size()) + " stuck states, expected " + std::to_string(cells) +
                 " (" + std::to_string(state.tile_rows) + "x" + std::to_string(state.tile_columns) + ")");
    }
    dm::TileState t;
    t.tile = static_cast<int>(tp.tile());
    t.g_s.resize(state.tile_rows, state.tile_columns);
    t.stuck.resize(static_cast<std::size_t>(cells));
    for (int i = 0; i < cells; ++i) {
      const double g = tp.conductances_s(i);
      if (!std::isfinite(g) || g < 0) {
        return bad(where + "cell " + std::to_string(i) + " has conductance " + std::to_string(g) +
                   " S (must be finite and at least 0)");
      }
      t.g_s(i / state.tile_columns, i % state.tile_columns) = g;
      const int s = tp.stuck_states(i);
      if (s < v1::STUCK_STATE_NONE || s > v1::STUCK_STATE_VALUE) {
        return bad(where + "cell " + std::to_string(i) + " has unknown stuck state " + std::to_string(s));
      }
      t.stuck[static_cast<std::size_t>(i)] = static_cast<dm::StuckState>(s - 1);
    }
    state.tiles.push_back(std::move(t));
  }
  return state;
}

Expected<dm::ChipState> ReadChipState(const std::string& path) {
  auto bytes = ReadFile(path);
  if (!bytes) return std::unexpected(bytes.error());
  return ParseChipState(*bytes, path);
}

}  // namespace xbar::compiler
