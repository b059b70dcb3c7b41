// The RTL backend harness (in the manner of Verilator's examples/make_tracing_c/sim_main.cpp):
// context, model and trace owned here, reset, clock, per-command cycle budget, program replay.
#include "runtime/rtl_chip.h"

#include <optional>
#include <utility>

#include "Vxbar_sim_top.h"
#include "Vxbar_sim_top_xbar_pkg.h"
#include "Vxbar_sim_top_xbar_sim_top.h"
#include "rtl/dpi_chip.h"
#include "verilated.h"
#include "verilated_vcd_c.h"

namespace xbar::runtime {
namespace {

using Pkg = Vxbar_sim_top_xbar_pkg;
using Top = Vxbar_sim_top_xbar_sim_top;

// The command set is defined once, in rtl/xbar_pkg.sv; Verilator generates Pkg from it at build
// time, and these fail to compile when the C++ side drifts from it.
static_assert(static_cast<int>(RtlOpcode::kNop) == Pkg::OpNop);
static_assert(static_cast<int>(RtlOpcode::kPulse) == Pkg::OpPulse);
static_assert(static_cast<int>(RtlOpcode::kRead) == Pkg::OpRead);
static_assert(static_cast<int>(RtlOpcode::kCounter) == Pkg::OpCounter);
static_assert(static_cast<int>(RtlOpcode::kClearCounters) == Pkg::OpClearCounters);
static_assert(static_cast<int>(RtlOpcode::kConfig) == Pkg::OpConfig);
static_assert(static_cast<int>(RtlOpcode::kSchedule) == Pkg::OpSchedule);
static_assert(static_cast<int>(RtlOpcode::kInput) == Pkg::OpInput);
static_assert(static_cast<int>(RtlOpcode::kInfer) == Pkg::OpInfer);
static_assert(static_cast<int>(RtlOpcode::kResult) == Pkg::OpResult);
static_assert(static_cast<int>(RtlOpcode::kReadCycles) == Pkg::OpReadCycles);
static_assert(static_cast<int>(RtlOpcode::kStep) == Pkg::OpStep);
static_assert(static_cast<int>(RtlStatus::kOk) == Pkg::StatusOk);
static_assert(static_cast<int>(RtlStatus::kBadOpcode) == Pkg::StatusBadOpcode);
static_assert(static_cast<int>(RtlStatus::kBadAddress) == Pkg::StatusBadAddress);
static_assert(static_cast<int>(RtlStatus::kBadArg) == Pkg::StatusBadArg);
static_assert(static_cast<int>(RtlStatus::kAnalogFail) == Pkg::StatusAnalogFail);
static_assert(static_cast<int>(RtlCounter::kCycles) == Pkg::CntCycles);
static_assert(static_cast<int>(RtlCounter::kPulses) == Pkg::CntPulses);
static_assert(static_cast<int>(RtlCounter::kReads) == Pkg::CntReads);
static_assert(static_cast<int>(RtlCounter::kLayerReads) == Pkg::CntLayerReads);
static_assert(static_cast<int>(RtlCounter::kNeuronSteps) == Pkg::CntNeuronSteps);
static_assert(static_cast<int>(RtlCounter::kConversions) == Pkg::CntConversions);
static_assert(static_cast<int>(RtlCounter::kInferences) == Pkg::CntInferences);
static_assert(static_cast<int>(RtlConfig::kSteps) == Pkg::CfgSteps);
static_assert(static_cast<int>(RtlConfig::kPeriod) == Pkg::CfgPeriod);
static_assert(static_cast<int>(RtlConfig::kLayers) == Pkg::CfgLayers);
static_assert(static_cast<int>(RtlConfig::kOutputs) == Pkg::CfgOutputs);
static_assert(static_cast<int>(RtlConfig::kSenseCycles) == Pkg::CfgSenseCycles);
static_assert(static_cast<int>(RtlConfig::kNeuronCycles) == Pkg::CfgNeuronCycles);
static_assert(Pkg::OpcodeWidth == 4 && Pkg::TileWidth <= 32 && Pkg::RowWidth <= 32 &&
              Pkg::ColWidth <= 32 && Pkg::ArgWidth <= 32 && Pkg::CyclesWidth <= 32 &&
              Pkg::DataWidth == 64 && Pkg::ValueWidth == 32);

constexpr uint32_t Mask(unsigned bits) { return bits >= 32 ? ~0u : (1u << bits) - 1u; }

}  // namespace

std::string_view RtlStatusName(RtlStatus status) {
  switch (status) {
    case RtlStatus::kOk: return "ok";
    case RtlStatus::kBadOpcode: return "bad-opcode";
    case RtlStatus::kBadAddress: return "bad-address";
    case RtlStatus::kBadArg: return "bad-arg";
    case RtlStatus::kAnalogFail: return "analog-fail";
  }
  return "unknown";
}

RtlShape RtlControllerShape() {
  return {static_cast<int>(Top::NumTiles),  static_cast<int>(Top::NumRows),
          static_cast<int>(Top::NumCols),   static_cast<int>(Top::AdcBits),
          static_cast<int>(Top::OutBits),   static_cast<int>(Top::NumInputs),
          static_cast<int>(Top::MaxLayers), static_cast<int>(Top::MaxOutputs)};
}

RtlChip::~RtlChip() {
  if (model_) {
    rtl::BindAnalogSide(scope_, nullptr);
    rtl::BindInferenceSide(scope_, nullptr);
    model_->final();
  }
  if (trace_) trace_->close();
}

Expected<std::unique_ptr<RtlChip>> RtlChip::Create(ProgramExecutor* analog,
                                                   const RtlOptions& options,
                                                   rtl::InferenceAnalog* inference) {
  if (options.cycle_budget == 0) {
    return Fail(ErrorCode::kInvalidArgument, "rtl cycle budget is 0 (give at least 1 cycle)");
  }
  if (options.analog_latency < 0 || options.analog_latency > 255) {
    return Fail(ErrorCode::kInvalidArgument, "rtl analog latency " + std::to_string(options.analog_latency) +
                                                 " is outside [0, 255] cycles");
  }
  if (!options.trace_path.empty() && !options.trace_path.ends_with(".vcd")) {
    return Fail(ErrorCode::kInvalidArgument,
                "rtl trace '" + options.trace_path +
                    "': only VCD waveforms are written (name it *.vcd; GTKWave opens it, and "
                    "vcd2fst converts it to FST)");
  }
  std::unique_ptr<RtlChip> chip(new RtlChip());
  chip->cycle_budget_ = options.cycle_budget;
  chip->context_ = std::make_unique<VerilatedContext>();
  chip->context_->traceEverOn(!options.trace_path.empty());
  // A name of its own per instance keeps the DPI scopes of several chips apart.
  const std::string name = "xbar" + std::to_string(reinterpret_cast<uintptr_t>(chip.get()));
  chip->model_ = std::make_unique<Vxbar_sim_top>(chip->context_.get(), name.c_str());
  // Both analog sides answer from the one simulated front end.
  chip->scope_ = name + ".xbar_sim_top.u_analog";
  if (!rtl::BindAnalogSide(chip->scope_, analog) || !rtl::BindInferenceSide(chip->scope_, inference)) {
    return Fail(ErrorCode::kInternal, "rtl: no DPI scope '" + chip->scope_ + "' in the model");
  }
  if (!options.trace_path.empty()) {
    chip->trace_ = std::make_unique<VerilatedVcdC>();
    chip->model_->trace(chip->trace_.get(), 99);
    chip->trace_->open(options.trace_path.c_str());
    if (!chip->trace_->isOpen()) {
      return Fail(ErrorCode::kFailedPrecondition,
                  "cannot open the rtl trace file '" + options.trace_path + "'");
    }
  }
  Vxbar_sim_top& m = *chip->model_;
  m.clk_i = 0;
  m.rst_ni = 1;
  m.cmd_valid_i = 0;
  m.resp_ready_i = 0;
  m.analog_latency_i = static_cast<uint8_t>(options.analog_latency);
  chip->Reset();
  return chip;
}

void RtlChip::Half(bool clk) {
  model_->clk_i = clk ? 1 : 0;
  model_->eval();
  if (trace_) trace_->dump(context_->time());
  context_->timeInc(1);
}

void RtlChip::Step() {
  Half(true);
  Half(false);
  ++cycles_;
}

void RtlChip::Reset() {
  model_->rst_ni = 0;
  model_->eval();
  for (int i = 0; i < 3; ++i) Step();
  model_->rst_ni = 1;
  Step();
}

Expected<RtlResponse> RtlChip::Execute(const RtlCommand& c, std::string_view what) {
  Vxbar_sim_top& m = *model_;
  m.cmd_opcode_i = static_cast<uint8_t>(c.opcode & Mask(Pkg::OpcodeWidth));
  m.cmd_tile_i = c.tile & Mask(Pkg::TileWidth);
  m.cmd_row_i = c.row & Mask(Pkg::RowWidth);
  m.cmd_col_i = c.column & Mask(Pkg::ColWidth);
  m.cmd_polarity_i = c.set ? 1 : 0;
  m.cmd_arg_i = c.arg & Mask(Pkg::ArgWidth);
  m.cmd_cycles_i = c.cycles & Mask(Pkg::CyclesWidth);
  m.cmd_value_i = c.value;
  m.cmd_valid_i = 1;
  m.resp_ready_i = 1;
  bool accepted = false;
  for (uint64_t spent = 0;; ++spent) {
    m.eval();
    if (accepted && m.resp_valid_o) {
      RtlResponse r{static_cast<RtlStatus>(m.resp_status_o), m.resp_data_o};
      Step();  // the response is taken at this edge
      return r;
    }
    if (spent >= cycle_budget_) {
      m.cmd_valid_i = 0;
      return Fail(ErrorCode::kInternal,
                  std::string(what) + ": no response from the rtl controller within " +
                      std::to_string(cycle_budget_) +
                      " cycles (the cycle budget; raise it or check the controller)");
    }
    // Taken at the first edge with cmd_ready_o (both sequencers idle, no response pending);
    // until then the command stays offered, unchanged, as the protocol requires.
    const bool take = !accepted && m.cmd_ready_o;
    Step();
    if (take) {
      accepted = true;
      m.cmd_valid_i = 0;
    }
  }
}

Expected<ReplayResult> ReplayOnRtl(const compiler::PulseProgram& program,
                                             device_models::ChipInstance& chip,
                                             const RtlReplayOptions& options) {
  const RtlShape shape = RtlControllerShape();
  if (chip.tile_count() != shape.tiles || chip.rows() != shape.rows ||
      chip.columns() != shape.columns || chip.spec().adc.verify_bits != shape.adc_bits) {
    return Fail(ErrorCode::kInvalidArgument,
                "rtl replay: chip '" + chip.spec().name + "' has " + std::to_string(chip.tile_count()) +
                    " tiles of " + std::to_string(chip.rows()) + "x" + std::to_string(chip.columns()) +
                    " and a " + std::to_string(chip.spec().adc.verify_bits) +
                    "-bit adc, the rtl controller is built for " + std::to_string(shape.tiles) +
                    " tiles of " + std::to_string(shape.rows) + "x" + std::to_string(shape.columns) +
                    " and a " + std::to_string(shape.adc_bits) +
                    "-bit adc (verilate rtl/ with matching xbar_sim_top parameters)");
  }
  auto executor = ProgramExecutor::Create(program, chip);
  if (!executor) return std::unexpected(executor.error());
  auto rtl = RtlChip::Create(&*executor, options.rtl);
  if (!rtl) return std::unexpected(rtl.error());
  const uint32_t sense_cycles =
      executor->read_cycles() > static_cast<uint32_t>(shape.adc_bits)
          ? executor->read_cycles() - static_cast<uint32_t>(shape.adc_bits)
          : 1u;

  ReplayResult result;
  std::optional<Error> error;
  int64_t index = 0;
  program.ForEachOp([&](const compiler::PulseOp& op) {
    const int64_t i = index++;
    if (error) return;
    const int rung = RungOf(program, op.amplitude_v);
    RtlCommand c;
    c.tile = static_cast<uint32_t>(op.tile);
    c.row = static_cast<uint32_t>(op.row);
    c.column = static_cast<uint32_t>(op.column);
    const bool read = op.kind == compiler::PulseOpKind::kRead;
    if (read) {
      c.opcode = static_cast<uint8_t>(RtlOpcode::kRead);
      c.cycles = sense_cycles;
    } else {
      c.opcode = static_cast<uint8_t>(RtlOpcode::kPulse);
      c.set = op.kind == compiler::PulseOpKind::kSet;
      c.arg = static_cast<uint32_t>(rung);
      c.cycles = c.set ? executor->set_cycles() : executor->reset_cycles();
    }
    const std::string what = "rtl replay: " + DescribeOp(i, op, rung);
    auto r = (*rtl)->Execute(c, what);
    if (!r) {
      error = r.error();
      return;
    }
    if (r->status != RtlStatus::kOk) {
      std::string message = what + ": the controller answered " +
                            std::string(RtlStatusName(r->status));
      if (r->status == RtlStatus::kBadAddress) {
        message += " (the controller has " + std::to_string(shape.tiles) + " tiles of " +
                   std::to_string(shape.rows) + "x" + std::to_string(shape.columns) +
                   "; is the program for another chip?)";
      } else if (r->status == RtlStatus::kAnalogFail) {
        message += " (" + executor->last_error() + ")";
      }
      error = Error{ErrorCode::kInvalidArgument, message};
      return;
    }
    if (!read) {
      ++result.pulses;
      return;
    }
    ++result.reads;
    if (static_cast<int64_t>(r->data) != op.read_code && result.read_mismatches++ == 0) {
      result.first_mismatch = DescribeOp(i, op, rung) + ": code " +
                              std::to_string(r->data) + ", program says " +
                              std::to_string(op.read_code);
    }
  });
  if (error) return std::unexpected(*error);
  result.cycles = (*rtl)->cycles();
  return result;
}

}  // namespace xbar::runtime
