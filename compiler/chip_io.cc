// Chip descriptions: conversion between device_models::ChipSpec and xbar.v1.Chip (text format).
#include "compiler/chip_io.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/text_format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <climits>
#include <cstdint>
#include <initializer_list>
#include <utility>
#include <vector>

#include "compiler/network_io.h"
#include "support/file_io.h"
#include "xbar/v1/chip.pb.h"

namespace xbar::compiler {
namespace {

namespace dm = device_models;
namespace pb = google::protobuf;
using ParseInfoTree = pb::TextFormat::ParseInfoTree;

constexpr int kPolynomialTerms =
    static_cast<int>(std::tuple_size_v<decltype(dm::ProgrammingNoise::sigma_poly_s)>);

// Protobuf's messages start with a capital and end with a period; xbar's are lower-case clauses.
std::string Tidy(std::string message) {
  if (message.size() > 1 && std::isupper(static_cast<unsigned char>(message[0])) &&
      std::islower(static_cast<unsigned char>(message[1]))) {
    message[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(message[0])));
  }
  while (!message.empty() && (message.back() == '.' || message.back() == ' ')) message.pop_back();
  return message;
}

// "name:LINE:COLUMN" from protobuf's 0-based position, or "name" if there is none.
std::string At(const std::string& name, int line, int column) {
  if (line < 0) return name;
  return name + ":" + std::to_string(line + 1) + ":" + std::to_string(column + 1);
}

class IgnoreErrors : public pb::io::ErrorCollector {
 public:
  void AddError(int, pb::io::ColumnNumber, const std::string&) override {}
};

// Position of the last token that starts before (line, column), tokenising as the text format
// parser does; (line, column) itself if there is none.
std::pair<int, int> PreviousToken(std::string_view text, int line, int column) {
  pb::io::ArrayInputStream input(text.data(), static_cast<int>(text.size()));
  IgnoreErrors ignore;
  pb::io::Tokenizer tokenizer(&input, &ignore);
  tokenizer.set_allow_f_after_float(true);
  tokenizer.set_comment_style(pb::io::Tokenizer::SH_COMMENT_STYLE);
  tokenizer.set_require_space_after_number(false);
  tokenizer.set_allow_multiline_strings(true);
  std::pair<int, int> previous{line, column};
  while (tokenizer.Next()) {
    const auto& token = tokenizer.current();
    if (std::pair{token.line, token.column} >= std::pair{line, column}) break;
    previous = {token.line, token.column};
  }
  return previous;
}

// Protobuf reports some errors after it has consumed the token at fault, so their position is
// that of the next token (often on the next line); these are moved back onto the culprit.
bool BlamesPreviousToken(const std::string& message) {
  for (const char* pattern : {"has no field named", "is specified multiple times",
                              "Unknown enumeration value", "Invalid value for boolean field"}) {
    if (message.find(pattern) != std::string::npos) return true;
  }
  return false;
}

// Keeps the first error of a parse (later ones are usually consequences of it).
class FirstError : public pb::io::ErrorCollector {
 public:
  void AddError(int line, pb::io::ColumnNumber column, const std::string& message) override {
    if (found_) return;
    found_ = true;
    line_ = line;
    column_ = column;
    message_ = message;
  }

  bool found() const { return found_; }
  std::string Format(const std::string& name, std::string_view text) const {
    auto [line, column] = BlamesPreviousToken(message_) ? PreviousToken(text, line_, column_)
                                                        : std::pair{line_, column_};
    return At(name, line, column) + ": " + Tidy(message_);
  }

