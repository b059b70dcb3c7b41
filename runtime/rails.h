// A model against the chip's analog limits (chip.analog: the membranes' supply rails and the hidden
// word-line drivers' range): whether the model's own limits are wider, and what the chip's do to
// it on test images (xbar compile's warning and --rails-check; docs/mif.md, docs/chip.md).
#pragma once

#include <cstdint>
#include <string>

#include "compiler/model.h"
#include "device_models/chip_spec.h"
#include "runtime/dataset.h"
#include "runtime/voltage_range.h"
#include "support/error.h"

namespace xbar::runtime {

/// The model with the chip's rails (ChipSpec::Physical, in the model's mV) and drive limit in
/// place of its own.
compiler::Model WithinChipLimits(const compiler::Model& model, const device_models::ChipSpec& chip);

/// One line, when the model's rails or hidden drive limit are wider than the chip's (or absent):
/// what they are, the chip's, and how to measure and fix it. Empty when the model fits.
std::string RailWarning(const compiler::Model& model, const device_models::ChipSpec& chip);

/// The model on `data` as trained and within the chip's limits.
struct RailsCheckResult {
  int64_t images = 0;
  double accuracy_as_trained = 0, accuracy_within = 0;
  VoltageRange within;  // membranes at a rail (hidden and output layers), drives clipped
  double rail_low_mv = 0, rail_high_mv = 0, drive_limit_mv = 0;
};
Expected<RailsCheckResult> CheckRails(const compiler::Model& model, const device_models::ChipSpec& chip,
                                      const Dataset& data, int threads = 0);
/// One line saying it (xbar compile --rails-check).
std::string RailsCheckText(const RailsCheckResult& result, const std::string& dataset);

}  // namespace xbar::runtime
