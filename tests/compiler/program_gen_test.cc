// Program generation: convergence of the schemes on both presets, failure reasons, determinism,
// the binary and CSV formats with the exact message of every diagnostic, and the scheme ordering.
#include "compiler/chip_io.h"
#include "compiler/program_gen.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "compiler/chip_state_io.h"
#include "compiler/pulse_io.h"
#include "support/file_io.h"
#include "tests/testing/temp.h"

namespace xbar::compiler {
namespace {

namespace dm = device_models;
namespace fs = std::filesystem;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string TempPath(const std::string& name) {
  return (::xbar::testing::TempDir() / ("xbar_program_" + name)).string();
}

// The default chip (PCM) with a few tiles.
dm::ChipSpec PcmChip() {
  dm::ChipSpec chip;
  chip.tiles.count = 4;
  return chip;
}

// The large chip's RRAM device and periphery (chips/large.textproto) on four 128 x 128 tiles.
dm::ChipSpec RramChip() {
  auto chip = ReadChipText(std::string(XBAR_SOURCE_DIR) + "/chips/large.textproto");
  EXPECT_TRUE(chip.has_value()) << chip.error().message;
  chip->tiles = dm::ChipSpec{}.tiles;
  chip->tiles.count = 4;
  return *chip;
}

// `rows` full rows of tile 0 with targets uniform in [lo, hi]; the rest NaN.
std::vector<TileTargets> UniformTargets(const dm::ChipSpec& chip, int rows, double lo, double hi,
                                        uint64_t seed) {
  TileTargets t{0, Eigen::MatrixXd::Constant(chip.tiles.rows, chip.tiles.columns, kNaN)};
  Rng rng(seed);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < chip.tiles.columns; ++c) {
      t.target_g_s(r, c) = lo + (hi - lo) * static_cast<double>(rng() >> 11) * 0x1.0p-53;
    }
  }
  return {t};
}

struct Result {
  PulseProgram program;
  dm::ChipState state;
};

Result Program(const dm::ChipSpec& chip, const std::vector<TileTargets>& targets,
               ProgramOptions options, uint64_t chip_seed = 5) {
  auto instance = dm::ChipInstance::Create(chip, chip_seed);
  XBAR_CHECK(instance.has_value());
  auto program = GenerateProgram(targets, *instance, options);
  XBAR_CHECK(program.has_value());
  Result r{std::move(*program), {}};
  r.state = ProgrammedState(r.program, *instance);
  return r;
}

double ConvergedFraction(const ProgramStatistics& s) {
  return static_cast<double>(s.outcomes[static_cast<int>(CellOutcome::kConverged)]) /
         static_cast<double>(s.cells);
}


// Convergence over 4096 cells: almost all converge, and the true error of the converged cells
// stays within the tolerance plus what the verify read cannot see (half a code, read noise).
void ExpectConverges(const dm::ChipSpec& chip, double lo, double hi, double read_sigma_s) {
  const auto targets = UniformTargets(chip, 32, lo, hi, 3);
  const double tol = chip.programming.verify_tolerance_s;
  const double lsb = chip.adc.VerifyLsbS(chip.v_read_v);
  for (ProgramScheme scheme : {ProgramScheme::kIspp, ProgramScheme::kModelPredicted}) {
    SCOPED_TRACE(std::string(ProgramSchemeName(scheme)));
    ProgramOptions options;
    options.scheme = scheme;
    const auto s = Program(chip, targets, options).program.statistics;
    EXPECT_EQ(s.cells, 4096);
    EXPECT_GE(ConvergedFraction(s), 0.99);
    EXPECT_LT(s.error_mean_s, 0.6 * tol + read_sigma_s);
    EXPECT_LE(s.error_p99_s, tol + 0.5 * lsb + 3 * read_sigma_s);
    EXPECT_GT(s.error_p99_s, 0.5 * tol);  // the band is used, not the centre only
  }
}

