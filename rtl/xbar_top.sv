// Top of the xbar controller (synthesisable): the host's command and response streams, routed to
// the programming sequencer (pulses, verify reads, counters) or the inference sequencer
// (configuration, schedule, inputs, inference, results, its counters), and their analog front-end
// ports. A command is accepted only when both sequencers are idle and no response is pending, so
// one command is outstanding at a time and the two never answer together. Parameterised by the
// chip's shape (tiles, rows, columns, ADC bits) and the inference resources (input DACs, layers,
// output accumulators); the simulation top xbar_sim_top sets them.
module xbar_top
  import xbar_pkg::*;
#(
  parameter int unsigned NumTiles   = 256,   // tiles on the chip
  parameter int unsigned NumRows    = 128,   // word lines per tile
  parameter int unsigned NumCols    = 128,   // bit lines per tile
  parameter int unsigned AdcBits    = 8,     // verify ADC resolution
  parameter int unsigned OutBits    = 8,     // output ADC resolution
  parameter int unsigned NumInputs  = 4096,  // input DACs
  parameter int unsigned MaxLayers  = 8,     // layers of the schedule
  parameter int unsigned MaxOutputs = 64     // output accumulators
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,

  // Host command stream (valid/ready); fields as in xbar_pkg. cmd_ready_o is high only while
  // both sequencers are idle and no response is pending; the host holds a command, unchanged,
  // from cmd_valid_i until cmd_ready_o.
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
  output logic                   convert_active_o,

  // Programming front end (xbar_prog_seq): request strobes with operands, answer one or more
  // cycles later.
  output logic                   prog_pulse_req_o,
  output logic                   prog_read_req_o,
  output logic [TileWidth-1:0]   prog_tile_o,
  output logic [RowWidth-1:0]    prog_row_o,
  output logic [ColWidth-1:0]    prog_col_o,
  output logic                   prog_set_o,
  output logic [ArgWidth-1:0]    prog_rung_o,
  output logic [CyclesWidth-1:0] prog_width_o,
  input  logic                   prog_ack_i,
  input  logic                   prog_fail_i,
  input  logic [AdcBits-1:0]     prog_code_i,

  // Inference front end (xbar_infer_seq): the same handshake.
  output logic                   infer_begin_req_o,
  output logic                   infer_input_req_o,
  output logic                   infer_sense_req_o,
  output logic                   infer_step_req_o,
  output logic                   infer_sample_req_o,
  output logic [ValueWidth-1:0]  infer_index_o,
  output logic [ArgWidth-1:0]    infer_code_o,
  output logic [ValueWidth-1:0]  infer_layer_o,
  output logic [ValueWidth-1:0]  infer_cycle_o,
  output logic [NumTiles-1:0]    infer_enables_o,
  input  logic                   infer_ack_i,
  input  logic                   infer_fail_i,
  input  logic [OutBits-1:0]     infer_sample_i
);

  logic                   to_infer;
  logic                   prog_idle, infer_idle;  // the sequencers' cmd_ready_o: idle
  logic                   prog_resp_valid, infer_resp_valid;
  logic [StatusWidth-1:0] prog_status, infer_status;
  logic [DataWidth-1:0]   prog_data, infer_data;
  logic                   clear_counters;

  // Inference opcodes, and the counters the inference sequencer keeps.
  assign to_infer = cmd_opcode_i inside {OpConfig, OpSchedule, OpReadCycles, OpInput, OpInfer,
                                          OpResult, OpStep} ||
                    (cmd_opcode_i == OpCounter &&
                     cmd_arg_i inside {CntLayerReads, CntNeuronSteps, CntConversions,
                                       CntInferences});

  // Both idle means no command in flight and no response pending (each sequencer holds its
  // response in a state of its own).
  assign cmd_ready_o   = prog_idle && infer_idle;
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
    .cmd_valid_i      (cmd_valid_i && cmd_ready_o && !to_infer),
    .cmd_ready_o      (prog_idle),
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
    .clear_counters_o (clear_counters),
    .ana_pulse_req_o  (prog_pulse_req_o),
    .ana_read_req_o   (prog_read_req_o),
    .ana_tile_o       (prog_tile_o),
    .ana_row_o        (prog_row_o),
    .ana_col_o        (prog_col_o),
    .ana_set_o        (prog_set_o),
    .ana_rung_o       (prog_rung_o),
    .ana_width_o      (prog_width_o),
    .ana_ack_i        (prog_ack_i),
    .ana_fail_i       (prog_fail_i),
    .ana_code_i       (prog_code_i)
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
    .cmd_valid_i      (cmd_valid_i && cmd_ready_o && to_infer),
    .cmd_ready_o      (infer_idle),
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
    .convert_active_o,
    .ana_begin_req_o  (infer_begin_req_o),
    .ana_input_req_o  (infer_input_req_o),
    .ana_sense_req_o  (infer_sense_req_o),
    .ana_step_req_o   (infer_step_req_o),
    .ana_sample_req_o (infer_sample_req_o),
    .ana_index_o      (infer_index_o),
    .ana_code_o       (infer_code_o),
    .ana_layer_o      (infer_layer_o),
    .ana_cycle_o      (infer_cycle_o),
    .ana_enables_o    (infer_enables_o),
    .ana_ack_i        (infer_ack_i),
    .ana_fail_i       (infer_fail_i),
    .ana_sample_i     (infer_sample_i)
  );

  // Assertions.
  // A command is accepted only when both sequencers are idle and no response is pending.
  AcceptOnlyWhenIdle: assert property (@(posedge clk_i) disable iff (!rst_ni)
      cmd_valid_i && cmd_ready_o |-> prog_idle && infer_idle && !resp_valid_o);
  // At most one sequencer is busy: one command outstanding.
  OneBusy: assert property (@(posedge clk_i) disable iff (!rst_ni)
      prog_idle || infer_idle);
  // Only one sequencer answers at a time.
  OneResponder: assert property (@(posedge clk_i) disable iff (!rst_ni)
      !(prog_resp_valid && infer_resp_valid));
  // The host keeps an offered command offered and unchanged until it is accepted.
  CmdHeld: assert property (@(posedge clk_i) disable iff (!rst_ni)
      cmd_valid_i && !cmd_ready_o |=> cmd_valid_i &&
      $stable({cmd_opcode_i, cmd_tile_i, cmd_row_i, cmd_col_i, cmd_polarity_i, cmd_arg_i,
               cmd_cycles_i, cmd_value_i}));

endmodule
