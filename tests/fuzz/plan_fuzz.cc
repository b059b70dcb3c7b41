// libFuzzer target: the plan reader (ParsePlan) on arbitrary bytes or wrapped payloads.
#include <cstddef>
#include <cstdint>

#include "compiler/plan_io.h"
#include "tests/fuzz/container.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const auto plan = xbar::compiler::ParsePlan(xbar::fuzz::ContainerBytes(data, size, "XBP1", 1), "fuzz.xbp");
  if (plan) XBAR_CHECK(plan->Validate().has_value());
  return 0;
}