TEST(ProgramGen, ConvergesOnPcm) {
  const dm::ChipSpec chip = PcmChip();
  // PCM reads right after programming have no noise: only the ADC's half code.
  ExpectConverges(chip, 1e-6, 20e-6, 0.0);
}

TEST(ProgramGen, ConvergesOnRram) {
  dm::ChipSpec chip = RramChip();
  chip.device.nonidealities.stuck.enabled = false;
  // Headroom for the 30 % / 21 % spreads of the window edges; 1 % read noise at the top target.
  ExpectConverges(chip, 3e-6, 25e-6, 0.01 * 25e-6);
}

TEST(ProgramGen, StuckCellAndOutOfWindowTargetAreReportedAndTheRunFinishes) {
  const dm::ChipSpec chip = RramChip();  // stuck-at faults on
  auto instance = dm::ChipInstance::Create(chip, 5);
  ASSERT_TRUE(instance.has_value());
  // Row 0: find a cell stuck on; target the middle of the window there and in the other cells.
  TileTargets t{1, Eigen::MatrixXd::Constant(chip.tiles.rows, chip.tiles.columns, kNaN)};
  int stuck_column = -1;
  for (int c = 0; c < chip.tiles.columns && stuck_column < 0; ++c) {
    if (instance->Device(1, 0, c).stuck == dm::StuckState::kOn) stuck_column = c;
  }
  ASSERT_GE(stuck_column, 0);
  t.target_g_s(0, stuck_column) = 10e-6;
  t.target_g_s(1, 0) = 80e-6;  // twice the chip's g_max
  int normal = 0;
  for (int c = 1; c < chip.tiles.columns && normal < 20; ++c) {
    if (!instance->Device(1, 1, c).is_stuck()) {
      t.target_g_s(1, c) = 10e-6;
      ++normal;
    }
  }
  auto program = GenerateProgram({t}, *instance, ProgramOptions{});
  ASSERT_TRUE(program.has_value());
  const auto& cells = program->tiles[0].cells;
  ASSERT_EQ(cells.size(), 22u);
  EXPECT_EQ(cells[0].column, stuck_column);
  EXPECT_EQ(cells[0].outcome, CellOutcome::kStuck);
  EXPECT_EQ(cells[1].column, 0);
  EXPECT_EQ(cells[1].outcome, CellOutcome::kOutOfWindow);
  EXPECT_EQ(cells[1].pulses, 0u);
  const auto& s = program->statistics;
  EXPECT_EQ(s.outcomes[static_cast<int>(CellOutcome::kStuck)], 1);
  EXPECT_EQ(s.outcomes[static_cast<int>(CellOutcome::kOutOfWindow)], 1);
  EXPECT_EQ(s.outcomes[static_cast<int>(CellOutcome::kConverged)], 20);
  EXPECT_EQ(s.failed(), 2);
  EXPECT_EQ(CellOutcomeName(cells[0].outcome), "stuck");
  EXPECT_EQ(CellOutcomeName(cells[1].outcome), "out-of-window");
}

TEST(ProgramGen, BudgetSpentIsCounted) {
  dm::ChipSpec chip = PcmChip();
  ProgramOptions options;
  options.scheme = ProgramScheme::kFixed;
  options.max_pulses = 3;
  const auto r = Program(chip, UniformTargets(chip, 1, 15e-6, 20e-6, 4), options);
  EXPECT_EQ(r.program.statistics.outcomes[static_cast<int>(CellOutcome::kBudgetSpent)], 128);
  EXPECT_EQ(r.program.statistics.pulses, 3 * 128);
  EXPECT_EQ(r.program.statistics.reads, 4 * 128);
}

