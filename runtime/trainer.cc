// Minibatch BPTT training with Adam, gradient clipping and cosine decay; parallel over chunks.
#include "runtime/trainer.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <string>
#include <numeric>

#include "runtime/snn.h"
#include "support/progress.h"
#include "support/rng.h"
#include "support/threads.h"

namespace xbar::runtime {
namespace {

using Clock = std::chrono::steady_clock;

std::string Fixed(double v, int digits) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// Adam state for one parameter matrix.
struct AdamSlot {
  Mat<float> m, v;
};

// Writes a randomly shifted (and flipped) copy of sample `idx` into `out`; pixels shifted in are 0.
void Augment(const Dataset& data, Eigen::Index idx, const TrainOptions& options, Rng& rng,
             Eigen::Ref<Mat<float>> out) {
  const int span = 2 * options.shift_px + 1;
  const int dx = static_cast<int>(UniformIndex(rng, static_cast<uint64_t>(span))) - options.shift_px;
  const int dy = static_cast<int>(UniformIndex(rng, static_cast<uint64_t>(span))) - options.shift_px;
  const bool flip = options.flip && UniformIndex(rng, 2) == 1;
  const int w = data.width, h = data.height;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const int sy = y - dy;
      int sx = x - dx;
      if (flip) sx = w - 1 - sx;
      out(y * w + x, 0) = (sy >= 0 && sy < h && sx >= 0 && sx < w) ? data.images(sy * w + sx, idx) : 0.0f;
    }
  }
}

}  // namespace

void TrainOptions::StartFrom(const compiler::Model& model) {
  hidden.clear();
  for (std::size_t l = 0; l + 1 < model.weights.size(); ++l) hidden.push_back(static_cast<int>(model.weights[l].rows()));
  layers = model.layers;
  initial_weights = model.weights;
  neuron = model.neuron;
  encoding = model.encoding;
}

Expected<void> TrainOptions::Validate() const {
  auto bad = [](std::string m) { return Fail(ErrorCode::kInvalidArgument, std::move(m)); };
  if (!layers.empty()) {
    if (auto ok = compiler::ValidateChain(layers); !ok) return ok;
  } else if (hidden.empty()) {
    return bad("--hidden needs at least one layer size");
  }
  for (int h : hidden) {
    if (h < 1 || h > 65536) return bad("hidden layer size " + std::to_string(h) + " must lie in [1, 65536]");
  }
  if (epochs < 1) return bad("--epochs = " + std::to_string(epochs) + " must be at least 1");
  if (batch_size < 1 || batch_size > 65536) {
    return bad("--batch = " + std::to_string(batch_size) + " must lie in [1, 65536]");
  }
  if (!(learning_rate > 0) || !std::isfinite(learning_rate)) {
    return bad("--lr = " + Fixed(learning_rate, 6) + " must be positive");
  }
  if (!(final_lr_fraction > 0 && final_lr_fraction <= 1)) {
    return bad("--final-lr-fraction = " + Fixed(final_lr_fraction, 4) + " must lie in (0, 1]");
  }
  if (!(clip_norm >= 0)) return bad("--clip = " + Fixed(clip_norm, 4) + " must be >= 0 (0: off)");
  if (!(init_gain > 0)) return bad("--init-gain must be positive");
  if (threads < 0) return bad("--threads = " + std::to_string(threads) + " must be >= 0");
  if (chunk < 1) return bad("chunk size must be at least 1");
  if (shift_px < 0 || shift_px > 8) return bad("--shift = " + std::to_string(shift_px) + " must lie in [0, 8] pixels");
  if (auto ok = neuron.Validate(); !ok) return ok;
  if (!(rail_penalty >= 0) || !std::isfinite(rail_penalty)) {
    return bad("--rail-penalty = " + Fixed(rail_penalty, 4) + " must be >= 0 (0: off)");
  }
  if (rail_penalty > 0 && !neuron.bounded()) return bad("--rail-penalty needs the membranes' rails (--rails-mv)");
  if (rail_penalty > 0 && !(neuron.rail_low_mv < 0)) {
    return bad("--rail-penalty needs a lower rail below 0 mV (its margin lies inside the rails); the rails are [" +
               Fixed(neuron.rail_low_mv, 1) + ", " + Fixed(neuron.rail_high_mv, 1) + "] mV");
  }
  if (!(rail_margin > 0 && rail_margin < 1)) {
    return bad("--rail-margin = " + Fixed(rail_margin, 4) + " must lie in (0, 1)");
  }
  return encoding.Validate();
}

