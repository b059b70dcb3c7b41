// Inference sequencer of the xbar controller: one inference of the configured network per OpInfer.
//
// For each of the T time steps and each layer in order, the sequencer reads the layer in its read
// cycles (OpReadCycles; 1 for a dense layer, more when a convolution's output positions are read
// one group after the other): in each read cycle it enables every tile of the layer at once (its
// row of the schedule table), the tiles integrate their column currents for CfgSenseCycles cycles
// and the front end is told which read cycle it is (it drives the word lines of that cycle's
// input patches); the currents of tiles sharing a neuron add at its node. After the layer's last
// read cycle its neuron arrays take one step (CfgNeuronCycles cycles) and their membrane voltages
// drive the next layer's word lines. Layer 0 is read only at the input impulses (t % P == 0); on
// the other steps its neurons step with no drive. After the last layer the output ADC converts every
// output neuron's membrane voltage in turn (OutBits cycles each, SAR) and the code is added to
// that output's accumulator. After T steps the decision is the first output with the largest
// accumulator. OpStep runs one such step of an inference in progress with every layer read
// (spike trains: the host loads each step's input counts before it; arg 1 starts the inference
// first), so an inference of T steps is T OpSteps. Plain RTL: the analog front end (input DACs, tiles, neuron arrays, output ADC)
// sits behind request/answer ports; the sequencer decides when, the front end does what.
module xbar_infer_seq
  import xbar_pkg::*;
