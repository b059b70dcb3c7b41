// libFuzzer target: the chip description reader (ParseChipText, protobuf text format) on arbitrary text.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "compiler/chip_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto chip = xbar::compiler::ParseChipText(text, "fuzz.textproto");
  // A chip the reader accepts formats and reads back.
  if (chip) XBAR_CHECK(xbar::compiler::ParseChipText(xbar::compiler::FormatChipText(*chip), "again").has_value());
  return 0;
}
