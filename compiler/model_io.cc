// Model files (.xbm): conversion between compiler::Model and xbar.v1.Model.
#include "compiler/model_io.h"

#include <google/protobuf/text_format.h>

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
  for (std::size_t l = 0; l < model.weights.size(); ++l) {
    const auto& w = model.weights[l];
    auto* layer = m.add_layers();
    if (!model.layers.empty()) LayerShapeToProto(model.layers[l], layer);
    if (model.Spiking()) PopulationToProto(model.populations[l], layer->mutable_population());
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
    if (HasLayerShape(layer)) {
      auto shape = LayerShapeFromProto(layer, l, path);
      if (!shape) return std::unexpected(shape.error());
      model.layers.push_back(*shape);
    }
  }
  if (!model.layers.empty() && model.layers.size() != model.weights.size()) {
    return Fail(ErrorCode::kDataLoss, path + ": " + std::to_string(model.layers.size()) + " of " +
                                          std::to_string(model.weights.size()) + " layers carry a geometry");
  }
  // Populations are sized by the layers' geometry: read them once it is known to be valid (else
  // Validate below names what is wrong with it).
  const auto shapes = model.Shapes();
  const bool geometry_valid = model.layers.empty() || ValidateChain(model.layers).has_value();
  for (int l = 0; geometry_valid && l < m.layers_size() && static_cast<std::size_t>(l) < shapes.size(); ++l) {
    if (!m.layers(l).has_population()) continue;
    auto p = PopulationFromProto(m.layers(l).population(), shapes[static_cast<std::size_t>(l)].neurons(), l, path);
    if (!p) return std::unexpected(p.error());
    model.populations.push_back(std::move(*p));
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

Expected<std::vector<LayerShape>> LoadArchitecture(const std::string& spec, Shape3 input, int classes) {
  const bool text_proto = spec.ends_with(".textproto") || spec.ends_with(".txtpb") || spec.ends_with(".pbtxt");
  if (!text_proto) return ParseArchitecture(spec, input, classes);
  auto text = ReadFile(spec);
  if (!text) return std::unexpected(text.error());
  v1::Model m;
  if (!google::protobuf::TextFormat::ParseFromString(*text, &m)) {
    return Fail(ErrorCode::kDataLoss, spec + ": not a text xbar.v1.Model (its layers with kind, outputs and geometry)");
  }
  std::vector<LayerShape> layers;
  for (int l = 0; l < m.layers_size(); ++l) {
    auto shape = LayerShapeFromProto(m.layers(l), l, spec);
    if (!shape) return std::unexpected(shape.error());
    if (!m.layers(l).has_source()) shape->source = layers.empty() ? input : layers.back().output();
    if (shape->pool == PoolKind::kNone && shape->pool_size == 0) shape->pool_size = 1;
    if (shape->kind == LayerKind::kDense && shape->kernel == 0) shape->kernel = 1;
    if (shape->stride == 0) shape->stride = 1;
    if (auto ok = shape->Validate(l); !ok) return std::unexpected(WithContext(ok.error(), spec));
    layers.push_back(*shape);
  }
  if (auto ok = ValidateChain(layers); !ok) return std::unexpected(WithContext(ok.error(), spec));
  if (!(layers.front().source == input) && layers.front().source.size() != input.size()) {
    return Fail(ErrorCode::kInvalidArgument, spec + ": layer 0 takes " + layers.front().source.ToString() +
                                                 ", the images are " + input.ToString());
  }
  if (layers.back().neurons() != classes) {
    return Fail(ErrorCode::kInvalidArgument, spec + ": the last layer has " + std::to_string(layers.back().neurons()) +
                                                 " outputs, the data set has " + std::to_string(classes) + " classes");
  }
  return layers;
}

}  // namespace xbar::compiler
