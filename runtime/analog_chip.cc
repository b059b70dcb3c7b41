// AnalogChip: one inference on a ChipView, call by call as the RTL sequencer makes them.
#include "runtime/analog_chip.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <utility>

#include "support/threads.h"

namespace xbar::runtime {
namespace {

bool IsConv(const ChipView::Layer& layer) { return layer.shape.kind == compiler::LayerKind::kConv; }

// Per word line, a read's energy per read window and siemens: V² for a level held through the
// window (an image's input DAC, a membrane's driver); n v_read² = |V| v_read for a spike train's n
// read pulses (V = n v_read, charge-equivalent).
template <typename Derived>
auto ReadSquares(const Eigen::ArrayBase<Derived>& v, bool pulses, double v_read) {
  return pulses ? (v.abs() * v_read).eval() : v.square().eval();
}

}  // namespace

void TileWordLines(const ChipView::Layer& layer, const ChipView::Tile& tile, const Eigen::VectorXd& in, int position,
               Eigen::VectorXd& v) {
  const int fan_in = layer.shape.fan_in();
  if (layer.patch.empty() && tile.row_offset + tile.rows <= fan_in) {
    v = in.segment(tile.row_offset, tile.rows);
    return;
  }
  const int* patch = layer.patch.empty() ? nullptr : &layer.patch[static_cast<std::size_t>(position) * fan_in];
  v.resize(tile.rows);
  for (int r = 0; r < tile.rows; ++r) {
    const int j = tile.row_offset + r;
    if (j >= fan_in) {
      v(r) = layer.bias_v;
    } else if (patch == nullptr) {
      v(r) = in(j);
    } else {
      v(r) = patch[j] >= 0 ? in(patch[j]) : 0.0;
    }
  }
}

AnalogChip::AnalogChip(const ChipView& view)
    : view_(&view), rail_low_v_(view.neuron().rail_low_mv / 1e3), rail_high_v_(view.neuron().rail_high_mv / 1e3) {
  input_v_ = Eigen::VectorXd::Zero(view.inputs());
  currents_.resize(view.tiles().size());
  pending_.assign(view.tiles().size(), 0);
  read_version_.assign(view.tiles().size(), 0);
  read_cost_.assign(view.tiles().size(), {});
  position_currents_.resize(view.tiles().size());
  position_cost_.resize(view.tiles().size());
  for (const auto& layer : view.layers()) {
    if (view.spiking()) {
      populations_.emplace_back(layer.population);
    } else {
      layers_.emplace_back(view.neuron());
    }
    drive_.push_back(device_models::Arr<double>::Zero(layer.outputs, 1));
    ops_.emplace_back(layer.shape);
  }
  layer_in_v_.resize(view.layers().size());
  layer_in_stamp_.assign(view.layers().size(), 0);
  layer_in_source_.assign(view.layers().size(), 0);
  layer_in_own_.assign(view.layers().size(), 0);
  stepped_.assign(view.layers().size(), 0);
}

bool AnalogChip::Refuse(std::string message) {
  error_ = std::move(message);
  return false;
}

bool AnalogChip::Begin() {
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    layers_[l].Reset(view_->layers()[l].outputs, 1, view_->steps(), false);
  }
  for (auto& population : populations_) population.Reset();
  std::fill(pending_.begin(), pending_.end(), 0);
  for (auto& u : drive_) u.setZero();
  for (auto& s : stepped_) s = ++stamp_;
  samples_.clear();
  return true;
}

const Eigen::VectorXd& AnalogChip::LayerInput(uint32_t layer) {
  if (view_->spiking()) return SpikeInput(layer);
  if (layer == 0) return input_v_;
  if (layer_in_stamp_[layer] != stepped_[layer - 1]) {
    // Each neuron drives its word lines through a driver that clips at the drive limit; pooling
    // acts on the driven voltages (docs/conv.md).
    const auto& v = layers_[layer - 1].state().v;
    const double limit = view_->drive_limit_mv();
    const device_models::Arr<double>* driven = &v;
    if (std::isfinite(limit)) {
      clipped_ = v.max(-limit).min(limit);
      driven = &clipped_;
    }
    if (view_->layers()[layer].shape.pool == compiler::PoolKind::kNone) {
      layer_in_v_[layer] = driven->col(0).matrix() * view_->membrane_to_row_v();
    } else {
      layer_in_v_[layer] = ops_[layer].Pool(driven->matrix()).col(0) * view_->membrane_to_row_v();
    }
    layer_in_stamp_[layer] = stepped_[layer - 1];
  }
  return layer_in_v_[layer];
}

