#include "runtime/chip_model.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <optional>
#include <utility>

#include "device_models/crossbar.h"
#include "device_models/nonidealities.h"
#include "support/rng.h"
#include "support/threads.h"

namespace xbar::runtime {
namespace {

constexpr uint64_t kReadNoiseStream = 2;  // DeriveSeed stream of the read-noise realisation
constexpr double kInputCodeMax = 255.0;   // 8-bit input DACs


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
  view.neuron_ = plan.neuron;
  view.steps_ = plan.encoding.steps;
  view.period_ = plan.encoding.period;
  view.output_bits_ = plan.chip.adc.output_bits;
  view.output_lsb_mv_ = 2.0 * plan.chip.adc.output_full_scale_mv / std::ldexp(1.0, view.output_bits_);
  view.v_read_v_ = plan.chip.v_read_v;
  view.membrane_to_row_v_ = plan.chip.v_read_v / plan.chip.adc.output_full_scale_mv;
  view.readout_scale_ = plan.encoding.readout_scale;
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
    tile.physical = pt.physical_index;
    tile.row_offset = pt.row_offset;
    tile.column_offset = pt.column_offset;
    tile.rows = pt.rows;
    tile.outputs = pt.outputs;
    tile.used_columns = pt.used_columns;
    if (options.ir_drop) {
      auto circuit = device_models::TileCircuit::Create(g, plan.chip.wires);
      XBAR_CHECK(circuit.has_value());  // shapes and values checked above, wires by the chip
      tile.transfer = circuit->EffectiveMatrix()(pt.column_map, pt.row_map);
    } else {
      tile.transfer = pt.UsedBlock(g).transpose();
    }
    tile.row_conductance_s = g(pt.row_map, Eigen::all).rowwise().sum();
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
    layer.inputs = pl.inputs;
    layer.outputs = pl.outputs;
    layer.tiles = pl.tiles;
    // W = scale (G+ - G-): layer 0's drive is input_gain W x with word lines at x v_read; later
    // layers' is W v / inter_layer_scale with word lines at v membrane_to_row_v.
    const double per_volt = l == 0 ? plan.encoding.input_gain / view.v_read_v_
                                   : 1.0 / (plan.encoding.inter_layer_scale * view.membrane_to_row_v_);
    layer.gain.resize(pl.outputs);
    for (int o = 0; o < pl.outputs; ++o) layer.gain(o) = pl.scale[static_cast<std::size_t>(o)] * per_volt;
    layer.enables.assign(static_cast<std::size_t>((geometry.count + 31) / 32), 0u);
    for (int t : pl.tiles) {
      const int physical = plan.tiles[static_cast<std::size_t>(t)].physical_index;
      layer.enables[static_cast<std::size_t>(physical / 32)] |= 1u << (physical % 32);
      view.physical_to_plan_[static_cast<std::size_t>(physical)] = t;
    }
    view.layers_.push_back(std::move(layer));
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
        continue;
      }
      const Eigen::VectorXd& ref = ref_i[static_cast<std::size_t>(t)];
      const Eigen::VectorXd& now = now_i[static_cast<std::size_t>(t)];
      for (int c = 0; c < tile.used_columns; ++c) {
        // A bit line whose present current is zero (all its cells stuck off) keeps gain 1.
        const double gain = now(c) > 0 ? ref(c) / now(c) : 1.0;
        tile.transfer.row(c) *= gain;
        v.min_column_gain_ = std::min(v.min_column_gain_, gain);
        v.max_column_gain_ = std::max(v.max_column_gain_, gain);
      }
    }
  }
  return views;
}

uint64_t ChipView::InferenceCycles() const {
  // rtl/xbar_infer_seq.sv: accept, begin, begin check; per step and layer a dispatch, the sense
  // and its check when the layer is read, the neuron step and its check; per step and output a
  // conversion and its accumulate; an argmax cycle per output; the response.
  const uint64_t steps = static_cast<uint64_t>(steps_);
  const uint64_t impulses = (steps + static_cast<uint64_t>(period_) - 1) / static_cast<uint64_t>(period_);
  const uint64_t layers = layers_.size();
  const uint64_t sense = static_cast<uint64_t>(timing_.sense_cycles) + 1;
  const uint64_t neuron = static_cast<uint64_t>(timing_.neuron_cycles) + 1;
  const uint64_t outputs = static_cast<uint64_t>(this->outputs());
  const uint64_t reads = impulses + steps * (layers - 1);
  return 3 + steps * layers * (1 + neuron) + reads * sense +
         steps * outputs * (static_cast<uint64_t>(output_bits_) + 1) + outputs + 1;
}

