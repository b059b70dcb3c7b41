// DPI-C binding of the controller's analog side: the interfaces the simulation-only front end
// (rtl/xbar_analog_sim.sv) calls through DPI-C when a sequencer strobes a request
// (ProgrammingAnalog, implemented by runtime::ProgramExecutor; InferenceAnalog, implemented by
// runtime::AnalogChip) and their binding to the front end's scope. rtl/ declares them and depends
// on no other xbar library.
#pragma once

#include <cstdint>
#include <span>
#include <string>


namespace xbar::rtl {

/// The analog side of the programming sequencer (rtl/xbar_prog_seq.sv): pulses and verify reads on
/// the chip's cells, addressed as the controller addresses them. Each call is one DPI-C call, made
/// by the front end for one request strobe.
class ProgrammingAnalog {
 public:
  virtual ~ProgrammingAnalog() = default;
  /// One SET (`set`) or RESET pulse at ladder rung `rung` for `width_cycles` clock cycles; false,
  /// with last_error() saying why, when refused.
  virtual bool ApplyPulse(int tile, int row, int column, bool set, int rung, uint32_t width_cycles) = 0;
  /// One verify read: the ADC code, or -1 with last_error() when refused.
  virtual int64_t VerifyRead(int tile, int row, int column) = 0;
  virtual const std::string& last_error() const = 0;
};

/// The analog side of the inference sequencer (rtl/xbar_infer_seq.sv): tiles, neuron arrays and
/// the output ADC. Each call is one DPI-C call, one per request strobe of the sequencer, in the
/// order the sequencer makes them; a refused call returns false (SampleOutput: kRefused) with last_error() saying why.
class InferenceAnalog {
 public:
  virtual ~InferenceAnalog() = default;
  /// Starts an inference: neuron arrays to their initial state, no tile currents pending.
  virtual bool Begin() = 0;
  /// Input DAC `index` (a word line of layer 0) := `code` (8 bit, full scale = read voltage).
  virtual bool SetInput(uint32_t index, uint32_t code) = 0;
  /// Reads every tile whose bit is set in `enables` (bit t of word t / 32 = physical tile t) with
  /// the word lines of `layer` driven as in read cycle `cycle` of the layer's step (0 for a layer
  /// read once per step; a convolution's tiles read the input patches of that cycle's output
  /// positions): their column currents wait at the layer's neuron nodes.
  virtual bool ReadLayer(uint32_t layer, uint32_t cycle, std::span<const uint32_t> enables) = 0;
  /// One step of the neuron arrays of `layer`, driven by the currents read since its last step
  /// (none: no drive).
  virtual bool StepNeurons(uint32_t layer) = 0;
  /// Converts output neuron `index`'s membrane voltage with the output ADC; the signed code, or
  /// kRefused.
  virtual int64_t SampleOutput(uint32_t index) = 0;
  virtual const std::string& last_error() const = 0;

  static constexpr int64_t kRefused = INT64_MIN;
};

/// Binds `analog` as the programming side of the analog front end whose DPI scope is `scope_name`
/// (e.g. "TOP.xbar_sim_top.u_analog"), through the scope's DPI user data; nullptr unbinds. Returns
/// false when no such scope exists (the model is not constructed yet or the name is wrong).
/// While unbound, every DPI call is refused (the controller answers StatusAnalogFail).
bool BindAnalogSide(const std::string& scope_name, ProgrammingAnalog* analog);

/// The same for the inference side (the same scope; its own user-data key).
bool BindInferenceSide(const std::string& scope_name, InferenceAnalog* analog);

}  // namespace xbar::rtl
