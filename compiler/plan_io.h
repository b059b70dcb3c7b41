// Reading and writing plan files (.xbp): protobuf payload (xbar.v1.Plan) in the checksummed xbar container.
#pragma once

#include <string>
#include <string_view>

#include "compiler/plan.h"
#include "support/error.h"

namespace xbar::compiler {

/// Writes a plan atomically (checked with Plan::Validate first; kInvalidArgument naming the file).
/// Only the used block of each tile is stored; the embedded chip has every field written out.
Expected<void> WritePlan(const std::string& path, const Plan& plan);

/// Reads a plan. Truncated, corrupt, wrong-kind or wrong-version files, payloads that do not parse,
/// an embedded chip that is invalid and plans that are inconsistent (Plan::Validate) are
/// kDataLoss; a missing file is kNotFound. Every message names the file.
Expected<Plan> ReadPlan(const std::string& path);

/// Same checks on container bytes in memory; `name` stands for the path in messages.
Expected<Plan> ParsePlan(std::string_view bytes, const std::string& name);

}  // namespace xbar::compiler
