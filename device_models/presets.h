// Device presets from published measurements: memristor pulse response plus its nonidealities.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "device_models/memristor.h"
#include "device_models/nonidealities.h"
#include "support/error.h"

namespace xbar::device_models {

/// A device technology: its pulse response, spreads and nonidealities, with provenance.
struct DevicePreset {
  /// Short name used on the command line, e.g. "pcm-nandakumar2019".
  std::string name;
  /// One line: where the numbers come from (details in docs/devices.md).
  std::string source;
  MemristorParams memristor;
  Nonidealities nonidealities;
};

/// PCM (doped Ge2Sb2Te5, mushroom cell): programming noise, drift and 1/f read noise of
/// Nandakumar et al., ICECS 2019, as modelled by aihwkit's PCMLikeNoiseModel; g_max 25 µS.
DevicePreset PcmNandakumar2019();

/// HfOx RRAM (1T1R): programming noise and relaxation of Wan et al., Nature 2022 (aihwkit's
/// ReRamWan2022NoiseModel fits), window 1–40 µS; pulse spreads of Gong & Rasch et al., IEDM 2022;
/// stuck-at rates of Chen et al., IEEE Trans. Comput. 2015.
DevicePreset RramHfO2Wan2022();

/// Names PresetByName accepts, in a stable order.
std::vector<std::string> PresetNames();

/// The preset called `name`; kInvalidArgument listing the known names otherwise.
Expected<DevicePreset> PresetByName(std::string_view name);

}  // namespace xbar::device_models
