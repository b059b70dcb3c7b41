// The two backends of the chip behind one interface: the behavioural chip (C++ device and chip
// models called directly) and the RTL chip (the SystemVerilog controller under Verilator, calling
// the same models through DPI-C). Same inputs and seeds, same answers (docs/inference.md).
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "compiler/program_gen.h"
#include "runtime/program_replay.h"
#include "device_models/chip_instance.h"
#include "runtime/analog_chip.h"
#include "runtime/chip_spikes.h"
#include "runtime/dataset.h"
#include "runtime/rtl_chip.h"
#include "support/error.h"

namespace xbar::runtime {

struct InferOptions {
  /// Images to run: the first `limit` of the data set (0: all).
  int64_t limit = 0;
  /// Keep every output ADC sample (steps x outputs per image).
  bool record_samples = false;
  /// Worker threads over images (0: OpenMP's default); results do not depend on it.
  int threads = 0;
};

/// What an inference run did.
struct InferenceRun {
  std::vector<ImageResult> images;
  int64_t correct = 0;
  /// Controller clock cycles: per image, loading its inputs and one OpInfer (the RTL backend
  /// counts them, the behavioural one uses the controller's timing model; they agree).
  uint64_t cycles_per_image = 0;
  AnalogEnergy energy;
  double seconds = 0;

  double accuracy() const { return images.empty() ? 0.0 : static_cast<double>(correct) / images.size(); }
};

class ChipBackend {
 public:
  virtual ~ChipBackend() = default;
  /// "behavioural" or "rtl".
  virtual std::string_view name() const = 0;
  /// Replays a pulse program on `chip` (a fresh instance of the chip it was generated on).
  virtual Expected<ReplayResult> Replay(const compiler::PulseProgram& program,
                                                  device_models::ChipInstance& chip) = 0;
  /// Runs images of `data` through the programmed chip `view`.
  virtual Expected<InferenceRun> Infer(const ChipView& view, const Dataset& data,
                                       const InferOptions& options) = 0;
  /// Runs spike trains (RunChipSpikes's layout, read from `spikes_path`) through the programmed
  /// chip `view` of a NIR plan.
  virtual Expected<ChipSpikeBatch> InferSpikes(const ChipView& view, const NpyTensor& spikes,
                                               const std::string& spikes_path, int threads) = 0;
};

/// "behavioural" or "rtl" (kInvalidArgument naming the value otherwise). `rtl` configures the RTL
/// backend (trace, cycle budget).
Expected<std::unique_ptr<ChipBackend>> MakeBackend(std::string_view name, const RtlOptions& rtl = {});

/// Controller cycles to load one image's inputs (one OpInput per input, host always ready).
uint64_t InputLoadCycles(int inputs);

}  // namespace xbar::runtime