const Eigen::VectorXd& AnalogChip::SpikeInput(uint32_t layer) {
  const ChipView::Layer& spec = view_->layers()[layer];
  const bool recurrent = spec.shape.recurrent;
  const bool pooled = spec.shape.pool != compiler::PoolKind::kNone;
  if (layer == 0 && !recurrent && !pooled) return input_v_;
  const uint64_t source = layer == 0 ? input_version_ : stepped_[layer - 1];
  if (layer_in_source_[layer] == source && (!recurrent || layer_in_own_[layer] == stepped_[layer])) {
    return layer_in_v_[layer];
  }
  // A spike is one read pulse at v_read on its word lines; pooling adds (or averages) the pulses'
  // currents. A recurrent layer's own spikes of the step before drive its last fan-in rows.
  const double v_read = view_->v_read_v();
  source_v_ = layer == 0 ? input_v_ : Eigen::VectorXd(populations_[layer - 1].output().matrix() * v_read);
  // The pooled source (a convolution's tiles take their patches from it), then the recurrent rows.
  Eigen::VectorXd& in = layer_in_v_[layer];
  const Eigen::Index own = recurrent ? spec.outputs : 0;
  if (pooled) {
    const auto& p = ops_[layer].Pool(source_v_);
    in.resize(p.rows() + own);
    in.head(p.rows()) = p.col(0);
  } else {
    in.resize(source_v_.size() + own);
    in.head(source_v_.size()) = source_v_;
  }
  if (recurrent) in.tail(own) = populations_[layer].output().matrix() * v_read;
  layer_in_source_[layer] = source;
  layer_in_own_[layer] = stepped_[layer];
  layer_in_stamp_[layer] = ++stamp_;
  return in;
}

uint64_t AnalogChip::InputVersion(uint32_t layer) const {
  return layer == 0 && !(view_->spiking() && view_->layers()[0].shape.recurrent) ? input_version_
                                                                                 : layer_in_stamp_[layer];
}

bool AnalogChip::SetInput(uint32_t index, uint32_t code) {
  if (index >= static_cast<uint32_t>(input_v_.size())) {
    return Refuse("input " + std::to_string(index) + " is outside the network's " +
                  std::to_string(input_v_.size()) + " inputs");
  }
  if (code > kInputCodeMax) {
    return Refuse("input code " + std::to_string(code) + " exceeds the 8-bit DAC's 255");
  }
  // An image's DAC drives code / 255 of the read voltage; a spike train's count is that many read
  // pulses, charge-equivalent to a word line at count times v_read for one read window.
  const double v = view_->spiking() ? code * view_->v_read_v() : code / kInputCodeMax * view_->v_read_v();
  if (input_v_(index) != v) {
    input_v_(index) = v;
    ++input_version_;
  }
  return true;
}

bool AnalogChip::ReadLayer(uint32_t layer, uint32_t cycle, std::span<const uint32_t> enables) {
  if (layer >= view_->layers().size()) {
    return Refuse("layer " + std::to_string(layer) + " read, the network has " +
                  std::to_string(view_->layers().size()));
  }
  const ChipView::Layer& spec = view_->layers()[layer];
  if (cycle >= static_cast<uint32_t>(spec.read_cycles)) {
    return Refuse("layer " + std::to_string(layer) + " read in cycle " + std::to_string(cycle) +
                  ", the layer has " + std::to_string(spec.read_cycles) + " read cycles per step");
  }
  const bool conv = IsConv(spec);
  const Eigen::VectorXd& in = LayerInput(layer);
  const int positions = spec.shape.positions();
  const double sense_s = view_->timing().sense_cycles / view_->clock_hz();
  const int physical_tiles = view_->physical_tiles();
  const uint64_t version = InputVersion(layer);
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
      // A convolution's replica r reads output position cycle * replicas + r; past the last
      // position it is not read.
      const int position = conv ? static_cast<int>(cycle) * spec.replicas + tile.replica : 0;
      if (position >= positions) continue;
      pending_[q] = 1;
      ++energy_.tile_reads;
      if (conv) {
        // All of the step's positions of this tile at once, at its first read with this input
        // (layer 0: with these inputs, so for every impulse of the image).
        if (read_version_[q] != version) {
          ReadPositions(spec, tile, in, q);
          read_version_[q] = version;
        }
        const auto cost = position_cost_[q].col(cycle);
        energy_.reads += ReadCost{cost(0), cost(1), cost(2)};
        continue;
      }
      // A tile read again with the same word lines gives the same currents (same arithmetic).
      if (read_version_[q] == version) {
        energy_.reads += read_cost_[q];
        continue;
      }
      TileWordLines(spec, tile, in, position, word_lines_);
      read_version_[q] = version;
      currents_[q].noalias() = tile.transfer * word_lines_;
      const auto v = word_lines_.array();
      const auto rail = (v > 0).select(Eigen::ArrayXd::Constant(v.size(), rail_high_v_), -rail_low_v_);
      read_cost_[q] = {ReadSquares(v, view_->spiking(), view_->v_read_v()).matrix().dot(tile.row_conductance_s) * sense_s,
                       (rail * v.abs()).matrix().dot(tile.row_conductance_s) * sense_s,
                       currents_[q].cwiseAbs().dot(tile.stage_gain) * sense_s};
      energy_.reads += read_cost_[q];
    }
  }
  if (!conv) return true;
  // A convolution's currents go to the neurons of their output position, in plan order.
  device_models::Arr<double>& u = drive_[layer];
  for (int p : spec.tiles) {
    if (!pending_[static_cast<std::size_t>(p)]) continue;
    pending_[static_cast<std::size_t>(p)] = 0;
    const ChipView::Tile& tile = view_->tiles()[static_cast<std::size_t>(p)];
    const int position = static_cast<int>(cycle) * spec.replicas + tile.replica;
    const auto i = position_currents_[static_cast<std::size_t>(p)].col(cycle);
    for (int k = 0; k < tile.outputs; ++k) {
      u((tile.column_offset + k) * positions + position, 0) +=
          i(tile.columns.plus_column(k)) - i(tile.columns.minus_column(k));
    }
  }
  return true;
}

