// RTL backend: co-simulation of the programming path against the behavioural chip (bit-identical
// conductances and verify reads), and the controller's error answers (bad address, bad opcode,
// cycle budget).
#include "runtime/rtl_chip.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "compiler/program_gen.h"
#include "runtime/program_replay.h"
#include "support/rng.h"

namespace xbar::runtime {
namespace {

namespace dm = device_models;
using compiler::PulseProgram;

constexpr uint64_t kChipSeed = 7;
constexpr uint64_t kRunSeed = 11;

// Two tiles of the default chip, a 16 x 16 block of random targets on each (the rest NaN).
std::vector<compiler::TileTargets> Targets(const dm::ChipInstance& chip) {
  std::vector<compiler::TileTargets> targets;
  Rng rng(3);
  const double lo = chip.spec().device.memristor.g_min_s, hi = chip.spec().device.memristor.g_max_s;
  for (int tile : {0, 5}) {
    compiler::TileTargets t{tile, Eigen::MatrixXd::Constant(chip.rows(), chip.columns(),
                                                           std::numeric_limits<double>::quiet_NaN())};
    for (int r = 0; r < 16; ++r) {
      for (int c = 0; c < 16; ++c) {
        const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53;
        t.target_g_s(r, c) = lo + (0.1 + 0.8 * u) * (hi - lo);
      }
    }
    targets.push_back(std::move(t));
  }
  return targets;
}

dm::ChipInstance Chip() { return *dm::ChipInstance::Create(dm::ChipSpec{}, kChipSeed); }

PulseProgram Program(dm::ChipInstance& chip) {
  compiler::ProgramOptions options;
  options.seed = kRunSeed;
  auto program = compiler::GenerateProgram(Targets(chip), chip, options);
  EXPECT_TRUE(program.has_value()) << program.error().message;
  return *program;
}

TEST(RtlChip, ReplayIsBitIdenticalWithBehaviouralAndGeneration) {
  dm::ChipInstance a = Chip();
  const PulseProgram program = Program(a);
  ASSERT_GT(program.statistics.pulses, 0);

  dm::ChipInstance b = Chip();
  auto behavioural = runtime::ReplayBehavioural(program, b);
  ASSERT_TRUE(behavioural.has_value()) << behavioural.error().message;
  EXPECT_EQ(behavioural->read_mismatches, 0) << behavioural->first_mismatch;

  dm::ChipInstance c = Chip();
  auto rtl = ReplayOnRtl(program, c, {});
  ASSERT_TRUE(rtl.has_value()) << rtl.error().message;
  EXPECT_EQ(rtl->read_mismatches, 0) << rtl->first_mismatch;
  EXPECT_EQ(rtl->pulses, program.statistics.pulses);
  EXPECT_EQ(rtl->reads, program.statistics.reads);
  EXPECT_GT(rtl->cycles, 0u);

  // The check can fail: the program replayed with another run seed reads other codes.
  PulseProgram reseeded = program;
  reseeded.seed = kRunSeed + 1;
  dm::ChipInstance d = Chip();
  auto other = ReplayOnRtl(reseeded, d, {});
  ASSERT_TRUE(other.has_value()) << other.error().message;
  EXPECT_GT(other->read_mismatches, 0);

  for (const compiler::TileProgram& t : program.tiles) {
    for (int r = 0; r < a.rows(); ++r) {
      for (int col = 0; col < a.columns(); ++col) {
        const double ga = a.Conductance(t.tile, r, col);
        ASSERT_EQ(b.Conductance(t.tile, r, col), ga) << t.tile << " " << r << " " << col;
        ASSERT_EQ(c.Conductance(t.tile, r, col), ga) << t.tile << " " << r << " " << col;
      }
    }
  }
}

// The sequencers wait for the analog front end: answers 9 cycles late program the same
// conductances with the same codes; a pulse takes 9 cycles more, a read 2 (the rest of the wait
// hides in its AdcBits = 8 conversion cycles).
TEST(RtlChip, SlowAnalogAnswersCostOnlyCycles) {
  dm::ChipInstance a = Chip();
  const PulseProgram program = Program(a);
  dm::ChipInstance b = Chip();
  auto fast = ReplayOnRtl(program, b, {});
  ASSERT_TRUE(fast.has_value()) << fast.error().message;
  dm::ChipInstance c = Chip();
  RtlReplayOptions options;
  options.rtl.analog_latency = 9;
  auto slow = ReplayOnRtl(program, c, options);
  ASSERT_TRUE(slow.has_value()) << slow.error().message;
  EXPECT_EQ(slow->read_mismatches, 0) << slow->first_mismatch;
  EXPECT_EQ(slow->reads, fast->reads);
  ASSERT_EQ(RtlControllerShape().adc_bits, 8);
  EXPECT_EQ(slow->cycles, fast->cycles + 9 * static_cast<uint64_t>(fast->pulses) +
                              2 * static_cast<uint64_t>(fast->reads));
  for (const compiler::TileProgram& t : program.tiles) {
    for (int r = 0; r < b.rows(); ++r) {
      for (int col = 0; col < b.columns(); ++col) {
        ASSERT_EQ(c.Conductance(t.tile, r, col), b.Conductance(t.tile, r, col));
      }
    }
  }
  RtlOptions too_slow;
  too_slow.analog_latency = 256;
  auto bad = RtlChip::Create(nullptr, too_slow);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message, "rtl analog latency 256 is outside [0, 255] cycles");
}

TEST(RtlChip, TracesOnlyToVcd) {
  auto fst = RtlChip::Create(nullptr, {.trace_path = "wave.fst", .cycle_budget = 10});
  ASSERT_FALSE(fst.has_value());
  EXPECT_EQ(fst.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(fst.error().message.find("only VCD waveforms"), std::string::npos) << fst.error().message;
}

TEST(RtlChip, CountsCyclesPulsesAndReads) {
  dm::ChipInstance a = Chip();
  const PulseProgram program = Program(a);
  dm::ChipInstance c = Chip();
  auto ex = runtime::ProgramExecutor::Create(program, c);
  ASSERT_TRUE(ex.has_value());
  auto rtl = RtlChip::Create(&*ex, {});
  ASSERT_TRUE(rtl.has_value()) << rtl.error().message;
  RtlChip& chip = **rtl;
  const auto run = [&](RtlCommand cmd) {
    auto r = chip.Execute(cmd, "test");
    EXPECT_TRUE(r.has_value());
    return *r;
  };
  RtlCommand clear;
  clear.opcode = static_cast<uint8_t>(RtlOpcode::kClearCounters);
  EXPECT_EQ(run(clear).status, RtlStatus::kOk);
  RtlCommand pulse;
  pulse.opcode = static_cast<uint8_t>(RtlOpcode::kPulse);
  pulse.set = true;
  pulse.arg = 3;
  pulse.cycles = 5;
  EXPECT_EQ(run(pulse).status, RtlStatus::kOk);
  RtlCommand read;
  read.opcode = static_cast<uint8_t>(RtlOpcode::kRead);
  read.cycles = 4;
  EXPECT_EQ(run(read).status, RtlStatus::kOk);
  RtlCommand counter;
  counter.opcode = static_cast<uint8_t>(RtlOpcode::kCounter);
  counter.arg = static_cast<uint32_t>(RtlCounter::kPulses);
  EXPECT_EQ(run(counter).data, 1u);
  counter.arg = static_cast<uint32_t>(RtlCounter::kReads);
  EXPECT_EQ(run(counter).data, 1u);
  counter.arg = static_cast<uint32_t>(RtlCounter::kCycles);
  // Since the clear: clear's response cycle, pulse 5 + 3, read 4 + AdcBits + 2, two counter reads
  // of 2 each, and this one's accept cycle.
  const uint64_t adc = static_cast<uint64_t>(RtlControllerShape().adc_bits);
  EXPECT_EQ(run(counter).data, 1 + (5 + 3) + (4 + adc + 2) + 2 + 2);
  counter.arg = 9;
  EXPECT_EQ(run(counter).status, RtlStatus::kBadArg);
}

TEST(RtlChip, UnknownOpcodeIsAnErrorResponse) {
  auto rtl = RtlChip::Create(nullptr, {});
  ASSERT_TRUE(rtl.has_value()) << rtl.error().message;
  RtlCommand cmd;
  cmd.opcode = 15;
  auto r = (*rtl)->Execute(cmd, "test");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, RtlStatus::kBadOpcode);
  // The controller takes the next command afterwards.
  cmd.opcode = static_cast<uint8_t>(RtlOpcode::kNop);
  r = (*rtl)->Execute(cmd, "test");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, RtlStatus::kOk);
}

