// Top of the xbar controller: the host's command and response streams, and the programming
// sequencer behind them. Parameterised by the chip's shape (tiles, rows, columns, ADC bits).
module xbar_top
  import xbar_pkg::*;
#(
  parameter int unsigned NumTiles /*verilator public*/ = 256,  // tiles on the chip
  parameter int unsigned NumRows  /*verilator public*/ = 128,  // word lines per tile
  parameter int unsigned NumCols  /*verilator public*/ = 128,  // bit lines per tile
  parameter int unsigned AdcBits  /*verilator public*/ = 8     // verify ADC resolution
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

  // Host response stream (valid/ready), one response per command.
  output logic                   resp_valid_o,
  input  logic                   resp_ready_i,
  output logic [StatusWidth-1:0] resp_status_o,
  output logic [DataWidth-1:0]   resp_data_o,

  // Analog front end activity.
  output logic                   pulse_active_o,
  output logic                   read_active_o
);

  xbar_prog_seq #(
    .NumTiles (NumTiles),
    .NumRows  (NumRows),
    .NumCols  (NumCols),
    .AdcBits  (AdcBits)
  ) u_prog_seq (
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
    .resp_valid_o,
    .resp_ready_i,
    .resp_status_o,
    .resp_data_o,
    .pulse_active_o,
    .read_active_o
  );

endmodule
