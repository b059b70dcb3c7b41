// libFuzzer target: the idx reader (ParseIdx) on arbitrary bytes, at the rank the header claims.
#include <cstddef>
#include <cstdint>
#include <string>

#include "support/idx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const int rank = size >= 4 ? data[3] : 1;
  const auto tensor = xbar::ParseIdx(bytes, rank, "fuzz.idx");
  // An accepted tensor's dimensions multiply out to exactly the bytes it holds.
  if (tensor) {
    long double count = 1;  // does not wrap: a product past 2^64 stays past it
    for (uint32_t d : tensor->dims) count *= d;
    XBAR_CHECK(count == static_cast<long double>(tensor->data.size()));
  }
  return 0;
}
