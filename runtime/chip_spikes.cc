// Spike trains through a NIR plan's chip: RunSpikes drives an AnalogChip step by step.
#include "runtime/chip_spikes.h"

#include <cmath>
#include <memory>
#include <utility>

#include "runtime/backend.h"
#include "runtime/latency.h"
#include "support/format.h"

namespace xbar::runtime {

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
  const ChipView::Layer& last = view.layers().back();
  const bool spiking_output = last.population.Spikes();
  // A membrane output's ADC code back in file units.
  const double unit_per_code = view.output_lsb_mv() / (view.output_gain() * 1e3 * last.volts_per_unit);
  ChipSpikeSample sample;
  NirRun& run = sample.run;
  run.outputs = Eigen::MatrixXd::Zero(spikes.rows(), outputs);
  run.membranes = Eigen::MatrixXd::Zero(spikes.rows(), outputs);
  const auto layers = static_cast<uint32_t>(view.layers().size());
  for (Eigen::Index t = 0; t < spikes.rows(); ++t) {
    for (Eigen::Index i = 0; i < spikes.cols(); ++i) {
      const double n = spikes(t, i);
      if (!(n >= 0 && n <= kMaxSpikeCount && n == std::floor(n))) {
        return Fail(ErrorCode::kInvalidArgument, "spike count " + FormatNumber(n) + " at step " + std::to_string(t) +
                                                     ", input " + std::to_string(i) + " is not a whole number in [0, " +
                                                     FormatNumber(kMaxSpikeCount) + "]");
      }
      if (!chip.SetInput(static_cast<uint32_t>(i), static_cast<uint32_t>(n))) return refused("input");
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
      run.outputs(t, o) = spiking_output ? static_cast<double>(code) : static_cast<double>(code) * unit_per_code;
    }
    run.membranes.row(t) = chip.population(layers - 1).v().matrix().transpose();
  }
  const Eigen::VectorXd total = run.outputs.colwise().sum();
  Eigen::Index best = 0;
  for (Eigen::Index o = 1; o < total.size(); ++o) {
    if (total(o) > total(best)) best = o;
  }
  run.decision = static_cast<int>(best);
  sample.energy = chip.TakeEnergy();
  return sample;
}

uint64_t SpikeCycles(const ChipView& view, int64_t steps) {
  std::vector<int> read_cycles;
  for (const ChipView::Layer& layer : view.layers()) read_cycles.push_back(layer.read_cycles);
  // Every step is an input step (period 1); a spiking output's latch is read in one cycle.
  const int output_bits = view.layers().back().population.Spikes() ? 1 : view.output_bits();
  return static_cast<uint64_t>(steps) * InputLoadCycles(view.inputs()) +
         InferenceCycles(static_cast<int>(steps), 1, read_cycles, view.outputs(), output_bits, view.timing());
}

std::vector<int64_t> SpikeInputShape(const ChipView& view) {
  const compiler::Shape3& s = view.layers().front().shape.source;
  if (s.h == 1 && s.w == 1) return {s.c};
  return {s.c, s.h, s.w};
}

Expected<ChipSpikeBatch> RunChipSpikes(const ChipView& view, const NpyTensor& spikes, const std::string& spikes_path,
                                       int threads) {
  if (!view.spiking()) return Fail(ErrorCode::kInvalidArgument, "spike trains need a plan of NIR populations");
  const std::vector<int64_t> shape = SpikeInputShape(view);
  const int64_t samples = spikes.shape.size() == shape.size() + 2 ? spikes.shape[0] : 1;
  std::vector<AnalogEnergy> energies(static_cast<std::size_t>(std::max<int64_t>(samples, 1)));
  auto batch = RunSpikeBatch(shape, view.outputs(), spikes, spikes_path, threads, [&] {
    return [&, chip = std::make_shared<AnalogChip>(view)](int64_t s,
                                                           const Eigen::Ref<const Eigen::MatrixXd>& x) -> Expected<NirRun> {
      auto sample = RunSpikes(*chip, view, x);
      if (!sample) return std::unexpected(WithContext(sample.error(), spikes_path + ", sample " + std::to_string(s)));
      energies[static_cast<std::size_t>(s)] = sample->energy;
      return std::move(sample->run);
    };
  });
  if (!batch) return std::unexpected(batch.error());
  ChipSpikeBatch result{std::move(*batch), {}};
  for (const AnalogEnergy& e : energies) Accumulate(result.energy, e);
  return result;
}

}  // namespace xbar::runtime
