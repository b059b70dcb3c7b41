// libFuzzer target: the .npy reader (ParseNpy) on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "support/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const auto array = xbar::ParseNpy(bytes, "fuzz.npy");
  // An accepted array holds no more values than the file has bytes for.
  if (array) {
    XBAR_CHECK(array->ndim == 1 || array->ndim == 2);
    XBAR_CHECK(static_cast<std::size_t>(array->data.size()) * 4 <= size);
  }
  return 0;
}
