// libFuzzer target: the pulse program reader (ParsePulseProgram) on arbitrary bytes or wrapped payloads.
#include <cstddef>
#include <cstdint>

#include "compiler/pulse_io.h"
#include "tests/fuzz/container.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const auto program =
      xbar::compiler::ParsePulseProgram(xbar::fuzz::ContainerBytes(data, size, "XPP1", 1), "fuzz.xbpulse");
  if (program) {
    // Every cell the reader accepts lies on the tile, and every operation can be walked.
    for (const auto& tile : program->tiles) {
      for (const auto& cell : tile.cells) {
        XBAR_CHECK(cell.row < program->tile_rows && cell.column < program->tile_columns);
      }
    }
    uint64_t ops = 0;
    program->ForEachOp([&ops](const xbar::compiler::PulseOp&) { ++ops; });
    (void)ops;
  }
  return 0;
}