 private:
  bool found_ = false;
  int line_ = -1;
  int column_ = -1;
  std::string message_;
};

const pb::FieldDescriptor* Field(const pb::Descriptor* type, const char* name) {
  const pb::FieldDescriptor* field = type->FindFieldByName(name);
  XBAR_CHECK(field != nullptr);
  return field;
}

// Where the `index`-th value (-1: singular) of the field at the end of `path` was written, as
// "name:LINE:COLUMN", or "name" if the parse did not record it.
std::string Locate(const std::string& name, const ParseInfoTree& root,
                   std::initializer_list<const pb::FieldDescriptor*> path, int index) {
  const ParseInfoTree* tree = &root;
  const pb::FieldDescriptor* last = nullptr;
  for (const pb::FieldDescriptor* field : path) {
    if (last != nullptr) {
      tree = tree->GetTreeForNested(last, -1);
      if (tree == nullptr) return name;
    }
    last = field;
  }
  auto where = tree->GetLocation(last, index);
  // A list written as `field: [a, b, ...]` is recorded once, at the field name.
  if (where.line < 0 && index > 0) where = tree->GetLocation(last, 0);
  return At(name, where.line, where.column);
}

// Counts are uint32 in the schema but int in ChipSpec: finds a count beyond INT_MAX and reports it
// as written ("" if there is none).
std::string CountOutOfRange(const pb::Message& message, const ParseInfoTree* tree,
                            const std::string& name, const std::string& prefix) {
  const pb::Reflection* reflection = message.GetReflection();
  std::vector<const pb::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const pb::FieldDescriptor* field : fields) {
    if (field->is_repeated()) continue;
    if (field->cpp_type() == pb::FieldDescriptor::CPPTYPE_UINT32 &&
        reflection->GetUInt32(message, field) > static_cast<uint32_t>(INT_MAX)) {
      const auto where = tree != nullptr ? tree->GetLocation(field, -1)
                                         : pb::TextFormat::ParseLocation();
      return At(name, where.line, where.column) + ": " + prefix + field->name() + " = " +
             std::to_string(reflection->GetUInt32(message, field)) + " is out of range (above " +
             std::to_string(INT_MAX) + ")";
    }
    if (field->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      std::string found = CountOutOfRange(
          reflection->GetMessage(message, field),
          tree != nullptr ? tree->GetTreeForNested(field, -1) : nullptr, name,
          prefix + field->name() + ".");
      if (!found.empty()) return found;
    }
  }
  return "";
}

// Proto -> ChipSpec: a field that is present overrides the value already in the target.

template <typename T, typename U>
void Take(bool present, T value, U& target) {
  if (present) target = static_cast<U>(value);
}

int Saturate(uint32_t v) { return static_cast<int>(std::min<uint32_t>(v, INT_MAX)); }

void Merge(const v1::PulseResponse& p, dm::PulseResponse& r) {
  Take(p.has_v_threshold_v(), p.v_threshold_v(), r.v_threshold_v);
  Take(p.has_v_ref_v(), p.v_ref_v(), r.v_ref_v);
  Take(p.has_width_ref_s(), p.width_ref_s(), r.width_ref_s);
  Take(p.has_step_ref(), p.step_ref(), r.step_ref);
  Take(p.has_amplitude_exponent(), p.amplitude_exponent(), r.amplitude_exponent);
  Take(p.has_bound_exponent(), p.bound_exponent(), r.bound_exponent);
  Take(p.has_step_std(), p.step_std(), r.step_std);
}

void Merge(const v1::Memristor& p, dm::MemristorParams& m) {
  Take(p.has_g_min_s(), p.g_min_s(), m.g_min_s);
  Take(p.has_g_max_s(), p.g_max_s(), m.g_max_s);
  Merge(p.set(), m.set);
  Merge(p.reset(), m.reset);
  Take(p.has_g_min_dtod(), p.g_min_dtod(), m.g_min_dtod);
  Take(p.has_g_max_dtod(), p.g_max_dtod(), m.g_max_dtod);
  Take(p.has_step_dtod(), p.step_dtod(), m.step_dtod);
  Take(p.has_set_reset_dtod(), p.set_reset_dtod(), m.set_reset_dtod);
  Take(p.has_v_threshold_dtod(), p.v_threshold_dtod(), m.v_threshold_dtod);
}

void Merge(const v1::ClippedLogLaw& p, dm::ClippedLogLaw& law) {
  Take(p.has_slope(), p.slope(), law.slope);
  Take(p.has_intercept(), p.intercept(), law.intercept);
  Take(p.has_min(), p.min(), law.min);
  Take(p.has_max(), p.max(), law.max);
}

