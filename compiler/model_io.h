// Reading and writing model files (.xbm): protobuf payload in the checksummed xbar container.
#pragma once

#include <string>
#include <string_view>

#include "compiler/model.h"
#include "support/error.h"

namespace xbar::compiler {

/// Writes a model atomically (validated first).
Expected<void> WriteModel(const std::string& path, const Model& model);

/// Reads a model; rejects truncated, corrupt, wrong-kind or wrong-version files and models whose
/// layers do not chain (kDataLoss / kInvalidArgument, naming the file).
Expected<Model> ReadModel(const std::string& path);

/// Same checks on container bytes in memory; `name` stands for the path in messages.
Expected<Model> ParseModel(std::string_view bytes, const std::string& name);

}  // namespace xbar::compiler