#(
  parameter int unsigned NumTiles   = 256,   // tiles on the chip, [1, 2^TileWidth]
  parameter int unsigned NumInputs  = 4096,  // input DACs (word lines of layer 0), [1, 2^RowWidth]
  parameter int unsigned MaxLayers  = 8,     // rows of the schedule table, [1, 2^ArgWidth]
  parameter int unsigned MaxOutputs = 64,    // output accumulators, [1, 2^ArgWidth]
  parameter int unsigned OutBits    = 8      // output ADC resolution, [1, 32]
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,

  // Command stream (valid/ready): the inference opcodes and their counters.
  input  logic                   cmd_valid_i,
  output logic                   cmd_ready_o,
  input  logic [OpcodeWidth-1:0] cmd_opcode_i,
  input  logic [TileWidth-1:0]   cmd_tile_i,
  input  logic [RowWidth-1:0]    cmd_row_i,
  input  logic                   cmd_polarity_i,
  input  logic [ArgWidth-1:0]    cmd_arg_i,
  input  logic [ValueWidth-1:0]  cmd_value_i,

  // Response stream (valid/ready), one response per command.
  output logic                   resp_valid_o,
  input  logic                   resp_ready_i,
  output logic [StatusWidth-1:0] resp_status_o,
  output logic [DataWidth-1:0]   resp_data_o,

  // Zeroes the inference counters (OpClearCounters, taken by the programming sequencer).
  input  logic                   clear_counters_i,

  // Analog activity (for traces): tiles sensing, neurons stepping, output ADC converting.
  output logic                   sense_active_o,
  output logic                   neuron_active_o,
  output logic                   convert_active_o,

  // Analog front end: one request at a time. A request is a one-cycle strobe with its operands;
  // the answer is a one-cycle ana_ack_i, one or more cycles later.
  output logic                   ana_begin_req_o,   // neuron arrays to their initial state
  output logic                   ana_input_req_o,   // input DAC ana_index_o := ana_code_o
  output logic                   ana_sense_req_o,   // sample the currents of the enabled tiles
  output logic                   ana_step_req_o,    // one step of layer ana_layer_o's neurons
  output logic                   ana_sample_req_o,  // convert output neuron ana_index_o
  output logic [ValueWidth-1:0]  ana_index_o,       // input: DAC; sample: output neuron
  output logic [ArgWidth-1:0]    ana_code_o,        // input: DAC code (8 bit; more is refused)
  output logic [ValueWidth-1:0]  ana_layer_o,       // sense, step: the layer
  output logic [ValueWidth-1:0]  ana_cycle_o,       // sense: the read cycle of the layer's step
  output logic [NumTiles-1:0]    ana_enables_o,     // sense: the layer's tiles
  input  logic                   ana_ack_i,         // the answer to the request is valid
  input  logic                   ana_fail_i,        // with ana_ack_i: the front end refused it
  input  logic [OutBits-1:0]     ana_sample_i       // with ana_ack_i after a sample: signed code
);

  localparam int unsigned TileIdxWidth  = NumTiles > 1 ? $clog2(NumTiles) : 1;
  localparam int unsigned LayerIdxWidth = MaxLayers > 1 ? $clog2(MaxLayers) : 1;
  localparam int unsigned OutIdxWidth   = MaxOutputs > 1 ? $clog2(MaxOutputs) : 1;

  typedef enum logic [3:0] {
    StIdle,         // waiting for a command
    StInput,        // drive the input DAC
    StBegin,        // reset the neuron arrays, clear the accumulators
    StCheck,        // wait for the input DAC's answer
    StBeginCheck,   // wait for the begin request's answer
    StDispatch,     // next layer of this step: read its tiles, or only step its neurons
    StSense,        // tiles of the layer integrating in read cycle rcycle_q, cnt_q cycles
    StSenseCheck,   // wait for the tiles' answer; next read cycle or the neurons
    StNeuron,       // neuron arrays of the layer stepping, cnt_q cycles
    StNeuronCheck,  // wait for the neurons' answer; next layer or convert
    StConvert,      // output ADC converting output out_q, cnt_q cycles
    StAccumulate,   // wait for the code and add it; next output or next step
    StArgmax,       // one accumulator per cycle
    StResp          // response valid until taken
  } infer_state_e;

  infer_state_e           state_d, state_q;
  logic [ValueWidth-1:0]  steps_d, steps_q;
  logic [ValueWidth-1:0]  period_d, period_q;
  logic [ValueWidth-1:0]  layers_d, layers_q;
  logic [ValueWidth-1:0]  outputs_d, outputs_q;
  logic [ValueWidth-1:0]  sense_d, sense_q;
  logic [ValueWidth-1:0]  neuron_d, neuron_q;
  logic [ValueWidth-1:0]  step_d, step_q;      // time step
  logic [ValueWidth-1:0]  phase_d, phase_q;    // step modulo the period
  logic [ValueWidth-1:0]  layer_d, layer_q;    // layer of the step
  logic [ValueWidth-1:0]  rcycle_d, rcycle_q;  // read cycle of the layer
  logic [ValueWidth-1:0]  out_d, out_q;        // output being converted or compared
  logic [ValueWidth-1:0]  cnt_d, cnt_q;        // cycles left in this state
  logic                   single_d, single_q;  // OpStep: this step is the last (layer 0 read)
  logic [RowWidth-1:0]    index_d, index_q;    // OpInput: DAC
  logic [ArgWidth-1:0]    code_d, code_q;      // OpInput: code
  logic [OutIdxWidth-1:0] best_d, best_q;      // argmax so far
  logic signed [DataWidth-1:0] best_val_d, best_val_q;
  logic [StatusWidth-1:0] status_d, status_q;
  logic [DataWidth-1:0]   data_d, data_q;
  logic [DataWidth-1:0]   layer_reads_d, layer_reads_q;
  logic [DataWidth-1:0]   neuron_steps_d, neuron_steps_q;
  logic [DataWidth-1:0]   conversions_d, conversions_q;
  logic [DataWidth-1:0]   inferences_d, inferences_q;

  // Schedule table (one enable bit per tile and layer), read cycles per layer and accumulators:
  // written with enables.
  logic [NumTiles-1:0]         sched_q [MaxLayers];
  logic [ValueWidth-1:0]       rcycles_q [MaxLayers];
  logic signed [DataWidth-1:0] acc_q [MaxOutputs];
  logic                        sched_we, rcycles_we;
  logic                        acc_clear, acc_we;

  // Requests to the analog front end; a request is pending until its answer.
  logic   input_fire, begin_fire, layer_fire, neuron_fire, sample_fire, infer_done;
  logic   pending_q;

  logic   config_ok, schedule_ok;
  logic   last_layer, last_output, last_step, last_rcycle;
  logic [NumTiles-1:0] layer_enables;
  logic [ValueWidth-1:0] layer_rcycles;

  assign layer_enables = sched_q[layer_q[LayerIdxWidth-1:0]];
  assign layer_rcycles = rcycles_q[layer_q[LayerIdxWidth-1:0]];
  assign last_rcycle   = rcycle_q + 1 == layer_rcycles;
  assign last_layer    = layer_q + 1 == layers_q;
  assign last_output   = out_q + 1 == outputs_q;
  assign last_step     = single_q || step_q + 1 == steps_q;
  assign config_ok     = steps_q != '0 && period_q != '0 && layers_q != '0 &&
                         layers_q <= MaxLayers && outputs_q != '0 && outputs_q <= MaxOutputs &&
                         sense_q != '0 && neuron_q != '0;

  // Every configured layer has at least one tile.
  always_comb begin
    schedule_ok = 1'b1;
    for (int unsigned l = 0; l < MaxLayers; l++) begin
      if (l < layers_q && sched_q[l] == '0) schedule_ok = 1'b0;
    end
  end

  // Next state, next registers and strobes.
  always_comb begin
    state_d     = state_q;
    steps_d     = steps_q;
    period_d    = period_q;
    layers_d    = layers_q;
    outputs_d   = outputs_q;
    sense_d     = sense_q;
    neuron_d    = neuron_q;
    step_d      = step_q;
    phase_d     = phase_q;
    layer_d     = layer_q;
    rcycle_d    = rcycle_q;
    out_d       = out_q;
    cnt_d       = cnt_q;
    single_d    = single_q;
    index_d     = index_q;
    code_d      = code_q;
    best_d      = best_q;
    best_val_d  = best_val_q;
    status_d    = status_q;
    data_d      = data_q;
    sched_we    = 1'b0;
    rcycles_we  = 1'b0;
    acc_clear   = 1'b0;
    acc_we      = 1'b0;
    input_fire  = 1'b0;
    begin_fire  = 1'b0;
    layer_fire  = 1'b0;
    neuron_fire = 1'b0;
    sample_fire = 1'b0;
    infer_done  = 1'b0;
    resp_valid_o     = 1'b0;
    sense_active_o   = 1'b0;
    neuron_active_o  = 1'b0;
    convert_active_o = 1'b0;

    unique case (state_q)
      // Accept one command, check it, and start it or answer it at once.
      StIdle: begin
        if (cmd_valid_i) begin
          status_d = StatusOk;
          data_d   = '0;
          state_d  = StResp;
          unique case (cmd_opcode_i)
            OpConfig: begin
              unique case (cmd_arg_i)
                CfgSteps:        steps_d   = cmd_value_i;
                CfgPeriod:       period_d  = cmd_value_i;
                CfgLayers:       layers_d  = cmd_value_i;
                CfgOutputs:      outputs_d = cmd_value_i;
                CfgSenseCycles:  sense_d   = cmd_value_i;
                CfgNeuronCycles: neuron_d  = cmd_value_i;
                default:         status_d  = StatusBadArg;
              endcase
            end
            OpSchedule: begin
              if (32'(cmd_tile_i) >= NumTiles) begin
                status_d = StatusBadAddress;
              end else if (32'(cmd_arg_i) >= MaxLayers) begin
                status_d = StatusBadArg;
              end else begin
                sched_we = 1'b1;
              end
            end
            OpReadCycles: begin
              if (32'(cmd_arg_i) >= MaxLayers || cmd_value_i == '0) begin
                status_d = StatusBadArg;
              end else begin
                rcycles_we = 1'b1;
              end
            end
            OpInput: begin
              if (32'(cmd_row_i) >= NumInputs) begin
                status_d = StatusBadAddress;
              end else begin
                index_d = cmd_row_i;
                code_d  = cmd_arg_i;
                state_d = StInput;
              end
            end
            OpInfer: begin
              if (!config_ok || !schedule_ok) begin
                status_d = StatusBadArg;
              end else begin
                single_d = 1'b0;
                state_d  = StBegin;
              end
            end
            OpStep: begin
              if (!config_ok || !schedule_ok || cmd_arg_i > 1) begin
                status_d = StatusBadArg;
              end else begin
                single_d = 1'b1;
                step_d   = '0;
                phase_d  = '0;
                layer_d  = '0;
                out_d    = '0;
                state_d  = cmd_arg_i[0] ? StBegin : StDispatch;
              end
            end
            OpResult: begin
              if (32'(cmd_arg_i) >= MaxOutputs) begin
                status_d = StatusBadArg;
              end else begin
                data_d = acc_q[cmd_arg_i[OutIdxWidth-1:0]];
              end
            end
            OpCounter: begin
              unique case (cmd_arg_i)
                CntLayerReads:  data_d = layer_reads_q;
                CntNeuronSteps: data_d = neuron_steps_q;
                CntConversions: data_d = conversions_q;
                CntInferences:  data_d = inferences_q;
                default:        status_d = StatusBadArg;
              endcase
            end
            default: status_d = StatusBadOpcode;
          endcase
        end
      end
      StInput: begin
        input_fire = 1'b1;
        state_d    = StCheck;
      end
      // Start an inference: neuron arrays reset, accumulators cleared, step 0, layer 0.
      StBegin: begin
        begin_fire = 1'b1;
        acc_clear  = 1'b1;
        step_d     = '0;
        phase_d    = '0;
        layer_d    = '0;
        out_d      = '0;
        state_d    = StBeginCheck;
      end
      // After the input request: answer.
      StCheck: begin
        if (ana_ack_i) begin
          if (ana_fail_i) status_d = StatusAnalogFail;
          state_d = StResp;
        end
      end
      // After the begin request: fail, or start the first layer of step 0.
      StBeginCheck: begin
        if (ana_ack_i) begin
          if (ana_fail_i) begin
            status_d = StatusAnalogFail;
            state_d  = StResp;
          end else begin
            state_d = StDispatch;
          end
        end
      end
      StDispatch: begin
        if (layer_q == '0 && phase_q != '0) begin
          cnt_d   = neuron_q;
          state_d = StNeuron;
        end else begin
          rcycle_d = '0;
          cnt_d    = sense_q;
          state_d  = StSense;
        end
      end
      // The layer's tiles integrate; the front end samples their currents on the last cycle.
      StSense: begin
        sense_active_o = 1'b1;
        cnt_d          = cnt_q - 1'b1;
        if (cnt_q == 1) begin
          layer_fire = 1'b1;
          state_d    = StSenseCheck;
        end
      end
      StSenseCheck: begin
        if (!ana_ack_i) begin
          // wait
        end else if (ana_fail_i) begin
          status_d = StatusAnalogFail;
          state_d  = StResp;
        end else if (!last_rcycle) begin
          rcycle_d = rcycle_q + 1'b1;
          cnt_d    = sense_q;
          state_d  = StSense;
        end else begin
          cnt_d   = neuron_q;
          state_d = StNeuron;
        end
      end
      // The layer's neurons step; the front end advances them on the last cycle.
      StNeuron: begin
        neuron_active_o = 1'b1;
        cnt_d           = cnt_q - 1'b1;
        if (cnt_q == 1) begin
          neuron_fire = 1'b1;
          state_d     = StNeuronCheck;
        end
      end
      StNeuronCheck: begin
        if (!ana_ack_i) begin
          // wait
        end else if (ana_fail_i) begin
          status_d = StatusAnalogFail;
          state_d  = StResp;
        end else if (last_layer) begin
          out_d   = '0;
          cnt_d   = ValueWidth'(OutBits);
          state_d = StConvert;
        end else begin
          layer_d = layer_q + 1'b1;
          state_d = StDispatch;
        end
      end
      // One ADC bit per cycle; the front end is asked for the code on the last cycle.
      StConvert: begin
        convert_active_o = 1'b1;
        cnt_d            = cnt_q - 1'b1;
        if (cnt_q == 1) begin
          sample_fire = 1'b1;
          state_d     = StAccumulate;
        end
      end
      StAccumulate: begin
        if (!ana_ack_i) begin
          // wait
        end else if (ana_fail_i) begin
          status_d = StatusAnalogFail;
          state_d  = StResp;
        end else begin
          acc_we = 1'b1;
          if (!last_output) begin
            out_d   = out_q + 1'b1;
            cnt_d   = ValueWidth'(OutBits);
            state_d = StConvert;
          end else if (!last_step) begin
            step_d  = step_q + 1'b1;
            phase_d = (phase_q + 1 == period_q) ? '0 : phase_q + 1'b1;
            layer_d = '0;
            state_d = StDispatch;
          end else begin
            out_d      = '0;
            best_d     = '0;
            best_val_d = {1'b1, {(DataWidth - 1){1'b0}}};  // most negative
            state_d    = StArgmax;
          end
        end
      end
      // The first output with the largest accumulator wins.
      StArgmax: begin
        if (acc_q[out_q[OutIdxWidth-1:0]] > best_val_q) begin
          best_d     = out_q[OutIdxWidth-1:0];
          best_val_d = acc_q[out_q[OutIdxWidth-1:0]];
        end
        out_d = out_q + 1'b1;
        if (last_output) begin
          infer_done = 1'b1;
          state_d    = StResp;
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
    // The decision, once the last accumulator has been compared.
    if (infer_done) begin
      data_d = DataWidth'(best_d);
    end
  end

  // Counters of analog activity.
  always_comb begin
    layer_reads_d  = layer_reads_q + (layer_fire ? DataWidth'($countones(layer_enables)) : '0);
    neuron_steps_d = neuron_steps_q + DataWidth'(neuron_fire);
    conversions_d  = conversions_q + DataWidth'(sample_fire);
    inferences_d   = inferences_q + DataWidth'(infer_done);
    if (clear_counters_i) begin
      layer_reads_d  = '0;
      neuron_steps_d = '0;
      conversions_d  = '0;
      inferences_d   = '0;
    end
  end

  // Ready exactly when idle: the ready does not depend on the command offered.
  assign cmd_ready_o      = state_q == StIdle;
  assign resp_status_o    = status_q;
  assign resp_data_o      = data_q;
  assign ana_begin_req_o  = begin_fire;
  assign ana_input_req_o  = input_fire;
  assign ana_sense_req_o  = layer_fire;
  assign ana_step_req_o   = neuron_fire;
  assign ana_sample_req_o = sample_fire;
  assign ana_index_o      = input_fire ? ValueWidth'(index_q) : out_q;
  assign ana_code_o       = code_q;
  assign ana_layer_o      = layer_q;
  assign ana_cycle_o      = rcycle_q;
  assign ana_enables_o    = layer_enables;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q        <= StIdle;
      steps_q        <= '0;
      period_q       <= '0;
      layers_q       <= '0;
      outputs_q      <= '0;
      sense_q        <= '0;
      neuron_q       <= '0;
      step_q         <= '0;
      phase_q        <= '0;
      layer_q        <= '0;
      rcycle_q       <= '0;
      out_q          <= '0;
      cnt_q          <= '0;
      single_q       <= 1'b0;
      index_q        <= '0;
      code_q         <= '0;
      best_q         <= '0;
      best_val_q     <= '0;
      status_q       <= StatusOk;
      data_q         <= '0;
      layer_reads_q  <= '0;
      neuron_steps_q <= '0;
      conversions_q  <= '0;
      inferences_q   <= '0;
    end else begin
      state_q        <= state_d;
      steps_q        <= steps_d;
      period_q       <= period_d;
      layers_q       <= layers_d;
      outputs_q      <= outputs_d;
      sense_q        <= sense_d;
      neuron_q       <= neuron_d;
      step_q         <= step_d;
      phase_q        <= phase_d;
      layer_q        <= layer_d;
      rcycle_q       <= rcycle_d;
      out_q          <= out_d;
      cnt_q          <= cnt_d;
      single_q       <= single_d;
      index_q        <= index_d;
      code_q         <= code_d;
      best_q         <= best_d;
      best_val_q     <= best_val_d;
      status_q       <= status_d;
      data_q         <= data_d;
      layer_reads_q  <= layer_reads_d;
      neuron_steps_q <= neuron_steps_d;
      conversions_q  <= conversions_d;
      inferences_q   <= inferences_d;
    end
  end

  // Schedule table: one bit per OpSchedule.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int unsigned l = 0; l < MaxLayers; l++) sched_q[l] <= '0;
    end else if (sched_we) begin
      sched_q[cmd_arg_i[LayerIdxWidth-1:0]][cmd_tile_i[TileIdxWidth-1:0]] <= cmd_polarity_i;
    end
  end

  // Read cycles per layer: 1 after reset, one layer per OpReadCycles.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int unsigned l = 0; l < MaxLayers; l++) rcycles_q[l] <= ValueWidth'(1);
    end else if (rcycles_we) begin
      rcycles_q[cmd_arg_i[LayerIdxWidth-1:0]] <= cmd_value_i;
    end
  end

  // Accumulators: cleared at the start of an inference, one code added per conversion.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int unsigned o = 0; o < MaxOutputs; o++) acc_q[o] <= '0;
    end else if (acc_clear) begin
      for (int unsigned o = 0; o < MaxOutputs; o++) acc_q[o] <= '0;
    end else if (acc_we) begin
      acc_q[out_q[OutIdxWidth-1:0]] <= acc_q[out_q[OutIdxWidth-1:0]] +
                                       DataWidth'(signed'(ana_sample_i));
    end
  end

  // A request is pending from its strobe to its answer.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      pending_q <= 1'b0;
    end else if (input_fire || begin_fire || layer_fire || neuron_fire || sample_fire) begin
      pending_q <= 1'b1;
    end else if (ana_ack_i) begin
      pending_q <= 1'b0;
    end
  end

  // Assertions.
  // Parameters fit the command fields.
  if (NumTiles < 1 || NumTiles > (1 << TileWidth) || NumInputs < 1 ||
      NumInputs > (1 << RowWidth) || MaxLayers < 1 || MaxLayers > (1 << ArgWidth) ||
      MaxOutputs < 1 || MaxOutputs > (1 << ArgWidth) || OutBits < 1 ||
      OutBits > 32) begin : g_bad_params
    $error("xbar_infer_seq: parameter out of range");
  end
  // The state register holds a legal state.
  StateLegal: assert property (@(posedge clk_i) disable iff (!rst_ni)
      state_q inside {StIdle, StInput, StBegin, StCheck, StBeginCheck, StDispatch, StSense,
                      StSenseCheck, StNeuron, StNeuronCheck, StConvert, StAccumulate, StArgmax, StResp});
  // A response stays valid and unchanged until it is taken.
  RespHeld: assert property (@(posedge clk_i) disable iff (!rst_ni)
      resp_valid_o && !resp_ready_i |=> resp_valid_o && $stable(resp_status_o) &&
      $stable(resp_data_o));
  // Commands are accepted only when idle, and never while a response is pending.
  ReadyOnlyIdle: assert property (@(posedge clk_i) disable iff (!rst_ni)
      cmd_ready_o |-> !resp_valid_o);
  // While an inference runs, its layer, read cycle and output stay inside the configuration.
  IndicesInRange: assert property (@(posedge clk_i) disable iff (!rst_ni)
      state_q inside {StSense, StNeuron, StConvert} |->
      layer_q < layers_q && out_q < outputs_q && step_q < steps_q && phase_q < period_q);
  ReadCycleInRange: assert property (@(posedge clk_i) disable iff (!rst_ni)
      state_q inside {StSense, StSenseCheck} |-> rcycle_q < layer_rcycles);
  // Every layer is read in at least one read cycle per step (OpReadCycles refuses 0).
  ReadCyclesPositive: assert property (@(posedge clk_i) disable iff (!rst_ni)
      layer_rcycles != '0);
  // One request at a time, answered once: a request only when none is waiting, an answer only
  // to a waiting request.
  OneRequest: assert property (@(posedge clk_i) disable iff (!rst_ni)
      (input_fire || begin_fire || layer_fire || neuron_fire || sample_fire) |->
      !pending_q && $onehot({input_fire, begin_fire, layer_fire, neuron_fire, sample_fire}));
  AckOnlyWhenPending: assert property (@(posedge clk_i) disable iff (!rst_ni)
      ana_ack_i |-> pending_q);

endmodule
