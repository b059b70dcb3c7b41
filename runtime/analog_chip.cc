// AnalogChip: one inference on a ChipView, call by call as the RTL sequencer makes them.
#include "runtime/analog_chip.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <utility>

#include "support/threads.h"

namespace xbar::runtime {
namespace {

constexpr double kInputCodeMax = 255.0;   // 8-bit input DACs

}  // namespace

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

bool AnalogChip::ReadLayer(uint32_t layer, uint32_t cycle, std::span<const uint32_t> enables) {
  if (layer >= layers_.size()) {
    return Refuse("layer " + std::to_string(layer) + " read, the network has " +
                  std::to_string(layers_.size()));
  }
  const int read_cycles = view_->layers()[layer].read_cycles;
  if (cycle >= static_cast<uint32_t>(read_cycles)) {
    return Refuse("layer " + std::to_string(layer) + " read in cycle " + std::to_string(cycle) +
                  ", the layer has " + std::to_string(read_cycles) + " read cycles per step");
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
    for (int k = 0; k < tile.outputs; ++k) {
      u(tile.column_offset + k, 0) += i(tile.columns.plus_column(k)) - i(tile.columns.minus_column(k));
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
      const ChipView::Layer& layer = view.layers()[l];
      for (int c = 0; (l > 0 || t % view.period() == 0) && c < layer.read_cycles; ++c) {
        if (!chip.ReadLayer(l, static_cast<uint32_t>(c), layer.enables)) return refused("layer read");
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
