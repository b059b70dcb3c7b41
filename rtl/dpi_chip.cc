// DPI-C implementations of the controller's analog side, imported by the simulation-only front end
// rtl/xbar_analog_sim.sv: the device models behind the programming requests and the chip model
// behind the inference requests.
//
// The context is per front-end instance: the harness stores a ProgrammingAnalog and an
// InferenceAnalog pointer as DPI user data (one key each) of the instance's scope (svPutUserData),
// and each call looks its own up from the calling scope (svGetScope). The only file-level objects are the user-data keys, whose
// addresses DPI requires to be unique; they hold no state.
#include "rtl/dpi_chip.h"

#include <cstddef>
#include <span>

#include "Vxbar_sim_top__Dpi.h"
#include "Vxbar_sim_top_xbar_sim_top.h"
#include "svdpi.h"

namespace xbar::rtl {
namespace {

// DPI user-data keys: only their addresses matter.
constexpr char kAnalogKey = 'a';
constexpr char kInferenceKey = 'i';

template <typename T>
T* UserData(const char& key) {
  const svScope scope = svGetScope();
  if (scope == nullptr) return nullptr;
  return static_cast<T*>(svGetUserData(scope, const_cast<char*>(&key)));
}

ProgrammingAnalog* Analog() { return UserData<ProgrammingAnalog>(kAnalogKey); }
InferenceAnalog* Inference() { return UserData<InferenceAnalog>(kInferenceKey); }

bool Bind(const std::string& scope_name, const char& key, void* data) {
  const svScope scope = svGetScopeFromName(scope_name.c_str());
  if (scope == nullptr) return false;
  return svPutUserData(scope, const_cast<char*>(&key), data) == 0;
}

}  // namespace

bool BindAnalogSide(const std::string& scope_name, ProgrammingAnalog* analog) {
  return Bind(scope_name, kAnalogKey, analog);
}

bool BindInferenceSide(const std::string& scope_name, InferenceAnalog* analog) {
  return Bind(scope_name, kInferenceKey, analog);
}

}  // namespace xbar::rtl

extern "C" int dpi_apply_pulse(unsigned int tile, unsigned int row, unsigned int col,
                               svBit set_pulse, unsigned int rung, unsigned int width_cycles) {
  xbar::rtl::ProgrammingAnalog* analog = xbar::rtl::Analog();
  if (analog == nullptr) return 1;
  return analog->ApplyPulse(static_cast<int>(tile), static_cast<int>(row), static_cast<int>(col),
                            set_pulse != 0, static_cast<int>(rung), width_cycles)
             ? 0
             : 1;
}

extern "C" long long dpi_verify_read(unsigned int tile, unsigned int row, unsigned int col) {
  xbar::rtl::ProgrammingAnalog* analog = xbar::rtl::Analog();
  if (analog == nullptr) return -1;
  return analog->VerifyRead(static_cast<int>(tile), static_cast<int>(row), static_cast<int>(col));
}

extern "C" int dpi_infer_begin() {
  xbar::rtl::InferenceAnalog* analog = xbar::rtl::Inference();
  return analog != nullptr && analog->Begin() ? 0 : 1;
}

extern "C" int dpi_set_input(unsigned int index, unsigned int code) {
  xbar::rtl::InferenceAnalog* analog = xbar::rtl::Inference();
  return analog != nullptr && analog->SetInput(index, code) ? 0 : 1;
}

extern "C" int dpi_layer_read(unsigned int layer, unsigned int cycle, const svBitVecVal* enables) {
  xbar::rtl::InferenceAnalog* analog = xbar::rtl::Inference();
  if (analog == nullptr) return 1;
  // The enable vector is NumTiles bits wide, packed in 32-bit words (IEEE 1800 svBitVecVal).
  constexpr std::size_t kWords = (Vxbar_sim_top_xbar_sim_top::NumTiles + 31) / 32;
  return analog->ReadLayer(layer, cycle, std::span<const uint32_t>(enables, kWords)) ? 0 : 1;
}

extern "C" int dpi_neuron_step(unsigned int layer) {
  xbar::rtl::InferenceAnalog* analog = xbar::rtl::Inference();
  return analog != nullptr && analog->StepNeurons(layer) ? 0 : 1;
}

extern "C" long long dpi_sample_output(unsigned int index) {
  xbar::rtl::InferenceAnalog* analog = xbar::rtl::Inference();
  return analog == nullptr ? xbar::rtl::InferenceAnalog::kRefused : analog->SampleOutput(index);
}