TEST(ProgramGen, SameSeedIsBitIdenticalForOneAndTwoThreads) {
  const dm::ChipSpec chip = RramChip();
  const auto targets = UniformTargets(chip, 16, 2e-6, 30e-6, 9);
  for (ProgramScheme scheme : {ProgramScheme::kFixed, ProgramScheme::kIspp, ProgramScheme::kModelPredicted}) {
    ProgramOptions options;
    options.scheme = scheme;
    options.threads = 1;
    const Result one = Program(chip, targets, options);
    options.threads = 2;
    const Result two = Program(chip, targets, options);
    EXPECT_EQ(SerializePulseProgram(one.program), SerializePulseProgram(two.program));
    ASSERT_EQ(one.state.tiles.size(), 1u);
    EXPECT_TRUE((one.state.tiles[0].g_s.array() == two.state.tiles[0].g_s.array()).all());
    EXPECT_EQ(one.state.tiles[0].stuck, two.state.tiles[0].stuck);
    options.seed = 2;
    const Result other = Program(chip, targets, options);
    EXPECT_NE(SerializePulseProgram(one.program), SerializePulseProgram(other.program));
  }
}

TEST(ProgramGen, ChipDevicesDoNotDependOnWhatIsProgrammed) {
  const dm::ChipSpec chip = RramChip();
  auto a = dm::ChipInstance::Create(chip, 8);
  auto b = dm::ChipInstance::Create(chip, 8);
  ASSERT_TRUE(a && b);
  a->DrawTile(2);
  for (int c : {0, 17, 127}) {
    const dm::DeviceInstance x = a->Device(2, 5, c), y = b->Device(2, 5, c);  // drawn vs on the fly
    EXPECT_EQ(x.g_min_s, y.g_min_s);
    EXPECT_EQ(x.g_max_s, y.g_max_s);
    EXPECT_EQ(x.set_scale, y.set_scale);
    EXPECT_EQ(x.stuck, y.stuck);
    EXPECT_EQ(a->Conductance(2, 5, c), b->Conductance(2, 5, c));
  }
}

TEST(ProgramGen, ModelPredictedNeedsFewerPulsesThanIsppWhichNeedsFewerThanFixed) {
  for (const dm::ChipSpec& chip : {PcmChip(), RramChip()}) {
    SCOPED_TRACE(chip.name);
    const double g_max = chip.device.memristor.g_max_s;
    const auto targets = UniformTargets(chip, 16, 0.1 * g_max, 0.6 * g_max, 12);
    double mean[3];
    int i = 0;
    for (ProgramScheme scheme : {ProgramScheme::kModelPredicted, ProgramScheme::kIspp, ProgramScheme::kFixed}) {
      ProgramOptions options;
      options.scheme = scheme;
      options.max_pulses = 2000;
      mean[i++] = ConvergedPulsesMean(Program(chip, targets, options).program);
    }
    EXPECT_LT(mean[0], mean[1]);
    EXPECT_LT(mean[1], mean[2]);
  }
}

TEST(ProgramGen, RejectsBadTargetsAndOptions) {
  const dm::ChipSpec chip = PcmChip();
  auto instance = dm::ChipInstance::Create(chip, 1);
  ASSERT_TRUE(instance.has_value());
  auto message = [&](const std::vector<TileTargets>& targets, const ProgramOptions& options) {
    auto r = GenerateProgram(targets, *instance, options);
    EXPECT_FALSE(r.has_value());
    return r ? std::string() : r.error().message;
  };
  const Eigen::MatrixXd full = Eigen::MatrixXd::Constant(128, 128, 5e-6);
  EXPECT_EQ(message({{4, full}}, {}), "target tile 4 is not on the chip (tiles 0 to 3)");
  EXPECT_EQ(message({{0, Eigen::MatrixXd::Constant(124, 124, 5e-6)}}, {}),
            "targets of tile 0 are 124x124 but the chip's tiles are 128x128 (give physical rows x "
            "columns, NaN for unused cells)");
  EXPECT_EQ(message({{0, full}, {0, full}}, {}), "tile 0 has targets twice (give each tile once)");
  ProgramOptions options;
  options.tolerance_s = 0.01e-6;
  EXPECT_EQ(message({{0, full}}, options),
            "tolerance_s = 1e-08 S is finer than half a verify code (6.25e-08 S): the verify read "
            "cannot resolve it (use a larger tolerance)");
  options = {};
  options.scheme = ProgramScheme::kFixed;
  options.fixed_set_v = 1.23;
  EXPECT_EQ(message({{0, full}}, options),
            "fixed_set_v = 1.23 V is not on the amplitude ladder 1, 1.05, ... 2.4 V (use a ladder "
            "amplitude or 0)");
  EXPECT_EQ(ProgramSchemeByName("smart").error().message,
            "unknown programming scheme 'smart' (use one of: fixed, ispp, model-predicted)");
  EXPECT_EQ(*ProgramSchemeByName("ispp"), ProgramScheme::kIspp);
}

