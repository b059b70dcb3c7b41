// Simulation-only analog front end of the xbar controller: answers the sequencers' requests by
// calling the C++ device and chip models through DPI-C (rtl/dpi_chip.cc). The only module that
// imports DPI functions; not for synthesis.
//
// Each request strobe calls its DPI function once, at the clock edge that ends the strobe's cycle,
// and latches the answer; the answer (ack with fail flag and code) is presented latency_i + 1
// cycles after the strobe, for one cycle. Latency 0 is what the timing model assumes.
module xbar_analog_sim
  import xbar_pkg::*;
#(
  parameter int unsigned NumTiles = 256,  // tiles on the chip (width of the enable vector)
  parameter int unsigned AdcBits  = 8,    // verify ADC resolution
  parameter int unsigned OutBits  = 8     // output ADC resolution
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,
  // Extra cycles before each answer (0: the cycle after the request).
  input  logic [7:0]             latency_i,

  // Programming front end (xbar_prog_seq).
  input  logic                   prog_pulse_req_i,
  input  logic                   prog_read_req_i,
  input  logic [TileWidth-1:0]   prog_tile_i,
  input  logic [RowWidth-1:0]    prog_row_i,
  input  logic [ColWidth-1:0]    prog_col_i,
  input  logic                   prog_set_i,
  input  logic [ArgWidth-1:0]    prog_rung_i,
  input  logic [CyclesWidth-1:0] prog_width_i,
  output logic                   prog_ack_o,
  output logic                   prog_fail_o,
  output logic [AdcBits-1:0]     prog_code_o,

  // Inference front end (xbar_infer_seq).
  input  logic                   infer_begin_req_i,
  input  logic                   infer_input_req_i,
  input  logic                   infer_sense_req_i,
  input  logic                   infer_step_req_i,
  input  logic                   infer_sample_req_i,
  input  logic [ValueWidth-1:0]  infer_index_i,
  input  logic [ArgWidth-1:0]    infer_code_i,
  input  logic [ValueWidth-1:0]  infer_layer_i,
  input  logic [ValueWidth-1:0]  infer_cycle_i,
  input  logic [NumTiles-1:0]    infer_enables_i,
  output logic                   infer_ack_o,
  output logic                   infer_fail_o,
  output logic [OutBits-1:0]     infer_sample_o
);

  // The programming side: rtl::ProgrammingAnalog, bound to this instance's DPI scope.
  // dpi_apply_pulse returns 0 when the pulse was applied, nonzero when the model refused it.
  import "DPI-C" context function int dpi_apply_pulse(
    input int unsigned tile, input int unsigned row, input int unsigned col, input bit set_pulse,
    input int unsigned rung, input int unsigned width_cycles);
  // dpi_verify_read returns the ADC code (>= 0), or a negative value when the model refused it.
  import "DPI-C" context function longint dpi_verify_read(
    input int unsigned tile, input int unsigned row, input int unsigned col);

  // The inference side: rtl::InferenceAnalog, bound to this instance's DPI scope. Every int
  // function returns 0 when done, nonzero when the model refused; dpi_sample_output returns the
  // code, outside [-2^(OutBits-1), 2^(OutBits-1)) when refused.
  import "DPI-C" context function int dpi_infer_begin();
  import "DPI-C" context function int dpi_set_input(input int unsigned index,
                                                     input int unsigned code);
  import "DPI-C" context function int dpi_layer_read(input int unsigned layer,
                                                      input int unsigned cycle,
                                                      input bit [NumTiles-1:0] enables);
  import "DPI-C" context function int dpi_neuron_step(input int unsigned layer);
  import "DPI-C" context function longint dpi_sample_output(input int unsigned index);

  logic   prog_req, infer_req;
  logic   prog_busy_q, infer_busy_q;          // a request is answered, the answer not yet shown
  logic   prog_read_q;                        // the pending programming request is a read
  logic   infer_sample_q;                     // the pending inference request is a sample
  logic   [7:0] prog_wait_q, infer_wait_q;    // cycles until the answer is shown
  int     pulse_rc_q, infer_rc_q;
  longint read_rc_q, sample_rc_q;

  assign prog_req  = prog_pulse_req_i || prog_read_req_i;
  assign infer_req = infer_begin_req_i || infer_input_req_i || infer_sense_req_i ||
                     infer_step_req_i || infer_sample_req_i;

  // The answers, from the latched return values: a code outside the ADC's range is a refusal.
  assign prog_ack_o     = prog_busy_q && prog_wait_q == '0;
  assign prog_fail_o    = prog_read_q ? read_rc_q < 0 || read_rc_q >= (64'sd1 <<< AdcBits)
                                      : pulse_rc_q != 0;
  assign prog_code_o    = AdcBits'(read_rc_q);
  assign infer_ack_o    = infer_busy_q && infer_wait_q == '0;
  assign infer_fail_o   = infer_sample_q ? sample_rc_q < -(64'sd1 <<< (OutBits - 1)) ||
                                           sample_rc_q >= (64'sd1 <<< (OutBits - 1))
                                         : infer_rc_q != 0;
  assign infer_sample_o = OutBits'(sample_rc_q);

  // Programming: one DPI call per request, then the answer after latency_i more cycles.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      prog_busy_q <= 1'b0;
      prog_read_q <= 1'b0;
      prog_wait_q <= '0;
      pulse_rc_q  <= 0;
      read_rc_q   <= 0;
    end else if (prog_req) begin
      prog_busy_q <= 1'b1;
      prog_read_q <= prog_read_req_i;
      prog_wait_q <= latency_i;
      if (prog_pulse_req_i) begin
        pulse_rc_q <= dpi_apply_pulse(32'(prog_tile_i), 32'(prog_row_i), 32'(prog_col_i),
                                      prog_set_i, 32'(prog_rung_i), 32'(prog_width_i));
      end else begin
        read_rc_q <= dpi_verify_read(32'(prog_tile_i), 32'(prog_row_i), 32'(prog_col_i));
      end
    end else if (prog_busy_q) begin
      if (prog_wait_q == '0) prog_busy_q <= 1'b0;
      else prog_wait_q <= prog_wait_q - 1'b1;
    end
  end

  // Inference: the same, for its five requests.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      infer_busy_q   <= 1'b0;
      infer_sample_q <= 1'b0;
      infer_wait_q   <= '0;
      infer_rc_q     <= 0;
      sample_rc_q    <= 0;
    end else if (infer_req) begin
      infer_busy_q   <= 1'b1;
      infer_sample_q <= infer_sample_req_i;
      infer_wait_q   <= latency_i;
      if (infer_begin_req_i) infer_rc_q <= dpi_infer_begin();
      if (infer_input_req_i) infer_rc_q <= dpi_set_input(infer_index_i, 32'(infer_code_i));
      if (infer_sense_req_i) infer_rc_q <= dpi_layer_read(infer_layer_i, infer_cycle_i,
                                                                  infer_enables_i);
      if (infer_step_req_i) infer_rc_q <= dpi_neuron_step(infer_layer_i);
      if (infer_sample_req_i) sample_rc_q <= dpi_sample_output(infer_index_i);
    end else if (infer_busy_q) begin
      if (infer_wait_q == '0) infer_busy_q <= 1'b0;
      else infer_wait_q <= infer_wait_q - 1'b1;
    end
  end

  // Assertions: the sequencers ask one thing at a time and never before the last answer.
  ProgOneRequest: assert property (@(posedge clk_i) disable iff (!rst_ni)
      prog_req |-> !prog_busy_q && !(prog_pulse_req_i && prog_read_req_i));
  InferOneRequest: assert property (@(posedge clk_i) disable iff (!rst_ni)
      infer_req |-> !infer_busy_q && $onehot({infer_begin_req_i, infer_input_req_i,
                                             infer_sense_req_i, infer_step_req_i,
                                             infer_sample_req_i}));

endmodule