void AnalogChip::ReadPositions(const ChipView::Layer& layer, const ChipView::Tile& tile, const Eigen::VectorXd& in,
                               std::size_t q) {
  // Replica r reads positions r, r + R, ... in read cycles 0, 1, ...: one column each.
  const int count = (layer.shape.positions() - tile.replica + layer.replicas - 1) / layer.replicas;
  word_batch_.resize(tile.rows, count);
  for (int c = 0; c < count; ++c) {
    TileWordLines(layer, tile, in, c * layer.replicas + tile.replica, word_lines_);
    word_batch_.col(c) = word_lines_;
  }
  position_currents_[q].noalias() = tile.transfer * word_batch_;
  const double sense_s = view_->timing().sense_cycles / view_->clock_hz();
  const auto v = word_batch_.array();
  rail_batch_ = (v > 0).select(Eigen::ArrayXXd::Constant(v.rows(), v.cols(), rail_high_v_), -rail_low_v_);
  Eigen::Matrix3Xd& cost = position_cost_[q];
  cost.resize(3, count);
  cost.row(0).noalias() = tile.row_conductance_s.transpose() * ReadSquares(v, view_->spiking(), view_->v_read_v()).matrix();
  cost.row(1).noalias() = tile.row_conductance_s.transpose() * (rail_batch_.array() * v.abs()).matrix();
  cost.row(2).noalias() = tile.stage_gain.transpose() * position_currents_[q].cwiseAbs();
  cost *= sense_s;
}

bool AnalogChip::StepNeurons(uint32_t layer) {
  if (layer >= view_->layers().size()) {
    return Refuse("neuron step of layer " + std::to_string(layer) + ", the network has " +
                  std::to_string(view_->layers().size()));
  }
  const ChipView::Layer& spec = view_->layers()[layer];
  device_models::Arr<double>& u = drive_[layer];
  if (IsConv(spec)) {
    // The currents of the step's reads are in place: channel c's neurons take its gain.
    const int positions = spec.shape.positions();
    for (Eigen::Index c = 0; c < spec.gain.size(); ++c) u.col(0).segment(c * positions, positions) *= spec.gain(c);
  } else {
    u.setZero();
    for (int p : spec.tiles) {
      if (!pending_[static_cast<std::size_t>(p)]) continue;
      pending_[static_cast<std::size_t>(p)] = 0;
      const ChipView::Tile& tile = view_->tiles()[static_cast<std::size_t>(p)];
      const Eigen::VectorXd& i = currents_[static_cast<std::size_t>(p)];
      for (int k = 0; k < tile.outputs; ++k) {
        u(tile.column_offset + k, 0) += i(tile.columns.plus_column(k)) - i(tile.columns.minus_column(k));
      }
    }
    u.col(0) *= spec.gain.array();
  }
  if (view_->spiking()) {
    StepPopulation(layer, u);
    if (IsConv(spec)) u.setZero();
    return true;
  }
  const auto& state = layers_[layer].Step(u);
  stepped_[layer] = ++stamp_;
  energy_.range.Tally(state, layer + 1 < layers_.size(), view_->neuron(), view_->drive_limit_mv());
  if (IsConv(spec)) u.setZero();
  const device_models::MifState<double>& neuron_state = layers_[layer].state();
  energy_.neuron_power_steps_w += BranchPowerW(view_->neuron(), neuron_state);
  energy_.synapse_out_units += neuron_state.i.abs().sum();
  energy_.synapse_in_units += neuron_state.a.abs().sum() / view_->neuron().tau_alpha_steps;
  ++energy_.neuron_steps;
  return true;
}

