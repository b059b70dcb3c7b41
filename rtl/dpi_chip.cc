// DPI-C implementations of the controller's analog side: the device models behind xbar_prog_seq.
//
// The context is per sequencer instance: the harness stores a ProgramExecutor pointer as the DPI
// user data of the instance's scope (svPutUserData), and each call looks it up from its own scope
// (svGetScope). The only file-level object is the user-data key, whose address DPI requires to be
// unique; it holds no state.
#include "rtl/dpi_chip.h"

#include "Vxbar_top__Dpi.h"
#include "svdpi.h"

namespace xbar::rtl {
namespace {

constexpr char kAnalogKey = 'a';  // DPI user-data key: only its address matters

compiler::ProgramExecutor* Analog() {
  const svScope scope = svGetScope();
  if (scope == nullptr) return nullptr;
  return static_cast<compiler::ProgramExecutor*>(
      svGetUserData(scope, const_cast<char*>(&kAnalogKey)));
}

}  // namespace

bool BindAnalogSide(const std::string& scope_name, compiler::ProgramExecutor* analog) {
  const svScope scope = svGetScopeFromName(scope_name.c_str());
  if (scope == nullptr) return false;
  return svPutUserData(scope, const_cast<char*>(&kAnalogKey), analog) == 0;
}

}  // namespace xbar::rtl

extern "C" int dpi_apply_pulse(unsigned int tile, unsigned int row, unsigned int col,
                               svBit set_pulse, unsigned int rung, unsigned int width_cycles) {
  xbar::compiler::ProgramExecutor* analog = xbar::rtl::Analog();
  if (analog == nullptr) return 1;
  return analog->ApplyPulse(static_cast<int>(tile), static_cast<int>(row), static_cast<int>(col),
                            set_pulse != 0, static_cast<int>(rung), width_cycles)
             ? 0
             : 1;
}

extern "C" long long dpi_verify_read(unsigned int tile, unsigned int row, unsigned int col) {
  xbar::compiler::ProgramExecutor* analog = xbar::rtl::Analog();
  if (analog == nullptr) return -1;
  return analog->VerifyRead(static_cast<int>(tile), static_cast<int>(row), static_cast<int>(col));
}
