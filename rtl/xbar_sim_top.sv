// Simulation top, the model Verilator builds: the controller xbar_top with the DPI-C analog front
// end xbar_analog_sim behind its front-end ports. Sets the chip's shape for both; the host sees
// xbar_top's command and response streams and activity outputs.
module xbar_sim_top
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

  // Host command stream (valid/ready), as xbar_top.
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

  // Host response stream (valid/ready), as xbar_top.
  output logic                   resp_valid_o,
  input  logic                   resp_ready_i,
  output logic [StatusWidth-1:0] resp_status_o,
  output logic [DataWidth-1:0]   resp_data_o,

  // Analog front end activity, as xbar_top.
  output logic                   pulse_active_o,
  output logic                   read_active_o,
  output logic                   sense_active_o,
  output logic                   neuron_active_o,
  output logic                   convert_active_o,

  // Simulation only: extra cycles the analog models take to answer each request (0: the next
  // cycle, as the timing model assumes).
  input  logic [7:0]             analog_latency_i
);

  logic                   prog_pulse_req, prog_read_req, prog_set;
  logic [TileWidth-1:0]   prog_tile;
  logic [RowWidth-1:0]    prog_row;
  logic [ColWidth-1:0]    prog_col;
  logic [ArgWidth-1:0]    prog_rung;
  logic [CyclesWidth-1:0] prog_width;
  logic                   prog_ack, prog_fail;
  logic [AdcBits-1:0]     prog_code;
  logic                   infer_begin_req, infer_input_req, infer_sense_req, infer_step_req;
  logic                   infer_sample_req;
  logic [ValueWidth-1:0]  infer_index, infer_layer, infer_cycle;
  logic [ArgWidth-1:0]    infer_code;
  logic [NumTiles-1:0]    infer_enables;
  logic                   infer_ack, infer_fail;
  logic [OutBits-1:0]     infer_sample;

  xbar_top #(
    .NumTiles   (NumTiles),
    .NumRows    (NumRows),
    .NumCols    (NumCols),
    .AdcBits    (AdcBits),
    .OutBits    (OutBits),
    .NumInputs  (NumInputs),
    .MaxLayers  (MaxLayers),
    .MaxOutputs (MaxOutputs)
  ) u_ctrl (
    .clk_i,
    .rst_ni,
    .cmd_valid_i,
    .cmd_ready_o,
    .cmd_opcode_i,
    .cmd_tile_i,
    .cmd_row_i,
    .cmd_col_i,
    .cmd_polarity_i,
    .cmd_arg_i,
    .cmd_cycles_i,
    .cmd_value_i,
    .resp_valid_o,
    .resp_ready_i,
    .resp_status_o,
    .resp_data_o,
    .pulse_active_o,
    .read_active_o,
    .sense_active_o,
    .neuron_active_o,
    .convert_active_o,
    .prog_pulse_req_o   (prog_pulse_req),
    .prog_read_req_o    (prog_read_req),
    .prog_tile_o        (prog_tile),
    .prog_row_o         (prog_row),
    .prog_col_o         (prog_col),
    .prog_set_o         (prog_set),
    .prog_rung_o        (prog_rung),
    .prog_width_o       (prog_width),
    .prog_ack_i         (prog_ack),
    .prog_fail_i        (prog_fail),
    .prog_code_i        (prog_code),
    .infer_begin_req_o  (infer_begin_req),
    .infer_input_req_o  (infer_input_req),
    .infer_sense_req_o  (infer_sense_req),
    .infer_step_req_o   (infer_step_req),
    .infer_sample_req_o (infer_sample_req),
    .infer_index_o      (infer_index),
    .infer_code_o       (infer_code),
    .infer_layer_o      (infer_layer),
    .infer_cycle_o      (infer_cycle),
    .infer_enables_o    (infer_enables),
    .infer_ack_i        (infer_ack),
    .infer_fail_i       (infer_fail),
    .infer_sample_i     (infer_sample)
  );

  xbar_analog_sim #(
    .NumTiles (NumTiles),
    .AdcBits  (AdcBits),
    .OutBits  (OutBits)
  ) u_analog (
    .clk_i,
    .rst_ni,
    .latency_i          (analog_latency_i),
    .prog_pulse_req_i   (prog_pulse_req),
    .prog_read_req_i    (prog_read_req),
    .prog_tile_i        (prog_tile),
    .prog_row_i         (prog_row),
    .prog_col_i         (prog_col),
    .prog_set_i         (prog_set),
    .prog_rung_i        (prog_rung),
    .prog_width_i       (prog_width),
    .prog_ack_o         (prog_ack),
    .prog_fail_o        (prog_fail),
    .prog_code_o        (prog_code),
    .infer_begin_req_i  (infer_begin_req),
    .infer_input_req_i  (infer_input_req),
    .infer_sense_req_i  (infer_sense_req),
    .infer_step_req_i   (infer_step_req),
    .infer_sample_req_i (infer_sample_req),
    .infer_index_i      (infer_index),
    .infer_code_i       (infer_code),
    .infer_layer_i      (infer_layer),
    .infer_cycle_i      (infer_cycle),
    .infer_enables_i    (infer_enables),
    .infer_ack_o        (infer_ack),
    .infer_fail_o       (infer_fail),
    .infer_sample_o     (infer_sample)
  );

endmodule