void Merge(const v1::ProgrammingNoise& p, dm::ProgrammingNoise& n) {
  Take(p.has_enabled(), p.enabled(), n.enabled);
  if (p.sigma_coefficients_s_size() > 0) {  // count checked by the caller
    n.sigma_poly_s.fill(0.0);
    std::copy(p.sigma_coefficients_s().begin(), p.sigma_coefficients_s().end(),
              n.sigma_poly_s.begin());
  }
  Take(p.has_g_ref_s(), p.g_ref_s(), n.g_ref_s);
}

void Merge(const v1::ReadNoise& p, dm::ReadNoise& n) {
  Take(p.has_enabled(), p.enabled(), n.enabled);
  Take(p.has_sigma_rel(), p.sigma_rel(), n.sigma_rel);
  Take(p.has_sigma_abs_s(), p.sigma_abs_s(), n.sigma_abs_s);
  Take(p.has_q_coeff(), p.q_coeff(), n.q_coeff);
  Take(p.has_q_exponent(), p.q_exponent(), n.q_exponent);
  Take(p.has_q_max(), p.q_max(), n.q_max);
  Take(p.has_g_ref_s(), p.g_ref_s(), n.g_ref_s);
  Take(p.has_t_read_s(), p.t_read_s(), n.t_read_s);
}

void Merge(const v1::Drift& p, dm::Drift& d) {
  Take(p.has_enabled(), p.enabled(), d.enabled);
  Take(p.has_t0_s(), p.t0_s(), d.t0_s);
  Merge(p.nu_mean(), d.nu_mean);
  Merge(p.nu_std(), d.nu_std);
  Take(p.has_g_ref_s(), p.g_ref_s(), d.g_ref_s);
  Take(p.has_fold(), p.fold(), d.fold);
}

void Merge(const v1::StuckAtFaults& p, dm::StuckAtFaults& s) {
  Take(p.has_enabled(), p.enabled(), s.enabled);
  Take(p.has_p_stuck_on(), p.p_stuck_on(), s.p_stuck_on);
  Take(p.has_p_stuck_off(), p.p_stuck_off(), s.p_stuck_off);
  Take(p.has_p_stuck_value(), p.p_stuck_value(), s.p_stuck_value);
}

void Merge(const v1::NeuronCircuit& p, dm::MifParams& n) {
  Take(p.has_r_on_ohm(), p.r_on_ohm(), n.r_on_ohm);
  Take(p.has_r_off_ohm(), p.r_off_ohm(), n.r_off_ohm);
  Take(p.has_v_on_mv(), p.v_on_mv(), n.v_on_mv);
  Take(p.has_v_off_mv(), p.v_off_mv(), n.v_off_mv);
  Take(p.has_tau_steps(), p.tau_steps(), n.tau_steps);
  Take(p.has_tau_alpha_steps(), p.tau_alpha_steps(), n.tau_alpha_steps);
  Take(p.has_e1_mv(), p.e1_mv(), n.e1_mv);
  Take(p.has_e2_mv(), p.e2_mv(), n.e2_mv);
  Take(p.has_c(), p.c(), n.c);
  Take(p.has_k_mv(), p.k_mv(), n.k_mv);
  Take(p.has_x0(), p.x0(), n.x0);
  if (p.has_membrane_update()) {  // value checked by the caller
    n.membrane_update = p.membrane_update() == v1::MEMBRANE_UPDATE_EXPLICIT
                            ? dm::MembraneUpdate::kExplicit
                            : dm::MembraneUpdate::kImplicit;
  }
}

