// ChipView: the programmed chip's conductances at an age and the transfer matrices its reads see.
#include "runtime/chip_view.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <optional>
#include <sstream>
#include <string>
#include <utility>

#include "device_models/tile_circuit.h"
#include "device_models/nonidealities.h"
#include "runtime/latency.h"
#include "support/format.h"
#include "support/rng.h"
#include "support/threads.h"

namespace xbar::runtime {
namespace {

constexpr uint64_t kReadNoiseStream = 2;  // DeriveSeed stream of the read-noise realisation

// Currents of a tile's used bit lines with every used word line at `v` volts, with IR drop (one
// exact solve) or without.
Eigen::VectorXd ReferenceCurrents(const compiler::PlanTile& tile, const Eigen::MatrixXd& g,
                                  const device_models::TileWires& wires, double v, bool ir_drop) {
  Eigen::MatrixXd drive = Eigen::MatrixXd::Zero(g.rows(), 1);
  for (int line : tile.row_map) drive(line, 0) = v;
  if (!ir_drop) return (g.transpose() * drive).col(0)(tile.column_map);
  auto circuit = device_models::TileCircuit::Create(g, wires);
  XBAR_CHECK(circuit.has_value());
  auto solution = circuit->Solve(drive);
  XBAR_CHECK(solution.has_value());
  return solution->currents.col(0)(tile.column_map);
}

// Per output position of a convolution, per fan-in element (c, ky, kx): the index of the pooled
// input it reads (channel-major), or -1 where the kernel overlaps the zero padding.
std::vector<int> PatchIndex(const compiler::LayerShape& shape) {
  const compiler::Shape3 in = shape.input(), out = shape.output();
  const int k = shape.kernel, fan_in = shape.fan_in();
  std::vector<int> index(static_cast<std::size_t>(out.h) * out.w * fan_in, -1);
  for (int oy = 0; oy < out.h; ++oy) {
    for (int ox = 0; ox < out.w; ++ox) {
      int* row = &index[(static_cast<std::size_t>(oy) * out.w + ox) * fan_in];
      for (int c = 0; c < in.c; ++c) {
        for (int ky = 0; ky < k; ++ky) {
          const int y = oy * shape.stride - shape.padding + ky;
          for (int kx = 0; kx < k; ++kx) {
            const int x = ox * shape.stride - shape.padding + kx;
            if (y >= 0 && y < in.h && x >= 0 && x < in.w) row[(c * k + ky) * k + kx] = (c * in.h + y) * in.w + x;
          }
        }
      }
    }
  }
  return index;
}

}  // namespace

std::vector<Eigen::MatrixXd> ReadConductances(const compiler::Plan& plan,
                                              const device_models::ChipInstance& chip,
                                              const ReadConditions& conditions, int threads) {
  device_models::Nonidealities n = chip.spec().device.nonidealities;
  n.drift.enabled = n.drift.enabled && conditions.drift;
  n.read.enabled = n.read.enabled && conditions.read_noise;
  const uint64_t noise_seed = DeriveSeed(conditions.seed, kReadNoiseStream);
  const int rows = chip.rows(), columns = chip.columns();
  std::vector<Eigen::MatrixXd> g(plan.tiles.size(), Eigen::MatrixXd(rows, columns));
  const int lines = static_cast<int>(plan.tiles.size()) * rows;
#pragma omp parallel for schedule(static) num_threads(ThreadCount(threads))
  for (int line = 0; line < lines; ++line) {
    const int p = line / rows, r = line % rows;
    const int tile = plan.tiles[static_cast<std::size_t>(p)].physical_index;
    Rng rng(DeriveSeed(noise_seed, static_cast<uint64_t>(tile) * static_cast<uint64_t>(rows) +
                                       static_cast<uint64_t>(r)));
    for (int c = 0; c < columns; ++c) {
      g[static_cast<std::size_t>(p)](r, c) = device_models::ReadConductance(
          n, chip.Device(tile, r, c), chip.Conductance(tile, r, c), conditions.age_s, rng);
    }
  }
  return g;
}

std::string_view DriftCompensationName(DriftCompensation compensation) {
  switch (compensation) {
    case DriftCompensation::kNone: return "none";
    case DriftCompensation::kGlobal: return "global";
    case DriftCompensation::kColumn: return "column";
  }
  return "unknown";
}

Expected<DriftCompensation> ParseDriftCompensation(std::string_view name) {
  for (auto c : {DriftCompensation::kNone, DriftCompensation::kGlobal, DriftCompensation::kColumn}) {
    if (name == DriftCompensationName(c)) return c;
  }
  return Fail(ErrorCode::kInvalidArgument, "drift compensation '" + std::string(name) +
                                               "' is not one of none, global, column");
}

Expected<ChipView> ChipView::Create(const compiler::Plan& plan,
                                    const std::vector<Eigen::MatrixXd>& present,
                                    const std::vector<Eigen::MatrixXd>* reference,
                                    const ChipViewOptions& options) {
  auto views = CreateModes(plan, present, reference, options, {options.compensation});
  if (!views) return std::unexpected(views.error());
  return std::move(views->front());
}

Expected<std::vector<ChipView>> ChipView::CreateModes(const compiler::Plan& plan,
                                                      const std::vector<Eigen::MatrixXd>& present,
                                                      const std::vector<Eigen::MatrixXd>* reference,
                                                      const ChipViewOptions& options,
                                                      const std::vector<DriftCompensation>& modes) {
  const auto& geometry = plan.chip.tiles;
  auto check = [&](const std::vector<Eigen::MatrixXd>& g, const char* what) -> Expected<void> {
    if (g.size() != plan.tiles.size()) {
      return Fail(ErrorCode::kInvalidArgument,
                  std::string(what) + ": " + std::to_string(g.size()) +
                      " conductance matrices for a plan of " + std::to_string(plan.tiles.size()) +
                      " tiles");
    }
    for (std::size_t t = 0; t < g.size(); ++t) {
      if (g[t].rows() != geometry.rows || g[t].cols() != geometry.columns || !g[t].allFinite() ||
          (g[t].array() < 0).any()) {
        return Fail(ErrorCode::kInvalidArgument,
                    std::string(what) + ": conductances of plan tile " + std::to_string(t) +
                        " must be " + std::to_string(geometry.rows) + "x" +
                        std::to_string(geometry.columns) + " finite, non-negative siemens");
      }
    }
    return {};
  };
  if (auto ok = check(present, "chip view"); !ok) return std::unexpected(ok.error());
  const bool compensate = std::any_of(modes.begin(), modes.end(),
                                      [](DriftCompensation m) { return m != DriftCompensation::kNone; });
  if (compensate) {
    if (reference == nullptr) {
      return Fail(ErrorCode::kInvalidArgument, "drift compensation needs the reference reads");
    }
    if (auto ok = check(*reference, "drift reference"); !ok) return std::unexpected(ok.error());
  }
  if (options.timing.sense_cycles < 1 || options.timing.neuron_cycles < 1) {
    return Fail(ErrorCode::kInvalidArgument, "inference timing: sense and neuron cycles must be >= 1");
  }

  ChipView view;
  // The chip's physics, not the model's: membranes are held by the chip's supply rails and hidden
  // drives clip at its drivers' range, whatever limits the model was trained with (xbar compile
  // warns when they are wider; docs/chip.md).
  view.neuron_ = plan.chip.OnChip(plan.neuron);
  view.spiking_ = !plan.populations.empty();
  view.steps_ = plan.encoding.steps;
  view.period_ = plan.encoding.period;
  view.output_bits_ = plan.chip.adc.output_bits;
  view.output_lsb_mv_ = 2.0 * plan.chip.adc.output_full_scale_mv / std::ldexp(1.0, view.output_bits_);
  view.v_read_v_ = plan.chip.v_read_v;
  view.membrane_capacitance_f_ = plan.chip.analog.membrane_capacitance_f;
  view.membrane_to_row_v_ = plan.chip.analog.driver_gain / 1e3;  // V per mV
  view.readout_scale_ = plan.encoding.readout_scale;
  view.drive_limit_mv_ = plan.chip.analog.DriveLimitMv();
  view.timing_ = options.timing;
  view.clock_hz_ = plan.chip.clock_hz;
  view.physical_to_plan_.assign(static_cast<std::size_t>(geometry.count), -1);

  const int n = static_cast<int>(plan.tiles.size());
  view.tiles_.resize(plan.tiles.size());
  std::vector<Eigen::VectorXd> ref_i(plan.tiles.size()), now_i(plan.tiles.size());
#pragma omp parallel for schedule(dynamic) num_threads(ThreadCount(options.threads))
  for (int t = 0; t < n; ++t) {
    const compiler::PlanTile& pt = plan.tiles[static_cast<std::size_t>(t)];
    const Eigen::MatrixXd& g = present[static_cast<std::size_t>(t)];
    Tile& tile = view.tiles_[static_cast<std::size_t>(t)];
    tile.layer = pt.layer;
    tile.replica = pt.replica;
    tile.physical = pt.physical_index;
    tile.row_offset = pt.row_offset;
    tile.column_offset = pt.column_offset;
    tile.rows = pt.rows;
    tile.outputs = pt.outputs;
    tile.used_columns = pt.used_columns;
    tile.columns = plan.Layout(pt);
    if (options.ir_drop) {
      auto circuit = device_models::TileCircuit::Create(g, plan.chip.wires);
      XBAR_CHECK(circuit.has_value());  // shapes and values checked above, wires by the chip
      tile.transfer = circuit->EffectiveMatrix()(pt.column_map, pt.row_map);
    } else {
      tile.transfer = pt.UsedBlock(g).transpose();
    }
    tile.row_conductance_s = g(pt.row_map, Eigen::all).rowwise().sum();
    tile.column_gain = Eigen::VectorXd::Ones(pt.used_columns);
    if (compensate) {
      // The reference reads: every used word line at the read voltage, then and now.
      ref_i[static_cast<std::size_t>(t)] =
          ReferenceCurrents(pt, (*reference)[static_cast<std::size_t>(t)], plan.chip.wires,
                            plan.chip.v_read_v, options.ir_drop);
      now_i[static_cast<std::size_t>(t)] =
          tile.transfer * Eigen::VectorXd::Constant(pt.rows, plan.chip.v_read_v);
    }
  }

  for (std::size_t l = 0; l < plan.layers.size(); ++l) {
    const compiler::PlanLayer& pl = plan.layers[l];
    Layer layer;
    layer.shape = pl.shape;
    layer.inputs = pl.shape.source.size();
    layer.outputs = pl.neurons();
    layer.tiles = pl.tiles;
    layer.read_cycles = pl.read_cycles();
    layer.replicas = pl.replicas;
    if (pl.shape.kind == compiler::LayerKind::kConv) layer.patch = PatchIndex(pl.shape);
    // W = scale (G+ - G-): layer 0's drive is input_gain W x with word lines at x v_read; later
    // layers' is W v / inter_layer_scale with word lines at v membrane_to_row_v. The bias row is
    // driven at the voltage of the input 1: v_read for layer 0, inter_layer_scale mV later.
    // A spike train's layers all read spikes: a spike (or a bias) is a read pulse at v_read.
    const bool pulses = l == 0 || view.spiking_;
    const double per_volt = pulses ? plan.encoding.input_gain / view.v_read_v_
                                   : 1.0 / (plan.encoding.inter_layer_scale * view.membrane_to_row_v_);
    layer.bias_v = pulses ? view.v_read_v_ : plan.encoding.inter_layer_scale * view.membrane_to_row_v_;
    layer.gain.resize(pl.outputs);
    for (int o = 0; o < pl.outputs; ++o) layer.gain(o) = pl.scale[static_cast<std::size_t>(o)] * per_volt;
    if (view.spiking_) {
      // The circuit's membrane: the population's largest threshold at the comparator's threshold
      // voltage; the rails hold it (in file units, the population's bounds).
      layer.population = plan.populations[l];
      const auto& th = layer.population.v_threshold;
      const double top = layer.population.Spikes() && th.size() > 0 ? th.abs().maxCoeff() : 1.0;
      layer.volts_per_unit = plan.chip.spiking.threshold_v / (top > 0 ? top : 1.0);
      layer.population.v_min = plan.chip.analog.rail_low_v / layer.volts_per_unit;
      layer.population.v_max = plan.chip.analog.rail_high_v / layer.volts_per_unit;
    }
    layer.enables.assign(static_cast<std::size_t>((geometry.count + 31) / 32), 0u);
    for (int t : pl.tiles) {
      const int physical = plan.tiles[static_cast<std::size_t>(t)].physical_index;
      layer.enables[static_cast<std::size_t>(physical / 32)] |= 1u << (physical % 32);
      view.physical_to_plan_[static_cast<std::size_t>(physical)] = t;
    }
    view.layers_.push_back(std::move(layer));
  }

  // Each bit line's current stage: the gain of its output's layer (ChipSpec::CurrentStageGain).
  const double window_s = options.timing.sense_cycles / plan.chip.clock_hz;
  for (Tile& tile : view.tiles_) {
    const Layer& layer = view.layers_[static_cast<std::size_t>(tile.layer)];
    tile.stage_gain = Eigen::VectorXd::Zero(tile.used_columns);
    for (int o = 0; o < tile.outputs; ++o) {
      const int channel = tile.column_offset + o;
      // An integrate-and-fire circuit takes the stage's charge k I t_w on its membrane (or
      // synapse) capacitor C_m: k = C_m / t_w volts_per_unit InputWeight gain (a convolution's
      // channel: its first neuron's).
      const int neuron = layer.shape.kind == compiler::LayerKind::kConv ? channel * layer.shape.positions() : channel;
      const double k = view.spiking_ ? std::abs(layer.gain(channel) * layer.population.InputWeight(neuron)) *
                                           layer.volts_per_unit * plan.chip.analog.membrane_capacitance_f / window_s
                                     : std::abs(plan.chip.CurrentStageGain(plan.neuron, layer.gain(channel), window_s));
      tile.stage_gain(tile.columns.plus_column(o)) = k;
      tile.stage_gain(tile.columns.minus_column(o)) = k;
    }
  }

  std::vector<ChipView> views;
  double ref_sum = 0, now_sum = 0;
  for (int t = 0; compensate && t < n; ++t) {
    ref_sum += ref_i[static_cast<std::size_t>(t)].sum();
    now_sum += now_i[static_cast<std::size_t>(t)].sum();
  }
  for (DriftCompensation mode : modes) {
    ChipView& v = views.emplace_back(view);
    if (mode == DriftCompensation::kNone) continue;
    v.global_gain_ = now_sum > 0 ? ref_sum / now_sum : 1.0;
    v.min_column_gain_ = v.max_column_gain_ = v.global_gain_;
    if (mode == DriftCompensation::kColumn) {
      v.min_column_gain_ = INFINITY;
      v.max_column_gain_ = 0;
    }
    for (int t = 0; t < n; ++t) {
      Tile& tile = v.tiles_[static_cast<std::size_t>(t)];
      if (mode == DriftCompensation::kGlobal) {
        tile.transfer *= v.global_gain_;
        tile.column_gain *= v.global_gain_;
        continue;
      }
      const Eigen::VectorXd& ref = ref_i[static_cast<std::size_t>(t)];
      const Eigen::VectorXd& now = now_i[static_cast<std::size_t>(t)];
      // The reference reads go through the verify ADC: a bit line whose current is below one of
      // its steps then or now (no cell conducts enough, e.g. every weight of a pair's side at
      // g_min, or all of them stuck off) cannot be calibrated by its own reads and keeps gain 1,
      // rather than a ratio of read noise (once measured at 2e8 on the small test chip).
      const double lsb_a = plan.chip.adc.verify_full_scale_a / std::ldexp(1.0, plan.chip.adc.verify_bits);
      for (int c = 0; c < tile.used_columns; ++c) {
        const double gain = now(c) >= lsb_a && ref(c) >= lsb_a ? ref(c) / now(c) : 1.0;
        tile.transfer.row(c) *= gain;
        tile.column_gain(c) = gain;
        v.min_column_gain_ = std::min(v.min_column_gain_, gain);
        v.max_column_gain_ = std::max(v.max_column_gain_, gain);
      }
    }
  }
  // The current stages realise each layer's gain (times the bit line's compensation gain) as a
  // mirror of at most analog.current_gain_max (docs/chip.md): a plan needing more has no circuit.
  for (const ChipView& v : views) {
    const double k = v.MaxCurrentStageGain();
    if (!(k <= plan.chip.analog.current_gain_max)) {
      return Fail(ErrorCode::kInvalidArgument,
                  "the plan's current stages would need a gain of " + FormatNumber(k, 4) +
                      " A/A, above the chip's analog.current_gain_max = " +
                      FormatNumber(plan.chip.analog.current_gain_max) + " A/A (a larger inter-layer scale or input gain lowers it)");
    }
  }
  return views;
}

double ChipView::MaxCurrentStageGain() const {
  double k = 0;
  for (const Tile& tile : tiles_) {
    if (tile.used_columns > 0) k = std::max(k, tile.stage_gain.cwiseProduct(tile.column_gain).maxCoeff());
  }
  return k;
}

uint64_t ChipView::InferenceCycles() const {
  std::vector<int> read_cycles;
  for (const Layer& layer : layers_) read_cycles.push_back(layer.read_cycles);
  return runtime::InferenceCycles(steps_, period_, read_cycles, outputs(), output_bits_, timing_);
}

Expected<void> RequireMifNeurons(const ChipView& view) {
  if (!view.spiking()) return {};
  return Fail(ErrorCode::kFailedPrecondition,
              "the plan holds NIR neuron populations, which run on spike trains (xbar infer --spikes; docs/nir.md "
              "\"On the chip\"), not on images");
}

compiler::Model RealisedModel(const compiler::Plan& plan, const ChipView& view) {
  compiler::Model model = compiler::ZeroWeightModel(plan);
  for (std::size_t t = 0; t < view.tiles().size(); ++t) {
    const ChipView::Tile& tile = view.tiles()[t];
    if (tile.replica != 0) continue;  // another copy of the weights
    compiler::AddTileWeights(plan, plan.tiles[t], tile.transfer.transpose(), model.weights[static_cast<std::size_t>(tile.layer)]);
  }
  return model;
}

Expected<std::vector<DriftCompensation>> ParseDriftCompensations(const std::string& text) {
  std::vector<DriftCompensation> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    auto c = ParseDriftCompensation(item);
    if (!c) return std::unexpected(WithContext(c.error(), "--compensation"));
    out.push_back(*c);
  }
  if (out.empty()) return Fail(ErrorCode::kInvalidArgument, "--compensation is empty");
  return out;
}

}  // namespace xbar::runtime
