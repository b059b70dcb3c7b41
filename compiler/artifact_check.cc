// The check that a plan, a pulse program and a chip state belong together.
#include "compiler/artifact_check.h"

#include <algorithm>
#include <vector>

namespace xbar::compiler {

Expected<void> CheckChipSeed(const Plan& plan, uint64_t chip_seed, const std::string& where) {
  if (!plan.faults_chip_seed || *plan.faults_chip_seed == chip_seed) return {};
  const std::string prefix = where.empty() ? "" : where + ": ";
  return Fail(ErrorCode::kInvalidArgument,
              prefix + "the plan was remapped around the stuck cells of chip instance " +
                  std::to_string(*plan.faults_chip_seed) + " (xbar compile --faults); it does not fit chip instance " +
                  std::to_string(chip_seed));
}

Expected<device_models::ChipInstance> CreateChipInstance(const Plan& plan, uint64_t chip_seed, const std::string& where) {
  if (auto ok = CheckChipSeed(plan, chip_seed, where); !ok) return std::unexpected(ok.error());
  return device_models::ChipInstance::Create(plan.chip, chip_seed);
}

Expected<device_models::ChipInstance> RestoreChipInstance(const Plan& plan, const device_models::ChipState& state,
                                                          const std::string& state_path) {
  if (auto ok = CheckStateFitsPlan(plan, state, state_path); !ok) return std::unexpected(ok.error());
  auto chip = device_models::ChipInstance::Create(plan.chip, state.chip_seed);
  if (!chip) return chip;
  if (auto ok = chip->Restore(state); !ok) return std::unexpected(WithContext(ok.error(), state_path));
  return chip;
}

Expected<void> CheckProgramFitsPlan(const Plan& plan, const PulseProgram& program, const std::string& program_path) {
  const uint32_t expected = PlanTargetsChecksum(plan);
  if (program.chip_name != plan.chip.name || program.targets_crc32 != expected || program.targets_crc32 == 0) {
    return Fail(ErrorCode::kInvalidArgument,
                program_path + ": pulse program for chip '" + program.chip_name + "' and targets crc32 " +
                    std::to_string(program.targets_crc32) + ", the plan is for chip '" + plan.chip.name +
                    "' with targets crc32 " + std::to_string(expected) + " (generate it from this plan)");
  }
  return CheckChipSeed(plan, program.chip_seed, program_path);
}

Expected<void> CheckStateFitsPlan(const Plan& plan, const device_models::ChipState& state,
                                  const std::string& state_path) {
  if (state.chip_name != plan.chip.name) {
    return Fail(ErrorCode::kInvalidArgument, state_path + ": chip state of chip '" + state.chip_name +
                                                 "', the plan is for chip '" + plan.chip.name + "'");
  }
  if (auto ok = CheckChipSeed(plan, state.chip_seed, state_path); !ok) return ok;
  for (const auto& tile : plan.tiles) {
    const bool listed = std::any_of(state.tiles.begin(), state.tiles.end(),
                                    [&](const device_models::TileState& t) { return t.tile == tile.physical_index; });
    if (!listed) {
      return Fail(ErrorCode::kInvalidArgument, state_path + ": tile " + std::to_string(tile.physical_index) +
                                                   " of the plan is not in the chip state (programmed for another plan?)");
    }
  }
  return {};
}

Expected<void> CheckStateFitsChip(const device_models::ChipState& state, const device_models::ChipSpec& chip,
                                  const std::string& state_path, const std::string& chip_path) {
  if (state.chip_name == chip.name && state.tile_rows == chip.tiles.rows && state.tile_columns == chip.tiles.columns) {
    return {};
  }
  return Fail(ErrorCode::kInvalidArgument, state_path + ": a state of chip '" + state.chip_name + "' (" +
                                               std::to_string(state.tile_rows) + "x" +
                                               std::to_string(state.tile_columns) + " tiles), not of " + chip_path +
                                               " ('" + chip.name + "')");
}

}  // namespace xbar::compiler
