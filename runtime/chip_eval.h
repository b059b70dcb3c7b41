// Accuracy of a programmed chip over its life: for each age and drift-compensation mode, the test
// set through the chip (either backend), with energy and latency per image (docs/inference.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/plan.h"
#include "device_models/chip_instance.h"
#include "runtime/backend.h"
#include "runtime/analog_chip.h"
#include "runtime/chip_spikes.h"
#include "runtime/dataset.h"
#include "support/error.h"

namespace xbar::runtime {

struct ChipEvalOptions {
  std::vector<double> ages_s;  // times since programming (s); empty: the drift t0 (first read)
  std::vector<DriftCompensation> compensations = {DriftCompensation::kNone};
  bool ir_drop = true;
  bool drift = true;
  bool read_noise = true;
  InferenceTiming timing;
  uint64_t seed = 1;      // read-noise realisations (one per age) and the calibration reads
  int64_t limit = 0;      // test images (0: all)
  int threads = 0;
  /// Output ADC energy per conversion step (J): Walden figure of merit, E = FOM 2^bits.
  double adc_fom_j = 10e-15;
};

/// One (age, compensation) point.
struct AgePoint {
  double age_s = 0;
  DriftCompensation compensation = DriftCompensation::kNone;
  int64_t correct = 0, images = 0;
  double accuracy = 0;
  double global_gain = 1, min_column_gain = 1, max_column_gain = 1;
  double seconds = 0;
};

struct ChipEvalReport {
  double output_gain = 1;             // calibrated output amplifier gain
  std::vector<AgePoint> points;       // ages outer, compensations inner, in the order given
  uint64_t cycles_per_image = 0;      // controller cycles: load inputs + one inference
  double latency_s = 0;               // cycles_per_image / clock
  // Energy per image, J (docs/inference.md "Energy"): the crossbar reads (V² G t_sense in the
  // cells), the word-line drivers beyond that (their draw from the analog rails), the current
  // stages and the synapses (class AB: each stage draws from a rail only the current it delivers,
  // at half the supply span), the neurons' memristor branches, the output conversions.
  double read_energy_j = 0;
  double driver_energy_j = 0;
  double current_stage_energy_j = 0;
  double synapse_energy_j = 0;
  double neuron_energy_j = 0;
  double adc_energy_j = 0;
  double tile_reads_per_image = 0;
  // The voltage ranges over the first point's run (runtime/voltage_range.h): largest |membrane|,
  // V; fraction of neuron-steps at a rail; of hidden neuron-steps, fraction with a clipped drive.
  double peak_membrane_v = 0;
  double membrane_at_rail_fraction = 0;
  double drive_clipped_fraction = 0;
  double seconds = 0;

  double energy_j() const {
    return read_energy_j + driver_energy_j + current_stage_energy_j + synapse_energy_j + neuron_energy_j + adc_energy_j;
  }
};

/// The conductances reads see right after programming (the drift t0: drift compensation's
/// reference and the output calibration) and at `age_s`, with the read-noise realisations
/// EvaluateChip draws for `options.seed` (so a single image can be rerun on the chip it saw).
std::vector<Eigen::MatrixXd> ReferenceReads(const compiler::Plan& plan, const device_models::ChipInstance& chip,
                                            const ChipEvalOptions& options);
std::vector<Eigen::MatrixXd> ReadsAtAge(const compiler::Plan& plan, const device_models::ChipInstance& chip,
                                        double age_s, const ChipEvalOptions& options);

/// The output amplifier's gain, calibrated on `calibration` through the chip as it reads right
/// after programming (`reference`, ReferenceReads), as EvaluateChip calibrates it.
Expected<double> CalibrateOnReference(const compiler::Plan& plan, const std::vector<Eigen::MatrixXd>& reference,
                                      const Dataset& calibration, const ChipEvalOptions& options);

/// The programmed chip as EvaluateChip sees it at one age and compensation mode: the conductances
/// its reads see then and the view over them, output amplifier calibrated.
struct ChipAtAge {
  std::vector<Eigen::MatrixXd> present;
  ChipView view;
};
Expected<ChipAtAge> ChipViewAtAge(const compiler::Plan& plan, const device_models::ChipInstance& chip,
                                  const Dataset& calibration, const ChipEvalOptions& options, double age_s,
                                  DriftCompensation compensation);

/// Runs `test` through the programmed chip `chip` (conductances as programmed; reads see them at
/// each age) on `backend`. The output amplifier is calibrated once on `calibration` (training
/// images) at the drift reference time, drift compensation against reference reads taken then.
Expected<ChipEvalReport> EvaluateChip(const compiler::Plan& plan, const device_models::ChipInstance& chip,
                                      const Dataset& test, const Dataset& calibration, ChipBackend& backend,
                                      const ChipEvalOptions& options);

/// Spike trains for EvaluateChipSpikes: the array (RunChipSpikes's layout), the file it came from,
/// and optionally a class label per sample (ReadNirLabels) and their file.
struct SpikeInputs {
  const NpyTensor& spikes;
  std::string spikes_path;
  const std::vector<int>* labels = nullptr;
  std::string labels_path;
};

/// EvaluateChip for a NIR plan: the spike trains through the chip at each age and compensation
/// mode (AgePoint::images counts samples; correct and accuracy need labels). The output amplifier
/// keeps gain 1 (spiking outputs are latched, not converted). `first_batch`, if given, receives
/// the first point's outputs.
Expected<ChipEvalReport> EvaluateChipSpikes(const compiler::Plan& plan, const device_models::ChipInstance& chip,
                                            const SpikeInputs& inputs, ChipBackend& backend,
                                            const ChipEvalOptions& options, NirBatch* first_batch = nullptr);

}  // namespace xbar::runtime