// Everything apart from validation; errors are kDataLoss and carry the position when known.
Expected<dm::ChipSpec> FromProto(const v1::Chip& c, const ParseInfoTree& tree,
                                 const std::string& name) {
  const pb::Descriptor* chip_type = v1::Chip::descriptor();
  const pb::FieldDescriptor* device_field = Field(chip_type, "device");
  if (std::string bad = CountOutOfRange(c, &tree, name, ""); !bad.empty()) {
    return Fail(ErrorCode::kDataLoss, bad);
  }
  dm::ChipSpec spec;
  Take(c.has_name(), c.name(), spec.name);
  const auto& t = c.tiles();
  Take(t.has_count(), Saturate(t.count()), spec.tiles.count);
  Take(t.has_rows(), Saturate(t.rows()), spec.tiles.rows);
  Take(t.has_columns(), Saturate(t.columns()), spec.tiles.columns);
  Take(t.has_spare_rows(), Saturate(t.spare_rows()), spec.tiles.spare_rows);
  Take(t.has_spare_columns(), Saturate(t.spare_columns()), spec.tiles.spare_columns);
  Take(c.has_conductance_levels(), Saturate(c.conductance_levels()), spec.conductance_levels);
  const auto& w = c.wires();
  Take(w.has_r_row_ohm(), w.r_row_ohm(), spec.wires.r_row_ohm);
  Take(w.has_r_col_ohm(), w.r_col_ohm(), spec.wires.r_col_ohm);
  Take(w.has_r_driver_ohm(), w.r_driver_ohm(), spec.wires.r_driver_ohm);
  Take(w.has_r_sense_ohm(), w.r_sense_ohm(), spec.wires.r_sense_ohm);
  Take(c.has_v_read_v(), c.v_read_v(), spec.v_read_v);
  const auto& p = c.programming();
  Take(p.has_v_min_v(), p.v_min_v(), spec.programming.v_min_v);
  Take(p.has_v_max_v(), p.v_max_v(), spec.programming.v_max_v);
  Take(p.has_v_step_v(), p.v_step_v(), spec.programming.v_step_v);
  Take(p.has_set_width_s(), p.set_width_s(), spec.programming.set_width_s);
  Take(p.has_reset_width_s(), p.reset_width_s(), spec.programming.reset_width_s);
  Take(p.has_verify_tolerance_s(), p.verify_tolerance_s(), spec.programming.verify_tolerance_s);
  Take(p.has_max_pulses(), Saturate(p.max_pulses()), spec.programming.max_pulses);
  const auto& a = c.adc();
  Take(a.has_verify_bits(), Saturate(a.verify_bits()), spec.adc.verify_bits);
  Take(a.has_verify_full_scale_a(), a.verify_full_scale_a(), spec.adc.verify_full_scale_a);
  Take(a.has_output_bits(), Saturate(a.output_bits()), spec.adc.output_bits);
  Take(a.has_output_full_scale_mv(), a.output_full_scale_mv(), spec.adc.output_full_scale_mv);
  Take(c.has_clock_hz(), c.clock_hz(), spec.clock_hz);
  Take(c.has_columns_per_neuron(), Saturate(c.columns_per_neuron()), spec.columns_per_neuron);
  Take(c.has_neurons(), Saturate(c.neurons()), spec.neurons);
  const auto& an = c.analog();
  Take(an.has_membrane_capacitance_f(), an.membrane_capacitance_f(), spec.analog.membrane_capacitance_f);
  Take(an.has_time_step_s(), an.time_step_s(), spec.analog.time_step_s);
  Take(an.has_rail_low_v(), an.rail_low_v(), spec.analog.rail_low_v);
  Take(an.has_rail_high_v(), an.rail_high_v(), spec.analog.rail_high_v);
  Take(an.has_driver_gain(), an.driver_gain(), spec.analog.driver_gain);
  Take(an.has_driver_range_v(), an.driver_range_v(), spec.analog.driver_range_v);
  Take(an.has_read_disturb_fraction(), an.read_disturb_fraction(), spec.analog.read_disturb_fraction);
  Take(an.has_synapse_capacitance_f(), an.synapse_capacitance_f(), spec.analog.synapse_capacitance_f);
  Take(an.has_synapse_transconductance_s(), an.synapse_transconductance_s(), spec.analog.synapse_transconductance_s);
  Take(an.has_current_gain_max(), an.current_gain_max(), spec.analog.current_gain_max);
  const auto& sn = c.spiking_neurons();
  Take(sn.has_count(), Saturate(sn.count()), spec.spiking.count);
  Take(sn.has_threshold_v(), sn.threshold_v(), spec.spiking.threshold_v);
  if (sn.kinds_size() > 0) {
    spec.spiking.kinds.clear();
    for (int k = 0; k < sn.kinds_size(); ++k) {
      const auto kind = SpikingKindFromProto(sn.kinds(k));
      if (!kind) {
        return Fail(ErrorCode::kDataLoss,
                    Locate(name, tree, {Field(chip_type, "spiking_neurons"), Field(v1::SpikingNeurons::descriptor(), "kinds")}, k) +
                        ": spiking_neurons.kinds has the unknown kind " + std::to_string(sn.kinds(k)));
      }
      if (!spec.spiking.Has(*kind)) spec.spiking.kinds.push_back(*kind);
    }
  }

  const auto& n = c.neuron();
  if (n.has_membrane_update() && n.membrane_update() != v1::MEMBRANE_UPDATE_IMPLICIT &&
      n.membrane_update() != v1::MEMBRANE_UPDATE_EXPLICIT) {
    return Fail(ErrorCode::kDataLoss,
                Locate(name, tree,
                       {Field(chip_type, "neuron"),
                        Field(v1::NeuronCircuit::descriptor(), "membrane_update")},
                       -1) +
                    ": neuron.membrane_update must be MEMBRANE_UPDATE_IMPLICIT or "
                    "MEMBRANE_UPDATE_EXPLICIT");
  }
  Merge(n, spec.neuron);

  const auto& d = c.device();
  if (d.has_preset()) {
    auto preset = dm::PresetByName(d.preset());
    if (!preset) {
      return Fail(ErrorCode::kDataLoss,
                  Locate(name, tree, {device_field, Field(v1::Device::descriptor(), "preset")}, -1) +
                      ": " + preset.error().message);
    }
    spec.device = dm::DeviceSpec::FromPreset(*preset);
  }
  if (d.programming_noise().sigma_coefficients_s_size() > kPolynomialTerms) {
    return Fail(ErrorCode::kDataLoss,
                Locate(name, tree,
                       {device_field, Field(v1::Device::descriptor(), "programming_noise"),
                        Field(v1::ProgrammingNoise::descriptor(), "sigma_coefficients_s")},
                       kPolynomialTerms) +
                    ": device.programming_noise.sigma_coefficients_s has " +
                    std::to_string(d.programming_noise().sigma_coefficients_s_size()) +
                    " coefficients but the polynomial has at most " +
                    std::to_string(kPolynomialTerms) + " (c_0 ... c_4)");
  }
  Merge(d.memristor(), spec.device.memristor);
  Merge(d.programming_noise(), spec.device.nonidealities.programming);
  Merge(d.read_noise(), spec.device.nonidealities.read);
  Merge(d.drift(), spec.device.nonidealities.drift);
  Merge(d.stuck_at(), spec.device.nonidealities.stuck);
  return spec;
}

