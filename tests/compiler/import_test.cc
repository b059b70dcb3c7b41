// Model import: PyTorch-exported ONNX (dense and convolutional) against PyTorch's own outputs, .npy
// lists, every rejection.
#include "compiler/import.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>

#include "compiler/model_io.h"
#include "onnx.pb.h"
#include "runtime/layer_ops.h"
#include "runtime/snn.h"
#include "support/file_io.h"
#include "support/npy.h"
#include "tests/testing/temp.h"

namespace xbar::compiler {
namespace {

namespace fs = std::filesystem;

std::string Data(const std::string& name) { return std::string(XBAR_SOURCE_DIR) + "/tests/data/" + name; }

std::string TempPath(const std::string& name) {
  return (::xbar::testing::TempDir() / ("xbar_import_" + name)).string();
}

/// The encoding tests/data/make_onnx.py used (T = 20, P = 5, the other values are xbar's defaults).
ImportOptions MakeOnnxOptions() {
  ImportOptions options;
  options.encoding.steps = 20;
  options.encoding.period = 5;
  return options;
}

Model MustImport(const std::string& spec, const ImportOptions& options = MakeOnnxOptions()) {
  auto model = ImportModel(spec, options);
  EXPECT_TRUE(model.has_value()) << model.error().message;
  return model ? *model : Model{};
}

Error MustFail(const std::string& spec, const ImportOptions& options = {}) {
  auto model = ImportModel(spec, options);
  EXPECT_FALSE(model.has_value()) << spec;
  return model ? Error{} : model.error();
}

TEST(ImportOnnx, ForwardPassMatchesPyTorchMifLogits) {
  const Model model = MustImport(Data("mlp.onnx"));
  ASSERT_EQ(model.LayerSizes(), (std::vector<int>{784, 16, 10}));
  EXPECT_TRUE(model.layers.empty());  // plain dense: the model file is what it always was
  EXPECT_EQ(model.name, "mlp");
  EXPECT_EQ(model.encoding.steps, 20);
  EXPECT_EQ(model.encoding.period, 5);
  EXPECT_EQ(model.encoding.readout_scale, Encoding{}.readout_scale);
  auto inputs = ReadNpy(Data("mlp_inputs.npy"));
  auto expected = ReadNpy(Data("mlp_logits.npy"));
  ASSERT_TRUE(inputs.has_value() && expected.has_value());
  ASSERT_EQ(inputs->data.cols(), 784);
  std::vector<runtime::Mat<double>> weights;
  for (const auto& w : model.weights) weights.push_back(w.cast<double>());
  runtime::SnnEngine<double> engine(model.neuron, model.encoding);
  const runtime::Mat<double> x = inputs->data.transpose();
  const runtime::Mat<double> logits = engine.Forward(weights, x, false);
  const Eigen::MatrixXd reference = expected->data.transpose();
  ASSERT_EQ(logits.rows(), reference.rows());
  ASSERT_EQ(logits.cols(), reference.cols());
  const double relative = (logits - reference).norm() / reference.norm();
  std::cout << "relative error against PyTorch (float64): " << relative << "\n";
  RecordProperty("relative_error", std::to_string(relative));
  EXPECT_LE(relative, 1e-10);  // measured 3.3e-16: both sides are float64 with float32 weights
  // A test that can fail: the logits are far from uniform, so a transposed or shuffled layer shows.
  EXPECT_GT(reference.norm(), 10.0);
}

TEST(ImportOnnx, GemmWithTransBAndZeroBiasGivesTheSameModel) {
  const Model matmul = MustImport(Data("mlp.onnx"));
  const Model gemm = MustImport(Data("mlp_gemm.onnx"));
  ASSERT_EQ(gemm.weights.size(), 2u);
  EXPECT_TRUE(gemm.layers.empty());  // a C of zeros gives a layer without bias
  EXPECT_EQ(gemm.weights[0], matmul.weights[0]);
  EXPECT_EQ(gemm.weights[1], matmul.weights[1]);
}

TEST(ImportNpy, WeightListGivesTheSameModelAsOnnx) {
  const Model onnx = MustImport(Data("mlp.onnx"));
  // mlp_w1.npy is float32, mlp_w2.npy float64.
  const Model npy = MustImport(Data("mlp_w1.npy") + "," + Data("mlp_w2.npy"));
  EXPECT_EQ(npy.name, "mlp_w1");
  ASSERT_EQ(npy.weights.size(), 2u);
  EXPECT_EQ(npy.weights[0], onnx.weights[0]);
  EXPECT_EQ(npy.weights[1], onnx.weights[1]);
  EXPECT_EQ(npy.encoding.steps, 20);
}

TEST(ImportXbm, KeepsTheFilesOwnSettings) {
  const std::string path = TempPath("model.xbm");
  Model m = MustImport(Data("mlp.onnx"));
  m.encoding.steps = 40;
  m.encoding.period = 8;
  m.neuron.k_mv = 12;
  ASSERT_TRUE(WriteModel(path, m).has_value());
  const Model back = MustImport(path, ImportOptions{});
  EXPECT_EQ(back.encoding.steps, 40);
  EXPECT_EQ(back.encoding.period, 8);
  EXPECT_EQ(back.neuron.k_mv, 12);
  EXPECT_EQ(back.weights[0], m.weights[0]);
  fs::remove(path);
}

/// Writes a one-input, one-output ONNX graph with `nodes` and `initializers`; the input has the
/// shape `input_dims` (e.g. {1, 1, 6, 6}), or none when it is empty.
std::string WriteGraph(const std::string& name, const std::vector<onnx::NodeProto>& nodes,
                       const std::vector<onnx::TensorProto>& initializers,
                       const std::vector<int64_t>& input_dims = {}) {
  onnx::ModelProto model;
  model.set_ir_version(8);
  auto* graph = model.mutable_graph();
  auto* input = graph->add_input();
  input->set_name("x");
  auto* shape = input->mutable_type()->mutable_tensor_type()->mutable_shape();
  for (int64_t d : input_dims) shape->add_dim()->set_dim_value(d);
  for (const auto& n : nodes) *graph->add_node() = n;
  for (const auto& t : initializers) *graph->add_initializer() = t;
  graph->add_output()->set_name(nodes.back().output(0));
  const std::string path = TempPath(name);
  EXPECT_TRUE(WriteFileAtomic(path, model.SerializeAsString()).has_value());
  return path;
}

onnx::NodeProto Node(const std::string& op, const std::vector<std::string>& inputs, const std::string& output) {
  onnx::NodeProto n;
  n.set_name(output + "_node");
  n.set_op_type(op);
  for (const auto& i : inputs) n.add_input(i);
  n.add_output(output);
  return n;
}

/// Adds the ints attribute `name` to `node`.
void SetInts(onnx::NodeProto& node, const std::string& name, const std::vector<int64_t>& values) {
  auto* attribute = node.add_attribute();
  attribute->set_name(name);
  attribute->set_type(onnx::AttributeProto_AttributeType_INTS);
  for (int64_t v : values) attribute->add_ints(v);
}

onnx::TensorProto Tensor(const std::string& name, std::vector<int64_t> dims, const std::vector<double>& values,
                         bool as_double) {
  onnx::TensorProto t;
  t.set_name(name);
  for (int64_t d : dims) t.add_dims(d);
  t.set_data_type(as_double ? onnx::TensorProto_DataType_DOUBLE : onnx::TensorProto_DataType_FLOAT);
  for (double v : values) {
    if (as_double) {
      t.add_double_data(v);
    } else {
      t.add_float_data(static_cast<float>(v));
    }
  }
  return t;
}

TEST(ImportOnnx, FoldsAlphaAndReadsFloatAndDoubleData) {
  // Gemm without transB (B is inputs x outputs), alpha 0.5, no bias; Dropout; MatMul on float64.
  onnx::NodeProto gemm = Node("Gemm", {"x", "w1"}, "h");
  auto* alpha = gemm.add_attribute();
  alpha->set_name("alpha");
  alpha->set_type(onnx::AttributeProto_AttributeType_FLOAT);
  alpha->set_f(0.5f);
  const std::vector<double> w1 = {1, 2, 3, 4, 5, 6};  // 3 inputs x 2 outputs
  const std::vector<double> w2 = {0.25, -0.5};        // 2 inputs x 1 output
  const std::string path = WriteGraph("alpha.onnx",
                                      {gemm, Node("Dropout", {"h"}, "t"), Node("MatMul", {"t", "w2"}, "y")},
                                      {Tensor("w1", {3, 2}, w1, false), Tensor("w2", {2, 1}, w2, true)});
  const Model m = MustImport(path);
  ASSERT_EQ(m.LayerSizes(), (std::vector<int>{3, 2, 1}));
  Eigen::MatrixXf expect1(2, 3);
  expect1 << 0.5f, 1.5f, 2.5f, 1.0f, 2.0f, 3.0f;
  EXPECT_EQ(m.weights[0], expect1);
  EXPECT_EQ(m.weights[1](0, 0), 0.25f);
  EXPECT_EQ(m.weights[1](0, 1), -0.5f);
  fs::remove(path);
}

TEST(ImportOnnx, RejectsUnsupportedOpsNamingTheNode) {
  const std::string path = WriteGraph("sin.onnx", {Node("MatMul", {"x", "w"}, "h"), Node("Sin", {"h"}, "y")},
                                      {Tensor("w", {2, 2}, {1, 0, 0, 1}, false)});
  const Error e = MustFail(path);
  EXPECT_EQ(e.code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(e.message,
            path + ": node 'y_node' (Sin) is not supported (xbar maps Conv, AveragePool, Flatten and MatMul/Gemm "
                   "layers)");
  fs::remove(path);
}

TEST(ImportOnnx, RejectsLayersThatDoNotChain) {
  const std::string path = Data("nochain.onnx");
  EXPECT_EQ(MustFail(path).message,
            path + ": node '/fc2/MatMul' (MatMul) takes 4 inputs but node '/fc1/MatMul' (MatMul) gives 8 "
                   "outputs (layers must chain)");
}

TEST(ImportOnnx, BiasBecomesTheLastWeightColumn) {
  // nn.Linear(6, 4) with its default non-zero bias: Gemm with C.
  const Model linear = MustImport(Data("bias.onnx"));
  ASSERT_EQ(linear.layers.size(), 1u);
  EXPECT_TRUE(linear.layers[0].bias);
  EXPECT_FALSE(linear.IsPlainDense());
  EXPECT_EQ(linear.Describe(), "6-4b");
  ASSERT_EQ(linear.weights[0].rows(), 4);
  ASSERT_EQ(linear.weights[0].cols(), 7);
  EXPECT_NEAR(linear.weights[0].col(6).cwiseAbs().maxCoeff(), 0.377, 5e-4);  // largest |b| of the export
  // The same through a separate Add, as PyTorch writes Linear on 3-D inputs.
  const std::string add = WriteGraph("add.onnx", {Node("MatMul", {"x", "w"}, "h"), Node("Add", {"h", "b"}, "y")},
                                     {Tensor("w", {2, 2}, {1, 0, 0, 1}, false), Tensor("b", {1, 2}, {0, -2}, false)});
  const Model m = MustImport(add);
  Eigen::MatrixXf expect(2, 3);
  expect << 1, 0, 0, 0, 1, -2;
  EXPECT_EQ(m.weights[0], expect);
  EXPECT_EQ(m.Describe(), "2-2b");
  // A constant added anywhere but right after a layer is not a bias.
  const std::string loose = WriteGraph(
      "loose_add.onnx", {Node("MatMul", {"x", "w"}, "h"), Node("Flatten", {"h"}, "f"), Node("Add", {"f", "b"}, "y")},
      {Tensor("w", {2, 2}, {1, 0, 0, 1}, false), Tensor("b", {1, 2}, {0, -2}, false)});
  EXPECT_EQ(MustFail(loose).message, loose + ": node 'y_node' (Add): adds a constant that is not the bias of a layer "
                                             "(it does not follow a Conv, MatMul or Gemm)");
  for (const auto& p : {add, loose}) fs::remove(p);
}

TEST(ImportOnnx, RejectsTruncatedAndEmptyFiles) {
  const auto file = ReadFile(Data("mlp.onnx"));
  ASSERT_TRUE(file.has_value()) << file.error().message;
  const std::string& bytes = *file;
  const std::string path = TempPath("truncated.onnx");
  ASSERT_TRUE(WriteFileAtomic(path, bytes.substr(0, bytes.size() / 2)).has_value());
  Error e = MustFail(path);
  EXPECT_EQ(e.code, ErrorCode::kDataLoss);
  EXPECT_EQ(e.message, path + ": not a valid ONNX model (truncated or corrupt protobuf, " +
                           std::to_string(bytes.size() / 2) + " bytes)");
  ASSERT_TRUE(WriteFileAtomic(path, "").has_value());
  e = MustFail(path);
  EXPECT_EQ(e.code, ErrorCode::kDataLoss);
  EXPECT_EQ(e.message, path + ": not an ONNX model (no graph nodes in 0 bytes)");
  EXPECT_EQ(MustFail("/nonexistent-xbar/m.onnx").code, ErrorCode::kNotFound);
  fs::remove(path);
}

TEST(ImportOnnx, RejectsOtherDataTypesAndBranchingGraphs) {
  onnx::TensorProto half = Tensor("w", {2, 2}, {}, false);
  half.set_data_type(onnx::TensorProto_DataType_FLOAT16);
  half.set_raw_data(std::string(8, '\0'));
  const std::string f16 = WriteGraph("f16.onnx", {Node("MatMul", {"x", "w"}, "y")}, {half});
  EXPECT_EQ(MustFail(f16).message, f16 + ": node 'y_node' (MatMul): tensor 'w' has data type FLOAT16 (xbar "
                                         "reads float32 and float64 weights)");
  const std::string branch =
      WriteGraph("branch.onnx", {Node("MatMul", {"x", "w"}, "h"), Node("MatMul", {"x", "w"}, "y")},
                 {Tensor("w", {2, 2}, {1, 0, 0, 1}, false)});
  EXPECT_EQ(MustFail(branch).message, branch + ": node 'y_node' (MatMul) reads 'x', not 'h' from the node before "
                                               "it (xbar maps one chain of layers, not a branching graph)");
  onnx::TensorProto short_data = Tensor("w", {2, 2}, {1, 2, 3}, false);
  const std::string lossy = WriteGraph("short.onnx", {Node("MatMul", {"x", "w"}, "y")}, {short_data});
  const Error e = MustFail(lossy);
  EXPECT_EQ(e.code, ErrorCode::kDataLoss);
  EXPECT_EQ(e.message, lossy + ": node 'y_node' (MatMul): tensor 'w' holds 3 values but its shape 2x2 needs 4");
  for (const auto& p : {f16, branch, lossy}) fs::remove(p);
}

// Found while writing tests/fuzz/onnx_fuzz: a 93-byte file declaring a 32768x65536 weight with no data made
// the reader allocate 16 GiB before it checked that the data were there.
TEST(ImportOnnx, RejectsAHugeShapeWithoutDataBeforeAllocatingIt) {
  const std::string huge = WriteGraph("huge.onnx", {Node("MatMul", {"x", "w"}, "y")},
                                      {Tensor("w", {32768, 65536}, {}, false)});
  const Error e = MustFail(huge);
  EXPECT_EQ(e.code, ErrorCode::kDataLoss);
  EXPECT_EQ(e.message,
            huge + ": node 'y_node' (MatMul): tensor 'w' holds 0 values but its shape 32768x65536 needs 2147483648");
  fs::remove(huge);
}

TEST(ImportModelSpec, RejectsUnknownExtensionsListingWhatIsAccepted) {
  for (const std::string spec : {"model.pt", "a.npy,b.onnx", "weights.npy,", "model"}) {
    const Error e = MustFail(spec);
    EXPECT_EQ(e.code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(e.message, "model '" + spec +
                             "' is not a .xbm file, a .onnx file, a .nir file or a comma-separated list of .npy weight files");
  }
  EXPECT_EQ(*ModelFormatOf("M.ONNX"), ModelFormat::kOnnx);
  EXPECT_EQ(*ModelFormatOf("a.npy"), ModelFormat::kNpyList);
}

TEST(ImportNpy, RejectsBadArraysAndListsThatDoNotChain) {
  const std::string vec = TempPath("vector.npy");
  ASSERT_TRUE(WriteNpy(vec, Eigen::VectorXd::Ones(5), 1).has_value());
  EXPECT_EQ(MustFail(vec).message, vec + ": weights must be a 2-D array of inputs x outputs, not 1-D with 5 values");
  const std::string w1 = Data("mlp_w1.npy"), w2 = Data("mlp_w2.npy");
  const Error chain = MustFail(w2 + "," + w1);
  EXPECT_EQ(chain.code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(chain.message, w1 + ": 784 inputs but " + w2 +
                               " has 10 outputs (each file is inputs x outputs; layers must chain)");
  const std::string junk = TempPath("junk.npy");
  ASSERT_TRUE(WriteFileAtomic(junk, "not numpy").has_value());
  const Error bad = MustFail(w1 + "," + junk);
  EXPECT_EQ(bad.code, ErrorCode::kDataLoss);
  EXPECT_EQ(bad.message, junk + ": not a .npy file (bad magic)");
  fs::remove(vec);
  fs::remove(junk);
}

TEST(ImportModelSpec, ChecksTheOptionsBeforeReading) {
  ImportOptions options;
  options.encoding.steps = 0;
  const Error e = MustFail(Data("mlp.onnx"), options);
  EXPECT_EQ(e.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(e.message, "steps = 0 must lie in [1, 100000]");
}

// tests/data/make_conv_onnx.py: Conv2d(1, 4, 5, padding=2), AvgPool2d(2), Conv2d(4, 8, 3, stride=2,
// bias=False), AvgPool2d(2), Flatten, Linear(72, 10) as torch 1.13 exports it (Conv, Constant + zero
// Pad + AveragePool, Flatten, Gemm).
TEST(ImportOnnxConv, ReadsTheExportedSequentialAsConvolutionLayers) {
  const Model m = MustImport(Data("cnn.onnx"));
  EXPECT_EQ(m.Describe(), "1x28x28-c4k5p2b-a2-c8k3s2-a2-10b");
  ASSERT_EQ(m.weights.size(), 3u);
  EXPECT_EQ(m.weights[0].rows(), 4);
  EXPECT_EQ(m.weights[0].cols(), 26);
  EXPECT_EQ(m.weights[1].cols(), 36);
  EXPECT_EQ(m.weights[2].cols(), 73);
  EXPECT_EQ(m.layers[1].pool, PoolKind::kAverage);
  EXPECT_EQ(m.LayerSizes(), (std::vector<int>{784, 3136, 288, 10}));
  // The small bias-free conv of tests/data/make_onnx.py.
  EXPECT_EQ(MustImport(Data("conv.onnx")).Describe(), "1x6x6-c2k3-4");
}

/// The imported layers as pure linear maps, no neurons: input scale 1, bias input 1, pooling as in
/// the model; `x` has one image per column.
Eigen::MatrixXd LinearForward(const Model& m, Eigen::MatrixXd x) {
  for (std::size_t l = 0; l < m.weights.size(); ++l) {
    runtime::LayerOp<double> op(m.layers[l]);
    runtime::Mat<double> eff;
    runtime::LayerOp<double>::Scale(m.weights[l].cast<double>(), m.layers[l], 1.0, 1.0, eff);
    runtime::Mat<double> y(m.layers[l].neurons(), x.cols());
    if (m.layers[l].pool == PoolKind::kNone) {
      op.Forward(eff, x, y);
    } else {
      op.Forward(eff, op.Pool(x), y);
    }
    x = y;
  }
  return x;
}

TEST(ImportOnnxConv, SynapticComputationEqualsThePyTorchForwardPass) {
  const Model m = MustImport(Data("cnn.onnx"));
  auto inputs = ReadNpy(Data("mlp_inputs.npy"));
  auto expected = ReadNpy(Data("cnn_outputs.npy"));
  ASSERT_TRUE(inputs.has_value() && expected.has_value());
  const Eigen::MatrixXd reference = expected->data.transpose();  // 10 x 8
  const Eigen::MatrixXd out = LinearForward(m, inputs->data.transpose());
  ASSERT_EQ(out.rows(), reference.rows());
  ASSERT_EQ(out.cols(), reference.cols());
  const double relative = (out - reference).norm() / reference.norm();
  std::cout << "relative error against PyTorch's forward pass (float64): " << relative << "\n";
  RecordProperty("relative_error", std::to_string(relative));
  EXPECT_LE(relative, 1e-10);  // both sides float64 with the same float32 weights
  // A test that can fail: without the biases the outputs are far off.
  Model no_bias = m;
  for (std::size_t l = 0; l < m.weights.size(); ++l) {
    if (m.layers[l].bias) no_bias.weights[l].rightCols(1).setZero();
  }
  EXPECT_GT((LinearForward(no_bias, inputs->data.transpose()) - reference).norm() / reference.norm(), 0.1);
}

TEST(ImportOnnxConv, RefusesWhatAMemristiveChipCannotRunNamingTheNode) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"cnn_maxpool.onnx", "node '/1/MaxPool' (MaxPool): max pooling is not a linear analog operation; use AvgPool2d"},
      {"cnn_relu.onnx", "node '/1/Relu' (Relu): the MIF neuron after every weight layer is the nonlinearity; export "
                        "the network without activations"},
      {"cnn_dilation.onnx", "node '/0/Conv' (Conv): dilations 2x2 are not supported (a crossbar applies a contiguous "
                            "kernel; use dilation=1)"},
      {"cnn_groups.onnx", "node '/1/Conv' (Conv): group 2 is not supported (xbar maps convolutions over all input "
                          "channels; use groups=1)"},
      {"cnn_padpool.onnx", "node '/1/Pad' (Pad): pads 0,0,1,1,0,0,1,1 are not zero (xbar pools without padding; a "
                           "convolution pads through its own padding=P)"},
  };
  for (const auto& [file, message] : cases) {
    const Error e = MustFail(Data(file));
    EXPECT_EQ(e.code, ErrorCode::kFailedPrecondition);
    EXPECT_EQ(e.message, Data(file) + ": " + message);
  }
}

TEST(ImportOnnxConv, RefusesConvolutionAndPoolingAttributesNamingTheNode) {
  const onnx::TensorProto w = Tensor("w", {2, 1, 3, 3}, std::vector<double>(18, 0.5), false);
  const onnx::TensorProto d = Tensor("d", {3, 8}, std::vector<double>(24, 0.5), false);
  auto conv = [](const std::vector<int64_t>& pads) {
    onnx::NodeProto n = Node("Conv", {"x", "w"}, "c");
    SetInts(n, "pads", pads);
    return n;
  };
  auto average_pool = [](const std::string& input, const std::string& output, int64_t window, int64_t stride) {
    onnx::NodeProto n = Node("AveragePool", {input}, output);
    SetInts(n, "kernel_shape", {window, window});
    SetInts(n, "strides", {stride, stride});
    return n;
  };
  // Asymmetric padding: Conv2d(padding=(1, 0)).
  const std::string pads = WriteGraph("pads.onnx", {conv({1, 0, 1, 0}), Node("Flatten", {"c"}, "f"),
                                                    Node("Gemm", {"f", "d"}, "y")},
                                      {w, Tensor("d", {160, 3}, std::vector<double>(480, 0.5), false)}, {1, 1, 10, 8});
  EXPECT_EQ(MustFail(pads).message, pads + ": node 'c_node' (Conv): pads 1,0,1,0 are not the same on all sides (xbar "
                                           "pads symmetrically; use padding=P)");
  // A 3x1 kernel.
  onnx::NodeProto tall = Node("Conv", {"x", "t"}, "c");
  SetInts(tall, "kernel_shape", {3, 1});
  const std::string square = WriteGraph("square.onnx",
                                        {tall, Node("Flatten", {"c"}, "f"), Node("Gemm", {"f", "d"}, "y")},
                                        {Tensor("t", {2, 1, 3, 1}, {1, 2, 3, 4, 5, 6}, false), d}, {1, 1, 6, 4});
  EXPECT_EQ(MustFail(square).message,
            square + ": node 'c_node' (Conv): kernel 3x1 is not square (xbar maps k x k kernels)");
  // AvgPool2d(3, stride=2): window != stride.
  const std::string window = WriteGraph("window.onnx",
                                        {conv({0, 0, 0, 0}), average_pool("c", "p", 3, 2),
                                         Node("Flatten", {"p"}, "f"), Node("Gemm", {"f", "d"}, "y")},
                                        {w, d}, {1, 1, 8, 8});
  EXPECT_EQ(MustFail(window).message, window + ": node 'p_node' (AveragePool): window 3x3 with stride 2x2 (xbar pools "
                                               "with window = stride)");
  // A window that does not divide its input (3x3 kernel on 7x7 gives 5x5), pooling the image, and
  // a convolution after a flatten.
  const std::string divide = WriteGraph("divide.onnx",
                                        {conv({0, 0, 0, 0}), average_pool("c", "p", 2, 2),
                                         Node("Flatten", {"p"}, "f"), Node("Gemm", {"f", "d"}, "y")},
                                        {w, d}, {1, 1, 7, 7});
  EXPECT_EQ(MustFail(divide).message,
            divide + ": node 'p_node' (AveragePool): window 2 does not divide its input 2x5x5");
  const std::string first = WriteGraph("first.onnx", {average_pool("x", "c", 2, 2)}, {}, {1, 1, 8, 8});
  EXPECT_EQ(MustFail(first).message, first + ": node 'c_node' (AveragePool): pools the image (xbar pools the output "
                                              "of a weight layer; put a layer first)");
  onnx::NodeProto second = Node("Conv", {"f", "w"}, "y");
  const std::string flat = WriteGraph("flat.onnx", {conv({1, 1, 1, 1}), Node("Flatten", {"c"}, "f"), second}, {w},
                                      {1, 1, 8, 8});
  EXPECT_EQ(MustFail(flat).message, flat + ": node 'y_node' (Conv): convolves a flat activation (xbar convolves the "
                                           "image or a convolution's output)");
  for (const auto& p : {divide, first, flat}) fs::remove(p);
  // Batch normalisation and a final softmax.
  const std::string norm = WriteGraph("norm.onnx", {conv({0, 0, 0, 0}), Node("BatchNormalization", {"c"}, "y")}, {w},
                                      {1, 1, 8, 8});
  EXPECT_EQ(MustFail(norm).message, norm + ": node 'y_node' (BatchNormalization): normalisation is not a crossbar "
                                           "operation; fold it into the weights before export (export in eval mode)");
  const std::string softmax = WriteGraph("softmax.onnx", {Node("MatMul", {"x", "i"}, "h"), Node("Softmax", {"h"}, "y")},
                                         {Tensor("i", {2, 2}, {1, 0, 0, 1}, false)});
  EXPECT_EQ(MustFail(softmax).message,
            softmax + ": node 'y_node' (Softmax): the readout is the time-mean membrane voltage of the output neurons; "
                      "export the network without softmax");
  // A convolution needs the image shape from the graph input.
  const std::string shapeless = WriteGraph("shapeless.onnx", {conv({0, 0, 0, 0})}, {w});
  EXPECT_EQ(MustFail(shapeless).message,
            shapeless + ": node 'c_node' (Conv): the graph input 'x' has no N x C x H x W shape (export with a 4-D "
                        "example input such as 1x1x28x28)");
  for (const auto& p : {pads, square, window, norm, softmax, shapeless}) fs::remove(p);
}

}  // namespace
}  // namespace xbar::compiler
