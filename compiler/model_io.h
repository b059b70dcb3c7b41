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

/// The network `xbar train --arch` names: a description (compiler/layer_shape.h, ParseArchitecture)
/// or, when `spec` ends in .textproto, .txtpb or .pbtxt, a text proto of an xbar.v1.Model whose
/// layers give kind, outputs and the geometry fields (no weights; layer 0's source defaults to
/// `input`, every later source is the previous layer's output). kInvalidArgument / kDataLoss
/// naming the description or the file.
Expected<std::vector<LayerShape>> LoadArchitecture(const std::string& spec, Shape3 input, int classes);

}  // namespace xbar::compiler