std::vector<compiler::LayerShape> TrainOptions::Network(int inputs, int classes) const {
  if (!layers.empty()) return layers;
  std::vector<int> sizes = {inputs};
  sizes.insert(sizes.end(), hidden.begin(), hidden.end());
  sizes.push_back(classes);
  return compiler::DenseShapes(sizes);
}

Expected<compiler::Model> Train(const TrainOptions& options, const Dataset& train,
                                const Dataset* test, const EpochCallback& on_epoch) {
  if (auto ok = options.Validate(); !ok) return std::unexpected(ok.error());
  if (train.size() == 0) return Fail(ErrorCode::kInvalidArgument, "training set is empty");
  const int threads = ThreadCount(options.threads);

  compiler::Model model;
  model.neuron = options.neuron;
  model.encoding = options.encoding;
  const std::vector<compiler::LayerShape> shapes =
      options.Network(static_cast<int>(train.images.rows()), train.classes);
  model.layers = options.layers;  // empty for dense networks: the compact form of their files
  if (shapes.front().source.size() != train.images.rows() || shapes.back().neurons() != train.classes) {
    return Fail(ErrorCode::kInvalidArgument, "network " + compiler::DescribeArchitecture(shapes) + " takes " +
                                                 std::to_string(shapes.front().source.size()) + " inputs and gives " +
                                                 std::to_string(shapes.back().neurons()) + " outputs; " + train.name +
                                                 " has " + std::to_string(train.images.rows()) + " pixels and " +
                                                 std::to_string(train.classes) + " classes");
  }
  Rng init_rng(DeriveSeed(options.seed, 0));
  std::vector<Mat<float>> weights;
  if (!options.initial_weights.empty()) {
    if (options.initial_weights.size() != shapes.size()) {
      return Fail(ErrorCode::kInvalidArgument, "initial weights: " + std::to_string(options.initial_weights.size()) +
                                                   " matrices for " + std::to_string(shapes.size()) + " layers");
    }
    for (std::size_t l = 0; l < shapes.size(); ++l) {
      const auto& w = options.initial_weights[l];
      if (w.rows() != shapes[l].matrix_rows() || w.cols() != shapes[l].matrix_cols() || !w.allFinite()) {
        return Fail(ErrorCode::kInvalidArgument, "initial weights: layer " + std::to_string(l) + " is " +
                                                     std::to_string(w.rows()) + "x" + std::to_string(w.cols()) +
                                                     ", the network needs " + std::to_string(shapes[l].matrix_rows()) +
                                                     "x" + std::to_string(shapes[l].matrix_cols()) + " finite weights");
      }
      weights.push_back(w);
    }
  } else {
    // N(0, init_gain^2 / fan_in) weights; biases start at zero.
    for (const auto& shape : shapes) {
      Mat<float> w = Mat<float>::Zero(shape.matrix_rows(), shape.matrix_cols());
      const double sd = options.init_gain / std::sqrt(static_cast<double>(shape.fan_in()));
      for (Eigen::Index k = 0; k < static_cast<Eigen::Index>(shape.matrix_rows()) * shape.fan_in(); ++k) {
        w.data()[k] = static_cast<float>(sd * NormalDraw(init_rng));
      }
      weights.push_back(std::move(w));
    }
  }
  if (!options.trainable.empty() && options.trainable.size() != weights.size()) {
    return Fail(ErrorCode::kInvalidArgument, "trainable: " + std::to_string(options.trainable.size()) +
                                                 " flags for " + std::to_string(weights.size()) + " layers");
  }
  const bool bounded = !options.lower_bound.empty();
  if (options.lower_bound.size() != options.upper_bound.size() || (bounded && options.lower_bound.size() != weights.size())) {
    return Fail(ErrorCode::kInvalidArgument, "weight bounds: " + std::to_string(options.lower_bound.size()) + " lower and " +
                                                 std::to_string(options.upper_bound.size()) + " upper for " +
                                                 std::to_string(weights.size()) + " layers");
  }
  for (std::size_t l = 0; bounded && l < weights.size(); ++l) {
    const auto& lo = options.lower_bound[l];
    const auto& hi = options.upper_bound[l];
    if (lo.rows() != weights[l].rows() || lo.cols() != weights[l].cols() || hi.rows() != lo.rows() ||
        hi.cols() != lo.cols() || !(lo.array() <= hi.array()).all()) {
      return Fail(ErrorCode::kInvalidArgument, "weight bounds of layer " + std::to_string(l) +
                                                   " are not two " + std::to_string(weights[l].rows()) + "x" +
                                                   std::to_string(weights[l].cols()) + " matrices with lower <= upper");
    }
    weights[l] = weights[l].cwiseMax(lo).cwiseMin(hi);
  }

  const Eigen::Index n = train.size();
  const int batch = std::min<int>(options.batch_size, static_cast<int>(n));
  const int chunk = options.chunk;
  const int max_chunks = (batch + chunk - 1) / chunk;
  const int64_t steps_per_epoch = (n + batch - 1) / batch;
  const int64_t total_steps = steps_per_epoch * options.epochs;

  std::vector<SnnEngine<float>> engines(static_cast<std::size_t>(threads),
                                        SnnEngine<float>(options.neuron, options.encoding, shapes));
  std::vector<std::vector<Mat<float>>> chunk_grads(static_cast<std::size_t>(max_chunks));
  std::vector<double> chunk_loss(static_cast<std::size_t>(max_chunks));
  std::vector<int> chunk_correct(static_cast<std::size_t>(max_chunks));
  std::vector<AdamSlot> adam(weights.size());
  for (std::size_t l = 0; l < weights.size(); ++l) {
    adam[l].m = Mat<float>::Zero(weights[l].rows(), weights[l].cols());
    adam[l].v = Mat<float>::Zero(weights[l].rows(), weights[l].cols());
  }
  std::vector<Eigen::Index> order(static_cast<std::size_t>(n));
  const bool augment = options.shift_px > 0 || options.flip;
  if (augment && train.width * train.height != train.images.rows()) {
    return Fail(ErrorCode::kInvalidArgument, "augmentation needs images of known width and height");
  }
  Mat<float> xb(train.images.rows(), batch);
  std::vector<Mat<float>> perturbed;
  std::vector<uint8_t> yb(static_cast<std::size_t>(batch));
  const auto t_start = Clock::now();
  int64_t step = 0;
  for (int epoch = 1; epoch <= options.epochs; ++epoch) {
    const auto t_epoch = Clock::now();
    std::iota(order.begin(), order.end(), Eigen::Index{0});
    Rng shuffle_rng(DeriveSeed(options.seed, static_cast<uint64_t>(epoch)));
    Rng augment_rng(DeriveSeed(options.seed ^ 0xA5A5A5A5ull, static_cast<uint64_t>(epoch)));
    for (std::size_t k = order.size(); k > 1; --k) {
      std::swap(order[k - 1], order[UniformIndex(shuffle_rng, k)]);
    }
    double loss_sum = 0;
    int64_t correct_sum = 0;
    Progress progress("epoch " + std::to_string(epoch) + "/" + std::to_string(options.epochs),
                      static_cast<uint64_t>(n), options.quiet);
    for (int64_t b = 0; b < steps_per_epoch; ++b) {
      const Eigen::Index begin = b * batch;
      const int count = static_cast<int>(std::min<Eigen::Index>(batch, n - begin));
      for (int s = 0; s < count; ++s) {
        const Eigen::Index idx = order[static_cast<std::size_t>(begin + s)];
        if (augment) {
          Augment(train, idx, options, augment_rng, xb.col(s));
        } else {
          xb.col(s) = train.images.col(idx);
        }
        yb[static_cast<std::size_t>(s)] = train.labels[static_cast<std::size_t>(idx)];
      }
      const int chunks = (count + chunk - 1) / chunk;
      const std::vector<Mat<float>>* forward = &weights;
      if (options.perturb) {
        perturbed = weights;
        Rng perturb_rng(DeriveSeed(DeriveSeed(options.seed, 0xC41Bull), static_cast<uint64_t>(step)));
        options.perturb(perturbed, perturb_rng);
        forward = &perturbed;
      }
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
      for (int c = 0; c < chunks; ++c) {
        auto& engine = engines[static_cast<std::size_t>(omp_get_thread_num())];
        const int c0 = c * chunk;
        const int cn = std::min(chunk, count - c0);
        auto& grads = chunk_grads[static_cast<std::size_t>(c)];
        grads.resize(weights.size());
        for (std::size_t l = 0; l < weights.size(); ++l) grads[l].setZero(weights[l].rows(), weights[l].cols());
        // The penalty's gradient is divided by the minibatch size, as the cross-entropy's.
        engine.set_margin_penalty(options.rail_penalty / count, options.rail_margin);
        const Mat<float>& logits = engine.Forward(*forward, xb.middleCols(c0, cn), true);
        Mat<float> dlogits;
        int correct = 0;
        chunk_loss[static_cast<std::size_t>(c)] =
            cn * SoftmaxCrossEntropy<float>(logits, yb.data() + c0, count, dlogits, &correct) +
            engine.margin_penalty() * count;
        chunk_correct[static_cast<std::size_t>(c)] = correct;
        engine.Backward(dlogits, grads);
      }
      // Sum the chunks in a fixed order: the result does not depend on the thread count.
      for (int c = 1; c < chunks; ++c) {
        for (std::size_t l = 0; l < weights.size(); ++l) chunk_grads[0][l] += chunk_grads[static_cast<std::size_t>(c)][l];
      }
      for (int c = 0; c < chunks; ++c) {
        loss_sum += chunk_loss[static_cast<std::size_t>(c)];
        correct_sum += chunk_correct[static_cast<std::size_t>(c)];
      }
      auto& grads = chunk_grads[0];
      double norm2 = 0;
      for (std::size_t l = 0; l < grads.size(); ++l) {
        if (options.trainable.empty() || options.trainable[l]) norm2 += static_cast<double>(grads[l].squaredNorm());
      }
      const double norm = std::sqrt(norm2);
      const double clip = (options.clip_norm > 0 && norm > options.clip_norm) ? options.clip_norm / norm : 1.0;
      // Cosine decay from learning_rate to learning_rate * final_lr_fraction.
      const double progress_frac = total_steps > 1 ? static_cast<double>(step) / (total_steps - 1) : 1.0;
      const double lr = options.learning_rate *
                        (options.final_lr_fraction +
                         (1 - options.final_lr_fraction) * 0.5 * (1 + std::cos(M_PI * progress_frac)));
      ++step;
      constexpr double kBeta1 = 0.9, kBeta2 = 0.999, kEps = 1e-8;
      const double bc1 = 1 - std::pow(kBeta1, static_cast<double>(step));
      const double bc2 = 1 - std::pow(kBeta2, static_cast<double>(step));
      const auto step_size = static_cast<float>(lr / bc1);
      const auto inv_bc2 = static_cast<float>(1.0 / bc2);
      for (std::size_t l = 0; l < weights.size(); ++l) {
        if (!options.trainable.empty() && !options.trainable[l]) continue;
        auto g = (grads[l].array() * static_cast<float>(clip)).eval();
        adam[l].m.array() = kBeta1 * adam[l].m.array() + (1 - kBeta1) * g;
        adam[l].v.array() = kBeta2 * adam[l].v.array() + (1 - kBeta2) * g.square();
        weights[l].array() -= step_size * adam[l].m.array() /
                              ((adam[l].v.array() * inv_bc2).sqrt() + static_cast<float>(kEps));
        if (bounded) weights[l] = weights[l].cwiseMax(options.lower_bound[l]).cwiseMin(options.upper_bound[l]);
      }
      const uint64_t done = static_cast<uint64_t>(begin + count);
      progress.Update(done, "loss " + Fixed(loss_sum / static_cast<double>(done), 4) + " acc " +
                                Fixed(100.0 * correct_sum / static_cast<double>(done), 2) + "%");
    }
    progress.Finish();
    for (const auto& w : weights) {
      if (!w.allFinite()) {
        return Fail(ErrorCode::kFailedPrecondition,
                    "training diverged in epoch " + std::to_string(epoch) +
                        " (weights are not finite; lower --lr or use the implicit membrane update)");
      }
    }
    EpochStats stats;
    stats.epoch = epoch;
    stats.train_loss = loss_sum / static_cast<double>(n);
    stats.train_accuracy = static_cast<double>(correct_sum) / static_cast<double>(n);
    stats.seconds = std::chrono::duration<double>(Clock::now() - t_epoch).count();
    stats.samples_per_s = static_cast<double>(n) / stats.seconds;
    model.weights = weights;
    if (test != nullptr) {
      auto eval = Evaluate(model, *test, threads);
      if (!eval) return std::unexpected(eval.error());
      stats.test_accuracy = eval->accuracy();
      model.training.test_accuracy = eval->accuracy();
      model.training.test_samples = eval->samples;
    }
    auto& info = model.training;
    info.dataset = train.name;
    info.seed = options.seed;
    info.epochs = epoch;
    info.batch_size = batch;
    info.learning_rate = options.learning_rate;
    info.train_samples = static_cast<uint64_t>(n);
    info.wall_time_s = std::chrono::duration<double>(Clock::now() - t_start).count();
    if (on_epoch) on_epoch(stats, model);
  }
  return model;
}

