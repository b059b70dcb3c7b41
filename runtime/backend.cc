// The behavioural and RTL chip backends behind one interface: program replay and inference.
#include "runtime/backend.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "support/threads.h"

namespace xbar::runtime {
namespace {

int64_t ImageCount(const Dataset& data, const InferOptions& options) {
  return options.limit > 0 ? std::min<int64_t>(options.limit, data.size()) : data.size();
}

// Runs `run(worker_state, image)` over the images in parallel, each worker with its own state
// from `make()`, and collects the results in image order; the first error wins.
template <typename Make, typename Run>
Expected<InferenceRun> ForEachImage(const Dataset& data, const InferOptions& options, Make make, Run run) {
  const auto start = std::chrono::steady_clock::now();
  const int64_t n = ImageCount(data, options);
  InferenceRun out;
  out.images.resize(static_cast<std::size_t>(n));
  std::optional<Error> error;
#pragma omp parallel num_threads(static_cast<int>(std::min<int64_t>(ThreadCount(options.threads), std::max<int64_t>(n, 1))))
  {
    auto state = make();
    if (!state) {
#pragma omp critical
      if (!error) error = state.error();
    }
#pragma omp for schedule(dynamic, 8)
    for (int64_t i = 0; i < n; ++i) {
      if (!state) continue;
      auto r = run(**state, i);
      if (!r) {
#pragma omp critical
        if (!error) error = r.error();
        continue;
      }
      out.images[static_cast<std::size_t>(i)] = std::move(*r);
    }
  }
  if (error) return std::unexpected(*error);
  for (int64_t i = 0; i < n; ++i) {
    const ImageResult& r = out.images[static_cast<std::size_t>(i)];
    if (r.decision == data.labels[static_cast<std::size_t>(i)]) ++out.correct;
    Accumulate(out.energy, r.energy);
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

class BehaviouralBackend final : public ChipBackend {
 public:
  std::string_view name() const override { return "behavioural"; }

  Expected<ReplayResult> Replay(const compiler::PulseProgram& program,
                                          device_models::ChipInstance& chip) override {
    return ReplayBehavioural(program, chip);
  }

  Expected<ChipSpikeBatch> InferSpikes(const ChipView& view, const NpyTensor& spikes, const std::string& spikes_path,
                                       int threads) override {
    return RunChipSpikes(view, spikes, spikes_path, threads);
  }
  Expected<InferenceRun> Infer(const ChipView& view, const Dataset& data,
                               const InferOptions& options) override {
    if (auto ok = RequireMifNeurons(view); !ok) return std::unexpected(ok.error());
    if (data.images.rows() != view.inputs()) return std::unexpected(ShapeError(view, data));
    auto run = ForEachImage(
        data, options, [&]() -> Expected<std::unique_ptr<AnalogChip>> { return std::make_unique<AnalogChip>(view); },
        [&](AnalogChip& chip, int64_t i) {
          return RunImage(chip, view, InputCodes(data.images.col(i)), options.record_samples);
        });
    if (run) run->cycles_per_image = InputLoadCycles(view.inputs()) + view.InferenceCycles();
    return run;
  }

  static Error ShapeError(const ChipView& view, const Dataset& data) {
    return Error{ErrorCode::kInvalidArgument,
                 "data set '" + data.name + "' has " + std::to_string(data.images.rows()) +
                     " pixels per image, the programmed network takes " + std::to_string(view.inputs()) +
                     " inputs"};
  }
};

// One RTL chip with its analog side, configured for a view: the worker of the RTL backend.
struct RtlWorker {
  std::unique_ptr<AnalogChip> analog;
  std::unique_ptr<RtlChip> rtl;
};

Expected<void> Command(RtlChip& rtl, const RtlCommand& c, std::string_view what, const AnalogChip* analog,
                       uint64_t* data = nullptr) {
  auto r = rtl.Execute(c, what);
  if (!r) return std::unexpected(r.error());
  if (r->status != RtlStatus::kOk) {
    std::string message = std::string(what) + ": the controller answered " + std::string(RtlStatusName(r->status));
    if (r->status == RtlStatus::kAnalogFail && analog != nullptr) message += " (" + analog->last_error() + ")";
    return Fail(ErrorCode::kInvalidArgument, message);
  }
  if (data != nullptr) *data = r->data;
  return {};
}

Expected<RtlWorker> MakeRtlWorker(const ChipView& view, const RtlOptions& options) {
  RtlWorker w;
  w.analog = std::make_unique<AnalogChip>(view);
  auto rtl = RtlChip::Create(nullptr, options, w.analog.get());
  if (!rtl) return std::unexpected(rtl.error());
  w.rtl = std::move(*rtl);
  auto config = [&](RtlConfig reg, uint64_t value, const char* name) {
    RtlCommand c;
    c.opcode = static_cast<uint8_t>(RtlOpcode::kConfig);
    c.arg = static_cast<uint32_t>(reg);
    c.value = static_cast<uint32_t>(value);
    return Command(*w.rtl, c, std::string("rtl inference: configure ") + name, nullptr);
  };
  const InferenceTiming& timing = view.timing();
  for (auto r : {config(RtlConfig::kSteps, view.steps(), "steps"), config(RtlConfig::kPeriod, view.period(), "period"),
                 config(RtlConfig::kLayers, view.layers().size(), "layers"),
                 config(RtlConfig::kOutputs, view.outputs(), "outputs"),
                 config(RtlConfig::kSenseCycles, timing.sense_cycles, "sense cycles"),
                 config(RtlConfig::kNeuronCycles, timing.neuron_cycles, "neuron cycles")}) {
    if (!r) return std::unexpected(r.error());
  }
  for (std::size_t l = 0; l < view.layers().size(); ++l) {
    RtlCommand cycles;
    cycles.opcode = static_cast<uint8_t>(RtlOpcode::kReadCycles);
    cycles.arg = static_cast<uint32_t>(l);
    cycles.value = static_cast<uint32_t>(view.layers()[l].read_cycles);
    if (auto r = Command(*w.rtl, cycles, "rtl inference: read cycles of layer " + std::to_string(l), nullptr); !r) {
      return std::unexpected(r.error());
    }
    for (int p : view.layers()[l].tiles) {
      RtlCommand c;
      c.opcode = static_cast<uint8_t>(RtlOpcode::kSchedule);
      c.tile = static_cast<uint32_t>(view.tiles()[static_cast<std::size_t>(p)].physical);
      c.arg = static_cast<uint32_t>(l);
      c.set = true;
      auto r = Command(*w.rtl, c, "rtl inference: schedule tile " + std::to_string(c.tile) + " in layer " +
                                      std::to_string(l), nullptr);
      if (!r) return std::unexpected(r.error());
    }
  }
  return w;
}

// Output `o`'s accumulator (OpResult): the sum of its codes, 64 bits of two's complement.
Expected<int64_t> Accumulator(RtlWorker& w, int o) {
  RtlCommand c;
  c.opcode = static_cast<uint8_t>(RtlOpcode::kResult);
  c.arg = static_cast<uint32_t>(o);
  uint64_t acc = 0;
  auto r = Command(*w.rtl, c, "rtl inference: result " + std::to_string(o), nullptr, &acc);
  if (!r) return std::unexpected(r.error());
  return static_cast<int64_t>(acc);
}

Expected<ImageResult> RunImageOnRtl(RtlWorker& w, const ChipView& view, std::span<const uint8_t> codes,
                                    bool record_samples, uint64_t& cycles) {
  const uint64_t start = w.rtl->cycles();
  for (std::size_t i = 0; i < codes.size(); ++i) {
    RtlCommand c;
    c.opcode = static_cast<uint8_t>(RtlOpcode::kInput);
    c.row = static_cast<uint32_t>(i);
    c.arg = codes[i];
    // The operation's name is built only on failure: this loop runs once per input and image.
    auto r = Command(*w.rtl, c, "rtl inference: input", w.analog.get());
    if (!r) return std::unexpected(WithContext(r.error(), "input " + std::to_string(i)));
  }
  w.analog->set_record_samples(record_samples);
  w.analog->TakeEnergy();
  ImageResult result;
  uint64_t decision = 0;
  RtlCommand infer;
  infer.opcode = static_cast<uint8_t>(RtlOpcode::kInfer);
  if (auto r = Command(*w.rtl, infer, "rtl inference: infer", w.analog.get(), &decision); !r) {
    return std::unexpected(r.error());
  }
  cycles = w.rtl->cycles() - start;
  result.decision = static_cast<int>(decision);
  result.energy = w.analog->TakeEnergy();
  for (int o = 0; o < view.outputs(); ++o) {
    auto acc = Accumulator(w, o);
    if (!acc) return std::unexpected(acc.error());
    result.accumulators.push_back(*acc);
  }
  if (record_samples) result.samples = w.analog->samples();
  return result;
}

// One spike train on the controller: per step its input counts loaded (OpInput), one OpStep (the
// first starting the inference), and every output's accumulator read (OpResult) to take the step's
// spikes (or codes) as the difference; the decision is the last OpStep's.
Expected<ChipSpikeSample> RunSpikesOnRtl(RtlWorker& w, const ChipView& view, const Eigen::Ref<const Eigen::MatrixXd>& x) {
  if (x.cols() != view.inputs()) {
    return Fail(ErrorCode::kInvalidArgument, "spike train of " + std::to_string(x.cols()) + " inputs, the network takes " +
                                                 std::to_string(view.inputs()));
  }
  const int outputs = view.outputs();
  const auto layers = view.layers().size();
  ChipSpikeSample sample;
  NirRun& run = sample.run;
  run.outputs = Eigen::MatrixXd::Zero(x.rows(), outputs);
  run.membranes = Eigen::MatrixXd::Zero(x.rows(), outputs);
  std::vector<int64_t> previous(static_cast<std::size_t>(outputs), 0);
  w.analog->TakeEnergy();
  const uint64_t start = w.rtl->cycles();
  uint64_t decision = 0;
  for (Eigen::Index t = 0; t < x.rows(); ++t) {
    for (Eigen::Index i = 0; i < x.cols(); ++i) {
      auto n = SpikeCount(x, t, i);
      if (!n) return std::unexpected(n.error());
      RtlCommand c;
      c.opcode = static_cast<uint8_t>(RtlOpcode::kInput);
      c.row = static_cast<uint32_t>(i);
      c.arg = *n;
      auto r = Command(*w.rtl, c, "rtl inference: input", w.analog.get());
      if (!r) return std::unexpected(WithContext(r.error(), "input " + std::to_string(i)));
    }
    RtlCommand step;
    step.opcode = static_cast<uint8_t>(RtlOpcode::kStep);
    step.arg = t == 0 ? 1 : 0;
    if (auto r = Command(*w.rtl, step, "rtl inference: step", w.analog.get(), &decision); !r) {
      return std::unexpected(r.error());
    }
    for (int o = 0; o < outputs; ++o) {
      auto sum = Accumulator(w, o);
      if (!sum) return std::unexpected(sum.error());
      run.outputs(t, o) = SpikeOutputValue(view, *sum - previous[static_cast<std::size_t>(o)]);
      previous[static_cast<std::size_t>(o)] = *sum;
    }
    run.membranes.row(t) = w.analog->population(layers - 1).v().matrix().transpose();
  }
  run.decision = static_cast<int>(decision);
  sample.energy = w.analog->TakeEnergy();
  sample.cycles = w.rtl->cycles() - start;
  return sample;
}

class RtlBackend final : public ChipBackend {
 public:
  explicit RtlBackend(const RtlOptions& options) : options_(options) {}
  std::string_view name() const override { return "rtl"; }

  Expected<ReplayResult> Replay(const compiler::PulseProgram& program,
                                          device_models::ChipInstance& chip) override {
    return ReplayOnRtl(program, chip, {options_});
  }

  Expected<ChipSpikeBatch> InferSpikes(const ChipView& view, const NpyTensor& spikes, const std::string& spikes_path,
                                       int threads) override {
    if (auto ok = Fits(view); !ok) return std::unexpected(ok.error());
    // A trace is one file: one worker then.
    if (!options_.trace_path.empty()) threads = 1;
    return RunChipSpikes(view, spikes, spikes_path, threads, [&]() -> ChipSampleRun {
      auto made = MakeRtlWorker(view, options_);
      if (!made) {
        return [error = made.error()](const Eigen::Ref<const Eigen::MatrixXd>&) -> Expected<ChipSpikeSample> {
          return std::unexpected(error);
        };
      }
      return [&view, w = std::make_shared<RtlWorker>(std::move(*made))](const Eigen::Ref<const Eigen::MatrixXd>& x) {
        return RunSpikesOnRtl(*w, view, x);
      };
    });
  }
  Expected<InferenceRun> Infer(const ChipView& view, const Dataset& data,
                               const InferOptions& options) override {
    if (auto ok = RequireMifNeurons(view); !ok) return std::unexpected(ok.error());
    if (data.images.rows() != view.inputs()) return std::unexpected(BehaviouralShape(view, data));
    if (auto ok = Fits(view); !ok) return std::unexpected(ok.error());
    // A trace is one file: one worker then.
    InferOptions opts = options;
    if (!options_.trace_path.empty()) opts.threads = 1;
    std::vector<uint64_t> cycles(static_cast<std::size_t>(ImageCount(data, opts)), 0);
    auto run = ForEachImage(
        data, opts, [&]() -> Expected<std::unique_ptr<RtlWorker>> {
          auto w = MakeRtlWorker(view, options_);
          if (!w) return std::unexpected(w.error());
          return std::make_unique<RtlWorker>(std::move(*w));
        },
        [&](RtlWorker& w, int64_t i) {
          return RunImageOnRtl(w, view, InputCodes(data.images.col(i)), opts.record_samples,
                               cycles[static_cast<std::size_t>(i)]);
        });
    if (!run) return run;
    // The schedule does not depend on the data: every image takes the same cycles.
    if (!cycles.empty()) run->cycles_per_image = cycles.front();
    for (uint64_t c : cycles) {
      if (c != run->cycles_per_image) {
        return Fail(ErrorCode::kInternal, "rtl inference: images took different cycle counts (" +
                                              std::to_string(c) + " and " +
                                              std::to_string(run->cycles_per_image) + ")");
      }
    }
    return run;
  }

 private:
  // The network fits the controller's tables, inputs and output converter.
  static Expected<void> Fits(const ChipView& view) {
    const RtlShape shape = RtlControllerShape();
    const int layers = static_cast<int>(view.layers().size());
    if (view.physical_tiles() != shape.tiles || layers > shape.max_layers ||
        view.outputs() > shape.max_outputs || view.inputs() > shape.inputs ||
        view.output_bits() != shape.output_bits) {
      return Fail(ErrorCode::kInvalidArgument,
                  "rtl inference: the network (" + std::to_string(view.physical_tiles()) + " chip tiles, " +
                      std::to_string(layers) + " layers, " + std::to_string(view.inputs()) + " inputs, " +
                      std::to_string(view.outputs()) + " outputs, " + std::to_string(view.output_bits()) +
                      "-bit output adc) does not fit the controller (" + std::to_string(shape.tiles) +
                      " tiles, at most " + std::to_string(shape.max_layers) + " layers, " +
                      std::to_string(shape.inputs) + " inputs, " + std::to_string(shape.max_outputs) +
                      " outputs, " + std::to_string(shape.output_bits) + "-bit output adc)");
    }
    return {};
  }
  static Error BehaviouralShape(const ChipView& view, const Dataset& data) {
    return BehaviouralBackend::ShapeError(view, data);
  }
  RtlOptions options_;
};

}  // namespace

uint64_t InputLoadCycles(int inputs) {
  // OpInput: accept, drive the DAC, check, response (rtl/xbar_infer_seq.sv).
  return 4 * static_cast<uint64_t>(inputs);
}

Expected<std::unique_ptr<ChipBackend>> MakeBackend(std::string_view name, const RtlOptions& rtl) {
  if (name == "behavioural") return std::make_unique<BehaviouralBackend>();
  if (name == "rtl") return std::make_unique<RtlBackend>(rtl);
  return Fail(ErrorCode::kInvalidArgument,
              "backend '" + std::string(name) + "' is not one of behavioural, rtl");
}

}  // namespace xbar::runtime
