// Chip-in-the-loop fine-tuning: read back what the chip realises, train from there, reprogram the changed cells.
#include "runtime/finetune.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <string>
#include <limits>

#include "device_models/nonidealities.h"
#include "runtime/trainer.h"
#include "support/rng.h"

namespace xbar::runtime {
namespace {

constexpr uint64_t kReadBackStream = 77;  // DeriveSeed stream: read-back noise, apart from evaluations'

/// One device of a weight as programmed: where it is, what it holds, whether pulses move it.
struct Cell {
  int row = 0, column = 0;
  double g = 0;  // present conductance, S
  bool free = true;
};

/// Calls fn(output, input, scale, G+ cell, G- cell or nullptr for the offset scheme) for every
/// weight on `tile`, with the cells as `chip` holds them (a stuck device is not free).
template <typename Fn>
void ForEachWeight(const compiler::Plan& plan, const device_models::ChipInstance& chip, const compiler::PlanTile& tile,
                   Fn&& fn) {
  const compiler::PlanLayer& layer = plan.layers[static_cast<std::size_t>(tile.layer)];
  const compiler::PairLayout columns = plan.Layout(tile);
  auto cell = [&](int r, int c) {  // used row and bit line -> the physical cell
    const int wl = tile.row_map[static_cast<std::size_t>(r)], bl = tile.column_map[static_cast<std::size_t>(c)];
    return Cell{wl, bl, chip.Conductance(tile.physical_index, wl, bl), !chip.Device(tile.physical_index, wl, bl).is_stuck()};
  };
  for (int k = 0; k < tile.outputs; ++k) {
    const int o = tile.column_offset + k;
    const double scale = layer.scale[static_cast<std::size_t>(o)];
    for (int r = 0; r < tile.rows; ++r) {
      if (columns.differential()) {
        const Cell minus = cell(r, columns.minus_column(k));
        fn(o, tile.row_offset + r, scale, cell(r, columns.plus_column(k)), &minus);
      } else {
        fn(o, tile.row_offset + r, scale, cell(r, columns.plus_column(k)), nullptr);
      }
    }
  }
}

}  // namespace

compiler::Model ChipWeights(const compiler::Plan& plan, const ChipView& view) {
  compiler::Model model;
  model.name = plan.model_name;
  model.neuron = view.neuron();  // the chip's limits, as the chip model applies them
  model.encoding = plan.encoding;
  model.encoding.drive_limit_mv = view.drive_limit_mv();
  for (const auto& layer : plan.layers) model.weights.push_back(Eigen::MatrixXf::Zero(layer.outputs, layer.inputs));
  if (!plan.IsPlainDense()) model.layers = plan.Shapes();
  // The view's tiles are the plan's, in order; the transfer matrix is bit lines x word lines. A
  // convolution's copies hold the same weights: the model takes replica 0's.
  for (std::size_t t = 0; t < view.tiles().size(); ++t) {
    const compiler::PlanTile& tile = plan.tiles[t];
    if (tile.replica != 0) continue;
    compiler::AddTileWeights(plan, tile, view.tiles()[t].transfer.transpose(),
                             model.weights[static_cast<std::size_t>(tile.layer)]);
  }
  return model;
}

Expected<FinetuneResult> Finetune(const compiler::Plan& plan, const device_models::ChipInstance& chip,
                                  const Dataset& train, const FinetuneOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const std::size_t layers = plan.layers.size();
  std::vector<bool> trainable = options.trainable;
  if (trainable.empty()) {
    trainable.assign(layers, false);
    trainable.back() = true;
  }
  if (trainable.size() != layers) {
    return Fail(ErrorCode::kInvalidArgument, "fine-tuning: " + std::to_string(trainable.size()) +
                                                 " trainable flags for " + std::to_string(layers) + " layers");
  }
  const uint64_t seed = DeriveSeed(options.seed, kReadBackStream);
  const double t0 = plan.chip.device.nonidealities.drift.t0_s;
  const auto reference = ReadConductances(
      plan, chip, {.age_s = t0, .drift = options.drift, .read_noise = options.read_noise, .seed = DeriveSeed(seed, 1)},
      options.threads);
  const auto present = ReadConductances(
      plan, chip,
      {.age_s = options.age_s, .drift = options.drift, .read_noise = options.read_noise, .seed = DeriveSeed(seed, 2)},
      options.threads);
  ChipViewOptions view_options;
  view_options.ir_drop = options.ir_drop;
  view_options.compensation = options.compensation;
  view_options.threads = options.threads;
  auto view = ChipView::Create(plan, present, &reference, view_options);
  if (!view) return std::unexpected(view.error());
  if (auto ok = RequireMifNeurons(*view); !ok) return std::unexpected(ok.error());

  FinetuneResult result;
  result.chip_weights = ChipWeights(plan, *view);
  TrainOptions train_options;
  train_options.epochs = options.epochs;
  train_options.batch_size = options.batch_size;
  train_options.learning_rate = options.learning_rate;
  train_options.seed = options.seed;
  train_options.threads = options.threads;
  train_options.quiet = options.quiet;
  // The chip's network as it stands: its weights, neuron, encoding and geometry (a convolution
  // trains as a convolution, on its kernel matrix).
  train_options.StartFrom(result.chip_weights);
  train_options.trainable = trainable;
  // Read noise differs from one read to the next: on request every minibatch sees a fresh draw of
  // it around the read-back weights, in every layer, so the trained layer does not fit one
  // realisation.
  const device_models::ReadNoise& read = plan.chip.device.nonidealities.read;
  if (options.inject_read_noise && options.read_noise && read.enabled &&
      plan.scheme == compiler::MappingScheme::kDifferential) {
    std::vector<Eigen::MatrixXf> sigma;
    for (const auto& layer : plan.layers) sigma.push_back(Eigen::MatrixXf::Zero(layer.outputs, layer.inputs));
    for (std::size_t t = 0; t < plan.tiles.size(); ++t) {
      const compiler::PlanTile& tile = plan.tiles[t];
      const compiler::PlanLayer& layer = plan.layers[static_cast<std::size_t>(tile.layer)];
      const Eigen::MatrixXd g = tile.UsedBlock(present[t]);
      const compiler::PairLayout columns = plan.Layout(tile);
      for (int k = 0; k < tile.outputs; ++k) {
        const int o = tile.column_offset + k;
        const double scale = layer.scale[static_cast<std::size_t>(o)] * view->global_gain();
        for (int r = 0; r < tile.rows; ++r) {
          const double gp = g(r, columns.plus_column(k)), gn = g(r, columns.minus_column(k));
          sigma[static_cast<std::size_t>(tile.layer)](o, tile.row_offset + r) = static_cast<float>(
              scale * std::hypot(read.Sigma(gp, options.age_s, gp), read.Sigma(gn, options.age_s, gn)));
        }
      }
    }
    train_options.perturb = [sigma = std::move(sigma)](std::vector<Eigen::MatrixXf>& w, Rng& rng) {
      for (std::size_t l = 0; l < w.size(); ++l) {
        for (Eigen::Index k = 0; k < w[l].size(); ++k) {
          w[l].data()[k] += sigma[l].data()[k] * static_cast<float>(NormalDraw(rng));
        }
      }
    };
  }
  // What the chip can realise: each weight moves only as far as its free devices can go inside the
  // window (a pair with both devices stuck is frozen); a convolution's weight, as far as every copy
  // of it can go.
  const double lo = plan.chip.device.memristor.g_min_s, hi = plan.chip.device.memristor.g_max_s;
  for (std::size_t l = 0; l < layers; ++l) {
    const float inf = std::numeric_limits<float>::infinity();
    train_options.lower_bound.push_back(Eigen::MatrixXf::Constant(plan.layers[l].outputs, plan.layers[l].inputs, -inf));
    train_options.upper_bound.push_back(Eigen::MatrixXf::Constant(plan.layers[l].outputs, plan.layers[l].inputs, inf));
  }
  for (const compiler::PlanTile& tile : plan.tiles) {
    const auto l = static_cast<std::size_t>(tile.layer);
    const Eigen::MatrixXf& w0 = result.chip_weights.weights[l];
    ForEachWeight(plan, chip, tile, [&](int o, int in, double scale, const Cell& plus, const Cell* minus) {
      // Weight change per device change: +scale for G+ (or the offset scheme's cell), -scale for G-.
      double down = plus.free ? lo - plus.g : 0, up = plus.free ? hi - plus.g : 0;
      if (minus != nullptr && minus->free) {
        down -= hi - minus->g;
        up += minus->g - lo;
      }
      float& lower = train_options.lower_bound[l](o, in);
      float& upper = train_options.upper_bound[l](o, in);
      lower = std::max(lower, static_cast<float>(w0(o, in) + scale * down));
      upper = std::min(upper, static_cast<float>(w0(o, in) + scale * up));
    });
  }
  if (auto ok = train_options.Validate(); !ok) return std::unexpected(ok.error());
  auto tuned = Train(train_options, train, nullptr);
  if (!tuned) return std::unexpected(WithContext(tuned.error(), "fine-tuning"));
  result.tuned_weights = std::move(*tuned);

  // Weight changes -> conductance changes of the pair, relative to what each cell holds now: split
  // evenly, kept inside the window, all of it on the free device when its partner is stuck; cells
  // moving by more than the verify tolerance change. Every copy of a convolution takes the same
  // weight change on its own cells, so the copies keep computing the same (fine-tuned) kernel.
  const double tolerance = plan.chip.programming.verify_tolerance_s;
  result.plan = plan;
  for (std::size_t t = 0; t < plan.tiles.size(); ++t) {
    compiler::PlanTile& tile = result.plan.tiles[t];
    if (!trainable[static_cast<std::size_t>(tile.layer)]) continue;
    const Eigen::MatrixXf& w0 = result.chip_weights.weights[static_cast<std::size_t>(tile.layer)];
    const Eigen::MatrixXf& w1 = result.tuned_weights.weights[static_cast<std::size_t>(tile.layer)];
    compiler::TileTargets delta{tile.physical_index,
                                Eigen::MatrixXd::Constant(tile.target_g_s.rows(), tile.target_g_s.cols(),
                                                          std::numeric_limits<double>::quiet_NaN())};
    int64_t changed = 0;
    auto set = [&](const Cell& cell, double g) {
      if (!cell.free || std::abs(g - cell.g) <= tolerance) return;
      delta.target_g_s(cell.row, cell.column) = g;
      tile.target_g_s(cell.row, cell.column) = g;
      ++changed;
    };
    ForEachWeight(plan, chip, tile, [&](int o, int in, double scale, const Cell& plus, const Cell* minus) {
      const double dg = (static_cast<double>(w1(o, in)) - static_cast<double>(w0(o, in))) / scale;
      if (minus == nullptr) return set(plus, std::clamp(plus.g + dg, lo, hi));
      double up = plus.g, down = minus->g;
      if (plus.free && minus->free) {
        // Half on each side; what one side cannot take (window edge) goes to the other.
        up += dg / 2;
        down -= dg / 2;
        if (up > hi) down -= up - hi;
        if (up < lo) down += lo - up;
        if (down > hi) up -= down - hi;
        if (down < lo) up += lo - down;
      } else if (plus.free) {
        up += dg;
      } else {
        down -= dg;
      }
      set(plus, std::clamp(up, lo, hi));
      set(*minus, std::clamp(down, lo, hi));
    });
    result.cells_changed += changed;
    if (changed > 0) result.delta.push_back(std::move(delta));
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

ChipEvalOptions FinetuneEvalOptions(const FinetuneOptions& options) {
  ChipEvalOptions eval;
  eval.ages_s = {options.age_s};
  eval.compensations = {options.compensation};
  eval.seed = options.seed;
  eval.threads = options.threads;
  eval.ir_drop = options.ir_drop;
  eval.drift = options.drift;
  eval.read_noise = options.read_noise;
  return eval;
}

Expected<FinetuneChipResult> FinetuneChip(const compiler::Plan& plan, device_models::ChipInstance& chip,
                                          const Dataset& train, const Dataset& test, const Dataset& calibration,
                                          ChipBackend& backend, const FinetuneOptions& options) {
  constexpr uint64_t kDeltaProgramStream = 3;  // DeriveSeed stream of the delta program's write-verify
  const ChipEvalOptions eval = FinetuneEvalOptions(options);
  FinetuneChipResult result;
  auto before = EvaluateChip(plan, chip, test, calibration, backend, eval);
  if (!before) return std::unexpected(WithContext(before.error(), "before fine-tuning"));
  result.before = std::move(*before);
  auto tuned = Finetune(plan, chip, train, options);
  if (!tuned) return std::unexpected(tuned.error());
  result.tuned = std::move(*tuned);
  compiler::ProgramOptions program_options;
  program_options.seed = DeriveSeed(options.seed, kDeltaProgramStream);
  program_options.threads = options.threads;
  auto delta = compiler::GenerateProgram(result.tuned.delta, chip, program_options);
  if (!delta) return std::unexpected(WithContext(delta.error(), "delta program"));
  result.delta = std::move(*delta);
  auto after = EvaluateChip(result.tuned.plan, chip, test, calibration, backend, eval);
  if (!after) return std::unexpected(WithContext(after.error(), "after fine-tuning"));
  result.after = std::move(*after);
  return result;
}

Expected<std::vector<bool>> ParseTrainableLayers(const std::string& text, std::size_t count) {
  std::vector<bool> trainable(count, text == "all");
  if (text == "last" || text == "all") {
    trainable.back() = true;
    return trainable;
  }
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, end - start);
    std::size_t used = 0;
    int index = -1;
    try {
      index = std::stoi(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != item.size() || item.empty() || index < 0 || static_cast<std::size_t>(index) >= count) {
      return Fail(ErrorCode::kInvalidArgument, "--layers: '" + item + "' is not last, all or a layer index in [0, " +
                                                   std::to_string(count - 1) + "]");
    }
    trainable[static_cast<std::size_t>(index)] = true;
    start = end + 1;
  }
  return trainable;
}

}  // namespace xbar::runtime
