// Model import: PyTorch-exported ONNX against PyTorch's own MIF logits, .npy lists, every rejection.
#include "compiler/import.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>

#include "compiler/model_io.h"
#include "onnx.pb.h"
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
  EXPECT_LE(relative, 1e-10);  // measured 3.6e-16: both sides are float64 with float32 weights
  // A test that can fail: the logits are far from uniform, so a transposed or shuffled layer shows.
  EXPECT_GT(reference.norm(), 10.0);
}

TEST(ImportOnnx, GemmWithTransBAndZeroBiasGivesTheSameModel) {
  const Model matmul = MustImport(Data("mlp.onnx"));
  const Model gemm = MustImport(Data("mlp_gemm.onnx"));
  ASSERT_EQ(gemm.weights.size(), 2u);
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

/// Writes a one-input, one-output ONNX graph with `nodes` and `initializers`.
std::string WriteGraph(const std::string& name, const std::vector<onnx::NodeProto>& nodes,
                       const std::vector<onnx::TensorProto>& initializers) {
  onnx::ModelProto model;
  model.set_ir_version(8);
  auto* graph = model.mutable_graph();
  graph->add_input()->set_name("x");
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

onnx::TensorProto Tensor(const std::string& name, int64_t rows, int64_t cols, const std::vector<double>& values,
                         bool as_double) {
  onnx::TensorProto t;
  t.set_name(name);
  t.add_dims(rows);
  t.add_dims(cols);
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
  // Gemm without transB (B is inputs x outputs), alpha 0.5, no bias; Tanh; MatMul on float64.
  onnx::NodeProto gemm = Node("Gemm", {"x", "w1"}, "h");
  auto* alpha = gemm.add_attribute();
  alpha->set_name("alpha");
  alpha->set_type(onnx::AttributeProto_AttributeType_FLOAT);
  alpha->set_f(0.5f);
  const std::vector<double> w1 = {1, 2, 3, 4, 5, 6};  // 3 inputs x 2 outputs
  const std::vector<double> w2 = {0.25, -0.5};        // 2 inputs x 1 output
  const std::string path = WriteGraph("alpha.onnx", {gemm, Node("Tanh", {"h"}, "t"), Node("MatMul", {"t", "w2"}, "y")},
                                      {Tensor("w1", 3, 2, w1, false), Tensor("w2", 2, 1, w2, true)});
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
  const std::string path = Data("conv.onnx");
  const Error e = MustFail(path);
  EXPECT_EQ(e.code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(e.message, path + ": node '/conv1/Conv' (Conv) is not supported (xbar maps MatMul/Gemm layers)");
}

TEST(ImportOnnx, RejectsLayersThatDoNotChain) {
  const std::string path = Data("nochain.onnx");
  EXPECT_EQ(MustFail(path).message,
            path + ": node '/fc2/MatMul' (MatMul) takes 4 inputs but node '/fc1/MatMul' (MatMul) gives 8 "
                   "outputs (layers must chain)");
}

TEST(ImportOnnx, RejectsANonZeroBias) {
  const std::string path = Data("bias.onnx");
  EXPECT_EQ(MustFail(path).message,
            path + ": node '/Gemm' (Gemm) has a non-zero bias (largest |b| = 0.377): MIF crossbar layers "
                   "have no bias (export the layer with bias=False)");
  // The same through a separate Add, as PyTorch writes Linear on 3-D inputs.
  const std::string add = WriteGraph("add.onnx", {Node("MatMul", {"x", "w"}, "h"), Node("Add", {"h", "b"}, "y")},
                                     {Tensor("w", 2, 2, {1, 0, 0, 1}, false), Tensor("b", 1, 2, {0, -2}, false)});
  EXPECT_EQ(MustFail(add).message, add + ": node 'y_node' (Add) has a non-zero bias (largest |b| = 2): MIF "
                                         "crossbar layers have no bias (export the layer with bias=False)");
  fs::remove(add);
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
  onnx::TensorProto half = Tensor("w", 2, 2, {}, false);
  half.set_data_type(onnx::TensorProto_DataType_FLOAT16);
  half.set_raw_data(std::string(8, '\0'));
  const std::string f16 = WriteGraph("f16.onnx", {Node("MatMul", {"x", "w"}, "y")}, {half});
  EXPECT_EQ(MustFail(f16).message, f16 + ": node 'y_node' (MatMul): tensor 'w' has data type FLOAT16 (xbar "
                                         "reads float32 and float64 weights)");
  const std::string branch =
      WriteGraph("branch.onnx", {Node("MatMul", {"x", "w"}, "h"), Node("MatMul", {"x", "w"}, "y")},
                 {Tensor("w", 2, 2, {1, 0, 0, 1}, false)});
  EXPECT_EQ(MustFail(branch).message, branch + ": node 'y_node' (MatMul) reads 'x', not 'h' from the node before "
                                               "it (xbar maps one chain of layers, not a branching graph)");
  onnx::TensorProto short_data = Tensor("w", 2, 2, {1, 2, 3}, false);
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
                                      {Tensor("w", 32768, 65536, {}, false)});
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
                             "' is not a .xbm file, a .onnx file or a comma-separated list of .npy weight files");
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

}  // namespace
}  // namespace xbar::compiler