// ChipSpec -> proto, every field set.

void ToProto(const dm::PulseResponse& r, v1::PulseResponse* p) {
  p->set_v_threshold_v(r.v_threshold_v);
  p->set_v_ref_v(r.v_ref_v);
  p->set_width_ref_s(r.width_ref_s);
  p->set_step_ref(r.step_ref);
  p->set_amplitude_exponent(r.amplitude_exponent);
  p->set_bound_exponent(r.bound_exponent);
  p->set_step_std(r.step_std);
}

void ToProto(const dm::ClippedLogLaw& law, v1::ClippedLogLaw* p) {
  p->set_slope(law.slope);
  p->set_intercept(law.intercept);
  p->set_min(law.min);
  p->set_max(law.max);
}

void ToProto(const dm::DeviceSpec& device, v1::Device* d) {
  if (!device.preset.empty()) d->set_preset(device.preset);
  const dm::MemristorParams& m = device.memristor;
  auto* mp = d->mutable_memristor();
  mp->set_g_min_s(m.g_min_s);
  mp->set_g_max_s(m.g_max_s);
  ToProto(m.set, mp->mutable_set());
  ToProto(m.reset, mp->mutable_reset());
  mp->set_g_min_dtod(m.g_min_dtod);
  mp->set_g_max_dtod(m.g_max_dtod);
  mp->set_step_dtod(m.step_dtod);
  mp->set_set_reset_dtod(m.set_reset_dtod);
  mp->set_v_threshold_dtod(m.v_threshold_dtod);

  const dm::Nonidealities& n = device.nonidealities;
  auto* pn = d->mutable_programming_noise();
  pn->set_enabled(n.programming.enabled);
  for (double c : n.programming.sigma_poly_s) pn->add_sigma_coefficients_s(c);
  pn->set_g_ref_s(n.programming.g_ref_s);
  auto* rn = d->mutable_read_noise();
  rn->set_enabled(n.read.enabled);
  rn->set_sigma_rel(n.read.sigma_rel);
  rn->set_sigma_abs_s(n.read.sigma_abs_s);
  rn->set_q_coeff(n.read.q_coeff);
  rn->set_q_exponent(n.read.q_exponent);
  rn->set_q_max(n.read.q_max);
  rn->set_g_ref_s(n.read.g_ref_s);
  rn->set_t_read_s(n.read.t_read_s);
  auto* dr = d->mutable_drift();
  dr->set_enabled(n.drift.enabled);
  dr->set_t0_s(n.drift.t0_s);
  ToProto(n.drift.nu_mean, dr->mutable_nu_mean());
  ToProto(n.drift.nu_std, dr->mutable_nu_std());
  dr->set_g_ref_s(n.drift.g_ref_s);
  dr->set_fold(n.drift.fold);
  auto* st = d->mutable_stuck_at();
  st->set_enabled(n.stuck.enabled);
  st->set_p_stuck_on(n.stuck.p_stuck_on);
  st->set_p_stuck_off(n.stuck.p_stuck_off);
  st->set_p_stuck_value(n.stuck.p_stuck_value);
}

