// libFuzzer target: the .npy readers (ParseNpy, ParseNpyTensor) on arbitrary bytes.
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
  // A tensor: its values are the product of its shape, one byte at least each.
  const auto tensor = xbar::ParseNpyTensor(bytes, "fuzz.npy");
  if (tensor) {
    std::size_t count = 1;
    for (int64_t d : tensor->shape) count *= static_cast<std::size_t>(d);
    XBAR_CHECK(count == tensor->values.size() && count <= size);
  }
  return 0;
}
