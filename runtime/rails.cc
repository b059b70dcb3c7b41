// A model against the chip's rails and drive limit.
#include "runtime/rails.h"

#include <cmath>
#include <cstdio>

#include "runtime/trainer.h"
#include "support/format.h"

namespace xbar::runtime {

compiler::Model WithinChipLimits(const compiler::Model& model, const device_models::ChipSpec& chip) {
  compiler::Model bounded = model;
  bounded.neuron = chip.OnChip(model.neuron);
  bounded.encoding.drive_limit_mv = chip.analog.DriveLimitMv();
  return bounded;
}

std::string RailWarning(const compiler::Model& model, const device_models::ChipSpec& chip) {
  if (model.Spiking()) return "";  // NIR populations: their own thresholds, no MIF membrane rails
  const compiler::Model chip_limits = WithinChipLimits(model, chip);
  const double low = chip_limits.neuron.rail_low_mv, high = chip_limits.neuron.rail_high_mv;
  const double drive = chip_limits.encoding.drive_limit_mv;
  const bool rails_wider = !(model.neuron.rail_low_mv >= low && model.neuron.rail_high_mv <= high);
  const bool drive_wider = model.weights.size() > 1 && !(model.encoding.drive_limit_mv <= drive);
  if (!rails_wider && !drive_wider) return "";
  const std::string model_rails =
      model.neuron.bounded() ? "[" + FormatNumber(model.neuron.rail_low_mv) + ", " + FormatNumber(model.neuron.rail_high_mv) + "] mV"
                             : "unbounded";
  const std::string model_drive =
      std::isfinite(model.encoding.drive_limit_mv) ? "+-" + FormatNumber(model.encoding.drive_limit_mv) + " mV" : "unclipped";
  return "warning: the model's membranes (" + model_rails + ") and hidden drives (" + model_drive +
         ") exceed the chip's rails [" + FormatNumber(low) + ", " + FormatNumber(high) + "] mV and driver range +-" +
         FormatNumber(drive) + " mV: on the chip (xbar infer, finetune, spice chip, which apply the chip's limits) its membranes would saturate. "
         "Measure how often with xbar compile --rails-check DATASET or xbar eval --rails-mv " + FormatNumber(low) + "," + FormatNumber(high) +
         " --drive-limit-mv " + FormatNumber(drive) + " --json, retrain within them (docs/mif.md)\n";
}

Expected<RailsCheckResult> CheckRails(const compiler::Model& model, const device_models::ChipSpec& chip,
                                      const Dataset& data, int threads) {
  const compiler::Model bounded = WithinChipLimits(model, chip);
  auto as_trained = Evaluate(model, data, threads);
  if (!as_trained) return std::unexpected(as_trained.error());
  auto within = Evaluate(bounded, data, threads);
  if (!within) return std::unexpected(within.error());
  RailsCheckResult r;
  r.images = data.size();
  r.accuracy_as_trained = as_trained->accuracy();
  r.accuracy_within = within->accuracy();
  r.within = within->range;
  r.rail_low_mv = bounded.neuron.rail_low_mv;
  r.rail_high_mv = bounded.neuron.rail_high_mv;
  r.drive_limit_mv = bounded.encoding.drive_limit_mv;
  return r;
}

std::string RailsCheckText(const RailsCheckResult& r, const std::string& dataset) {
  auto pct = [](double f) {
    char text[32];
    std::snprintf(text, sizeof text, "%.2f %%", 100 * f);
    return std::string(text);
  };
  return "rails check on " + std::to_string(r.images) + " " + dataset + " test images within the chip's rails [" +
         FormatNumber(r.rail_low_mv) + ", " + FormatNumber(r.rail_high_mv) + "] mV and drives +-" +
         FormatNumber(r.drive_limit_mv) + " mV: " + pct(r.within.at_rail_fraction()) +
         " of membrane samples at a rail (hidden layers " + pct(r.within.hidden_at_rail_fraction()) + ", output layer " +
         pct(r.within.output_at_rail_fraction()) + "), " + pct(r.within.clipped_fraction()) +
         " of drives clipped; accuracy " + pct(r.accuracy_as_trained) + " as trained, " + pct(r.accuracy_within) +
         " within them\n";
}

}  // namespace xbar::runtime
