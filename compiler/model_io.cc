// Model files (.xbm): conversion between compiler::Model and xbar.v1.Model.
#include "compiler/model_io.h"

#include "support/file_io.h"
#include "xbar/v1/model.pb.h"

namespace xbar::compiler {
namespace {

constexpr ArtifactKind kModelKind{"XBM1", "model", 1};

void ToProto(const device_models::MifParams& p, v1::MifNeuron* n) {
  n->set_r_on_ohm(p.r_on_ohm);
  n->set_r_off_ohm(p.r_off_ohm);
  n->set_v_on_mv(p.v_on_mv);
  n->set_v_off_mv(p.v_off_mv);
  n->set_tau_steps(p.tau_steps);
  n->set_tau_alpha_steps(p.tau_alpha_steps);
  n->set_e1_mv(p.e1_mv);
  n->set_e2_mv(p.e2_mv);
  n->set_c(p.c);
  n->set_k_mv(p.k_mv);
  n->set_x0(p.x0);
  n->set_membrane_update(p.membrane_update == device_models::MembraneUpdate::kExplicit
                             ? v1::MEMBRANE_UPDATE_EXPLICIT
                             : v1::MEMBRANE_UPDATE_IMPLICIT);
}

device_models::MifParams FromProto(const v1::MifNeuron& n) {
  device_models::MifParams p;
  p.r_on_ohm = n.r_on_ohm();
  p.r_off_ohm = n.r_off_ohm();
  p.v_on_mv = n.v_on_mv();
  p.v_off_mv = n.v_off_mv();
  p.tau_steps = n.tau_steps();
  p.tau_alpha_steps = n.tau_alpha_steps();
  p.e1_mv = n.e1_mv();
  p.e2_mv = n.e2_mv();
  p.c = n.c();
  p.k_mv = n.k_mv();
  p.x0 = n.x0();
  p.membrane_update = n.membrane_update() == v1::MEMBRANE_UPDATE_EXPLICIT
                          ? device_models::MembraneUpdate::kExplicit
                          : device_models::MembraneUpdate::kImplicit;
  return p;
}

}  // namespace

Expected<void> WriteModel(const std::string& path, const Model& model) {
  if (auto ok = model.Validate(); !ok) return std::unexpected(WithContext(ok.error(), path));
  v1::Model m;
  m.set_name(model.name);
  ToProto(model.neuron, m.mutable_neuron());
  auto* e = m.mutable_encoding();
  e->set_kind(v1::ENCODING_KIND_PERIODIC_IMPULSE);
  e->set_steps(static_cast<uint32_t>(model.encoding.steps));
  e->set_period(static_cast<uint32_t>(model.encoding.period));
  e->set_input_gain(model.encoding.input_gain);
  e->set_inter_layer_scale(model.encoding.inter_layer_scale);
  e->set_readout_scale(model.encoding.readout_scale);
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

Expected<Model> ReadModel(const std::string& path) {
  auto payload = ReadArtifact(path, kModelKind);
  if (!payload) return std::unexpected(payload.error());
  v1::Model m;
  if (!m.ParseFromString(*payload)) {
    return Fail(ErrorCode::kDataLoss, path + ": model payload is not a valid xbar.v1.Model");
  }
  Model model;
  model.name = m.name();
  model.neuron = FromProto(m.neuron());
  const auto& e = m.encoding();
  if (e.kind() != v1::ENCODING_KIND_PERIODIC_IMPULSE) {
    return Fail(ErrorCode::kDataLoss,
                path + ": encoding kind " + std::to_string(e.kind()) + " is not supported");
  }
  model.encoding.steps = static_cast<int>(std::min<uint32_t>(e.steps(), 1u << 30));
  model.encoding.period = static_cast<int>(std::min<uint32_t>(e.period(), 1u << 30));
  model.encoding.input_gain = e.input_gain();
  model.encoding.inter_layer_scale = e.inter_layer_scale();
  model.encoding.readout_scale = e.readout_scale();
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

}  // namespace xbar::compiler
