// Command set of the xbar controller: opcodes, response status codes and field widths.
//
// The one place the command set is defined. `/*verilator public*/` makes Verilator emit the
// enums and widths into the C++ header Vxbar_top_xbar_pkg.h at build time; runtime/rtl_chip.cc
// static_asserts its own constants against that header, so the two sides cannot drift apart.
package xbar_pkg;

  // Field widths of the command and response streams (bits).
  localparam int unsigned OpcodeWidth /*verilator public*/ = 4;
  localparam int unsigned TileWidth   /*verilator public*/ = 16;
  localparam int unsigned RowWidth    /*verilator public*/ = 16;
  localparam int unsigned ColWidth    /*verilator public*/ = 16;
  // PULSE: ladder rung; COUNTER: counter index.
  localparam int unsigned ArgWidth    /*verilator public*/ = 16;
  // PULSE: pulse width; READ: sense (integration) time; in clock cycles, >= 1.
  localparam int unsigned CyclesWidth /*verilator public*/ = 16;
  localparam int unsigned StatusWidth /*verilator public*/ = 3;
  localparam int unsigned DataWidth   /*verilator public*/ = 64;

  // Opcodes of the command stream.
  typedef enum logic [OpcodeWidth-1:0] {
    OpNop           = 4'd0,  // no operation; responds ok with data 0
    OpPulse         = 4'd1,  // one programming pulse on (tile, row, col): polarity, rung, cycles
    OpRead          = 4'd2,  // one verify read of (tile, row, col); data = ADC code
    OpCounter       = 4'd3,  // data = counter `arg` (xbar_counter_e)
    OpClearCounters = 4'd4   // zeroes the cycle, pulse and read counters
  } xbar_op_e /*verilator public*/;

  // Counters readable with OpCounter.
  typedef enum logic [ArgWidth-1:0] {
    CntCycles = 16'd0,  // clock cycles since reset or the last OpClearCounters
    CntPulses = 16'd1,  // pulses applied
    CntReads  = 16'd2   // verify reads done
  } xbar_counter_e /*verilator public*/;

  // Response status.
  typedef enum logic [StatusWidth-1:0] {
    StatusOk         = 3'd0,  // done; data valid
    StatusBadOpcode  = 3'd1,  // unknown opcode
    StatusBadAddress = 3'd2,  // tile, row or column outside the chip
    StatusBadArg     = 3'd3,  // cycles = 0 or unknown counter index
    StatusAnalogFail = 3'd4   // the analog model (DPI-C) refused the operation
  } xbar_status_e /*verilator public*/;

endpackage
