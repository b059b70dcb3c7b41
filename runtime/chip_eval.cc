// Chip evaluation: the test set through a programmed chip at each age and compensation, with energy and latency.
#include "runtime/chip_eval.h"

#include <bit>
#include <chrono>
#include <cmath>
#include <functional>
#include <utility>

#include "support/rng.h"

namespace xbar::runtime {
namespace {

constexpr uint64_t kReferenceStream = 1;  // DeriveSeed streams of the run seed
constexpr uint64_t kAgeStream = 2;

}  // namespace

std::vector<Eigen::MatrixXd> ReferenceReads(const compiler::Plan& plan, const device_models::ChipInstance& chip,
                                            const ChipEvalOptions& options) {
  return ReadConductances(plan, chip,
                          {.age_s = plan.chip.device.nonidealities.drift.t0_s, .drift = options.drift,
                           .read_noise = options.read_noise, .seed = DeriveSeed(options.seed, kReferenceStream)},
                          options.threads);
}

std::vector<Eigen::MatrixXd> ReadsAtAge(const compiler::Plan& plan, const device_models::ChipInstance& chip,
                                        double age_s, const ChipEvalOptions& options) {
  return ReadConductances(
      plan, chip,
      {.age_s = age_s, .drift = options.drift, .read_noise = options.read_noise,
       .seed = DeriveSeed(DeriveSeed(options.seed, kAgeStream), std::bit_cast<uint64_t>(age_s))},
      options.threads);
}

Expected<double> CalibrateOnReference(const compiler::Plan& plan, const std::vector<Eigen::MatrixXd>& reference,
                                      const Dataset& calibration, const ChipEvalOptions& options) {
  auto view = ChipView::Create(plan, reference, nullptr,
                               {.ir_drop = options.ir_drop, .timing = options.timing, .threads = options.threads});
  if (!view) return std::unexpected(view.error());
  auto gain = CalibrateOutputGain(*view, calibration, options.threads);
  if (!gain) return std::unexpected(WithContext(gain.error(), "output calibration"));
  return *gain;
}

Expected<ChipAtAge> ChipViewAtAge(const compiler::Plan& plan, const device_models::ChipInstance& chip,
                                  const Dataset& calibration, const ChipEvalOptions& options, double age_s,
                                  DriftCompensation compensation) {
  const auto reference = ReferenceReads(plan, chip, options);
  auto gain = CalibrateOnReference(plan, reference, calibration, options);
  if (!gain) return std::unexpected(gain.error());
  ChipAtAge at{ReadsAtAge(plan, chip, age_s, options), {}};
  auto view = ChipView::Create(plan, at.present, &reference,
                               {.ir_drop = options.ir_drop, .compensation = compensation, .timing = options.timing,
                                .threads = options.threads});
  if (!view) return std::unexpected(view.error());
  at.view = std::move(*view);
  at.view.set_output_gain(*gain);
  return at;
}

namespace {

// Energy per sample and the voltage ranges of a run of `n` samples with energy `e` (ChipEvalReport).
void ReportEnergy(const compiler::Plan& plan, const AnalogEnergy& e, double n, const ChipEvalOptions& options,
                  ChipEvalReport& report) {
  const device_models::AnalogSpec& analog = plan.chip.analog;
  // A stage draws what it delivers from the rail of the current's sign: on average half the
  // supply span (1 V for the +-1 V rails).
  const double supply_v = 0.5 * (analog.rail_high_v - analog.rail_low_v);
  report.read_energy_j = e.reads.read_j / n;
  report.driver_energy_j = (e.reads.driver_j - e.reads.read_j) / n;
  report.current_stage_energy_j = supply_v * e.reads.stage_c / n;
  bool adc = true;
  if (!plan.populations.empty()) {
    // The integrate-and-fire circuits: the charge their capacitors took and gave back, at the
    // supply; their synapses are in that charge. A spiking output is latched, not converted.
    report.neuron_energy_j = supply_v * e.spiking_charge_c / n;
    report.synapse_energy_j = 0;
    adc = !plan.populations.back().Spikes();
  } else {
    // The neuron circuit the chip builds (docs/chip.md "The analog chain in SI units"): its
    // branches' conductances are alpha times the model's, a model current unit is A_u amperes.
    const device_models::PhysicalNeuron neuron = plan.chip.Physical(plan.neuron);
    report.neuron_energy_j = e.neuron_power_steps_w * neuron.alpha * neuron.step_s / n;
    report.synapse_energy_j = supply_v * neuron.amps_per_unit *
                              (neuron.step_s * e.synapse_out_units +
                               analog.synapse_capacitance_f / analog.synapse_transconductance_s * e.synapse_in_units) /
                              n;
  }
  report.adc_energy_j =
      adc ? static_cast<double>(e.conversions) * options.adc_fom_j * std::ldexp(1.0, plan.chip.adc.output_bits) / n : 0;
  report.tile_reads_per_image = static_cast<double>(e.tile_reads) / n;
  report.peak_membrane_v = e.range.peak_membrane_mv * 1e-3;
  report.membrane_at_rail_fraction = e.range.at_rail_fraction();
  report.drive_clipped_fraction = e.range.clipped_fraction();
}

// What a point's run gives the report.
struct PointRun {
  int64_t correct = 0, samples = 0;
  uint64_t cycles_per_sample = 0;
  AnalogEnergy energy;
};
using RunPoint = std::function<Expected<PointRun>(const ChipView& view, bool first)>;

// The loop of EvaluateChip and EvaluateChipSpikes: ages outer, compensation modes inner, each
// point's view read from the chip at its age, its run by `run`, the first point's energy reported.
Expected<void> EvaluatePoints(const compiler::Plan& plan, const device_models::ChipInstance& chip,
                              const std::vector<Eigen::MatrixXd>& reference, const ChipEvalOptions& options,
                              const RunPoint& run, ChipEvalReport& report) {
  const auto start = std::chrono::steady_clock::now();
  const double t0 = plan.chip.device.nonidealities.drift.t0_s;
  std::vector<double> ages = options.ages_s.empty() ? std::vector<double>{t0} : options.ages_s;
  for (double age : ages) {
    if (!std::isfinite(age) || age < 0) {
      return Fail(ErrorCode::kInvalidArgument, "age " + std::to_string(age) + " s must be finite and >= 0");
    }
  }
  ChipViewOptions view_options{.ir_drop = options.ir_drop, .compensation = DriftCompensation::kNone,
                               .timing = options.timing, .threads = options.threads};
  bool first = true;
  for (double age : ages) {
    const auto present = ReadsAtAge(plan, chip, age, options);
    const auto views_start = std::chrono::steady_clock::now();
    auto views = ChipView::CreateModes(plan, present, &reference, view_options, options.compensations);
    if (!views) return std::unexpected(views.error());
    const double views_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - views_start).count();
    for (std::size_t m = 0; m < views->size(); ++m) {
      ChipView* view = &(*views)[m];
      const auto point_start = std::chrono::steady_clock::now();
      view->set_output_gain(report.output_gain);
      auto result = run(*view, first);
      if (!result) return std::unexpected(result.error());
      AgePoint p;
      p.age_s = age;
      p.compensation = options.compensations[m];
      p.correct = result->correct;
      p.images = result->samples;
      p.accuracy = p.images > 0 ? static_cast<double>(p.correct) / static_cast<double>(p.images) : 0.0;
      p.global_gain = view->global_gain();
      p.min_column_gain = view->min_column_gain();
      p.max_column_gain = view->max_column_gain();
      p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - point_start).count() +
                  views_seconds / static_cast<double>(views->size());
      report.points.push_back(p);
      if (first && p.images > 0) {
        first = false;
        report.cycles_per_image = result->cycles_per_sample;
        report.latency_s = static_cast<double>(result->cycles_per_sample) / plan.chip.clock_hz;
        ReportEnergy(plan, result->energy, static_cast<double>(p.images), options, report);
      }
    }
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return {};
}

}  // namespace