uint32_t Unsigned(int v) { return static_cast<uint32_t>(std::max(v, 0)); }

v1::Chip ToProto(const dm::ChipSpec& spec) {
  v1::Chip c;
  c.set_name(spec.name);
  auto* t = c.mutable_tiles();
  t->set_count(Unsigned(spec.tiles.count));
  t->set_rows(Unsigned(spec.tiles.rows));
  t->set_columns(Unsigned(spec.tiles.columns));
  t->set_spare_rows(Unsigned(spec.tiles.spare_rows));
  t->set_spare_columns(Unsigned(spec.tiles.spare_columns));
  c.set_conductance_levels(Unsigned(spec.conductance_levels));
  auto* w = c.mutable_wires();
  w->set_r_row_ohm(spec.wires.r_row_ohm);
  w->set_r_col_ohm(spec.wires.r_col_ohm);
  w->set_r_driver_ohm(spec.wires.r_driver_ohm);
  w->set_r_sense_ohm(spec.wires.r_sense_ohm);
  c.set_v_read_v(spec.v_read_v);
  auto* p = c.mutable_programming();
  p->set_v_min_v(spec.programming.v_min_v);
  p->set_v_max_v(spec.programming.v_max_v);
  p->set_v_step_v(spec.programming.v_step_v);
  p->set_set_width_s(spec.programming.set_width_s);
  p->set_reset_width_s(spec.programming.reset_width_s);
  p->set_verify_tolerance_s(spec.programming.verify_tolerance_s);
  p->set_max_pulses(Unsigned(spec.programming.max_pulses));
  auto* a = c.mutable_adc();
  a->set_verify_bits(Unsigned(spec.adc.verify_bits));
  a->set_verify_full_scale_a(spec.adc.verify_full_scale_a);
  a->set_output_bits(Unsigned(spec.adc.output_bits));
  a->set_output_full_scale_mv(spec.adc.output_full_scale_mv);
  c.set_clock_hz(spec.clock_hz);
  c.set_columns_per_neuron(Unsigned(spec.columns_per_neuron));
  c.set_neurons(Unsigned(spec.neurons));
  auto* an = c.mutable_analog();
  an->set_membrane_capacitance_f(spec.analog.membrane_capacitance_f);
  an->set_time_step_s(spec.analog.time_step_s);
  an->set_rail_low_v(spec.analog.rail_low_v);
  an->set_rail_high_v(spec.analog.rail_high_v);
  an->set_driver_gain(spec.analog.driver_gain);
  an->set_driver_range_v(spec.analog.driver_range_v);
  an->set_read_disturb_fraction(spec.analog.read_disturb_fraction);
  an->set_synapse_capacitance_f(spec.analog.synapse_capacitance_f);
  an->set_synapse_transconductance_s(spec.analog.synapse_transconductance_s);
  an->set_current_gain_max(spec.analog.current_gain_max);
  auto* sn = c.mutable_spiking_neurons();
  for (dm::SpikingKind kind : spec.spiking.kinds) sn->add_kinds(SpikingKindToProto(kind));
  sn->set_count(Unsigned(spec.spiking.count));
  sn->set_threshold_v(spec.spiking.threshold_v);
  const dm::MifParams& n = spec.neuron;
  auto* np = c.mutable_neuron();
  np->set_r_on_ohm(n.r_on_ohm);
  np->set_r_off_ohm(n.r_off_ohm);
  np->set_v_on_mv(n.v_on_mv);
  np->set_v_off_mv(n.v_off_mv);
  np->set_tau_steps(n.tau_steps);
  np->set_tau_alpha_steps(n.tau_alpha_steps);
  np->set_e1_mv(n.e1_mv);
  np->set_e2_mv(n.e2_mv);
  np->set_c(n.c);
  np->set_k_mv(n.k_mv);
  np->set_x0(n.x0);
  np->set_membrane_update(n.membrane_update == dm::MembraneUpdate::kExplicit
                              ? v1::MEMBRANE_UPDATE_EXPLICIT
                              : v1::MEMBRANE_UPDATE_IMPLICIT);
  ToProto(spec.device, c.mutable_device());
  return c;
}

}  // namespace

