// The controller's command protocol at its ports (a testbench on the verilated model, no harness):
// a command offered while a sequencer is busy or a response is pending is not accepted, and the
// model's assertions are live (a host that withdraws an offered command trips one).
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "Vxbar_sim_top.h"
#include "Vxbar_sim_top_xbar_pkg.h"
#include "verilated.h"

namespace {

using Pkg = Vxbar_sim_top_xbar_pkg;

struct Command {
  uint8_t opcode = Pkg::OpNop;
  uint16_t arg = 0;
  uint16_t cycles = 0;
  uint32_t value = 0;
};

// The verilated controller with nothing bound to its analog front end (every analog request is
// refused: kAnalogFail answers, after the same cycles). Assertion failures are recorded, not fatal.
class Bench {
 public:
  explicit Bench(const std::string& name) : model_(&context_, name.c_str()) {
    context_.fatalOnError(false);
    model_.clk_i = 0;
    model_.cmd_valid_i = 0;
    model_.resp_ready_i = 0;
    model_.analog_latency_i = 0;
    model_.rst_ni = 0;
    model_.eval();
    for (int i = 0; i < 3; ++i) Step();
    model_.rst_ni = 1;
    Step();
  }
  ~Bench() { model_.final(); }

  // One clock cycle; returns whether a command was accepted and whether a response was taken at
  // its edge.
  struct Edge {
    bool accepted = false, response = false, taken = false;
    uint8_t status = 0;
  };
  Edge Step() {
    model_.eval();
    const Edge e{model_.cmd_valid_i && model_.cmd_ready_o, model_.resp_valid_o != 0,
                 model_.resp_valid_o && model_.resp_ready_i, model_.resp_status_o};
    model_.clk_i = 1;
    model_.eval();
    model_.clk_i = 0;
    model_.eval();
    return e;
  }
  void Offer(const Command& c) {
    model_.cmd_valid_i = 1;
    model_.cmd_opcode_i = c.opcode;
    model_.cmd_arg_i = c.arg;
    model_.cmd_cycles_i = c.cycles;
    model_.cmd_value_i = c.value;
  }
  void Withdraw() { model_.cmd_valid_i = 0; }
  void TakeResponses(bool ready) { model_.resp_ready_i = ready ? 1 : 0; }
  bool assertion_failed() const { return context_.gotError(); }

 private:
  VerilatedContext context_;
  Vxbar_sim_top model_;
};

Command Pulse() { return {.opcode = Pkg::OpPulse, .arg = 0, .cycles = 6}; }
Command Input() { return {.opcode = Pkg::OpInput, .arg = 1}; }
Command Config() { return {.opcode = Pkg::OpConfig, .arg = Pkg::CfgSteps, .value = 5}; }
Command Nop() { return {.opcode = Pkg::OpNop}; }

// `first` is accepted; `second`, offered from the next cycle on while `first` runs and while its
// response waits 10 cycles for the host, is not accepted until that response is taken.
void SecondWaitsForFirst(const Command& first, const Command& second, uint8_t first_status,
                         const std::string& name) {
  SCOPED_TRACE(name);
  Bench bench(name);
  bench.TakeResponses(false);
  bench.Offer(first);
  ASSERT_TRUE(bench.Step().accepted);  // idle: taken at once
  bench.Offer(second);
  int busy = 0, pending = 0;
  for (int cycle = 0; cycle < 100 && pending < 10; ++cycle) {
    const Bench::Edge e = bench.Step();
    EXPECT_FALSE(e.accepted) << "cycle " << cycle << " after the first command";
    EXPECT_FALSE(e.taken);
    if (e.response) ++pending;  // the first command's response waits for the host
    else ++busy;
  }
  EXPECT_EQ(pending, 10);
  EXPECT_GT(busy, 0);
  // The host takes the first response; the second command goes in at the next edge.
  bench.TakeResponses(true);
  Bench::Edge e = bench.Step();
  EXPECT_TRUE(e.taken);
  EXPECT_EQ(e.status, first_status);
  EXPECT_FALSE(e.accepted);
  e = bench.Step();
  EXPECT_TRUE(e.accepted);
  bench.Withdraw();
  bool answered = false;
  for (int cycle = 0; cycle < 20 && !answered; ++cycle) answered = bench.Step().taken;
  EXPECT_TRUE(answered);
  EXPECT_FALSE(bench.assertion_failed());
}

// A command for the other sequencer, or for the same one, waits while a sequencer is busy and
// while a response is pending.
TEST(RtlProtocol, CommandWhileBusyOrResponsePendingIsNotAccepted) {
  // Pulse (programming, 6 + 3 cycles) then configuration (inference).
  SecondWaitsForFirst(Pulse(), Config(), Pkg::StatusAnalogFail, "pulse_then_config");
  // Input (inference, 4 cycles) then a NOP (programming).
  SecondWaitsForFirst(Input(), Nop(), Pkg::StatusAnalogFail, "input_then_nop");
  // Pulse then pulse (the same sequencer).
  SecondWaitsForFirst(Pulse(), Pulse(), Pkg::StatusAnalogFail, "pulse_then_pulse");
}

// The assertions are compiled in and checked: a host that withdraws a command before the
// controller took it breaks the protocol (CmdHeld in xbar_top).
TEST(RtlProtocol, WithdrawnCommandTripsTheAssertion) {
  Bench bench("withdraw");
  bench.TakeResponses(true);
  bench.Offer(Pulse());
  ASSERT_TRUE(bench.Step().accepted);
  bench.Offer(Nop());
  EXPECT_FALSE(bench.Step().accepted);  // busy: the NOP waits
  EXPECT_FALSE(bench.assertion_failed());
  bench.Withdraw();
  bench.Step();
  EXPECT_TRUE(bench.assertion_failed());
}

}  // namespace