AnalogChip::AnalogChip(const ChipView& view) : view_(&view) {
  input_v_ = Eigen::VectorXd::Zero(view.inputs());
  currents_.resize(view.tiles().size());
  pending_.assign(view.tiles().size(), 0);
  read_version_.assign(view.tiles().size(), 0);
  read_energy_.assign(view.tiles().size(), 0);
  for (const auto& layer : view.layers()) {
    layers_.emplace_back(view.neuron());
    drive_.push_back(device_models::Arr<double>::Zero(layer.outputs, 1));
  }
}

bool AnalogChip::Refuse(std::string message) {
  error_ = std::move(message);
  return false;
}

bool AnalogChip::Begin() {
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    layers_[l].Reset(view_->layers()[l].outputs, 1, view_->steps(), false);
  }
  std::fill(pending_.begin(), pending_.end(), 0);
  samples_.clear();
  return true;
}

bool AnalogChip::SetInput(uint32_t index, uint32_t code) {
  if (index >= static_cast<uint32_t>(input_v_.size())) {
    return Refuse("input " + std::to_string(index) + " is outside the network's " +
                  std::to_string(input_v_.size()) + " inputs");
  }
  if (code > kInputCodeMax) {
    return Refuse("input code " + std::to_string(code) + " exceeds the 8-bit DAC's 255");
  }
  const double v = code / kInputCodeMax * view_->v_read_v();
  if (input_v_(index) != v) {
    input_v_(index) = v;
    ++input_version_;
  }
  return true;
}

bool AnalogChip::ReadLayer(uint32_t layer, std::span<const uint32_t> enables) {
  if (layer >= layers_.size()) {
    return Refuse("layer " + std::to_string(layer) + " read, the network has " +
                  std::to_string(layers_.size()));
  }
  const double sense_s = view_->timing().sense_cycles / view_->clock_hz();
  const int physical_tiles = view_->physical_tiles();
  for (std::size_t w = 0; w < enables.size(); ++w) {
    for (uint32_t bits = enables[w]; bits != 0; bits &= bits - 1) {
      const int physical = static_cast<int>(w * 32) + std::countr_zero(bits);
      if (physical >= physical_tiles) {
        return Refuse("tile " + std::to_string(physical) + " enabled, the chip has " +
                      std::to_string(physical_tiles));
      }
      const int p = view_->PlanTileOf(physical);
      if (p < 0 || view_->tiles()[static_cast<std::size_t>(p)].layer != static_cast<int>(layer)) {
        return Refuse("tile " + std::to_string(physical) + " enabled in a read of layer " +
                      std::to_string(layer) + " but holds no part of it");
      }
      const auto q = static_cast<std::size_t>(p);
      const ChipView::Tile& tile = view_->tiles()[q];
      pending_[q] = 1;
      ++energy_.tile_reads;
      if (layer == 0 && read_version_[q] == input_version_) {
        energy_.read_j += read_energy_[q];
        continue;
      }
      Eigen::VectorXd v;
      if (layer == 0) {
        v = input_v_.segment(tile.row_offset, tile.rows);
        read_version_[q] = input_version_;
      } else {
        v = layers_[layer - 1].state().v.col(0).segment(tile.row_offset, tile.rows).matrix() *
            view_->membrane_to_row_v();
      }
      currents_[q].noalias() = tile.transfer * v;
      read_energy_[q] = v.array().square().matrix().dot(tile.row_conductance_s) * sense_s;
      energy_.read_j += read_energy_[q];
    }
  }
  return true;
}

bool AnalogChip::StepNeurons(uint32_t layer) {
  if (layer >= layers_.size()) {
    return Refuse("neuron step of layer " + std::to_string(layer) + ", the network has " +
                  std::to_string(layers_.size()));
  }
  const ChipView::Layer& spec = view_->layers()[layer];
  device_models::Arr<double>& u = drive_[layer];
  u.setZero();
  for (int p : spec.tiles) {
    if (!pending_[static_cast<std::size_t>(p)]) continue;
    pending_[static_cast<std::size_t>(p)] = 0;
    const ChipView::Tile& tile = view_->tiles()[static_cast<std::size_t>(p)];
    const Eigen::VectorXd& i = currents_[static_cast<std::size_t>(p)];
    const bool differential = tile.used_columns == 2 * tile.outputs;
    for (int k = 0; k < tile.outputs; ++k) {
      u(tile.column_offset + k, 0) += differential ? i(2 * k) - i(2 * k + 1) : i(k) - i(tile.outputs);
    }
  }
  u.col(0) *= spec.gain.array();
  const auto& state = layers_[layer].Step(u);
  // Memristor-branch power of the neuron arrays after the step (mV -> V).
  const auto& s = layers_[layer].state();
  const device_models::MifParams& p = view_->neuron();
  const auto g1 = s.x1 / p.r_on_ohm + (1.0 - s.x1) / p.r_off_ohm;
  const auto g2 = s.x2 / p.r_on_ohm + (1.0 - s.x2) / p.r_off_ohm;
  energy_.neuron_power_steps_w +=
      1e-6 * (g1 * (state - p.e1_mv).square() + g2 * (state - p.e2_mv).square()).sum();
  ++energy_.neuron_steps;
  return true;
}

