// Neuron, layer geometry and encoding <-> xbar.v1 messages.
#include "compiler/network_io.h"

#include <algorithm>
#include <array>
#include <utility>
#include <cmath>

namespace xbar::compiler {

void NeuronToProto(const device_models::MifParams& p, v1::MifNeuron* n) {
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
  if (p.bounded()) {
    n->set_rail_low_mv(p.rail_low_mv);
    n->set_rail_high_mv(p.rail_high_mv);
  }
}

void LayerShapeToProto(const LayerShape& s, v1::Layer* layer) {
  layer->set_kind(s.kind == LayerKind::kConv ? v1::LAYER_KIND_CONV : v1::LAYER_KIND_DENSE);
  auto* source = layer->mutable_source();
  source->set_channels(static_cast<uint32_t>(s.source.c));
  source->set_height(static_cast<uint32_t>(s.source.h));
  source->set_width(static_cast<uint32_t>(s.source.w));
  layer->set_pool(s.pool == PoolKind::kAverage ? v1::POOL_KIND_AVERAGE
                  : s.pool == PoolKind::kSum   ? v1::POOL_KIND_SUM
                                               : v1::POOL_KIND_NONE);
  layer->set_pool_size(static_cast<uint32_t>(s.pool_size));
  layer->set_kernel(static_cast<uint32_t>(s.kernel));
  layer->set_stride(static_cast<uint32_t>(s.stride));
  layer->set_padding(static_cast<uint32_t>(s.padding));
  layer->set_bias(s.bias);
  layer->set_recurrent(s.recurrent);
}

bool HasLayerShape(const v1::Layer& layer) { return layer.has_source(); }

Expected<LayerShape> LayerShapeFromProto(const v1::Layer& layer, int index, const std::string& file) {
  auto bad = [&](const std::string& what) {
    return Fail(ErrorCode::kDataLoss, file + ": layer " + std::to_string(index) + " has " + what);
  };
  LayerShape s;
  switch (layer.kind()) {
    case v1::LAYER_KIND_UNSPECIFIED:
    case v1::LAYER_KIND_DENSE: s.kind = LayerKind::kDense; break;
    case v1::LAYER_KIND_CONV: s.kind = LayerKind::kConv; break;
    default: return bad("an unknown kind " + std::to_string(layer.kind()));
  }
  switch (layer.pool()) {
    case v1::POOL_KIND_NONE: s.pool = PoolKind::kNone; break;
    case v1::POOL_KIND_AVERAGE: s.pool = PoolKind::kAverage; break;
    case v1::POOL_KIND_SUM: s.pool = PoolKind::kSum; break;
    default: return bad("an unknown pooling " + std::to_string(layer.pool()));
  }
  // Sizes beyond int range are as wrong as any other; Validate names them.
  auto size = [](uint32_t v) { return static_cast<int>(std::min<uint32_t>(v, 1u << 30)); };
  s.source = {size(layer.source().channels()), size(layer.source().height()), size(layer.source().width())};
  s.pool_size = size(layer.pool_size());
  s.kernel = size(layer.kernel());
  s.stride = size(layer.stride());
  s.padding = size(layer.padding());
  s.out_channels = size(layer.outputs());
  s.bias = layer.bias();
  s.recurrent = layer.recurrent();
  return s;
}

device_models::MifParams NeuronFromProto(const v1::MifNeuron& n) {
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
  if (n.has_rail_low_mv() != n.has_rail_high_mv()) {  // one rail without the other: Validate names it
    p.rail_low_mv = p.rail_high_mv = std::nan("");
  } else if (n.has_rail_low_mv()) {
    p.rail_low_mv = n.rail_low_mv();
    p.rail_high_mv = n.rail_high_mv();
  }
  return p;
}

namespace {

using device_models::ResetRule;
using device_models::SpikingKind;

constexpr std::pair<SpikingKind, v1::SpikingKind> kSpikingKinds[] = {
    {SpikingKind::kI, v1::SPIKING_KIND_I},           {SpikingKind::kIF, v1::SPIKING_KIND_IF},
    {SpikingKind::kLI, v1::SPIKING_KIND_LI},         {SpikingKind::kLIF, v1::SPIKING_KIND_LIF},
    {SpikingKind::kCubaLI, v1::SPIKING_KIND_CUBA_LI}, {SpikingKind::kCubaLIF, v1::SPIKING_KIND_CUBA_LIF}};

// The population's arrays and their message fields, in one table for both directions.
template <typename Params, typename Message>
auto PopulationArrays(Params& p, Message& m) {
  return std::array{std::pair{&p.tau, m.mutable_tau_s()},         std::pair{&p.tau_syn, m.mutable_tau_syn_s()},
                    std::pair{&p.r, m.mutable_r()},               std::pair{&p.v_leak, m.mutable_v_leak()},
                    std::pair{&p.v_threshold, m.mutable_v_threshold()}, std::pair{&p.v_reset, m.mutable_v_reset()},
                    std::pair{&p.w_in, m.mutable_w_in()}};
}

}  // namespace

v1::SpikingKind SpikingKindToProto(device_models::SpikingKind kind) {
  for (const auto& [k, message] : kSpikingKinds) {
    if (k == kind) return message;
  }
  return v1::SPIKING_KIND_UNSPECIFIED;
}

std::optional<device_models::SpikingKind> SpikingKindFromProto(int kind) {
  for (const auto& [k, message] : kSpikingKinds) {
    if (message == kind) return k;
  }
  return std::nullopt;
}

void PopulationToProto(const device_models::SpikingParams& p, v1::SpikingPopulation* m) {
  m->set_kind(SpikingKindToProto(p.kind));
  m->set_reset(p.reset == ResetRule::kSubtract ? v1::RESET_RULE_SUBTRACT : v1::RESET_RULE_TO_VALUE);
  m->set_dt_s(p.dt_s);
  for (const auto& [values, field] : PopulationArrays(p, *m)) {
    const bool uniform = values->size() > 0 && (*values == (*values)(0)).all();
    field->Clear();
    if (uniform) {
      field->Add((*values)(0));
    } else {
      field->Add(values->data(), values->data() + values->size());
    }
  }
}

Expected<device_models::SpikingParams> PopulationFromProto(const v1::SpikingPopulation& m, int neurons, int index,
                                                           const std::string& file) {
  // A layer's neuron count comes from its (not yet validated) geometry: bound it before the
  // population's single values are broadcast to it.
  constexpr int kMaxNeurons = 1 << 24;
  if (neurons < 1 || neurons > kMaxNeurons) {
    return Fail(ErrorCode::kDataLoss, file + ": layer " + std::to_string(index) + " has a neuron population of " +
                                          std::to_string(neurons) + " neurons, outside [1, " + std::to_string(kMaxNeurons) + "]");
  }
  device_models::SpikingParams p;
  const auto kind = SpikingKindFromProto(m.kind());
  if (!kind || (m.reset() != v1::RESET_RULE_TO_VALUE && m.reset() != v1::RESET_RULE_SUBTRACT)) {
    return Fail(ErrorCode::kDataLoss, file + ": layer " + std::to_string(index) + " has a neuron population of unknown kind " +
                                          std::to_string(m.kind()) + " or reset " + std::to_string(m.reset()));
  }
  p.kind = *kind;
  p.reset = m.reset() == v1::RESET_RULE_SUBTRACT ? ResetRule::kSubtract : ResetRule::kToValue;
  p.dt_s = m.dt_s();
  v1::SpikingPopulation copy = m;  // PopulationArrays pairs each array with its (mutable) field
  for (const auto& [values, field] : PopulationArrays(p, copy)) {
    if (field->size() == 1) {
      *values = Eigen::ArrayXd::Constant(neurons, field->Get(0));
    } else {
      *values = Eigen::Map<const Eigen::ArrayXd>(field->data(), field->size());
    }
  }
  return p;
}

void EncodingToProto(const Encoding& e, v1::Encoding* p) {
  p->set_kind(e.kind == EncodingKind::kSpikeTrain ? v1::ENCODING_KIND_SPIKE_TRAIN : v1::ENCODING_KIND_PERIODIC_IMPULSE);
  p->set_steps(static_cast<uint32_t>(e.steps));
  p->set_period(static_cast<uint32_t>(e.period));
  p->set_input_gain(e.input_gain);
  p->set_inter_layer_scale(e.inter_layer_scale);
  p->set_readout_scale(e.readout_scale);
  if (e.clips_drive()) p->set_drive_limit_mv(e.drive_limit_mv);
}

Expected<Encoding> EncodingFromProto(const v1::Encoding& p, const std::string& file) {
  if (p.kind() != v1::ENCODING_KIND_PERIODIC_IMPULSE && p.kind() != v1::ENCODING_KIND_SPIKE_TRAIN) {
    return Fail(ErrorCode::kDataLoss, file + ": encoding kind " + std::to_string(p.kind()) + " is not supported");
  }
  Encoding e;
  e.kind = p.kind() == v1::ENCODING_KIND_SPIKE_TRAIN ? EncodingKind::kSpikeTrain : EncodingKind::kPeriodicImpulse;
  e.steps = static_cast<int>(std::min<uint32_t>(p.steps(), 1u << 30));
  e.period = static_cast<int>(std::min<uint32_t>(p.period(), 1u << 30));
  e.input_gain = p.input_gain();
  e.inter_layer_scale = p.inter_layer_scale();
  e.readout_scale = p.readout_scale();
  if (p.has_drive_limit_mv()) e.drive_limit_mv = p.drive_limit_mv();
  return e;
}

}  // namespace xbar::compiler
