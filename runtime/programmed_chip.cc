// A programmed chip instance from a pulse program (replayed) or a chip state (restored).
#include "runtime/programmed_chip.h"

#include "compiler/artifact_check.h"
#include "compiler/chip_state_io.h"
#include "compiler/pulse_io.h"

namespace xbar::runtime {

Expected<device_models::ChipInstance> ProgrammedChip(const compiler::Plan& plan, const std::string& program_path,
                                                     const std::string& state_path, ChipBackend& backend,
                                                     compiler::PulseProgram* program_out) {
  XBAR_CHECK(program_path.empty() != state_path.empty());
  if (!program_path.empty()) {
    auto program = compiler::ReadPulseProgram(program_path);
    if (!program) return std::unexpected(program.error());
    if (auto ok = compiler::CheckProgramFitsPlan(plan, *program, program_path); !ok) return std::unexpected(ok.error());
    auto chip = compiler::CreateChipInstance(plan, program->chip_seed, program_path);
    if (!chip) return std::unexpected(chip.error());
    auto replay = backend.Replay(*program, *chip);
    if (!replay) return std::unexpected(WithContext(replay.error(), program_path));
    if (replay->read_mismatches > 0) {
      return Fail(ErrorCode::kDataLoss, program_path + ": " + std::to_string(replay->read_mismatches) +
                                            " verify reads differ on replay (first: " + replay->first_mismatch + ")");
    }
    if (program_out != nullptr) *program_out = std::move(*program);
    return chip;
  }
  auto state = compiler::ReadChipState(state_path);
  if (!state) return std::unexpected(state.error());
  return compiler::RestoreChipInstance(plan, *state, state_path);
}

}  // namespace xbar::runtime
