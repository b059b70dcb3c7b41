// ONNX reader: walks the graph as a chain of MatMul/Gemm layers; every other op is either a shape
// or activation op that MIF neurons replace, or rejected (docs/import.md).
#include "compiler/onnx_io.h"

#include <algorithm>
#include <bit>
#include <climits>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <vector>

#include "onnx.pb.h"
#include "support/file_io.h"
#include "support/format.h"

namespace xbar::compiler {
namespace {

static_assert(std::endian::native == std::endian::little, "ONNX raw_data is little-endian");

/// Ops on the activation that carry no weights: shape ops (the layer sizes come from the weights,
/// and chaining is checked on them) and activations, whose role the MIF neurons take over.
const std::set<std::string, std::less<>> kPassThrough = {
    "Identity", "Dropout",  "Flatten",  "Reshape",     "Squeeze",   "Unsqueeze",  "Relu",
    "LeakyRelu", "Sigmoid", "Tanh",     "HardSigmoid", "HardSwish", "Elu",        "Selu",
    "Celu",     "Softplus", "Softsign", "Softmax",     "LogSoftmax"};

std::string Describe(const onnx::NodeProto& node, int index) {
  const std::string name = node.name().empty() ? "#" + std::to_string(index) : "'" + node.name() + "'";
  return "node " + name + " (" + node.op_type() + ")";
}

std::string ShapeText(const onnx::TensorProto& t) {
  if (t.dims_size() == 0) return "scalar";
  std::string text;
  for (int d = 0; d < t.dims_size(); ++d) text += (d ? "x" : "") + std::to_string(t.dims(d));
  return text;
}

/// Values of a float32 or float64 tensor in row-major order (raw_data or float_data/double_data).
Expected<std::vector<double>> TensorValues(const onnx::TensorProto& t, const std::string& where) {
  const std::string what = where + ": tensor '" + t.name() + "'";
  if (t.data_location() == onnx::TensorProto_DataLocation_EXTERNAL) {
    return Fail(ErrorCode::kFailedPrecondition,
                what + " is stored in an external file (export the weights inside the .onnx file)");
  }
  const bool is_double = t.data_type() == onnx::TensorProto_DataType_DOUBLE;
  if (!is_double && t.data_type() != onnx::TensorProto_DataType_FLOAT) {
    return Fail(ErrorCode::kFailedPrecondition,
                what + " has data type " +
                    onnx::TensorProto_DataType_Name(static_cast<onnx::TensorProto_DataType>(t.data_type())) +
                    " (xbar reads float32 and float64 weights)");
  }
  uint64_t count = 1;
  for (int64_t d : t.dims()) {
    if (d < 0 || d > (int64_t{1} << 31)) {
      return Fail(ErrorCode::kDataLoss, what + " has dimension " + std::to_string(d) + " outside [0, 2^31]");
    }
    count *= static_cast<uint64_t>(d);
    if (count > (uint64_t{1} << 31)) return Fail(ErrorCode::kDataLoss, what + " has more than 2^31 values");
  }
  // The values are allocated only once the file is known to hold them all.
  const std::size_t item = is_double ? 8 : 4;
  if (!t.raw_data().empty()) {
    if (t.raw_data().size() != count * item) {
      return Fail(ErrorCode::kDataLoss, what + " holds " + std::to_string(t.raw_data().size()) +
                                            " bytes but its shape " + ShapeText(t) + " needs " +
                                            std::to_string(count * item));
    }
    std::vector<double> values(count);
    const char* p = t.raw_data().data();
    for (std::size_t k = 0; k < count; ++k) {
      if (is_double) {
        std::memcpy(&values[k], p + 8 * k, 8);
      } else {
        float f;
        std::memcpy(&f, p + 4 * k, 4);
        values[k] = f;
      }
    }
    return values;
  }
  const std::size_t held = is_double ? static_cast<std::size_t>(t.double_data_size())
                                     : static_cast<std::size_t>(t.float_data_size());
  if (held != count) {
    return Fail(ErrorCode::kDataLoss, what + " holds " + std::to_string(held) + " values but its shape " +
                                          ShapeText(t) + " needs " + std::to_string(count));
  }
  std::vector<double> values(count);
  for (std::size_t k = 0; k < count; ++k) {
    values[k] = is_double ? t.double_data(static_cast<int>(k)) : t.float_data(static_cast<int>(k));
  }
  return values;
}

double LargestMagnitude(const std::vector<double>& values) {
  double largest = 0;
  for (double v : values) largest = std::max(largest, std::abs(v));
  return largest;
}

Error NonZeroBias(const std::string& where, double largest) {
  return Error{ErrorCode::kFailedPrecondition,
               where + " has a non-zero bias (largest |b| = " + FormatNumber(largest, 4) +
                   "): MIF crossbar layers have no bias (export the layer with bias=False)"};
}

/// Reads the graph of `model_proto` into `model.weights`; `path` prefixes every message.
Expected<void> ReadLayers(const onnx::ModelProto& model_proto, const std::string& path, Model& model) {
  const auto& graph = model_proto.graph();
  std::map<std::string, const onnx::TensorProto*, std::less<>> constants;
  for (const auto& t : graph.initializer()) constants[t.name()] = &t;
  // The activation enters through the one graph input that is not an initializer.
  std::string current;
  for (const auto& input : graph.input()) {
    if (!constants.contains(input.name())) {
      current = input.name();
      break;
    }
  }
  if (current.empty()) return Fail(ErrorCode::kDataLoss, path + ": the graph has no input");
  std::string last_layer;  // description of the node that made the last layer
  for (int k = 0; k < graph.node_size(); ++k) {
    const auto& node = graph.node(k);
    const std::string& op = node.op_type();
    const std::string where = path + ": " + Describe(node, k);
    if (op == "Constant") {
      for (const auto& attribute : node.attribute()) {
        if (attribute.name() == "value" && attribute.has_t() && node.output_size() == 1) {
          constants[node.output(0)] = &attribute.t();
        }
      }
      continue;
    }
    if (op == "Shape") continue;  // computes a shape for a later Reshape, not an activation
    const bool layer = op == "MatMul" || op == "Gemm";
    const bool add = op == "Add" && node.input_size() == 2 &&
                     (constants.contains(node.input(0)) != constants.contains(node.input(1)));
    if (!layer && !add && !kPassThrough.contains(op)) {
      return Fail(ErrorCode::kFailedPrecondition,
                  where + " is not supported (xbar maps MatMul/Gemm layers)");
    }
    if (node.output_size() < 1) return Fail(ErrorCode::kDataLoss, where + " has no output");
    const std::string data = add && constants.contains(node.input(0)) ? node.input(1)
                             : node.input_size() > 0                  ? node.input(0)
                                                                      : std::string();
    if (data != current) {
      return Fail(ErrorCode::kFailedPrecondition,
                  where + " reads '" + data + "', not '" + current +
                      "' from the node before it (xbar maps one chain of layers, not a branching graph)");
    }
    if (add) {
      const auto& bias_name = constants.contains(node.input(0)) ? node.input(0) : node.input(1);
      auto bias = TensorValues(*constants.at(bias_name), where);
      if (!bias) return std::unexpected(bias.error());
      if (const double largest = LargestMagnitude(*bias); largest > 0) {
        return std::unexpected(NonZeroBias(where, largest));
      }
      current = node.output(0);
      continue;
    }
    if (!layer) {
      current = node.output(0);
      continue;
    }
    if (node.input_size() < 2) return Fail(ErrorCode::kDataLoss, where + " has fewer than 2 inputs");
    double alpha = 1, beta = 1;
    int64_t trans_a = 0, trans_b = 0;
    for (const auto& attribute : node.attribute()) {
      if (attribute.name() == "alpha") alpha = attribute.f();
      if (attribute.name() == "beta") beta = attribute.f();
      if (attribute.name() == "transA") trans_a = attribute.i();
      if (attribute.name() == "transB") trans_b = attribute.i();
    }
    if (trans_a != 0) {
      return Fail(ErrorCode::kFailedPrecondition,
                  where + ": transA = " + std::to_string(trans_a) +
                      " is not supported (the activation must be samples x features)");
    }
    const auto found = constants.find(node.input(1));
    if (found == constants.end()) {
      return Fail(ErrorCode::kFailedPrecondition,
                  where + ": weight '" + node.input(1) +
                      "' is not an initializer or a constant (xbar maps fixed weights)");
    }
    const onnx::TensorProto& w = *found->second;
    if (w.dims_size() != 2 || w.dims(0) < 1 || w.dims(1) < 1) {
      return Fail(ErrorCode::kFailedPrecondition,
                  where + ": weight '" + w.name() + "' has shape " + ShapeText(w) + ", not inputs x outputs");
    }
    auto values = TensorValues(w, where);
    if (!values) return std::unexpected(values.error());
    // Stored inputs x outputs (MatMul; Gemm without transB) or outputs x inputs (Gemm, transB = 1),
    // row-major; the model keeps outputs x inputs.
    const bool stored_outputs_first = op == "Gemm" && trans_b != 0;
    const Eigen::Index rows = static_cast<Eigen::Index>(w.dims(0)), cols = static_cast<Eigen::Index>(w.dims(1));
    const Eigen::Index inputs = stored_outputs_first ? cols : rows;
    const Eigen::Index outputs = stored_outputs_first ? rows : cols;
    Eigen::MatrixXf matrix(outputs, inputs);
    for (Eigen::Index r = 0; r < rows; ++r) {
      for (Eigen::Index c = 0; c < cols; ++c) {
        const float v = static_cast<float>(alpha * (*values)[static_cast<std::size_t>(r * cols + c)]);
        if (stored_outputs_first) {
          matrix(r, c) = v;
        } else {
          matrix(c, r) = v;
        }
      }
    }
    if (op == "Gemm" && node.input_size() > 2 && !node.input(2).empty() && beta != 0) {
      const auto bias = constants.find(node.input(2));
      if (bias == constants.end()) {
        return Fail(ErrorCode::kFailedPrecondition,
                    where + ": bias '" + node.input(2) + "' is not an initializer or a constant");
      }
      auto bias_values = TensorValues(*bias->second, where);
      if (!bias_values) return std::unexpected(bias_values.error());
      if (const double largest = LargestMagnitude(*bias_values) * std::abs(beta); largest > 0) {
        return std::unexpected(NonZeroBias(where, largest));
      }
    }
    if (!model.weights.empty() && model.weights.back().rows() != inputs) {
      return Fail(ErrorCode::kFailedPrecondition,
                  where + " takes " + std::to_string(inputs) + " inputs but " + last_layer + " gives " +
                      std::to_string(model.weights.back().rows()) + " outputs (layers must chain)");
    }
    model.weights.push_back(std::move(matrix));
    last_layer = Describe(node, k);
    current = node.output(0);
  }
  if (model.weights.empty()) {
    return Fail(ErrorCode::kFailedPrecondition,
                path + ": the graph has no MatMul or Gemm node (xbar maps MatMul/Gemm layers)");
  }
  if (graph.output_size() != 1 || graph.output(0).name() != current) {
    return Fail(ErrorCode::kFailedPrecondition,
                path + ": the graph's output is not the end of its chain of layers ('" + current +
                    "'; xbar maps one chain of layers to one output)");
  }
  return {};
}

}  // namespace

Expected<Model> ParseOnnxModel(std::string_view bytes, const std::string& path, const ImportOptions& options) {
  onnx::ModelProto proto;
  if (bytes.size() > INT_MAX || !proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Fail(ErrorCode::kDataLoss, path + ": not a valid ONNX model (truncated or corrupt protobuf, " +
                                          std::to_string(bytes.size()) + " bytes)");
  }
  if (!proto.has_graph() || proto.graph().node_size() == 0) {
    return Fail(ErrorCode::kDataLoss, path + ": not an ONNX model (no graph nodes in " +
                                          std::to_string(bytes.size()) + " bytes)");
  }
  Model model;
  model.name = std::filesystem::path(path).stem().string();
  model.neuron = options.neuron;
  model.encoding = options.encoding;
  if (auto ok = ReadLayers(proto, path, model); !ok) return std::unexpected(ok.error());
  if (auto ok = model.Validate(); !ok) {
    Error error = WithContext(ok.error(), path);
    error.code = ErrorCode::kFailedPrecondition;
    return std::unexpected(error);
  }
  return model;
}

Expected<Model> ReadOnnxModel(const std::string& path, const ImportOptions& options) {
  auto bytes = ReadFile(path);
  if (!bytes) return std::unexpected(bytes.error());
  return ParseOnnxModel(*bytes, path, options);
}

}  // namespace xbar::compiler