void AnalogChip::StepPopulation(uint32_t layer, const device_models::Arr<double>& drive) {
  device_models::SpikingPopulation& population = populations_[layer];
  const device_models::SpikingParams& p = population.params();
  const double volts_per_unit = view_->layers()[layer].volts_per_unit;
  previous_v_ = population.v();
  population.Step(drive.col(0));
  stepped_[layer] = ++stamp_;
  // The membrane capacitors' charge moved (a reset included), and how the rails held them.
  const Eigen::ArrayXd& v = population.v();
  const double capacitance = view_->membrane_capacitance_f();
  energy_.spiking_charge_c += capacitance * volts_per_unit * (v - previous_v_).abs().sum();
  // A spike drives the next layer's word lines as a read pulse: nothing to clip.
  energy_.range.Tally(v, layer + 1 < populations_.size(), p.v_min, p.v_max, INFINITY, 1e3 * volts_per_unit);
  ++energy_.neuron_steps;
}

int64_t AnalogChip::SampleOutput(uint32_t index) {
  if (view_->spiking()) {
    // A spiking output neuron's spike is latched (one bit); a membrane output goes through the
    // output ADC, its capacitor at volts_per_unit per file unit.
    const device_models::SpikingPopulation& out = populations_.back();
    if (index >= static_cast<uint32_t>(out.v().size())) {
      Refuse("output " + std::to_string(index) + " sampled, the network has " + std::to_string(out.v().size()));
      return kRefused;
    }
    const double v_mv = 1e3 * view_->layers().back().volts_per_unit * out.v()(index);
    peak_output_mv_ = std::max(peak_output_mv_, std::abs(v_mv));
    const int64_t code = out.params().Spikes() ? static_cast<int64_t>(out.output()(index)) : OutputCode(*view_, v_mv);
    ++energy_.conversions;
    if (record_) samples_.push_back(static_cast<int32_t>(code));
    return code;
  }
  const auto& v = layers_.back().state().v;
  if (index >= static_cast<uint32_t>(v.rows())) {
    Refuse("output " + std::to_string(index) + " sampled, the network has " +
           std::to_string(v.rows()));
    return kRefused;
  }
  peak_output_mv_ = std::max(peak_output_mv_, std::abs(v(index, 0)));
  const int64_t code = OutputCode(*view_, v(index, 0));
  ++energy_.conversions;
  if (record_) samples_.push_back(static_cast<int32_t>(code));
  return code;
}

double BranchPowerW(const device_models::MifParams& p, const device_models::MifState<double>& s) {
  const auto g1 = s.x1 / p.r_on_ohm + (1.0 - s.x1) / p.r_off_ohm;
  const auto g2 = s.x2 / p.r_on_ohm + (1.0 - s.x2) / p.r_off_ohm;
  return 1e-6 * (g1 * (s.v - p.e1_mv).square() + g2 * (s.v - p.e2_mv).square()).sum();  // mV² S -> W
}

int64_t OutputCode(const ChipView& view, double v_mv) {
  const double half = std::ldexp(1.0, view.output_bits() - 1);
  return static_cast<int64_t>(
      std::clamp(std::nearbyint(view.output_gain() * v_mv / view.output_lsb_mv()), -half, half - 1));
}

void Accumulate(AnalogEnergy& a, const AnalogEnergy& b) {
  a.reads += b.reads;
  a.neuron_power_steps_w += b.neuron_power_steps_w;
  a.synapse_out_units += b.synapse_out_units;
  a.synapse_in_units += b.synapse_in_units;
  a.spiking_charge_c += b.spiking_charge_c;
  a.tile_reads += b.tile_reads;
  a.neuron_steps += b.neuron_steps;
  a.conversions += b.conversions;
  a.range.Add(b.range);
}

Expected<double> CalibrateOutputGain(const ChipView& view, const Dataset& images, int threads) {
  if (auto ok = RequireMifNeurons(view); !ok) return std::unexpected(ok.error());
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
                               bool record_samples, std::vector<Eigen::MatrixXd>* membranes) {
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
  if (membranes != nullptr) {
    membranes->clear();
    for (const auto& layer : view.layers()) membranes->push_back(Eigen::MatrixXd(layer.outputs, view.steps()));
  }
  for (int t = 0; t < view.steps(); ++t) {
    for (uint32_t l = 0; l < layers; ++l) {
      const ChipView::Layer& layer = view.layers()[l];
      for (int c = 0; (l > 0 || t % view.period() == 0) && c < layer.read_cycles; ++c) {
        if (!chip.ReadLayer(l, static_cast<uint32_t>(c), layer.enables)) return refused("layer read");
      }
      if (!chip.StepNeurons(l)) return refused("neuron step");
      if (membranes != nullptr) (*membranes)[l].col(t) = chip.membrane_v(l).col(0).matrix();
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
