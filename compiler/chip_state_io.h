// Reading and writing chip states (.xbcs): programmed conductances and stuck maps (xbar.v1.ChipState).
#pragma once

#include <string>
#include <string_view>

#include "device_models/chip_instance.h"
#include "support/error.h"

namespace xbar::compiler {

/// Writes `state` atomically in the checksummed container (kind "XCS1", schema version 1).
Expected<void> WriteChipState(const std::string& path, const device_models::ChipState& state);

/// Reads a chip state. kNotFound for a missing file; kDataLoss, naming the file, for a truncated,
/// corrupt, wrong-kind or wrong-version container and for tiles whose cell counts do not match the
/// tile shape, unknown stuck states or non-finite conductances.
Expected<device_models::ChipState> ReadChipState(const std::string& path);

/// Same checks on container bytes in memory; `name` stands for the path in messages.
Expected<device_models::ChipState> ParseChipState(std::string_view bytes, const std::string& name);

}  // namespace xbar::compiler
