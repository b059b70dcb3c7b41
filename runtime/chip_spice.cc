// The whole chip as one continuous-time circuit: schedule, fine-step reference, ngspice netlist.
#include "runtime/chip_spice.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string_view>

#include "device_models/mif_neuron.h"
#include "device_models/spice.h"
#include "device_models/tile_circuit.h"
#include "runtime/analog_chip.h"

namespace xbar::runtime {
namespace {

constexpr double kEdgeFraction = 0.01;   // rise and fall of every schedule pulse, of the window
constexpr double kClampConductanceS = 0.1;  // the rail clamps (0.1 mV over a rail at 10 uA)
constexpr double kMeterScale = 1e12;     // energy meters read in pJ per volt

using device_models::SpiceExprNumber;
using device_models::SpiceNumber;

// A 0/1 PWL source that is 1 over each [start, end) of `spans` (sorted, disjoint, further apart
// than `edge`), with linear edges of `edge` s centred on the span's ends, so that each pulse's area
// is its span (a span from 0 is delayed by half an edge).
std::string Pulses(const std::string& name, const std::vector<std::pair<double, double>>& spans, double edge) {
  std::string s = "v" + name + " " + name + " 0 PWL(0 0";
  int n = 1;
  for (auto [a, b] : spans) {
    const double shift = std::max(0.0, edge / 2 - a);
    const double points[4][2] = {
        {a - edge / 2 + shift, 0}, {a + edge / 2 + shift, 1}, {b - edge / 2 + shift, 1}, {b + edge / 2 + shift, 0}};
    for (const auto& p : points) {
      if (p[0] <= 0 && p[1] == 0) continue;
      s += (n++ % 4 == 0) ? "\n+ " : " ";
      s += SpiceNumber(p[0]) + " " + SpiceNumber(p[1]);
    }
  }
  return s + ")\n";
}

std::string NodeName(const char* what, int layer, int neuron) {
  return std::string(what) + "_" + std::to_string(layer) + "_" + std::to_string(neuron);
}

}  // namespace

Expected<AnalogSchedule> AnalogSchedule::Of(const compiler::Plan& plan, const ChipView& view) {
  if (auto ok = RequireMifNeurons(view); !ok) return std::unexpected(ok.error());
  for (std::size_t l = 0; l < view.layers().size(); ++l) {
    if (view.layers()[l].shape.kind == compiler::LayerKind::kConv || view.layers()[l].read_cycles != 1) {
      return Fail(ErrorCode::kInvalidArgument, "layer " + std::to_string(l) +
                                                   " is a convolution: the whole-chip circuit covers dense networks");
    }
  }
  AnalogSchedule s;
  s.step_s = plan.chip.Physical(plan.neuron).step_s;
  s.window_s = view.timing().sense_cycles / view.clock_hz();
  s.steps = view.steps();
  s.period = view.period();
  s.layers = static_cast<int>(view.layers().size());
  const double windows = s.step_s / s.window_s;
  if (!(windows >= 1) || std::abs(windows - std::round(windows)) > 1e-9 * windows) {
    return Fail(ErrorCode::kInvalidArgument, "the neuron's step " + SpiceNumber(s.step_s) + " s is not a whole number of read windows (" +
                                                 SpiceNumber(s.window_s) + " s)");
  }
  return s;
}

double AnalogWaveforms::At(int layer, int neuron, double t) const {
  const auto& v = v_mv[static_cast<std::size_t>(layer)];
  if (t <= t_s.front()) return v(neuron, 0);
  if (t >= t_s.back()) return v(neuron, static_cast<Eigen::Index>(t_s.size()) - 1);
  const auto hi = static_cast<Eigen::Index>(std::upper_bound(t_s.begin(), t_s.end(), t) - t_s.begin());
  const Eigen::Index lo = hi - 1;
  const double f = (t - t_s[static_cast<std::size_t>(lo)]) / (t_s[static_cast<std::size_t>(hi)] - t_s[static_cast<std::size_t>(lo)]);
  return v(neuron, lo) + f * (v(neuron, hi) - v(neuron, lo));
}

Expected<AnalogWaveforms> SimulateAnalog(const compiler::Plan& plan, const ChipView& view,
                                         std::span<const uint8_t> codes, int substeps_per_window) {
  auto schedule = AnalogSchedule::Of(plan, view);
  if (!schedule) return std::unexpected(schedule.error());
  if (substeps_per_window < 1) {
    return Fail(ErrorCode::kInvalidArgument, "substeps per window = " + std::to_string(substeps_per_window) + " must be >= 1");
  }
  if (codes.size() != static_cast<std::size_t>(view.inputs())) {
    return Fail(ErrorCode::kInvalidArgument, std::to_string(codes.size()) + " input codes, the network takes " +
                                                 std::to_string(view.inputs()));
  }
  const int m = substeps_per_window;
  const int per_step = static_cast<int>(std::lround(schedule->step_s / schedule->window_s)) * m;
  const double h = schedule->step_s / per_step;
  auto fine = view.neuron().WithStepScale(1.0 / per_step);
  if (!fine) return std::unexpected(fine.error());
  const device_models::PhysicalNeuron physical = plan.chip.Physical(plan.neuron);
  const int layers = schedule->layers, total = (schedule->steps + layers - 1) * per_step;

  std::vector<device_models::MifLayer<double>> neurons;
  std::vector<device_models::Arr<double>> drive;
  AnalogWaveforms w;
  w.t_s.resize(static_cast<std::size_t>(total) + 1);
  for (int k = 0; k <= total; ++k) w.t_s[static_cast<std::size_t>(k)] = k * h;
  for (const auto& layer : view.layers()) {
    neurons.emplace_back(*fine);
    neurons.back().Reset(layer.outputs, 1, total, false);
    drive.push_back(device_models::Arr<double>::Zero(layer.outputs, 1));
    w.v_mv.push_back(Eigen::MatrixXd::Zero(layer.outputs, total + 1));
  }
  Eigen::VectorXd input(view.inputs()), wl;
  for (int i = 0; i < view.inputs(); ++i) input(i) = codes[static_cast<std::size_t>(i)] / kInputCodeMax * view.v_read_v();
  const double limit = view.drive_limit_mv();
  for (int k = 0; k < total; ++k) {
    for (int l = 0; l < layers; ++l) {
      auto& v = w.v_mv[static_cast<std::size_t>(l)];
      const int local = k - l * per_step;
      if (local < 0 || local >= schedule->steps * per_step) {  // gated off: held
        v.col(k + 1) = v.col(k);
        continue;
      }
      const ChipView::Layer& spec = view.layers()[static_cast<std::size_t>(l)];
      auto& u = drive[static_cast<std::size_t>(l)];
      u.setZero();
      if (local % per_step < m && schedule->Reads(l, local / per_step)) {
        Eigen::VectorXd in = input;
        if (l > 0) {
          // The drivers follow the previous layer's membranes through their clipping.
          Eigen::ArrayXd prev = w.v_mv[static_cast<std::size_t>(l) - 1].col(k + 1).array();
          if (std::isfinite(limit)) prev = prev.max(-limit).min(limit);
          in = prev.matrix() * view.membrane_to_row_v();
        }
        for (int q : spec.tiles) {
          const ChipView::Tile& tile = view.tiles()[static_cast<std::size_t>(q)];
          TileWordLines(spec, tile, in, 0, wl);
          const Eigen::VectorXd i = tile.transfer * wl;
          for (int o = 0; o < tile.outputs; ++o) {
            u(tile.column_offset + o, 0) += i(tile.columns.plus_column(o)) - i(tile.columns.minus_column(o));
          }
          w.read_j += h * wl.array().square().matrix().dot(tile.row_conductance_s);
        }
        // The window delivers the charge of one read, gain (I+ - I-), spread over its m substeps.
        u.col(0) *= spec.gain.array() / m;
      }
      const auto& state = neurons[static_cast<std::size_t>(l)].Step(u);
      v.col(k + 1) = state.col(0).matrix();
      w.neuron_j += BranchPowerW(view.neuron(), neurons[static_cast<std::size_t>(l)].state()) * physical.alpha * h;
    }
  }
  return w;
}

std::string ChipNetlist(const compiler::Plan& plan, const std::vector<Eigen::MatrixXd>& present,
                        const ChipView& view, std::span<const uint8_t> codes, const std::string& data_path) {
  auto schedule = AnalogSchedule::Of(plan, view);
  XBAR_CHECK(schedule.has_value());
  XBAR_CHECK(codes.size() == static_cast<std::size_t>(view.inputs()));
  XBAR_CHECK(present.size() == plan.tiles.size());
  const device_models::PhysicalNeuron phys = plan.chip.Physical(plan.neuron);
  const device_models::MifParams& p = view.neuron();
  const double w = schedule->window_s, dt = schedule->step_s, edge = kEdgeFraction * w;
  const int layers = schedule->layers;
  std::string s;
  s += "xbar chip " + plan.chip.name + ": " + std::to_string(layers) + " layers, " + std::to_string(plan.tiles.size()) +
       " tiles, one image, SI units (V, A, ohm, F, s)\n";
  s += "* step " + SpiceNumber(dt) + " s, read window " + SpiceNumber(w) + " s, T = " + std::to_string(schedule->steps) +
       ", P = " + std::to_string(schedule->period) + "; layer l's step t spans [(t + l) dt, (t + l + 1) dt]\n";
  s += ".func sig(z) {1/(1+exp(-z))}\n";
  s += "* schedule: win_<l> is 1 while layer l's word lines are driven, en_<l> while its neurons run\n";
  for (int l = 0; l < layers; ++l) {
    std::vector<std::pair<double, double>> windows;
    for (int t = 0; t < schedule->steps; ++t) {
      if (schedule->Reads(l, t)) windows.emplace_back(schedule->WindowStart(l, t), schedule->WindowStart(l, t) + w);
    }
    s += Pulses("win_" + std::to_string(l), windows, edge);
    s += Pulses("en_" + std::to_string(l), {{l * dt, (schedule->steps + l) * dt}}, edge);
  }
  s += "* energy meters: 1 F integrators of the power in pW, so their volts are pJ\n";
  s += "cmeter_read eread 0 1 ic=0\nrmeter_read eread 0 1e15\ncmeter_neuron eneuron 0 1 ic=0\nrmeter_neuron eneuron 0 1e15\n";
  const double limit_v = view.drive_limit_mv() / 1e3;
  const double driver_gain = view.membrane_to_row_v() * 1e3;  // V per V of membrane
  for (std::size_t q = 0; q < plan.tiles.size(); ++q) {
    const compiler::PlanTile& pt = plan.tiles[q];
    const ChipView::Tile& tile = view.tiles()[q];
    const ChipView::Layer& layer = view.layers()[static_cast<std::size_t>(tile.layer)];
    const std::string tq = "t" + std::to_string(q) + "_", win = "V(win_" + std::to_string(tile.layer) + ")";
    s += "* tile " + std::to_string(q) + " (physical " + std::to_string(pt.physical_index) + ", layer " +
         std::to_string(tile.layer) + "): word-line drivers, metered; unused word lines held at 0 V\n";
    std::vector<int> logical(static_cast<std::size_t>(plan.chip.tiles.rows), -1);
    for (int r = 0; r < tile.rows; ++r) logical[static_cast<std::size_t>(pt.row_map[static_cast<std::size_t>(r)])] = r;
    for (int r = 0; r < plan.chip.tiles.rows; ++r) {
      const std::string rn = tq + std::to_string(r);
      const int lr = logical[static_cast<std::size_t>(r)];
      if (lr < 0) {
        s += "vz_" + rn + " in_" + rn + " 0 0\n";
        continue;
      }
      const int j = tile.row_offset + lr;
      std::string value;
      if (j >= layer.shape.fan_in()) {
        value = SpiceExprNumber(layer.bias_v);
      } else if (tile.layer == 0) {
        value = SpiceExprNumber(codes[static_cast<std::size_t>(j)] / kInputCodeMax * view.v_read_v());
      } else {
        const std::string m = "V(" + NodeName("m", tile.layer - 1, j) + ")";
        value = SpiceExprNumber(driver_gain) + "*" +
                (std::isfinite(limit_v) ? "min(max(" + m + "," + SpiceExprNumber(-limit_v) + ")," + SpiceExprNumber(limit_v) + ")" : m);
      }
      s += "bw_" + rn + " dw_" + rn + " 0 V = " + win + "*" + value + "\n";
      s += "vm_" + rn + " dw_" + rn + " in_" + rn + " 0\n";
      s += "bpw_" + rn + " 0 eread I = " + SpiceNumber(kMeterScale) + "*V(dw_" + rn + ")*I(vm_" + rn + ")\n";
    }
    auto circuit = device_models::TileCircuit::Create(present[q], plan.chip.wires);
    XBAR_CHECK(circuit.has_value());
    device_models::AppendTileElements(s, *circuit, tq);
    s += "* bit lines into the current stages' virtual grounds\n";
    for (int c = 0; c < plan.chip.tiles.columns; ++c) {
      const std::string cn = tq + std::to_string(c);
      s += "vs_" + cn + " s_" + cn + " 0 0\n";
    }
  }
  // Current stages: output o of layer l takes k (I+ - I-) from each of its tiles' pairs, k the
  // charge gain that turns one read window's differential current into the model's drive.
  const device_models::AnalogSpec& analog = plan.chip.analog;
  for (int l = 0; l < layers; ++l) {
    const ChipView::Layer& layer = view.layers()[static_cast<std::size_t>(l)];
    s += "* layer " + std::to_string(l) + ": current stages (bit-line current into the synapse, A/A)\n";
    for (int q : layer.tiles) {
      const ChipView::Tile& tile = view.tiles()[static_cast<std::size_t>(q)];
      const compiler::PlanTile& pt = plan.tiles[static_cast<std::size_t>(q)];
      for (int o = 0; o < tile.outputs; ++o) {
        const int neuron = tile.column_offset + o;
        const int plus = tile.columns.plus_column(o), minus = tile.columns.minus_column(o);
        const double k = tile.stage_gain(plus);  // the output's stage, ChipView's
        const std::string a = NodeName("a", l, neuron), id = "t" + std::to_string(q) + "_" + std::to_string(o);
        s += "fp_" + id + " 0 " + a + " vs_t" + std::to_string(q) + "_" +
             std::to_string(pt.column_map[static_cast<std::size_t>(plus)]) + " " + SpiceNumber(k * tile.column_gain(plus)) + "\n";
        s += "fm_" + id + " 0 " + a + " vs_t" + std::to_string(q) + "_" +
             std::to_string(pt.column_map[static_cast<std::size_t>(minus)]) + " " + SpiceNumber(-k * tile.column_gain(minus)) + "\n";
      }
    }
    s += "* layer " + std::to_string(l) + ": synapses (two Gm-C stages, tau_alpha " + SpiceNumber(phys.tau_alpha_s) +
         " s), membranes (C_m, memristive branches, rail clamps), memristor states\n";
    const std::string en = "V(en_" + std::to_string(l) + ")";
    const double c_m = plan.chip.analog.membrane_capacitance_f;
    const double r_leak = phys.tau_alpha_s / analog.synapse_capacitance_f;
    const double e1 = p.e1_mv / 1e3, e2 = p.e2_mv / 1e3, von = p.v_on_mv / 1e3, voff = p.v_off_mv / 1e3, kv = p.k_mv / 1e3;
    for (int n = 0; n < layer.outputs; ++n) {
      const std::string a = NodeName("a", l, n), i = NodeName("i", l, n), m = NodeName("m", l, n);
      const std::string x1 = NodeName("xa", l, n), x2 = NodeName("xb", l, n), id = std::to_string(l) + "_" + std::to_string(n);
      s += "ca_" + id + " " + a + " 0 " + SpiceNumber(analog.synapse_capacitance_f) + " ic=0\n";
      s += "ra_" + id + " " + a + " 0 " + SpiceNumber(r_leak) + "\n";
      s += "gi_" + id + " 0 " + i + " " + a + " 0 " + SpiceNumber(analog.synapse_capacitance_f / phys.tau_alpha_s) + "\n";
      s += "ci_" + id + " " + i + " 0 " + SpiceNumber(analog.synapse_capacitance_f) + " ic=0\n";
      s += "ri_" + id + " " + i + " 0 " + SpiceNumber(r_leak) + "\n";
      s += "cm_" + id + " " + m + " 0 " + SpiceNumber(c_m) + " ic=0\n";
      s += "bs_" + id + " 0 " + m + " I = " + en + "*" + SpiceNumber(analog.synapse_transconductance_s) + "*V(" + i + ")\n";
      const std::string vm = "V(" + m + ")";
      auto g = [&](const std::string& x) {
        return "(V(" + x + ")/" + SpiceNumber(phys.r_on_ohm) + "+(1-V(" + x + "))/" + SpiceNumber(phys.r_off_ohm) + ")";
      };
      const std::string d1 = "(" + vm + "-" + SpiceExprNumber(e1) + ")", d2 = "(" + vm + "-" + SpiceExprNumber(e2) + ")";
      s += "b1_" + id + " " + m + " 0 I = " + en + "*" + g(x1) + "*" + d1 + "\n";
      s += "b2_" + id + " " + m + " 0 I = " + en + "*" + g(x2) + "*" + d2 + "\n";
      if (p.bounded()) {
        s += "bc_" + id + " " + m + " 0 I = " + SpiceNumber(kClampConductanceS) + "*(max(" + vm + "-" + SpiceExprNumber(p.rail_high_mv / 1e3) +
             ",0)+min(" + vm + "-" + SpiceExprNumber(p.rail_low_mv / 1e3) + ",0))\n";
      }
      auto rate = [&](const std::string& x, const std::string& d) {
        return en + "*((1-V(" + x + "))*sig((" + d + "-" + SpiceExprNumber(von) + ")/" + SpiceNumber(kv) + ")-V(" + x + ")*sig((" + SpiceExprNumber(voff) +
               "-" + d + ")/" + SpiceNumber(kv) + "))/" + SpiceNumber(phys.tau_s);
      };
      s += "cxa_" + id + " " + x1 + " 0 1 ic=" + SpiceNumber(p.x0) + "\n";
      s += "bxa_" + id + " 0 " + x1 + " I = " + rate(x1, d1) + "\n";
      s += "cxb_" + id + " " + x2 + " 0 1 ic=" + SpiceNumber(p.x0) + "\n";
      s += "bxb_" + id + " 0 " + x2 + " I = " + rate(x2, d2) + "\n";
      s += "bpn_" + id + " 0 eneuron I = " + SpiceNumber(kMeterScale) + "*" + en + "*(" + g(x1) + "*" + d1 + "^2+" + g(x2) + "*" + d2 +
           "^2)\n";
    }
  }
  // Gear integration, time step at most two read windows (the windows' edges are breakpoints).
  s += ".options method=gear reltol=1e-4 abstol=1e-15 vntol=1e-7\n";
  s += ".tran " + SpiceNumber(w / 10) + " " + SpiceNumber(schedule->StopTime()) + " 0 " + SpiceNumber(2 * w) + " uic\n";
  s += ".control\nset wr_singlescale\nset wr_vecnames\noption numdgt=16\nrun\nwrdata " + data_path;
  int column = 0;
  for (int l = 0; l < layers; ++l) {
    for (int n = 0; n < view.layers()[static_cast<std::size_t>(l)].outputs; ++n) {
      s += (++column % 8 == 0) ? "\n+ " : " ";
      s += "v(" + NodeName("m", l, n) + ")";
    }
  }
  s += " v(eread) v(eneuron)\nquit 0\n.endc\n.end\n";
  return s;
}

Expected<AnalogWaveforms> ParseChipData(const std::string& data, const ChipView& view, double stop_s) {
  std::vector<std::string> names = {"time"};
  for (std::size_t l = 0; l < view.layers().size(); ++l) {
    for (int n = 0; n < view.layers()[l].outputs; ++n) names.push_back("v(" + NodeName("m", static_cast<int>(l), n) + ")");
  }
  names.push_back("v(eread)");
  names.push_back("v(eneuron)");
  auto table = device_models::ParseWrdata(data, names);
  if (!table) return std::unexpected(table.error());
  const auto& columns = *table;
  AnalogWaveforms w;
  if (columns[0].back() < stop_s * (1 - 1e-9)) {
    return Fail(ErrorCode::kDataLoss, "ngspice transient ends at " + SpiceNumber(columns[0].back()) + " s, before " + SpiceNumber(stop_s) + " s");
  }
  w.t_s = columns[0];
  const auto points = static_cast<Eigen::Index>(w.t_s.size());
  std::size_t c = 1;
  for (const auto& layer : view.layers()) {
    Eigen::MatrixXd v(layer.outputs, points);
    for (int n = 0; n < layer.outputs; ++n, ++c) {
      for (Eigen::Index k = 0; k < points; ++k) v(n, k) = 1e3 * columns[c][static_cast<std::size_t>(k)];
    }
    w.v_mv.push_back(std::move(v));
  }
  w.read_j = columns[c].back() / kMeterScale;
  w.neuron_j = columns[c + 1].back() / kMeterScale;
  return w;
}

int AnalogDecision(const AnalogWaveforms& w, const ChipView& view, const AnalogSchedule& schedule) {
  const int out = schedule.layers - 1;
  std::vector<int64_t> sum(static_cast<std::size_t>(view.outputs()), 0);
  for (int t = 0; t < schedule.steps; ++t) {
    for (int o = 0; o < view.outputs(); ++o) sum[static_cast<std::size_t>(o)] += OutputCode(view, w.At(out, o, schedule.SampleTime(out, t)));
  }
  return static_cast<int>(std::max_element(sum.begin(), sum.end()) - sum.begin());
}

Expected<ChipSpiceCheck> CheckChipWithNgspice(const compiler::Plan& plan, const std::vector<Eigen::MatrixXd>& present,
                                              const ChipView& view, std::span<const uint8_t> codes,
                                              int substeps_per_window) {
  auto schedule = AnalogSchedule::Of(plan, view);
  if (!schedule) return std::unexpected(schedule.error());
  auto reference = SimulateAnalog(plan, view, codes, substeps_per_window);
  if (!reference) return std::unexpected(reference.error());
  auto finer = SimulateAnalog(plan, view, codes, 2 * substeps_per_window);
  if (!finer) return std::unexpected(finer.error());
  AnalogChip chip(view);
  std::vector<Eigen::MatrixXd> deployed;
  auto run = RunImage(chip, view, codes, false, &deployed);
  if (!run) return std::unexpected(run.error());

  const auto begin = std::chrono::steady_clock::now();
  auto data = device_models::RunNgspiceData(
      [&](const std::string& path) { return ChipNetlist(plan, present, view, codes, path); });
  if (!data) return std::unexpected(data.error());
  auto spice = ParseChipData(*data, view, schedule->StopTime());
  if (!spice) return std::unexpected(spice.error());

  ChipSpiceCheck check;
  check.spice_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  check.time_points = static_cast<int>(spice->t_s.size());
  check.full_scale_mv = plan.chip.adc.output_full_scale_mv;
  const double fs = check.full_scale_mv;
  for (int l = 0; l < schedule->layers; ++l) {
    const int neurons = view.layers()[static_cast<std::size_t>(l)].outputs;
    for (int n = 0; n < neurons; ++n) {
      for (std::size_t k = 0; k < spice->t_s.size(); ++k) {
        const double t = spice->t_s[k];
        check.max_membrane_error_fs = std::max(
            check.max_membrane_error_fs, std::abs(spice->v_mv[static_cast<std::size_t>(l)](n, static_cast<Eigen::Index>(k)) -
                                                  reference->At(l, n, t)) / fs);
      }
      for (std::size_t k = 0; k < reference->t_s.size(); ++k) {
        const double t = reference->t_s[k];
        check.reference_step_error_fs =
            std::max(check.reference_step_error_fs,
                     std::abs(reference->v_mv[static_cast<std::size_t>(l)](n, static_cast<Eigen::Index>(k)) - finer->At(l, n, t)) / fs);
      }
      for (int t = 0; t < schedule->steps; ++t) {
        check.deployed_error_fs =
            std::max(check.deployed_error_fs, std::abs(deployed[static_cast<std::size_t>(l)](n, t) -
                                                       spice->At(l, n, schedule->SampleTime(l, t))) / fs);
      }
    }
  }
  check.decision_spice = AnalogDecision(*spice, view, *schedule);
  check.decision_reference = AnalogDecision(*reference, view, *schedule);
  check.decision_deployed = run->decision;
  const device_models::PhysicalNeuron phys = plan.chip.Physical(plan.neuron);
  check.spice_read_j = spice->read_j;
  check.spice_neuron_j = spice->neuron_j;
  check.reference_read_j = reference->read_j;
  check.reference_neuron_j = reference->neuron_j;
  check.deployed_read_j = run->energy.reads.read_j;
  check.deployed_neuron_j = run->energy.neuron_power_steps_w * phys.alpha * phys.step_s;
  const double spice_j = spice->read_j + spice->neuron_j;
  check.energy_rel_error = std::abs(check.deployed_read_j + check.deployed_neuron_j - spice_j) / spice_j;
  check.reference_energy_rel_error = std::abs(reference->read_j + reference->neuron_j - spice_j) / spice_j;
  return check;
}

}  // namespace xbar::runtime
