// Spike trains through a NIR plan's chip: RunSpikes drives an AnalogChip step by step.
#include "runtime/chip_spikes.h"

#include <cmath>
#include <memory>
#include <utility>

#include "runtime/backend.h"
#include "runtime/latency.h"
#include "support/format.h"

namespace xbar::runtime {

Expected<uint32_t> SpikeCount(const Eigen::Ref<const Eigen::MatrixXd>& spikes, Eigen::Index t, Eigen::Index i) {
  const double n = spikes(t, i);
  if (!(n >= 0 && n <= kMaxSpikeCount && n == std::floor(n))) {
    return Fail(ErrorCode::kInvalidArgument, "spike count " + FormatNumber(n) + " at step " + std::to_string(t) +
                                                 ", input " + std::to_string(i) + " is not a whole number in [0, " +
                                                 FormatNumber(kMaxSpikeCount) + "]");
  }
  return static_cast<uint32_t>(n);
}

Expected<ChipSpikeSample> RunSpikes(AnalogChip& chip, const ChipView& view,
                                    const Eigen::Ref<const Eigen::MatrixXd>& spikes) {
  auto refused = [&](const std::string& what) {
    return Fail(ErrorCode::kInternal, "behavioural inference: " + what + " refused: " + chip.last_error());
  };
  if (!view.spiking()) return Fail(ErrorCode::kInvalidArgument, "spike trains need a plan of NIR populations");
  if (spikes.cols() != view.inputs()) {
    return Fail(ErrorCode::kInvalidArgument, "spike train of " + std::to_string(spikes.cols()) +
                                                 " inputs, the network takes " + std::to_string(view.inputs()));
  }
  if (!chip.Begin()) return refused("begin");
  chip.TakeEnergy();
  const int outputs = view.outputs();
  ChipSpikeSample sample;
  NirRun& run = sample.run;
  run.outputs = Eigen::MatrixXd::Zero(spikes.rows(), outputs);
  run.membranes = Eigen::MatrixXd::Zero(spikes.rows(), outputs);
  const auto layers = static_cast<uint32_t>(view.layers().size());
  for (Eigen::Index t = 0; t < spikes.rows(); ++t) {
    for (Eigen::Index i = 0; i < spikes.cols(); ++i) {
      auto n = SpikeCount(spikes, t, i);
      if (!n) return std::unexpected(n.error());
      if (!chip.SetInput(static_cast<uint32_t>(i), *n)) return refused("input");
    }
    for (uint32_t l = 0; l < layers; ++l) {
      const ChipView::Layer& layer = view.layers()[l];
      for (int c = 0; c < layer.read_cycles; ++c) {
        if (!chip.ReadLayer(l, static_cast<uint32_t>(c), layer.enables)) return refused("layer read");
      }
      if (!chip.StepNeurons(l)) return refused("neuron step");
    }
    for (int o = 0; o < outputs; ++o) {
      const int64_t code = chip.SampleOutput(static_cast<uint32_t>(o));
      if (code == rtl::InferenceAnalog::kRefused) return refused("output sample");
      run.outputs(t, o) = SpikeOutputValue(view, code);
    }
    run.membranes.row(t) = chip.population(layers - 1).v().matrix().transpose();
  }
  run.decision = OutputDecision(run.outputs);
  sample.energy = chip.TakeEnergy();
  sample.cycles = SpikeCycles(view, spikes.rows());
  return sample;
}

double SpikeOutputValue(const ChipView& view, int64_t code) {
  const ChipView::Layer& last = view.layers().back();
  if (last.population.Spikes()) return static_cast<double>(code);
  return static_cast<double>(code) * view.output_lsb_mv() / (view.output_gain() * 1e3 * last.volts_per_unit);
}

uint64_t SpikeCycles(const ChipView& view, int64_t steps) {
  std::vector<int> read_cycles;
  for (const ChipView::Layer& layer : view.layers()) read_cycles.push_back(layer.read_cycles);
  // An OpStep is one step of OpInfer at period 1; after the first it skips the begin request and
  // its check. An OpResult is accepted and answered.
  const uint64_t step = InferenceCycles(1, 1, read_cycles, view.outputs(), view.output_bits(), view.timing());
  const auto t = static_cast<uint64_t>(steps);
  const uint64_t result = 2 * static_cast<uint64_t>(view.outputs());
  return t * (InputLoadCycles(view.inputs()) + step + result) - 2 * (t - 1);
}

std::vector<int64_t> SpikeInputShape(const ChipView& view) {
  const compiler::Shape3& s = view.layers().front().shape.source;
  if (s.h == 1 && s.w == 1) return {s.c};
  return {s.c, s.h, s.w};
}

Expected<ChipSpikeBatch> RunChipSpikes(const ChipView& view, const NpyTensor& spikes, const std::string& spikes_path,
                                       int threads, const std::function<ChipSampleRun()>& make) {
  if (!view.spiking()) return Fail(ErrorCode::kInvalidArgument, "spike trains need a plan of NIR populations");
  const std::vector<int64_t> shape = SpikeInputShape(view);
  const int64_t samples = spikes.shape.size() == shape.size() + 2 ? spikes.shape[0] : 1;
  std::vector<AnalogEnergy> energies(static_cast<std::size_t>(std::max<int64_t>(samples, 1)));
  std::vector<uint64_t> cycles(energies.size(), 0);
  auto batch = RunSpikeBatch(shape, view.outputs(), spikes, spikes_path, threads, [&] {
    return [&, run = make()](int64_t s, const Eigen::Ref<const Eigen::MatrixXd>& x) -> Expected<NirRun> {
      auto sample = run(x);
      if (!sample) return std::unexpected(WithContext(sample.error(), spikes_path + ", sample " + std::to_string(s)));
      energies[static_cast<std::size_t>(s)] = sample->energy;
      cycles[static_cast<std::size_t>(s)] = sample->cycles;
      return std::move(sample->run);
    };
  });
  if (!batch) return std::unexpected(batch.error());
  ChipSpikeBatch result{std::move(*batch), {}, cycles.front()};
  for (const AnalogEnergy& e : energies) Accumulate(result.energy, e);
  for (uint64_t c : cycles) {
    if (c != result.cycles_per_sample) {
      return Fail(ErrorCode::kInternal, "spike trains of one shape took different cycle counts (" + std::to_string(c) +
                                            " and " + std::to_string(result.cycles_per_sample) + ")");
    }
  }
  return result;
}

Expected<ChipSpikeBatch> RunChipSpikes(const ChipView& view, const NpyTensor& spikes, const std::string& spikes_path,
                                       int threads) {
  return RunChipSpikes(view, spikes, spikes_path, threads, [&view]() -> ChipSampleRun {
    return [&view, chip = std::make_shared<AnalogChip>(view)](const Eigen::Ref<const Eigen::MatrixXd>& x) {
      return RunSpikes(*chip, view, x);
    };
  });
}

}  // namespace xbar::runtime
