// Reading ONNX files (as torch.onnx.export writes them) into a model of MIF crossbar layers.
#pragma once

#include <string>
#include <string_view>

#include "compiler/import.h"
#include "compiler/model.h"
#include "support/error.h"

namespace xbar::compiler {

/// Reads the weight matrices of the MatMul/Gemm nodes of an ONNX graph, in graph order, as the
/// layers of a MIF network with the neuron and encoding of `options` (rules: docs/import.md).
/// Errors name the file: kNotFound (missing), kDataLoss (truncated, corrupt, inconsistent
/// tensors), kFailedPrecondition (unsupported op or data type, bias, layers that do not chain).
Expected<Model> ReadOnnxModel(const std::string& path, const ImportOptions& options);

/// Same as ReadOnnxModel on bytes already in memory; `name` stands for the path in messages and
/// gives the model its name (its stem).
Expected<Model> ParseOnnxModel(std::string_view bytes, const std::string& name, const ImportOptions& options);

}  // namespace xbar::compiler
