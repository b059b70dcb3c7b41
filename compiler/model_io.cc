// Model files (.xbm): conversion between compiler::Model and xbar.v1.Model.
#include "compiler/model_io.h"

#include "compiler/network_io.h"
#include "support/file_io.h"
#include "xbar/v1/model.pb.h"

namespace xbar::compiler {
namespace {

constexpr ArtifactKind kModelKind{"XBM1", "model", 1};

}  // namespace

Expected<void> WriteModel(const std::string& path, const Model& model) {
  if (auto ok = model.Validate(); !ok) return std::unexpected(WithContext(ok.error(), path));
  v1::Model m;
  m.set_name(model.name);
  NeuronToProto(model.neuron, m.mutable_neuron());
  EncodingToProto(model.encoding, m.mutable_encoding());
  for (const auto& w : model.weights) {
    auto* layer = m.add_layers();
    layer->set_inputs(static_cast<uint32_t>(w.cols()));
    layer->set_outputs(static_cast<uint32_t>(w.rows()));
    auto* data = layer->mutable_weights();
    data->Reserve(static_cast<int>(w.size()));
    // Row-major inputs x outputs = column-major outputs x inputs, Eigen's own layout.
    for (Eigen::Index k = 0; k < w.size(); ++k) data->AddAlreadyReserved(w.data()[k]);
  }
  const auto& t = model.training;
  auto* tp = m.mutable_training();
  tp->set_dataset(t.dataset);
  tp->set_seed(t.seed);
  tp->set_epochs(static_cast<uint32_t>(t.epochs));
  tp->set_batch_size(static_cast<uint32_t>(t.batch_size));
  tp->set_learning_rate(t.learning_rate);
  tp->set_train_samples(t.train_samples);
  tp->set_test_accuracy(t.test_accuracy);
  tp->set_test_samples(t.test_samples);
  tp->set_wall_time_s(t.wall_time_s);
  tp->set_command(t.command);
  std::string payload;
  if (!m.SerializeToString(&payload)) return Fail(ErrorCode::kInternal, path + ": cannot serialise model");
  return WriteArtifact(path, kModelKind, payload);
}

Expected<Model> ParseModel(std::string_view bytes, const std::string& path) {
  auto payload = ParseArtifact(bytes, kModelKind, path);
  if (!payload) return std::unexpected(payload.error());
  v1::Model m;
  if (!m.ParseFromString(*payload)) {
    return Fail(ErrorCode::kDataLoss, path + ": model payload is not a valid xbar.v1.Model");
  }
  Model model;
  model.name = m.name();
  model.neuron = NeuronFromProto(m.neuron());
  auto encoding = EncodingFromProto(m.encoding(), path);
  if (!encoding) return std::unexpected(encoding.error());
  model.encoding = *encoding;
  for (int l = 0; l < m.layers_size(); ++l) {
    const auto& layer = m.layers(l);
    const uint64_t expect = uint64_t{layer.inputs()} * layer.outputs();
    if (expect == 0 || expect != static_cast<uint64_t>(layer.weights_size())) {
      return Fail(ErrorCode::kDataLoss, path + ": layer " + std::to_string(l) + " declares " +
                                            std::to_string(layer.inputs()) + "x" +
                                            std::to_string(layer.outputs()) + " weights but holds " +
                                            std::to_string(layer.weights_size()));
    }
    Eigen::MatrixXf w(layer.outputs(), layer.inputs());
    std::copy(layer.weights().begin(), layer.weights().end(), w.data());
    model.weights.push_back(std::move(w));
  }
  const auto& t = m.training();
  model.training = TrainingInfo{t.dataset(),       t.seed(),          static_cast<int>(t.epochs()),
                                static_cast<int>(t.batch_size()), t.learning_rate(), t.train_samples(),
                                t.test_accuracy(), t.test_samples(),  t.wall_time_s(),
                                t.command()};
  if (auto ok = model.Validate(); !ok) {
    Error error = WithContext(ok.error(), path);
    error.code = ErrorCode::kDataLoss;
    return std::unexpected(error);
  }
  return model;
}

Expected<Model> ReadModel(const std::string& path) {
  auto bytes = ReadFile(path);
  if (!bytes) return std::unexpected(bytes.error());
  return ParseModel(*bytes, path);
}

}  // namespace xbar::compiler
