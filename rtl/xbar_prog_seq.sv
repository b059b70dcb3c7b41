// Programming sequencer of the xbar controller: one command at a time, a pulse or a verify read
// on one cell. Plain RTL: the analog front end (pulse drivers, sense amplifier, verify ADC) sits
// behind request/answer ports; the sequencer decides when, the front end does what.
module xbar_prog_seq
  import xbar_pkg::*;
#(
  parameter int unsigned NumTiles = 256,  // tiles on the chip, [1, 2^TileWidth]
  parameter int unsigned NumRows  = 128,  // word lines per tile, [1, 2^RowWidth]
  parameter int unsigned NumCols  = 128,  // bit lines per tile, [1, 2^ColWidth]
  parameter int unsigned AdcBits  = 8     // verify ADC resolution, [1, 32]
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,

  // Command stream (valid/ready).
  input  logic                   cmd_valid_i,
  output logic                   cmd_ready_o,
  input  logic [OpcodeWidth-1:0] cmd_opcode_i,
  input  logic [TileWidth-1:0]   cmd_tile_i,
  input  logic [RowWidth-1:0]    cmd_row_i,
  input  logic [ColWidth-1:0]    cmd_col_i,
  input  logic                   cmd_polarity_i,  // 1: SET (positive), 0: RESET
  input  logic [ArgWidth-1:0]    cmd_arg_i,
  input  logic [CyclesWidth-1:0] cmd_cycles_i,

  // Response stream (valid/ready), one response per command.
  output logic                   resp_valid_o,
  input  logic                   resp_ready_i,
  output logic [StatusWidth-1:0] resp_status_o,
  output logic [DataWidth-1:0]   resp_data_o,

  // Analog front end activity (for traces and the chip's drivers).
  output logic                   pulse_active_o,
  output logic                   read_active_o,

  // OpClearCounters accepted: the other sequencers zero their counters too.
  output logic                   clear_counters_o,

  // Analog front end: one request at a time. A request is a one-cycle strobe with its operands
  // (the latched command); the answer is a one-cycle ana_ack_i, one or more cycles later.
  output logic                   ana_pulse_req_o,  // apply one pulse to the cell
  output logic                   ana_read_req_o,   // sample the cell's sense current for the ADC
  output logic [TileWidth-1:0]   ana_tile_o,
  output logic [RowWidth-1:0]    ana_row_o,
  output logic [ColWidth-1:0]    ana_col_o,
  output logic                   ana_set_o,        // pulse polarity: 1 SET, 0 RESET
  output logic [ArgWidth-1:0]    ana_rung_o,       // pulse amplitude: ladder rung
  output logic [CyclesWidth-1:0] ana_width_o,      // pulse width (clock cycles)
  input  logic                   ana_ack_i,        // the answer to the request is valid
  input  logic                   ana_fail_i,       // with ana_ack_i: the front end refused it
  input  logic [AdcBits-1:0]     ana_code_i        // with ana_ack_i after a read: the ADC code
);

  typedef enum logic [2:0] {
    StIdle,     // waiting for a command
    StPulse,    // pulse driven on the selected cell, for cycles_q cycles
    StCollect,  // pulse done: wait for the front end's answer
    StSense,    // read voltage applied, sense current integrating, for cycles_q cycles
    StConvert,  // successive-approximation conversion, AdcBits cycles and until answered
    StResp      // response valid until taken
  } prog_state_e;

  prog_state_e                state_d, state_q;
  logic [TileWidth-1:0]       tile_d, tile_q;
  logic [RowWidth-1:0]        row_d, row_q;
  logic [ColWidth-1:0]        col_d, col_q;
  logic                       polarity_d, polarity_q;
  logic [ArgWidth-1:0]        arg_d, arg_q;
  logic [CyclesWidth-1:0]     cycles_d, cycles_q;  // the command's cycles
  logic [CyclesWidth-1:0]     cnt_d, cnt_q;        // cycles left in this state
  logic [StatusWidth-1:0]     status_d, status_q;
  logic [DataWidth-1:0]       data_d, data_q;
  logic [DataWidth-1:0]       cycle_cnt_d, cycle_cnt_q;
  logic [DataWidth-1:0]       pulse_cnt_d, pulse_cnt_q;
  logic [DataWidth-1:0]       read_cnt_d, read_cnt_q;
  logic                       pulse_fire, read_fire;
  logic                       clear_counters;
  logic                       pending_d, pending_q;  // a request is waiting for its answer
  logic                       address_ok;

  assign address_ok = 32'(cmd_tile_i) < NumTiles && 32'(cmd_row_i) < NumRows &&
                      32'(cmd_col_i) < NumCols;

  // Next state, next registers and strobes.
  always_comb begin
    state_d        = state_q;
    tile_d         = tile_q;
    row_d          = row_q;
    col_d          = col_q;
    polarity_d     = polarity_q;
    arg_d          = arg_q;
    cycles_d       = cycles_q;
    cnt_d          = cnt_q;
    status_d       = status_q;
    data_d         = data_q;
    pending_d      = pending_q;
    pulse_fire     = 1'b0;
    read_fire      = 1'b0;
    clear_counters = 1'b0;
    resp_valid_o   = 1'b0;
    pulse_active_o = 1'b0;
    read_active_o  = 1'b0;

    unique case (state_q)
      // Accept one command, check it, and start it or answer it at once.
      StIdle: begin
        if (cmd_valid_i) begin
          tile_d     = cmd_tile_i;
          row_d      = cmd_row_i;
          col_d      = cmd_col_i;
          polarity_d = cmd_polarity_i;
          arg_d      = cmd_arg_i;
          cycles_d   = cmd_cycles_i;
          cnt_d      = cmd_cycles_i;
          status_d   = StatusOk;
          data_d     = '0;
          state_d    = StResp;
          unique case (cmd_opcode_i)
            OpNop: ;
            OpPulse, OpRead: begin
              if (!address_ok) begin
                status_d = StatusBadAddress;
              end else if (cmd_cycles_i == '0) begin
                status_d = StatusBadArg;
              end else begin
                state_d = (cmd_opcode_i == OpPulse) ? StPulse : StSense;
              end
            end
            OpCounter: begin
              unique case (cmd_arg_i)
                CntCycles: data_d = cycle_cnt_q;
                CntPulses: data_d = pulse_cnt_q;
                CntReads:  data_d = read_cnt_q;
                default:   status_d = StatusBadArg;
              endcase
            end
            OpClearCounters: clear_counters = 1'b1;
            default: status_d = StatusBadOpcode;
          endcase
        end
      end
      // Drive the pulse; the front end is asked to apply it on the last cycle.
      StPulse: begin
        pulse_active_o = 1'b1;
        cnt_d          = cnt_q - 1'b1;
        if (cnt_q == 1) begin
          pulse_fire = 1'b1;
          pending_d  = 1'b1;
          state_d    = StCollect;
        end
      end
      // Wait for the pulse's outcome.
      StCollect: begin
        if (ana_ack_i) begin
          pending_d = 1'b0;
          status_d  = ana_fail_i ? StatusAnalogFail : StatusOk;
          state_d   = StResp;
        end
      end
      // Integrate the sense current; the front end samples it on the last cycle.
      StSense: begin
        read_active_o = 1'b1;
        cnt_d         = cnt_q - 1'b1;
        if (cnt_q == 1) begin
          read_fire = 1'b1;
          pending_d = 1'b1;
          cnt_d     = CyclesWidth'(AdcBits);
          state_d   = StConvert;
        end
      end
      // One ADC bit per cycle; the code is the front end's answer, which may come at any time.
      StConvert: begin
        read_active_o = 1'b1;
        if (cnt_q != 1) cnt_d = cnt_q - 1'b1;
        if (ana_ack_i) begin
          pending_d = 1'b0;
          status_d  = ana_fail_i ? StatusAnalogFail : StatusOk;
          data_d    = ana_fail_i ? '0 : DataWidth'(ana_code_i);
        end
        if (cnt_q == 1 && (!pending_q || ana_ack_i)) begin
          state_d = StResp;
        end
      end
      // Hold the response until the host takes it.
      StResp: begin
        resp_valid_o = 1'b1;
        if (resp_ready_i) begin
          state_d = StIdle;
        end
      end
      default: state_d = StIdle;
    endcase
  end

  // Counters: cycles always, pulses and reads as the analog side is called.
  always_comb begin
    cycle_cnt_d = cycle_cnt_q + 1'b1;
    pulse_cnt_d = pulse_cnt_q + DataWidth'(pulse_fire);
    read_cnt_d  = read_cnt_q + DataWidth'(read_fire);
    if (clear_counters) begin
      cycle_cnt_d = '0;
      pulse_cnt_d = '0;
      read_cnt_d  = '0;
    end
  end

  // Ready exactly when idle: the ready does not depend on the command offered.
  assign cmd_ready_o      = state_q == StIdle;
  assign resp_status_o    = status_q;
  assign resp_data_o      = data_q;
  assign clear_counters_o = clear_counters;
  assign ana_pulse_req_o  = pulse_fire;
  assign ana_read_req_o   = read_fire;
  assign ana_tile_o       = tile_q;
  assign ana_row_o        = row_q;
  assign ana_col_o        = col_q;
  assign ana_set_o        = polarity_q;
  assign ana_rung_o       = arg_q;
  assign ana_width_o      = cycles_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q     <= StIdle;
      tile_q      <= '0;
      row_q       <= '0;
      col_q       <= '0;
      polarity_q  <= 1'b0;
      arg_q       <= '0;
      cycles_q    <= '0;
      cnt_q       <= '0;
      status_q    <= StatusOk;
      data_q      <= '0;
      pending_q   <= 1'b0;
      cycle_cnt_q <= '0;
      pulse_cnt_q <= '0;
      read_cnt_q  <= '0;
    end else begin
      state_q     <= state_d;
      tile_q      <= tile_d;
      row_q       <= row_d;
      col_q       <= col_d;
      polarity_q  <= polarity_d;
      arg_q       <= arg_d;
      cycles_q    <= cycles_d;
      cnt_q       <= cnt_d;
      status_q    <= status_d;
      data_q      <= data_d;
      pending_q   <= pending_d;
      cycle_cnt_q <= cycle_cnt_d;
      pulse_cnt_q <= pulse_cnt_d;
      read_cnt_q  <= read_cnt_d;
    end
  end

  // Assertions.
  // Parameters fit the command fields.
  if (NumTiles < 1 || NumTiles > (1 << TileWidth) || NumRows < 1 || NumRows > (1 << RowWidth) ||
      NumCols < 1 || NumCols > (1 << ColWidth) || AdcBits < 1 || AdcBits > 32) begin : g_bad_params
    $error("xbar_prog_seq: parameter out of range");
  end
  // The state register holds a legal state.
  StateLegal: assert property (@(posedge clk_i) disable iff (!rst_ni)
      state_q inside {StIdle, StPulse, StCollect, StSense, StConvert, StResp});
  // A response stays valid and unchanged until it is taken.
  RespHeld: assert property (@(posedge clk_i) disable iff (!rst_ni)
      resp_valid_o && !resp_ready_i |=> resp_valid_o && $stable(resp_status_o) &&
      $stable(resp_data_o));
  // Commands are accepted only when idle, and never while a response is pending.
  ReadyOnlyIdle: assert property (@(posedge clk_i) disable iff (!rst_ni)
      cmd_ready_o |-> !resp_valid_o);
  // The front end is never asked while a response is pending.
  NoAnalogInResp: assert property (@(posedge clk_i) disable iff (!rst_ni)
      (pulse_fire || read_fire) |-> !resp_valid_o);
  // One request at a time, answered once: a request only when none is waiting, an answer only
  // to a waiting request.
  OneRequest: assert property (@(posedge clk_i) disable iff (!rst_ni)
      (pulse_fire || read_fire) |-> !pending_q && !(pulse_fire && read_fire));
  AckOnlyWhenPending: assert property (@(posedge clk_i) disable iff (!rst_ni)
      ana_ack_i |-> pending_q);

endmodule
