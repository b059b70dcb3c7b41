// libFuzzer target: the chip state reader (ParseChipState) on arbitrary bytes or wrapped payloads.
#include <cstddef>
#include <cstdint>

#include "compiler/chip_state_io.h"
#include "tests/fuzz/container.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const auto state =
      xbar::compiler::ParseChipState(xbar::fuzz::ContainerBytes(data, size, "XCS1", 1), "fuzz.xbcs");
  if (state) {
    for (const auto& tile : state->tiles) {
      XBAR_CHECK(tile.g_s.rows() == state->tile_rows && tile.g_s.cols() == state->tile_columns);
      XBAR_CHECK(tile.stuck.size() == static_cast<std::size_t>(tile.g_s.size()));
    }
  }
  return 0;
}
