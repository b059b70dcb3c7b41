// libFuzzer target: the model reader (ParseModel) on arbitrary bytes or wrapped payloads.
#include <cstddef>
#include <cstdint>

#include "compiler/model_io.h"
#include "tests/fuzz/container.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const auto model = xbar::compiler::ParseModel(xbar::fuzz::ContainerBytes(data, size, "XBM1", 1), "fuzz.xbm");
  // What the reader accepts, the writer's own validation accepts too.
  if (model) XBAR_CHECK(model->Validate().has_value());
  return 0;
}
