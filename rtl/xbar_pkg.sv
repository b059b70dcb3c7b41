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
  // PULSE: ladder rung; COUNTER: counter index; CONFIG: register; SCHEDULE, READ_CYCLES: layer;
  // INPUT: DAC code; RESULT: output index.
  localparam int unsigned ArgWidth    /*verilator public*/ = 16;
  // PULSE: pulse width; READ: sense (integration) time; in clock cycles, >= 1.
  localparam int unsigned CyclesWidth /*verilator public*/ = 16;
  localparam int unsigned StatusWidth /*verilator public*/ = 3;
  localparam int unsigned DataWidth   /*verilator public*/ = 64;
  // CONFIG: the register's new value; READ_CYCLES: the layer's read cycles.
  localparam int unsigned ValueWidth  /*verilator public*/ = 32;

  // Opcodes of the command stream.
  typedef enum logic [OpcodeWidth-1:0] {
    OpNop           = 4'd0,  // no operation; responds ok with data 0
    OpPulse         = 4'd1,  // one programming pulse on (tile, row, col): polarity, rung, cycles
    OpRead          = 4'd2,  // one verify read of (tile, row, col); data = ADC code
    OpCounter       = 4'd3,  // data = counter `arg` (xbar_counter_e)
    OpClearCounters = 4'd4,  // zeroes every counter
    OpConfig        = 4'd5,  // inference register `arg` (xbar_cfg_e) := value
    OpSchedule      = 4'd6,  // tile takes part (polarity 1) or not (0) in layer `arg`'s reads
    OpInput         = 4'd7,  // input DAC `row` := 8-bit code `arg`
    OpInfer         = 4'd8,  // one inference over the configured schedule; data = decision
    OpResult        = 4'd9,  // data = accumulator of output `arg` (sum of its ADC codes)
    OpReadCycles    = 4'd10, // layer `arg` is read in `value` (>= 1) read cycles per step; 1 after reset
    OpStep          = 4'd11  // one time step with the inputs as loaded (spike trains: every layer read,
                             // outputs added to the accumulators); arg 1 first starts a new
                             // inference (neuron arrays reset, accumulators cleared); data = decision
  } xbar_op_e /*verilator public*/;

  // Counters readable with OpCounter.
  typedef enum logic [ArgWidth-1:0] {
    CntCycles = 16'd0,  // clock cycles since reset or the last OpClearCounters
    CntPulses = 16'd1,  // pulses applied
    CntReads  = 16'd2,  // verify reads done
    CntLayerReads   = 16'd3,  // tile reads during inference (a layer read counts its tiles)
    CntNeuronSteps  = 16'd4,  // neuron-array steps (one per layer and time step)
    CntConversions  = 16'd5,  // output ADC conversions
    CntInferences   = 16'd6   // inferences completed
  } xbar_counter_e /*verilator public*/;

  // Inference registers written with OpConfig.
  typedef enum logic [ArgWidth-1:0] {
    CfgSteps        = 16'd0,  // time steps T, >= 1
    CfgPeriod       = 16'd1,  // input impulse period P (steps), >= 1: layer 0 is read at t % P == 0
    CfgLayers       = 16'd2,  // layers, [1, MaxLayers]
    CfgOutputs      = 16'd3,  // output neurons of the last layer, [1, MaxOutputs]
    CfgSenseCycles  = 16'd4,  // cycles the tiles of a layer integrate their column currents, >= 1
    CfgNeuronCycles = 16'd5   // cycles a neuron array takes for one step, >= 1
  } xbar_cfg_e /*verilator public*/;

  // Response status.
  typedef enum logic [StatusWidth-1:0] {
    StatusOk         = 3'd0,  // done; data valid
    StatusBadOpcode  = 3'd1,  // unknown opcode
    StatusBadAddress = 3'd2,  // tile, row or column outside the chip
    StatusBadArg     = 3'd3,  // cycles = 0 or unknown counter index
    StatusAnalogFail = 3'd4   // the analog front end refused the request (simulation: the model)
  } xbar_status_e /*verilator public*/;

endpackage