TEST(RtlChip, ProgramForAnotherShapeIsRejected_bad) {
  dm::ChipInstance a = Chip();
  PulseProgram program = Program(a);
  program.tiles[0].tile = 300;  // the controller has 256 tiles
  dm::ChipInstance c = Chip();
  auto rtl = ReplayOnRtl(program, c, {});
  ASSERT_FALSE(rtl.has_value());
  EXPECT_EQ(rtl.error().message,
            "rtl replay: op 0 (READ on tile 300, row 0, column 0): the controller answered "
            "bad-address (the controller has 256 tiles of 128x128; is the program for another "
            "chip?)");
  dm::ChipInstance b = Chip();
  auto behavioural = runtime::ReplayBehavioural(program, b);
  ASSERT_FALSE(behavioural.has_value());
  EXPECT_EQ(behavioural.error().message,
            "behavioural replay: op 0 (READ on tile 300, row 0, column 0): cell (300, 0, 0) is "
            "outside the chip's 256 tiles of 128x128");

  program = Program(a);
  program.tiles[0].cells[0].row = 128;
  auto row = ReplayOnRtl(program, c, {});
  ASSERT_FALSE(row.has_value());
  EXPECT_NE(row.error().message.find("row 128"), std::string::npos) << row.error().message;
  EXPECT_NE(row.error().message.find("bad-address"), std::string::npos) << row.error().message;
}

TEST(RtlChip, CycleBudgetExceededIsAClearError_bad) {
  dm::ChipInstance a = Chip();
  const PulseProgram program = Program(a);
  dm::ChipInstance c = Chip();
  RtlReplayOptions options;
  options.rtl.cycle_budget = 3;  // a pulse takes more
  auto rtl = ReplayOnRtl(program, c, options);
  ASSERT_FALSE(rtl.has_value());
  EXPECT_EQ(rtl.error().code, ErrorCode::kInternal);
  EXPECT_NE(rtl.error().message.find("no response from the rtl controller within 3 cycles"),
            std::string::npos)
      << rtl.error().message;
  EXPECT_EQ(rtl.error().message.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace xbar::runtime