int64_t AnalogChip::SampleOutput(uint32_t index) {
  const auto& v = layers_.back().state().v;
  if (index >= static_cast<uint32_t>(v.rows())) {
    Refuse("output " + std::to_string(index) + " sampled, the network has " +
           std::to_string(v.rows()));
    return kRefused;
  }
  const double half = std::ldexp(1.0, view_->output_bits() - 1);
  peak_output_mv_ = std::max(peak_output_mv_, std::abs(v(index, 0)));
  const double code = std::clamp(std::nearbyint(view_->output_gain() * v(index, 0) / view_->output_lsb_mv()),
                                 -half, half - 1);
  ++energy_.conversions;
  if (record_) samples_.push_back(static_cast<int32_t>(code));
  return static_cast<int64_t>(code);
}

void Accumulate(AnalogEnergy& a, const AnalogEnergy& b) {
  a.read_j += b.read_j;
  a.neuron_power_steps_w += b.neuron_power_steps_w;
  a.tile_reads += b.tile_reads;
  a.neuron_steps += b.neuron_steps;
  a.conversions += b.conversions;
}

Expected<double> CalibrateOutputGain(const ChipView& view, const Dataset& images, int threads) {
  const int64_t n = images.size();
  if (n == 0) return Fail(ErrorCode::kInvalidArgument, "output calibration needs at least one image");
  if (images.images.rows() != view.inputs()) {
    return Fail(ErrorCode::kInvalidArgument, "calibration images have " + std::to_string(images.images.rows()) +
                                                 " pixels, the network takes " + std::to_string(view.inputs()));
  }
  double peak = 0;
  std::optional<Error> error;
#pragma omp parallel num_threads(ThreadCount(threads)) reduction(max : peak)
  {
    AnalogChip chip(view);
#pragma omp for schedule(static)
    for (int64_t i = 0; i < n; ++i) {
      auto r = RunImage(chip, view, InputCodes(images.images.col(i)), false);
      if (!r) {
#pragma omp critical
        if (!error) error = r.error();
      }
    }
    peak = std::max(peak, chip.peak_output_mv());
  }
  if (error) return std::unexpected(*error);
  const double full_scale_mv = view.output_lsb_mv() * std::ldexp(1.0, view.output_bits() - 1);
  return peak > 0 ? full_scale_mv / peak : 1.0;
}

std::vector<uint8_t> InputCodes(const Eigen::Ref<const Eigen::VectorXf>& pixels) {
  std::vector<uint8_t> codes(static_cast<std::size_t>(pixels.size()));
  for (Eigen::Index i = 0; i < pixels.size(); ++i) {
    codes[static_cast<std::size_t>(i)] = static_cast<uint8_t>(
        std::clamp(std::lround(pixels(i) * kInputCodeMax), 0L, static_cast<long>(kInputCodeMax)));
  }
  return codes;
}

Expected<ImageResult> RunImage(AnalogChip& chip, const ChipView& view, std::span<const uint8_t> codes,
                               bool record_samples) {
  auto refused = [&](const std::string& what) {
    return Fail(ErrorCode::kInternal, "behavioural inference: " + what + " refused: " + chip.last_error());
  };
  for (std::size_t i = 0; i < codes.size(); ++i) {
    if (!chip.SetInput(static_cast<uint32_t>(i), codes[i])) return refused("input");
  }
  chip.set_record_samples(record_samples);
  if (!chip.Begin()) return refused("begin");
  const int outputs = view.outputs();
  chip.TakeEnergy();
  ImageResult result;
  result.accumulators.assign(static_cast<std::size_t>(outputs), 0);
  const auto layers = static_cast<uint32_t>(view.layers().size());
  for (int t = 0; t < view.steps(); ++t) {
    for (uint32_t l = 0; l < layers; ++l) {
      if (l > 0 || t % view.period() == 0) {
        if (!chip.ReadLayer(l, view.layers()[l].enables)) return refused("layer read");
      }
      if (!chip.StepNeurons(l)) return refused("neuron step");
    }
    for (int o = 0; o < outputs; ++o) {
      const int64_t code = chip.SampleOutput(static_cast<uint32_t>(o));
      if (code == rtl::InferenceAnalog::kRefused) return refused("output sample");
      result.accumulators[static_cast<std::size_t>(o)] += code;
    }
  }
  result.decision = static_cast<int>(std::max_element(result.accumulators.begin(), result.accumulators.end()) -
                                     result.accumulators.begin());
  if (record_samples) result.samples = chip.samples();
  result.energy = chip.TakeEnergy();
  return result;
}

}  // namespace xbar::runtime
