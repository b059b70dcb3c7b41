// Top of the xbar controller: the host's command and response streams, routed to the programming
// sequencer (pulses, verify reads, counters) or the inference sequencer (configuration, schedule,
// inputs, inference, results, its counters). One command is outstanding at a time, so the two
// never answer together. Parameterised by the chip's shape (tiles, rows, columns, ADC bits) and
// the inference resources (input DACs, layers, output accumulators).
module xbar_top
  import xbar_pkg::*;
#(
  parameter int unsigned NumTiles   /*verilator public*/ = 256,   // tiles on the chip
  parameter int unsigned NumRows    /*verilator public*/ = 128,   // word lines per tile
  parameter int unsigned NumCols    /*verilator public*/ = 128,   // bit lines per tile
  parameter int unsigned AdcBits    /*verilator public*/ = 8,     // verify ADC resolution
  parameter int unsigned OutBits    /*verilator public*/ = 8,     // output ADC resolution
  parameter int unsigned NumInputs  /*verilator public*/ = 4096,  // input DACs
  parameter int unsigned MaxLayers  /*verilator public*/ = 8,     // layers of the schedule
  parameter int unsigned MaxOutputs /*verilator public*/ = 64     // output accumulators
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,

  // Host command stream (valid/ready); fields as in xbar_pkg.
  input  logic                   cmd_valid_i,
  output logic                   cmd_ready_o,
  input  logic [OpcodeWidth-1:0] cmd_opcode_i,
  input  logic [TileWidth-1:0]   cmd_tile_i,
  input  logic [RowWidth-1:0]    cmd_row_i,
  input  logic [ColWidth-1:0]    cmd_col_i,
  input  logic                   cmd_polarity_i,
  input  logic [ArgWidth-1:0]    cmd_arg_i,
  input  logic [CyclesWidth-1:0] cmd_cycles_i,
  input  logic [ValueWidth-1:0]  cmd_value_i,

  // Host response stream (valid/ready), one response per command.
  output logic                   resp_valid_o,
  input  logic                   resp_ready_i,
  output logic [StatusWidth-1:0] resp_status_o,
  output logic [DataWidth-1:0]   resp_data_o,

  // Analog front end activity.
  output logic                   pulse_active_o,
  output logic                   read_active_o,
  output logic                   sense_active_o,
  output logic                   neuron_active_o,
  output logic                   convert_active_o
);

  logic                   to_infer;
  logic                   prog_ready, infer_ready;
  logic                   prog_resp_valid, infer_resp_valid;
  logic [StatusWidth-1:0] prog_status, infer_status;
  logic [DataWidth-1:0]   prog_data, infer_data;
  logic                   clear_counters;

  // Inference opcodes, and the counters the inference sequencer keeps.
  assign to_infer = cmd_opcode_i inside {OpConfig, OpSchedule, OpInput, OpInfer, OpResult} ||
                    (cmd_opcode_i == OpCounter &&
                     cmd_arg_i inside {CntLayerReads, CntNeuronSteps, CntConversions,
                                       CntInferences});

  assign cmd_ready_o   = to_infer ? infer_ready : prog_ready;
  assign resp_valid_o  = prog_resp_valid || infer_resp_valid;
  assign resp_status_o = infer_resp_valid ? infer_status : prog_status;
  assign resp_data_o   = infer_resp_valid ? infer_data : prog_data;

  xbar_prog_seq #(
    .NumTiles (NumTiles),
    .NumRows  (NumRows),
    .NumCols  (NumCols),
    .AdcBits  (AdcBits)
  ) u_prog_seq (
    .clk_i,
    .rst_ni,
    .cmd_valid_i      (cmd_valid_i && !to_infer),
    .cmd_ready_o      (prog_ready),
    .cmd_opcode_i,
    .cmd_tile_i,
    .cmd_row_i,
    .cmd_col_i,
    .cmd_polarity_i,
    .cmd_arg_i,
    .cmd_cycles_i,
    .resp_valid_o     (prog_resp_valid),
    .resp_ready_i,
    .resp_status_o    (prog_status),
    .resp_data_o      (prog_data),
    .pulse_active_o,
    .read_active_o,
    .clear_counters_o (clear_counters)
  );

  xbar_infer_seq #(
    .NumTiles   (NumTiles),
    .NumInputs  (NumInputs),
    .MaxLayers  (MaxLayers),
    .MaxOutputs (MaxOutputs),
    .OutBits    (OutBits)
  ) u_infer_seq (
    .clk_i,
    .rst_ni,
    .cmd_valid_i      (cmd_valid_i && to_infer),
    .cmd_ready_o      (infer_ready),
    .cmd_opcode_i,
    .cmd_tile_i,
    .cmd_row_i,
    .cmd_polarity_i,
    .cmd_arg_i,
    .cmd_value_i,
    .resp_valid_o     (infer_resp_valid),
    .resp_ready_i,
    .resp_status_o    (infer_status),
    .resp_data_o      (infer_data),
    .clear_counters_i (clear_counters),
    .sense_active_o,
    .neuron_active_o,
    .convert_active_o
  );

  // Only one sequencer answers at a time (one command outstanding).
  OneResponder: assert property (@(posedge clk_i) disable iff (!rst_ni)
      !(prog_resp_valid && infer_resp_valid));

endmodule
