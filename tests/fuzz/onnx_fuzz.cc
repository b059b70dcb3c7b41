// libFuzzer target: the ONNX reader (ParseOnnxModel) on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "compiler/onnx_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto model = xbar::compiler::ParseOnnxModel(bytes, "fuzz.onnx", xbar::compiler::ImportOptions{});
  if (model) XBAR_CHECK(model->Validate().has_value());
  return 0;
}