// A two-cell program on the default chip, the golden of the CSV and the round trips.
Result SmallProgram() {
  dm::ChipSpec chip = PcmChip();
  TileTargets t{2, Eigen::MatrixXd::Constant(128, 128, kNaN)};
  t.target_g_s(3, 7) = 10e-6;
  t.target_g_s(3, 9) = 0.1e-6;
  ProgramOptions options;
  options.seed = 42;
  return Program(chip, {t}, options, 42);
}

TEST(PulseIo, CsvHasTheHeaderAndTheGoldenFirstLines) {
  const Result r = SmallProgram();
  const std::string path = TempPath("golden.csv");
  ASSERT_TRUE(WritePulseCsv(path, r.program).has_value());
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  fs::remove(path);
  ASSERT_GE(lines.size(), 6u);
  EXPECT_EQ(lines[0], "tile,row,col,op,amplitude_v,width_s,read_code,read_g_s");
  const std::vector<std::string> golden = {
      "2,3,7,READ,0.2,3.3e-07,1,1.25e-07",   // as fabricated: at g_min
      "2,3,7,SET,1.9,5e-08,,",                // the model's first, long step
      "2,3,7,READ,0.2,3.3e-07,65,8.125e-06",
      "2,3,7,SET,1.45,5e-08,,",               // rescaled by what the read showed
      "2,3,7,READ,0.2,3.3e-07,85,1.0625e-05",
      "2,3,7,RESET,-1.65,2e-08,,",            // overshoot: reverse, from the lowest RESET rung
  };
  for (std::size_t i = 0; i < golden.size(); ++i) EXPECT_EQ(lines[i + 1], golden[i]) << i;
  EXPECT_EQ(lines.size(), 1 + static_cast<std::size_t>(r.program.statistics.pulses + r.program.statistics.reads));
  EXPECT_EQ(lines.back(), "2,3,9,READ,0.2,3.3e-07,1,1.25e-07");  // at g_min already: one read
}

TEST(PulseIo, RoundTripsBitForBit) {
  const Result r = SmallProgram();
  const std::string path = TempPath("rt.xbpulse");
  ASSERT_TRUE(WritePulseProgram(path, r.program).has_value());
  auto back = ReadPulseProgram(path);
  fs::remove(path);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(SerializePulseProgram(*back), SerializePulseProgram(r.program));
  EXPECT_EQ(back->tiles[0].cells[0].row, 3);
  EXPECT_EQ(back->tiles[0].cells[1].column, 9);
  EXPECT_EQ(back->tiles[0].read_codes, r.program.tiles[0].read_codes);
  EXPECT_EQ(back->tiles[0].pulses, r.program.tiles[0].pulses);
  EXPECT_EQ(back->statistics.pulse_energy_j, r.program.statistics.pulse_energy_j);
}