Expected<EvalResult> Evaluate(const compiler::Model& model, const Dataset& data, int threads,
                              bool quiet) {
  if (auto ok = model.Validate(); !ok) return std::unexpected(ok.error());
  if (model.inputs() != data.images.rows()) {
    return Fail(ErrorCode::kInvalidArgument,
                "model takes " + std::to_string(model.inputs()) + " inputs but " + data.name +
                    " images have " + std::to_string(data.images.rows()) + " pixels");
  }
  if (model.outputs() < data.classes) {
    return Fail(ErrorCode::kInvalidArgument,
                "model has " + std::to_string(model.outputs()) + " outputs but " + data.name +
                    " has " + std::to_string(data.classes) + " classes");
  }
  const int nthreads = ThreadCount(threads);
  const auto t0 = Clock::now();
  constexpr int kChunk = 32;
  const Eigen::Index n = data.size();
  const auto chunks = static_cast<int>((n + kChunk - 1) / kChunk);
  std::vector<SnnEngine<float>> engines(static_cast<std::size_t>(nthreads),
                                        SnnEngine<float>(model.neuron, model.encoding, model.Shapes()));
  std::vector<int> correct(static_cast<std::size_t>(chunks));
  std::vector<double> loss(static_cast<std::size_t>(chunks));
  std::vector<VoltageRange> ranges(engines.size());
  for (std::size_t e = 0; e < engines.size(); ++e) engines[e].set_voltage_range(&ranges[e]);
  Progress progress("eval", static_cast<uint64_t>(chunks), quiet);
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads)
  for (int c = 0; c < chunks; ++c) {
    auto& engine = engines[static_cast<std::size_t>(omp_get_thread_num())];
    const Eigen::Index c0 = Eigen::Index{c} * kChunk;
    const auto cn = static_cast<int>(std::min<Eigen::Index>(kChunk, n - c0));
    const Mat<float>& logits = engine.Forward(model.weights, data.images.middleCols(c0, cn), false);
    Mat<float> dlogits;
    int right = 0;
    loss[static_cast<std::size_t>(c)] =
        cn * SoftmaxCrossEntropy<float>(logits, data.labels.data() + c0, 1.0, dlogits, &right);
    correct[static_cast<std::size_t>(c)] = right;
    if (omp_get_thread_num() == 0) progress.Update(static_cast<uint64_t>(c + 1), "");
  }
  progress.Finish();
  EvalResult result;
  result.samples = static_cast<uint64_t>(n);
  result.correct = static_cast<uint64_t>(std::accumulate(correct.begin(), correct.end(), 0));
  result.loss = std::accumulate(loss.begin(), loss.end(), 0.0) / static_cast<double>(n);
  result.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  for (const VoltageRange& r : ranges) result.range.Add(r);
  return result;
}

Expected<std::vector<int>> ParseLayerSizes(const std::string& text, const std::string& option) {
  std::vector<int> sizes;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t comma = text.find(',', pos);
    const std::string item = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    std::size_t used = 0;
    int value = 0;
    try {
      value = std::stoi(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (item.empty() || used != item.size() || value < 1) {
      return Fail(ErrorCode::kInvalidArgument,
                  "--" + option + " '" + text + "' must be positive sizes separated by commas");
    }
    sizes.push_back(value);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return sizes;
}

}  // namespace xbar::runtime
