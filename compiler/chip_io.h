// Reading and writing chip descriptions: protobuf text format (xbar.v1.Chip) <-> ChipSpec.
#pragma once

#include <string>
#include <string_view>

#include "device_models/chip_spec.h"
#include "support/error.h"

namespace xbar::compiler {

/// Reads a chip description in protobuf text format (chips/*.textproto; docs/chip.md). Fields
/// left out keep the default chip's values; `device { preset: "..." }` starts the device from a
/// preset before the device's own fields override it. Errors: kNotFound for a missing file;
/// kDataLoss for everything wrong inside it, as one line: syntax errors, unknown fields and enum
/// values as `path:LINE:COLUMN: message` (1-based), unknown presets likewise (naming the known
/// ones), non-physical values as `path: field = value ... limit`.
Expected<device_models::ChipSpec> ReadChipText(const std::string& path);

/// Same as ReadChipText on text already in memory; `name` stands for the path in messages.
Expected<device_models::ChipSpec> ParseChipText(std::string_view text, const std::string& name);

/// The text form of `chip`, every field written out (the preset name is kept as provenance; the
/// explicit values override it on reading). Does not validate.
std::string FormatChipText(const device_models::ChipSpec& chip);

/// Validates `chip` (kInvalidArgument, prefixed with the path) and writes FormatChipText
/// atomically: a reader never sees a half-written file.
Expected<void> WriteChipText(const std::string& path, const device_models::ChipSpec& chip);

}  // namespace xbar::compiler