Expected<dm::ChipSpec> ParseChipText(std::string_view text, const std::string& name) {
  if (text.size() > static_cast<std::size_t>(INT_MAX)) {
    return Fail(ErrorCode::kDataLoss, name + ": chip description is larger than 2 GiB");
  }
  v1::Chip chip;
  FirstError errors;
  ParseInfoTree tree;
  pb::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  parser.WriteLocationsTo(&tree);
  const bool parsed = parser.ParseFromString(std::string(text), &chip);
  if (!parsed || errors.found()) {
    if (!errors.found()) return Fail(ErrorCode::kDataLoss, name + ": not a valid xbar.v1.Chip");
    return Fail(ErrorCode::kDataLoss, errors.Format(name, text));
  }
  auto spec = FromProto(chip, tree, name);
  if (!spec) return spec;
  if (auto ok = spec->Validate(); !ok) {
    Error error = WithContext(ok.error(), name);
    error.code = ErrorCode::kDataLoss;
    return std::unexpected(error);
  }
  return spec;
}

Expected<dm::ChipSpec> ReadChipText(const std::string& path) {
  auto text = ReadFile(path);
  if (!text) return std::unexpected(text.error());
  return ParseChipText(*text, path);
}

std::string FormatChipText(const dm::ChipSpec& chip) {
  std::string body;
  pb::TextFormat::Printer printer;
  printer.SetUseShortRepeatedPrimitives(true);
  XBAR_CHECK(printer.PrintToString(ToProto(chip), &body));
  return "# proto-file: xbar/v1/chip.proto\n"
         "# proto-message: xbar.v1.Chip\n"
         "# Chip description written by xbar (every field explicit); fields: docs/chip.md.\n" +
         body;
}

Expected<void> WriteChipText(const std::string& path, const dm::ChipSpec& chip) {
  if (auto ok = chip.Validate(); !ok) return std::unexpected(WithContext(ok.error(), path));
  return WriteFileAtomic(path, FormatChipText(chip));
}

}  // namespace xbar::compiler
