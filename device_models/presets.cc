// Device presets: every number with its source (the why is in docs/devices.md).
#include "device_models/presets.h"

namespace xbar::device_models {

DevicePreset PcmNandakumar2019() {
  DevicePreset p;
  p.name = "pcm-nandakumar2019";
  p.source =
      "Nandakumar et al., ICECS 2019 (aihwkit PCMLikeNoiseModel); pulse spreads of aihwkit "
      "PCMPresetDevice (Nandakumar et al., Front. Neurosci. 2020); pulse shape representative";
  MemristorParams& m = p.memristor;
  m.g_min_s = 0.1e-6;  // representative amorphous (RESET) state, ~10 MOhm
  m.g_max_s = 25e-6;   // aihwkit PCMLikeNoiseModel reference g_max
  // Gradual, saturating SET (crystallisation): tens of 50 ns pulses span the window.
  m.set = {.v_threshold_v = 1.0, .v_ref_v = 1.4, .width_ref_s = 50e-9, .step_ref = 0.1,
           .amplitude_exponent = 2.0, .bound_exponent = 1.0, .step_std = 0.6};
  // Abrupt RESET (melt-quench): one reference pulse takes G to within e^-5 of g_min.
  m.reset = {.v_threshold_v = 1.6, .v_ref_v = 2.2, .width_ref_s = 20e-9, .step_ref = 5.0,
             .amplitude_exponent = 2.0, .bound_exponent = 1.0, .step_std = 0.1};
  m.g_min_dtod = 0.0;         // PCMPresetDevice w_min_dtod
  m.g_max_dtod = 0.1;         // PCMPresetDevice w_max_dtod
  m.step_dtod = 0.2;          // PCMPresetDevice dw_min_dtod
  m.set_reset_dtod = 0.05;    // PCMPresetDevice up_down_dtod
  m.v_threshold_dtod = 0.05;  // representative

  Nonidealities& n = p.nonidealities;
  // sigma = -1.1731 g^2 + 1.9650 g + 0.26348 uS, g = G / 25 uS.
  n.programming.sigma_poly_s = {0.26348e-6, 1.9650e-6, -1.1731e-6, 0.0, 0.0};
  n.programming.g_ref_s = 25e-6;
  // Q = min(0.0088 / g^0.65, 0.2), sigma = Q G sqrt(ln((t + t_read) / (2 t_read))).
  n.read.q_coeff = 0.0088;
  n.read.q_exponent = 0.65;
  n.read.q_max = 0.2;
  n.read.g_ref_s = 25e-6;
  n.read.t_read_s = 250e-9;
  // nu mean = clip(-0.0155 ln g + 0.0244, 0.049, 0.1), std = clip(-0.0125 ln g - 0.0059, 0.008,
  // 0.045), nu = |mean + std z|, t0 = 20 s.
  n.drift.t0_s = 20.0;
  n.drift.nu_mean = {.slope = -0.0155, .intercept = 0.0244, .min = 0.049, .max = 0.1};
  n.drift.nu_std = {.slope = -0.0125, .intercept = -0.0059, .min = 0.008, .max = 0.045};
  n.drift.g_ref_s = 25e-6;
  n.drift.fold = true;
  // No stuck-at statistics in the source.
  n.stuck.enabled = false;
  return p;
}

DevicePreset RramHfO2Wan2022() {
  DevicePreset p;
  p.name = "rram-hfo2-wan2022";
  p.source =
      "Wan et al., Nature 2022 (aihwkit ReRamWan2022NoiseModel fits); spreads of Gong & Rasch "
      "et al., IEDM 2022 (aihwkit ReRamArrayHfO2PresetDevice); stuck-at of Chen et al., IEEE "
      "Trans. Comput. 2015; pulse shape representative";
  MemristorParams& m = p.memristor;
  m.g_min_s = 1e-6;   // representative low end of the 0-40 uS range the fits cover
  m.g_max_s = 40e-6;  // reference g_max of the Wan 2022 fits
  m.set = {.v_threshold_v = 0.7, .v_ref_v = 1.0, .width_ref_s = 100e-9, .step_ref = 0.03,
           .amplitude_exponent = 2.0, .bound_exponent = 1.0, .step_std = 0.22};
  m.reset = {.v_threshold_v = 0.9, .v_ref_v = 1.3, .width_ref_s = 100e-9, .step_ref = 0.05,
             .amplitude_exponent = 3.0, .bound_exponent = 1.5, .step_std = 0.22};
  m.g_min_dtod = 0.3;         // representative (HRS spreads exceed LRS spreads)
  m.g_max_dtod = 0.21;        // Gong & Rasch w_max_dtod 0.43 about mid-window -> ~0.21 of g_max
  m.step_dtod = 0.71;         // Gong & Rasch dw_min_dtod 0.7125 (log-normal)
  m.set_reset_dtod = 0.01;    // Gong & Rasch up_down_dtod
  m.v_threshold_dtod = 0.05;  // representative

  Nonidealities& n = p.nonidealities;
  // sigma(g) at t = 1 s, 4th-order fit to Wan 2022 Extended Data Fig. 3, g = G / 40 uS.
  n.programming.sigma_poly_s = {0.348e-6, 16.030e-6, -43.853e-6, 45.393e-6, -16.815e-6};
  n.programming.g_ref_s = 40e-6;
  // About 1 % short-term read noise (aihwkit's note to this model); no 1/f data in the source.
  n.read.sigma_rel = 0.01;
  n.read.q_coeff = 0.0;
  n.read.g_ref_s = 40e-6;
  // Relaxation: zero-mean exponent whose spread reproduces the growth of sigma from the 1 s to the
  // 1 day fit (our fit, docs/devices.md): nu std = clip(-0.0138 ln g + 0.0050, 0.005, 0.05).
  n.drift.t0_s = 1.0;
  n.drift.nu_mean = {.slope = 0.0, .intercept = 0.0, .min = 0.0, .max = 0.0};
  n.drift.nu_std = {.slope = -0.0138, .intercept = 0.0050, .min = 0.005, .max = 0.05};
  n.drift.g_ref_s = 40e-6;
  n.drift.fold = false;
  // SA1 (stuck at low resistance) 9.04 %, SA0 (stuck at high resistance) 1.75 %.
  n.stuck.p_stuck_on = 0.0904;
  n.stuck.p_stuck_off = 0.0175;
  n.stuck.p_stuck_value = 0.0;
  return p;
}

std::vector<std::string> PresetNames() { return {"pcm-nandakumar2019", "rram-hfo2-wan2022"}; }

Expected<DevicePreset> PresetByName(std::string_view name) {
  if (name == "pcm-nandakumar2019") return PcmNandakumar2019();
  if (name == "rram-hfo2-wan2022") return RramHfO2Wan2022();
  std::string known;
  for (const auto& n : PresetNames()) known += (known.empty() ? "" : ", ") + n;
  return Fail(ErrorCode::kInvalidArgument,
              "unknown device preset '" + std::string(name) + "' (use one of: " + known + ")");
}

}  // namespace xbar::device_models
