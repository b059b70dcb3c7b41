// The RTL backend: the SystemVerilog controller (rtl/) under Verilator, with the device models
// behind its simulated analog front end (DPI-C), driven through its command interface; and the
// replay of a pulse program on it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "compiler/program_gen.h"
#include "runtime/program_replay.h"
#include "device_models/chip_instance.h"
#include "rtl/dpi_chip.h"
#include "support/error.h"

class VerilatedContext;
class VerilatedVcdC;
class Vxbar_sim_top;

namespace xbar::runtime {

/// Opcodes of the command set (rtl/xbar_pkg.sv xbar_op_e; checked against it at compile time).
enum class RtlOpcode : uint8_t {
  kNop = 0, kPulse = 1, kRead = 2, kCounter = 3, kClearCounters = 4,
  kConfig = 5, kSchedule = 6, kInput = 7, kInfer = 8, kResult = 9, kReadCycles = 10, kStep = 11
};
/// Response status (rtl/xbar_pkg.sv xbar_status_e).
enum class RtlStatus : uint8_t { kOk = 0, kBadOpcode = 1, kBadAddress = 2, kBadArg = 3, kAnalogFail = 4 };
/// Counters readable with kCounter (rtl/xbar_pkg.sv xbar_counter_e).
enum class RtlCounter : uint16_t {
  kCycles = 0, kPulses = 1, kReads = 2,
  kLayerReads = 3, kNeuronSteps = 4, kConversions = 5, kInferences = 6
};
/// Inference registers written with kConfig (rtl/xbar_pkg.sv xbar_cfg_e).
enum class RtlConfig : uint16_t {
  kSteps = 0, kPeriod = 1, kLayers = 2, kOutputs = 3, kSenseCycles = 4, kNeuronCycles = 5
};
/// "ok", "bad-opcode", "bad-address", "bad-arg", "analog-fail".
std::string_view RtlStatusName(RtlStatus status);

/// One command; `opcode` is raw so that a test can send an unknown one.
struct RtlCommand {
  uint8_t opcode = 0;
  uint32_t tile = 0, row = 0, column = 0;
  bool set = false;     // pulse polarity: SET (true) or RESET
  uint32_t arg = 0;     // pulse: ladder rung; counter: RtlCounter; config: RtlConfig; schedule,
                        // read cycles: layer; input: DAC code; result: output
  uint32_t cycles = 0;  // pulse: width; read: sense time (clock cycles, >= 1)
  uint32_t value = 0;   // config: the register's value; read cycles: the layer's (>= 1)
};

struct RtlResponse {
  RtlStatus status = RtlStatus::kOk;
  uint64_t data = 0;  // read: ADC code; counter: its value
};

/// The shape the controller was verilated for (xbar_sim_top's parameters, passed to xbar_top).
struct RtlShape {
  int tiles = 0, rows = 0, columns = 0, adc_bits = 0;
  int output_bits = 0, inputs = 0, max_layers = 0, max_outputs = 0;
};
RtlShape RtlControllerShape();

struct RtlOptions {
  /// Write a VCD waveform of the whole run here; empty: no tracing.
  std::string trace_path;
  /// Clock cycles one command may take before the run fails as stuck (>= 1).
  uint64_t cycle_budget = 1'000'000;
  /// Extra cycles the simulated analog front end takes to answer each request, [0, 255]. 0 is
  /// the timing model's (the answer the cycle after the request); more only slows the controller,
  /// which waits for every answer.
  int analog_latency = 0;
};

/// The verilated controller and its clock. Owns the Verilator context, model and trace file.
class RtlChip {
 public:
  /// Builds the model with `analog` as the programming sequencer's DPI-C analog side and
  /// `inference` as the inference sequencer's (neither owned; either may be null, then its
  /// sequencer's analog calls answer kAnalogFail), and resets it. kInvalidArgument for a zero
  /// budget or a latency outside [0, 255], kFailedPrecondition if the trace file cannot be
  /// opened.
  static Expected<std::unique_ptr<RtlChip>> Create(ProgramExecutor* analog,
                                                   const RtlOptions& options,
                                                   rtl::InferenceAnalog* inference = nullptr);
  ~RtlChip();
  RtlChip(const RtlChip&) = delete;
  RtlChip& operator=(const RtlChip&) = delete;

  /// Holds reset for a few cycles and releases it.
  void Reset();
  /// One clock cycle.
  void Step();
  /// Offers `command` until the controller is ready for it (the controller takes a command only
  /// when idle with no response pending), holds it unchanged until accepted, and waits for its
  /// response, at most cycle_budget cycles in all; `what` names the operation in the error
  /// (kInternal: "<what>: no response within N cycles ...").
  Expected<RtlResponse> Execute(const RtlCommand& command, std::string_view what);
  /// Cycles simulated since construction.
  uint64_t cycles() const { return cycles_; }

 private:
  RtlChip() = default;
  void Half(bool clk);

  std::unique_ptr<VerilatedContext> context_;
  std::unique_ptr<Vxbar_sim_top> model_;
  std::unique_ptr<VerilatedVcdC> trace_;
  std::string scope_;  // DPI scope of the analog front end
  uint64_t cycle_budget_ = 0;
  uint64_t cycles_ = 0;
};

struct RtlReplayOptions {
  RtlOptions rtl;
};

/// Replays `program` on the controller with `chip` (a fresh instance of the chip it was generated
/// on, for matching reads) behind DPI-C: every pulse and read of the program, in program order,
/// as a command; every read's code is checked against the program's. Errors: kInvalidArgument
/// when the chip's shape is not the controller's or the controller answers an error (naming the
/// operation and the status), kInternal when a command exceeds the cycle budget. Read mismatches
/// are results, not errors.
Expected<ReplayResult> ReplayOnRtl(const compiler::PulseProgram& program,
                                             device_models::ChipInstance& chip,
                                             const RtlReplayOptions& options);

}  // namespace xbar::runtime
