// Neuron and encoding <-> xbar.v1 messages.
#include "compiler/network_io.h"

#include <algorithm>

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
  return p;
}

void EncodingToProto(const Encoding& e, v1::Encoding* p) {
  p->set_kind(v1::ENCODING_KIND_PERIODIC_IMPULSE);
  p->set_steps(static_cast<uint32_t>(e.steps));
  p->set_period(static_cast<uint32_t>(e.period));
  p->set_input_gain(e.input_gain);
  p->set_inter_layer_scale(e.inter_layer_scale);
  p->set_readout_scale(e.readout_scale);
}

Expected<Encoding> EncodingFromProto(const v1::Encoding& p, const std::string& file) {
  if (p.kind() != v1::ENCODING_KIND_PERIODIC_IMPULSE) {
    return Fail(ErrorCode::kDataLoss, file + ": encoding kind " + std::to_string(p.kind()) + " is not supported");
  }
  Encoding e;
  e.steps = static_cast<int>(std::min<uint32_t>(p.steps(), 1u << 30));
  e.period = static_cast<int>(std::min<uint32_t>(p.period(), 1u << 30));
  e.input_gain = p.input_gain();
  e.inter_layer_scale = p.inter_layer_scale();
  e.readout_scale = p.readout_scale();
  return e;
}

}  // namespace xbar::compiler