TEST(PulseIo, RejectsDamagedFilesWithClearMessages) {
  const Result r = SmallProgram();
  const std::string path = TempPath("bad.xbpulse");
  ASSERT_TRUE(WritePulseProgram(path, r.program).has_value());
  const std::string good = *ReadFile(path);
  auto message = [&](const std::string& bytes) {
    XBAR_CHECK(WriteFileAtomic(path, bytes).has_value());
    auto p = ReadPulseProgram(path);
    EXPECT_FALSE(p.has_value());
    if (p) return std::string();
    EXPECT_EQ(p.error().code, ErrorCode::kDataLoss);
    return p.error().message;
  };
  const std::size_t payload = good.size() - kArtifactHeaderBytes;
  EXPECT_EQ(message(good.substr(0, good.size() - 5)),
            path + ": truncated: header says " + std::to_string(payload) + " payload bytes, file has " +
                std::to_string(payload - 5));
  EXPECT_EQ(message(good.substr(0, 10)), path + ": truncated: 10 bytes, shorter than the 24-byte xbar header");
  std::string corrupt = good;
  corrupt[kArtifactHeaderBytes + 3] ^= 0x20;
  EXPECT_EQ(message(corrupt), path + ": corrupt: payload checksum does not match the header");
  std::string version = good;
  version[8] = 2;
  EXPECT_EQ(message(version),
            path + ": pulse program schema version 2 is not supported (this xbar reads version 1)");
  // A chip state is not a pulse program.
  ASSERT_TRUE(WriteChipState(path, r.state).has_value());
  EXPECT_EQ(ReadPulseProgram(path).error().message,
            path + ": is a 'XCS1' file, expected a pulse program ('XPP1')");
  // A well-formed container whose pulses do not add up.
  PulseProgram inconsistent = r.program;
  inconsistent.tiles[0].pulses.pop_back();
  inconsistent.tiles[0].read_codes.pop_back();
  ASSERT_TRUE(WritePulseProgram(path, inconsistent).has_value());
  EXPECT_EQ(ReadPulseProgram(path).error().message,
            path + ": tile 2: pulse counts add up to " + std::to_string(r.program.tiles[0].pulses.size()) +
                " pulses but " + std::to_string(r.program.tiles[0].pulses.size() - 1) + " are stored");
  fs::remove(path);
  EXPECT_EQ(ReadPulseProgram(path).error().code, ErrorCode::kNotFound);
}

TEST(ChipStateIo, RoundTripsAndRestoresTheChip) {
  const Result r = SmallProgram();
  const std::string path = TempPath("rt.xbcs");
  ASSERT_TRUE(WriteChipState(path, r.state).has_value());
  auto back = ReadChipState(path);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(back->chip_name, "xbar-default-128");
  EXPECT_EQ(back->chip_seed, 42u);
  EXPECT_EQ(back->age_s, 0.0);
  ASSERT_EQ(back->tiles.size(), 1u);
  EXPECT_EQ(back->tiles[0].tile, 2);
  EXPECT_TRUE((back->tiles[0].g_s.array() == r.state.tiles[0].g_s.array()).all());
  EXPECT_EQ(back->tiles[0].stuck, r.state.tiles[0].stuck);
  EXPECT_NEAR(back->tiles[0].g_s(3, 7), 10e-6, 0.5e-6 + 0.0625e-6);

  // Resume: a fresh instance of the same chip and seed takes the state.
  auto chip = dm::ChipInstance::Create(PcmChip(), 42);
  ASSERT_TRUE(chip.has_value());
  ASSERT_TRUE(chip->Restore(*back).has_value());
  EXPECT_EQ(chip->Conductance(2, 3, 7), r.state.tiles[0].g_s(3, 7));
  auto other = dm::ChipInstance::Create(PcmChip(), 43);
  EXPECT_EQ(other->Restore(*back).error().message,
            "chip state is for another chip: its seed is 42, this chip's is 43 (restore it onto the "
            "chip and seed it was programmed on)");

  std::string bytes = *ReadFile(path);
  bytes.resize(bytes.size() - 1);
  XBAR_CHECK(WriteFileAtomic(path, bytes).has_value());
  const std::size_t payload = bytes.size() + 1 - kArtifactHeaderBytes;
  EXPECT_EQ(ReadChipState(path).error().message,
            path + ": truncated: header says " + std::to_string(payload) + " payload bytes, file has " +
                std::to_string(payload - 1));
  fs::remove(path);
}

}  // namespace
}  // namespace xbar::compiler
