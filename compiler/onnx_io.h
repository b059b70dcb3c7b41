// Reading ONNX files (as torch.onnx.export writes them) into a model of MIF crossbar layers.
#pragma once

#include <string>
#include <string_view>

#include "compiler/import.h"
#include "compiler/model.h"
#include "support/error.h"

namespace xbar::compiler {

/// Reads the Conv, MatMul and Gemm nodes of an ONNX graph, in graph order, with the average pooling
/// and biases between them, as the layers of a MIF network with the neuron and encoding of
/// `options` (rules: docs/import.md). The image shape comes from the graph input (N x C x H x W);
/// a plain dense network (no convolution, pooling or bias) leaves Model::layers empty. Errors name
/// the file: kNotFound (missing), kDataLoss (truncated, corrupt, inconsistent tensors),
/// kFailedPrecondition (an op, attribute or data type a fully memristive chip cannot run, named
/// with its node and why; layers that do not chain).
Expected<Model> ReadOnnxModel(const std::string& path, const ImportOptions& options);

/// Same as ReadOnnxModel on bytes already in memory; `name` stands for the path in messages and
/// gives the model its name (its stem).
Expected<Model> ParseOnnxModel(std::string_view bytes, const std::string& name, const ImportOptions& options);

}  // namespace xbar::compiler