Expected<ChipEvalReport> EvaluateChip(const compiler::Plan& plan, const device_models::ChipInstance& chip,
                                      const Dataset& test, const Dataset& calibration, ChipBackend& backend,
                                      const ChipEvalOptions& options) {
  // Reference reads right after programming: drift compensation's baseline and the calibration.
  const auto reference = ReferenceReads(plan, chip, options);
  ChipEvalReport report;
  auto gain = CalibrateOnReference(plan, reference, calibration, options);
  if (!gain) return std::unexpected(gain.error());
  report.output_gain = *gain;
  auto ok = EvaluatePoints(plan, chip, reference, options, [&](const ChipView& view, bool) -> Expected<PointRun> {
    auto run = backend.Infer(view, test, {.limit = options.limit, .threads = options.threads});
    if (!run) return std::unexpected(run.error());
    return PointRun{run->correct, static_cast<int64_t>(run->images.size()), run->cycles_per_image, run->energy};
  }, report);
  if (!ok) return std::unexpected(ok.error());
  return report;
}

Expected<ChipEvalReport> EvaluateChipSpikes(const compiler::Plan& plan, const device_models::ChipInstance& chip,
                                            const SpikeInputs& inputs, ChipBackend& backend,
                                            const ChipEvalOptions& options, NirBatch* first_batch) {
  const auto reference = ReferenceReads(plan, chip, options);
  ChipEvalReport report;
  auto ok = EvaluatePoints(plan, chip, reference, options, [&](const ChipView& view, bool first) -> Expected<PointRun> {
    auto run = backend.InferSpikes(view, inputs.spikes, inputs.spikes_path, options.threads);
    if (!run) return std::unexpected(run.error());
    PointRun point{0, run->batch.samples, run->cycles_per_sample, run->energy};
    if (inputs.labels != nullptr) {
      auto correct = run->batch.Correct(*inputs.labels, inputs.labels_path);
      if (!correct) return std::unexpected(correct.error());
      point.correct = *correct;
    }
    if (first && first_batch != nullptr) *first_batch = std::move(run->batch);
    return point;
  }, report);
  if (!ok) return std::unexpected(ok.error());
  return report;
}

}  // namespace xbar::runtime
