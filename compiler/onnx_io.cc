// ONNX reader: walks the graph as a chain of Conv and MatMul/Gemm layers with the average pooling,
// flattening and biases between them; anything a fully memristive chip cannot run is refused
// naming the node, its op and why (docs/import.md).
#include "compiler/onnx_io.h"

#include <algorithm>
#include <bit>
#include <climits>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "onnx.pb.h"
#include "support/file_io.h"
#include "support/format.h"

namespace xbar::compiler {
namespace {

static_assert(std::endian::native == std::endian::little, "ONNX raw_data is little-endian");

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

std::unexpected<Error> WrongDataType(const std::string& what, const onnx::TensorProto& t, const std::string& reads) {
  return Fail(ErrorCode::kFailedPrecondition,
              what + " has data type " +
                  onnx::TensorProto_DataType_Name(static_cast<onnx::TensorProto_DataType>(t.data_type())) +
                  " (xbar reads " + reads + ")");
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
    return WrongDataType(what, t, "float32 and float64 weights");
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

/// Values of an int64 or int32 tensor (raw_data or int64_data/int32_data), e.g. a Pad's pads.
Expected<std::vector<int64_t>> IntValues(const onnx::TensorProto& t, const std::string& where) {
  const std::string what = where + ": tensor '" + t.name() + "'";
  const bool is64 = t.data_type() == onnx::TensorProto_DataType_INT64;
  if (!is64 && t.data_type() != onnx::TensorProto_DataType_INT32) return WrongDataType(what, t, "int64 and int32 pads");
  uint64_t count = 1;
  for (int64_t d : t.dims()) {
    if (d < 0 || d > 1024 || (count *= static_cast<uint64_t>(d)) > 1024) {
      return Fail(ErrorCode::kDataLoss, what + " has shape " + ShapeText(t) + " (more than 1024 values)");
    }
  }
  const std::size_t item = is64 ? 8 : 4;
  const std::size_t held = !t.raw_data().empty() ? t.raw_data().size() / item
                           : is64                ? static_cast<std::size_t>(t.int64_data_size())
                                                 : static_cast<std::size_t>(t.int32_data_size());
  if (held != count || (!t.raw_data().empty() && t.raw_data().size() != count * item)) {
    return Fail(ErrorCode::kDataLoss, what + " holds " + std::to_string(held) + " values but its shape " +
                                          ShapeText(t) + " needs " + std::to_string(count));
  }
  std::vector<int64_t> values(count);
  for (std::size_t k = 0; k < count; ++k) {
    if (!t.raw_data().empty()) {
      if (is64) {
        std::memcpy(&values[k], t.raw_data().data() + 8 * k, 8);
      } else {
        int32_t v;
        std::memcpy(&v, t.raw_data().data() + 4 * k, 4);
        values[k] = v;
      }
    } else {
      values[k] = is64 ? t.int64_data(static_cast<int>(k)) : t.int32_data(static_cast<int>(k));
    }
  }
  return values;
}

double LargestMagnitude(const std::vector<double>& values) {
  double largest = 0;
  for (double v : values) largest = std::max(largest, std::abs(v));
  return largest;
}

/// "1,1,0,0" or "3x5".
std::string Join(const std::vector<int64_t>& values, const char* separator) {
  std::string text;
  for (std::size_t k = 0; k < values.size(); ++k) text += (k ? separator : "") + std::to_string(values[k]);
  return text;
}

const onnx::AttributeProto* FindAttribute(const onnx::NodeProto& node, std::string_view name) {
  for (const auto& attribute : node.attribute()) {
    if (attribute.name() == name) return &attribute;
  }
  return nullptr;
}

/// The ints of attribute `name`, or `fallback` when the node does not have it.
std::vector<int64_t> Ints(const onnx::NodeProto& node, std::string_view name, std::vector<int64_t> fallback) {
  const auto* attribute = FindAttribute(node, name);
  if (attribute == nullptr) return fallback;
  return {attribute->ints().begin(), attribute->ints().end()};
}

int64_t Int(const onnx::NodeProto& node, std::string_view name, int64_t fallback) {
  const auto* attribute = FindAttribute(node, name);
  return attribute == nullptr ? fallback : attribute->i();
}

bool AllEqual(const std::vector<int64_t>& values, int64_t v) {
  return std::all_of(values.begin(), values.end(), [v](int64_t x) { return x == v; });
}

/// Activation ops: on a MIF chip the neurons after every weight layer are the nonlinearity.
const std::set<std::string, std::less<>> kActivations = {
    "Relu", "LeakyRelu", "PRelu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Elu", "Selu",
    "Celu", "Gelu", "Erf", "Softplus", "Softsign", "Mish", "ThresholdedRelu", "Clip"};

/// Why an op cannot run on a fully memristive chip, for the ops people commonly export; empty
/// for the ops this reader maps or does not know.
std::string Refusal(std::string_view op) {
  if (kActivations.contains(op)) {
    return "the MIF neuron after every weight layer is the nonlinearity; export the network without activations";
  }
  if (op == "Softmax" || op == "LogSoftmax") {
    return "the readout is the time-mean membrane voltage of the output neurons; export the network without "
           "softmax";
  }
  if (op == "MaxPool" || op == "GlobalMaxPool") return "max pooling is not a linear analog operation; use AvgPool2d";
  if (op == "BatchNormalization" || op == "InstanceNormalization" || op == "LayerNormalization") {
    return "normalisation is not a crossbar operation; fold it into the weights before export (export in eval mode)";
  }
  return "";
}

/// The activation's shape from the graph input: N x C x H x W gives (C, H, W), N x F gives (F, 1, 1);
/// nothing when the input has another rank, unknown sizes or more than 2^24 values per sample.
std::optional<Shape3> InputShape(const onnx::GraphProto& graph, const std::string& name) {
  for (const auto& input : graph.input()) {
    if (input.name() != name || !input.type().has_tensor_type()) continue;
    const auto& shape = input.type().tensor_type().shape();
    std::vector<int64_t> dims;
    int64_t size = 1;
    for (int d = 1; d < shape.dim_size(); ++d) {
      const int64_t n = shape.dim(d).has_dim_value() ? shape.dim(d).dim_value() : 0;
      if (n < 1 || n > (int64_t{1} << 24) || (size *= n) > (int64_t{1} << 24)) return std::nullopt;
      dims.push_back(n);
    }
    if (dims.size() == 3) {
      return Shape3{static_cast<int>(dims[0]), static_cast<int>(dims[1]), static_cast<int>(dims[2])};
    }
    if (dims.size() == 1) return Shape3{static_cast<int>(dims[0]), 1, 1};
  }
  return std::nullopt;
}

/// The walk along the chain: which tensor carries the activation, its shape, and what lies between
/// the last weight layer and the next one.
struct Chain {
  std::string current;           // the tensor that carries the activation
  std::optional<Shape3> shape;   // its shape before any flatten (unknown for a graph input without one)
  std::string input_name;        // the graph input (for messages)
  bool flat = false;             // flattened or reshaped since shape was known: no convolution or pooling
  PoolKind pool = PoolKind::kNone;  // pooling waiting for the next weight layer
  int pool_size = 1;
  std::string pool_node;
  std::string last_output;       // the output tensor of the last weight layer (its bias may follow)
  bool dense_before = false;     // the last weight layer is dense
};

/// Reads a bias tensor of `outputs` values (or one value for all) times `scale`; empty when all
/// are zero, which gives a layer without bias.
Expected<std::vector<double>> ReadBias(const std::map<std::string, const onnx::TensorProto*, std::less<>>& constants,
                                       const std::string& name, double scale, int outputs, const std::string& where) {
  const auto found = constants.find(name);
  if (found == constants.end()) {
    return Fail(ErrorCode::kFailedPrecondition,
                where + ": bias '" + name + "' is not an initializer or a constant (xbar maps fixed weights)");
  }
  auto values = TensorValues(*found->second, where);
  if (!values) return std::unexpected(values.error());
  if (values->size() == 1) values->assign(static_cast<std::size_t>(outputs), values->front());
  if (values->size() != static_cast<std::size_t>(outputs)) {
    return Fail(ErrorCode::kFailedPrecondition, where + ": bias '" + name + "' has " + std::to_string(values->size()) +
                                                    " values for " + std::to_string(outputs) + " outputs");
  }
  for (double& v : *values) v *= scale;
  if (LargestMagnitude(*values) == 0) values->clear();
  return values;
}

/// Appends `bias` to the layer as its last weight column (or adds it to the column it has).
void AddBias(const std::vector<double>& bias, Eigen::MatrixXf& matrix, LayerShape& shape) {
  if (bias.empty()) return;
  if (!shape.bias) {
    matrix.conservativeResize(Eigen::NoChange, matrix.cols() + 1);
    matrix.col(matrix.cols() - 1).setZero();
    shape.bias = true;
  }
  for (std::size_t r = 0; r < bias.size(); ++r) {
    matrix(static_cast<Eigen::Index>(r), matrix.cols() - 1) += static_cast<float>(bias[r]);
  }
}

/// A Conv node as a convolution layer (rules: docs/import.md); `chain` says what it reads.
Expected<std::pair<LayerShape, Eigen::MatrixXf>> ReadConv(
    const onnx::NodeProto& node, const std::map<std::string, const onnx::TensorProto*, std::less<>>& constants,
    const Chain& chain, int index, const std::string& where) {
  auto refuse = [&](const std::string& why) { return Fail(ErrorCode::kFailedPrecondition, where + ": " + why); };
  if (node.input_size() < 2) return Fail(ErrorCode::kDataLoss, where + " has fewer than 2 inputs");
  const auto found = constants.find(node.input(1));
  if (found == constants.end()) {
    return refuse("weight '" + node.input(1) + "' is not an initializer or a constant (xbar maps fixed weights)");
  }
  const onnx::TensorProto& w = *found->second;
  if (w.dims_size() != 4 || w.dims(0) < 1 || w.dims(1) < 1 || w.dims(2) < 1 || w.dims(3) < 1) {
    return refuse("weight '" + w.name() + "' has shape " + ShapeText(w) +
                  ", not out_channels x in_channels x k x k (xbar maps 2-D convolutions)");
  }
  const std::vector<int64_t> kernel = Ints(node, "kernel_shape", {w.dims(2), w.dims(3)});
  const std::vector<int64_t> strides = Ints(node, "strides", {1, 1});
  const std::vector<int64_t> pads = Ints(node, "pads", {0, 0, 0, 0});
  const std::vector<int64_t> dilations = Ints(node, "dilations", {1, 1});
  const int64_t group = Int(node, "group", 1);
  const auto* auto_pad = FindAttribute(node, "auto_pad");
  if (auto_pad != nullptr && auto_pad->s() != "NOTSET" && auto_pad->s() != "VALID") {
    return refuse("auto_pad " + auto_pad->s() + " is not supported (export with an explicit padding=P)");
  }
  if (group != 1) {
    return refuse("group " + std::to_string(group) +
                  " is not supported (xbar maps convolutions over all input channels; use groups=1)");
  }
  if (!AllEqual(dilations, 1)) {
    return refuse("dilations " + Join(dilations, "x") +
                  " are not supported (a crossbar applies a contiguous kernel; use dilation=1)");
  }
  if (kernel.size() != 2 || kernel[0] != kernel[1]) {
    return refuse("kernel " + Join(kernel, "x") + " is not square (xbar maps k x k kernels)");
  }
  if (kernel[0] != w.dims(2) || kernel[1] != w.dims(3)) {
    return Fail(ErrorCode::kDataLoss,
                where + ": kernel_shape " + Join(kernel, "x") + " does not match weight '" + w.name() + "' of shape " +
                    ShapeText(w));
  }
  if (strides.size() != 2 || strides[0] != strides[1]) {
    return refuse("strides " + Join(strides, "x") + " differ (xbar maps the same stride in both directions)");
  }
  if (pads.size() != 4 || !AllEqual(pads, pads[0])) {
    return refuse("pads " + Join(pads, ",") +
                  " are not the same on all sides (xbar pads symmetrically; use padding=P)");
  }
  if (!chain.shape) {
    return refuse("the graph input '" + chain.input_name +
                  "' has no N x C x H x W shape (export with a 4-D example input such as 1x1x28x28)");
  }
  if (chain.flat || chain.dense_before) {
    return refuse("convolves a flat activation (xbar convolves the image or a convolution's output)");
  }
  LayerShape shape;
  shape.kind = LayerKind::kConv;
  shape.source = *chain.shape;
  shape.pool = chain.pool;
  shape.pool_size = chain.pool_size;
  shape.kernel = static_cast<int>(std::min<int64_t>(kernel[0], 1 << 20));
  shape.stride = static_cast<int>(std::clamp<int64_t>(strides[0], -1, 1 << 20));
  shape.padding = static_cast<int>(std::clamp<int64_t>(pads[0], -1, 1 << 20));
  shape.out_channels = static_cast<int>(std::min<int64_t>(w.dims(0), 1 << 20));
  if (w.dims(1) != shape.input().c) {
    return refuse("weight '" + w.name() + "' has " + std::to_string(w.dims(1)) + " input channels but its input is " +
                  shape.input().ToString());
  }
  if (auto ok = shape.Validate(index); !ok) return refuse(ok.error().message);
  auto values = TensorValues(w, where);
  if (!values) return std::unexpected(values.error());
  // PyTorch's weight order (out, in, ky, kx) is the matrix's: one row per output channel.
  const Eigen::Index rows = shape.out_channels, cols = shape.fan_in();
  Eigen::MatrixXf matrix(rows, cols);
  for (Eigen::Index r = 0; r < rows; ++r) {
    for (Eigen::Index c = 0; c < cols; ++c) {
      matrix(r, c) = static_cast<float>((*values)[static_cast<std::size_t>(r * cols + c)]);
    }
  }
  if (node.input_size() > 2 && !node.input(2).empty()) {
    auto bias = ReadBias(constants, node.input(2), 1.0, shape.out_channels, where);
    if (!bias) return std::unexpected(bias.error());
    AddBias(*bias, matrix, shape);
  }
  return std::pair{shape, std::move(matrix)};
}

/// A MatMul or Gemm node as a dense layer (rules: docs/import.md).
Expected<std::pair<LayerShape, Eigen::MatrixXf>> ReadDense(
    const onnx::NodeProto& node, const std::map<std::string, const onnx::TensorProto*, std::less<>>& constants,
    const Chain& chain, const std::string& last_layer, const std::string& where) {
  const std::string& op = node.op_type();
  if (node.input_size() < 2) return Fail(ErrorCode::kDataLoss, where + " has fewer than 2 inputs");
  const double alpha = FindAttribute(node, "alpha") ? FindAttribute(node, "alpha")->f() : 1.0;
  const double beta = FindAttribute(node, "beta") ? FindAttribute(node, "beta")->f() : 1.0;
  const int64_t trans_a = Int(node, "transA", 0), trans_b = Int(node, "transB", 0);
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
  LayerShape shape = LayerShape::Dense(static_cast<int>(inputs), static_cast<int>(outputs));
  if (chain.shape) {
    shape.source = *chain.shape;
    shape.pool = chain.pool;
    shape.pool_size = chain.pool_size;
    if (shape.input().size() != inputs) {
      const std::string from = last_layer.empty() ? "the graph input '" + chain.input_name + "'" : last_layer;
      return Fail(ErrorCode::kFailedPrecondition,
                  where + " takes " + std::to_string(inputs) + " inputs but " + from + " gives " +
                      std::to_string(shape.input().size()) + (last_layer.empty() ? " values" : " outputs") +
                      (chain.pool != PoolKind::kNone ? " after pooling" : "") + " (layers must chain)");
    }
  }
  if (op == "Gemm" && node.input_size() > 2 && !node.input(2).empty() && beta != 0) {
    auto bias = ReadBias(constants, node.input(2), beta, static_cast<int>(outputs), where);
    if (!bias) return std::unexpected(bias.error());
    AddBias(*bias, matrix, shape);
  }
  return std::pair{shape, std::move(matrix)};
}

/// Reads the graph of `model_proto` into `model.weights` and `model.layers`; `path` prefixes
/// every message.
Expected<void> ReadLayers(const onnx::ModelProto& model_proto, const std::string& path, Model& model) {
  const auto& graph = model_proto.graph();
  std::map<std::string, const onnx::TensorProto*, std::less<>> constants;
  for (const auto& t : graph.initializer()) constants[t.name()] = &t;
  Chain chain;
  // The activation enters through the one graph input that is not an initializer.
  for (const auto& input : graph.input()) {
    if (!constants.contains(input.name())) {
      chain.current = input.name();
      break;
    }
  }
  if (chain.current.empty()) return Fail(ErrorCode::kDataLoss, path + ": the graph has no input");
  chain.shape = InputShape(graph, chain.current);
  chain.input_name = chain.current;
  std::vector<LayerShape> shapes;
  std::string last_layer;  // description of the node that made the last layer
  for (int k = 0; k < graph.node_size(); ++k) {
    const auto& node = graph.node(k);
    const std::string& op = node.op_type();
    const std::string where = path + ": " + Describe(node, k);
    auto refuse = [&](const std::string& why) { return Fail(ErrorCode::kFailedPrecondition, where + ": " + why); };
    if (op == "Constant") {
      for (const auto& attribute : node.attribute()) {
        if (attribute.name() == "value" && attribute.has_t() && node.output_size() == 1) {
          constants[node.output(0)] = &attribute.t();
        }
      }
      continue;
    }
    if (op == "Shape") continue;  // computes a shape for a later Reshape, not an activation
    if (const std::string why = Refusal(op); !why.empty()) return refuse(why);
    const bool layer = op == "MatMul" || op == "Gemm" || op == "Conv";
    const bool add = op == "Add" && node.input_size() == 2 &&
                     (constants.contains(node.input(0)) != constants.contains(node.input(1)));
    const bool reshape = op == "Flatten" || op == "Reshape" || op == "Squeeze" || op == "Unsqueeze";
    const bool identity = op == "Identity" || op == "Dropout";
    if (!layer && !add && !reshape && !identity && op != "AveragePool" && op != "Pad") {
      return Fail(ErrorCode::kFailedPrecondition,
                  where + " is not supported (xbar maps Conv, AveragePool, Flatten and MatMul/Gemm layers)");
    }
    if (node.output_size() < 1) return Fail(ErrorCode::kDataLoss, where + " has no output");
    const std::string data = add && constants.contains(node.input(0)) ? node.input(1)
                             : node.input_size() > 0                  ? node.input(0)
                                                                      : std::string();
    if (data != chain.current) {
      return Fail(ErrorCode::kFailedPrecondition,
                  where + " reads '" + data + "', not '" + chain.current +
                      "' from the node before it (xbar maps one chain of layers, not a branching graph)");
    }
    const std::string next = node.output(0);
    if (identity || reshape) {
      chain.flat = chain.flat || reshape;
    } else if (op == "Pad") {
      // torch 1.13 writes AvgPool2d as a Pad of zeros and an AveragePool; a zero Pad is dropped.
      std::vector<int64_t> pads = Ints(node, "pads", {});
      if (node.input_size() > 1 && !node.input(1).empty()) {
        const auto found = constants.find(node.input(1));
        if (found == constants.end()) return refuse("pads '" + node.input(1) + "' are not a constant");
        auto values = IntValues(*found->second, where);
        if (!values) return std::unexpected(values.error());
        pads = *values;
      }
      if (!AllEqual(pads, 0)) {
        return refuse("pads " + Join(pads, ",") +
                      " are not zero (xbar pools without padding; a convolution pads through its own padding=P)");
      }
    } else if (op == "AveragePool") {
      const std::vector<int64_t> kernel = Ints(node, "kernel_shape", {});
      const std::vector<int64_t> strides = Ints(node, "strides", {1, 1});
      const std::vector<int64_t> pads = Ints(node, "pads", {0, 0, 0, 0});
      const auto* auto_pad = FindAttribute(node, "auto_pad");
      if (kernel.size() != 2 || kernel[0] != kernel[1]) {
        return refuse("window " + Join(kernel, "x") + " is not square (xbar pools k x k windows)");
      }
      if (strides != kernel) {
        return refuse("window " + Join(kernel, "x") + " with stride " + Join(strides, "x") +
                      " (xbar pools with window = stride)");
      }
      if (!AllEqual(pads, 0) || (auto_pad != nullptr && auto_pad->s() != "NOTSET" && auto_pad->s() != "VALID")) {
        return refuse("pads " + Join(pads, ",") + " are not zero (xbar pools without padding; use padding=0)");
      }
      if (shapes.empty()) return refuse("pools the image (xbar pools the output of a weight layer; put a layer first)");
      if (chain.pool != PoolKind::kNone) {
        return refuse("follows " + chain.pool_node + " (one pooling between two layers)");
      }
      if (chain.flat || shapes.back().kind != LayerKind::kConv) {
        return refuse("pools a flat activation (xbar pools a convolution's output)");
      }
      if (kernel[0] < 1 || chain.shape->h % kernel[0] != 0 || chain.shape->w % kernel[0] != 0) {
        return refuse("window " + std::to_string(kernel[0]) + " does not divide its input " + chain.shape->ToString());
      }
      chain.pool = PoolKind::kAverage;
      chain.pool_size = static_cast<int>(std::min<int64_t>(kernel[0], 1 << 20));
      chain.pool_node = Describe(node, k);
    } else if (add) {
      // A constant added right after a layer is its bias (PyTorch's Linear on 3-D inputs); zero is
      // dropped anywhere.
      const auto& bias_name = constants.contains(node.input(0)) ? node.input(0) : node.input(1);
      auto values = TensorValues(*constants.at(bias_name), where);
      if (!values) return std::unexpected(values.error());
      if (LargestMagnitude(*values) > 0) {
        if (shapes.empty() || chain.current != chain.last_output) {
          return refuse("adds a constant that is not the bias of a layer (it does not follow a Conv, MatMul or Gemm)");
        }
        auto bias = ReadBias(constants, bias_name, 1.0, shapes.back().out_channels, where);
        if (!bias) return std::unexpected(bias.error());
        AddBias(*bias, model.weights.back(), shapes.back());
      }
      if (chain.current == chain.last_output) chain.last_output = next;
    } else {
      auto read = op == "Conv" ? ReadConv(node, constants, chain, static_cast<int>(shapes.size()), where)
                               : ReadDense(node, constants, chain, last_layer, where);
      if (!read) return std::unexpected(read.error());
      auto& [shape, matrix] = *read;
      shapes.push_back(shape);
      model.weights.push_back(std::move(matrix));
      last_layer = Describe(node, k);
      chain.shape = shape.output();
      chain.flat = false;
      chain.pool = PoolKind::kNone;
      chain.pool_size = 1;
      chain.last_output = next;
      chain.dense_before = shape.kind == LayerKind::kDense;
    }
    chain.current = next;
  }
  if (model.weights.empty()) {
    return Fail(ErrorCode::kFailedPrecondition,
                path + ": the graph has no Conv, MatMul or Gemm node (xbar maps Conv and MatMul/Gemm layers)");
  }
  if (chain.pool != PoolKind::kNone) {
    return Fail(ErrorCode::kFailedPrecondition,
                path + ": " + chain.pool_node + " pools the output of the last layer (the readout is a dense layer)");
  }
  if (graph.output_size() != 1 || graph.output(0).name() != chain.current) {
    return Fail(ErrorCode::kFailedPrecondition,
                path + ": the graph's output is not the end of its chain of layers ('" + chain.current +
                    "'; xbar maps one chain of layers to one output)");
  }
  // A plain dense network keeps no geometry, so its model file is what it always was.
  if (!AllPlainDense(shapes)) model.layers = std::move(shapes);
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
