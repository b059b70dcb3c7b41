// The spiking network: exact BPTT weight gradients, determinism, and evaluation.
#include "runtime/snn.h"

#include <gtest/gtest.h>

#include <random>

#include "runtime/trainer.h"

namespace xbar::runtime {
namespace {

using MatD = Mat<double>;

struct NetProblem {
  device_models::MifParams neuron;
  compiler::Encoding encoding;
  std::vector<compiler::LayerShape> shapes;  // empty: plain dense
  std::vector<MatD> weights;
  MatD x;
  std::vector<uint8_t> labels;
  double rail_penalty = 0;  // SnnEngine::set_margin_penalty, per sample (the loss is a mean)
  double rail_margin = 0.9;

  /// A network from a description (compiler/layer_shape.h) on `input`-shaped samples, with
  /// weights and biases of about unit fan-in gain.
  NetProblem(compiler::Shape3 input, const std::string& arch, int classes, int batch, uint64_t seed)
      : NetProblem({input.size(), classes}, batch, seed) {
    shapes = compiler::ParseArchitecture(arch, input, classes).value();
    std::mt19937_64 rng(seed + 1);
    std::normal_distribution<double> normal(0, 1);
    weights.clear();
    for (const auto& s : shapes) {
      weights.push_back(MatD::NullaryExpr(s.matrix_rows(), s.matrix_cols(), [&] {
        return 1.5 * normal(rng) / std::sqrt(static_cast<double>(s.fan_in()));
      }));
    }
  }

  NetProblem(std::vector<int> sizes, int batch, uint64_t seed) {
    encoding.steps = 30;
    encoding.period = 7;
    encoding.input_gain = 0.03;
    encoding.inter_layer_scale = 1e4;
    encoding.readout_scale = 30;
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal(0, 1);
    std::uniform_real_distribution<double> unit(0, 1);
    for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
      weights.push_back(MatD::NullaryExpr(sizes[l + 1], sizes[l], [&] {
        return normal(rng) / std::sqrt(static_cast<double>(sizes[l]));
      }));
    }
    x = MatD::NullaryExpr(sizes[0], batch, [&] { return unit(rng); });
    for (int s = 0; s < batch; ++s) labels.push_back(static_cast<uint8_t>(s % sizes.back()));
  }

  double Loss(const std::vector<MatD>& w) const {
    SnnEngine<double> engine(neuron, encoding, shapes);
    engine.set_margin_penalty(rail_penalty / static_cast<double>(x.cols()), rail_margin);
    const MatD& logits = engine.Forward(w, x, rail_penalty > 0);
    MatD d;
    return SoftmaxCrossEntropy<double>(logits, labels.data(), 1.0, d, nullptr) + engine.margin_penalty();
  }
};

void CheckWeightGradients(NetProblem& pr) {
  SnnEngine<double> engine(pr.neuron, pr.encoding, pr.shapes);
  engine.set_margin_penalty(pr.rail_penalty / static_cast<double>(pr.x.cols()), pr.rail_margin);
  const MatD& logits = engine.Forward(pr.weights, pr.x, true);
  MatD dlogits;
  SoftmaxCrossEntropy<double>(logits, pr.labels.data(), static_cast<double>(pr.x.cols()), dlogits, nullptr);
  std::vector<MatD> grads;
  for (const auto& w : pr.weights) grads.push_back(MatD::Zero(w.rows(), w.cols()));
  engine.Backward(dlogits, grads);
  int checked = 0;
  for (std::size_t l = 0; l < pr.weights.size(); ++l) {
    // A gradient that vanished everywhere would pass the comparison below trivially.
    EXPECT_GT(grads[l].cwiseAbs().maxCoeff(), 1e-4) << "layer " << l;
    for (Eigen::Index k = 0; k < pr.weights[l].size(); k += 3) {
      const double h = 1e-6;
      auto w = pr.weights;
      w[l].data()[k] += h;
      const double lp = pr.Loss(w);
      w[l].data()[k] -= 2 * h;
      const double lm = pr.Loss(w);
      const double numeric = (lp - lm) / (2 * h);
      const double analytic = grads[l].data()[k];
      const double denom = std::max({std::abs(numeric), std::abs(analytic), 1e-6});
      EXPECT_LE(std::abs(numeric - analytic) / denom, 1e-5)
          << "layer " << l << " weight " << k << " analytic " << analytic << " numeric " << numeric;
      ++checked;
    }
  }
  EXPECT_GT(checked, 20);
}

TEST(SnnEngine, WeightGradientsMatchFiniteDifferencesOneHiddenLayer) {
  NetProblem pr({12, 8, 4}, 3, 7);
  CheckWeightGradients(pr);
}

TEST(SnnEngine, WeightGradientsMatchFiniteDifferencesTwoHiddenLayers) {
  NetProblem pr({10, 7, 6, 3}, 2, 11);
  CheckWeightGradients(pr);
}

TEST(SnnEngine, WeightGradientsMatchFiniteDifferencesExplicitMembrane) {
  NetProblem pr({9, 6, 3}, 2, 5);
  pr.neuron.membrane_update = device_models::MembraneUpdate::kExplicit;
  pr.neuron.c = 1e-2;
  pr.encoding.input_gain = 3;
  pr.encoding.inter_layer_scale = 100;
  CheckWeightGradients(pr);
}

// Convolutions with padding, bias and stride, average and sum pooling, a flatten into a dense
// layer with bias: every weight's exact gradient against central differences.
TEST(SnnEngine, WeightGradientsMatchFiniteDifferencesConvolutionalNetwork) {
  NetProblem pr({2, 6, 6}, "c3k3p1b-a2-c4k2-s2-3b", 3, 2, 13);
  pr.encoding.inter_layer_scale = 3e3;
  CheckWeightGradients(pr);
}

TEST(SnnEngine, WeightGradientsMatchFiniteDifferencesStridedConvolution) {
  NetProblem pr({2, 7, 7}, "c3k3s2p1-c2k3-a2-3", 3, 2, 17);
  pr.encoding.inter_layer_scale = 3e3;
  CheckWeightGradients(pr);
}

// Membranes held at the supply rails and word-line drives clipped by their drivers: the exact
// gradient has zero derivative beyond each limit. The limits are set from an unbounded run so
// that both bind for part of the samples (counted), and the check covers both regimes.
TEST(SnnEngine, WeightGradientsMatchFiniteDifferencesWithRailsAndDriveLimit) {
  NetProblem pr({2, 7, 7}, "c3k3s2p1-c2k3-a2-3", 3, 2, 17);
  pr.encoding.inter_layer_scale = 3e3;
  VoltageRange free;
  SnnEngine<double> probe(pr.neuron, pr.encoding, pr.shapes);
  probe.set_voltage_range(&free);
  probe.Forward(pr.weights, pr.x, true);
  ASSERT_GT(free.peak_membrane_mv, 100);
  double hidden_peak = 0;
  for (std::size_t l = 0; l + 1 < pr.shapes.size(); ++l) {
    for (int t = 1; t <= pr.encoding.steps; ++t) hidden_peak = std::max(hidden_peak, probe.recorded_v(l, t).abs().maxCoeff());
  }
  pr.neuron.rail_low_mv = -0.5 * free.peak_membrane_mv;
  pr.neuron.rail_high_mv = 0.5 * free.peak_membrane_mv;
  pr.encoding.drive_limit_mv = 0.5 * hidden_peak;
  ASSERT_TRUE(pr.neuron.Validate().has_value());
  VoltageRange bounded;
  SnnEngine<double> engine(pr.neuron, pr.encoding, pr.shapes);
  engine.set_voltage_range(&bounded);
  engine.Forward(pr.weights, pr.x, false);
  EXPECT_GT(bounded.at_rail, 0u);
  EXPECT_LT(bounded.at_rail, bounded.membrane_samples);
  EXPECT_GT(bounded.drive_clipped, 0u);
  EXPECT_LT(bounded.drive_clipped, bounded.drive_samples);
  EXPECT_LE(bounded.peak_membrane_mv, pr.neuron.rail_high_mv + 1e-9);
  CheckWeightGradients(pr);
}

// The largest |membrane| (mV) of any neuron at any step of the problem's run.
double UnboundedPeakMv(const NetProblem& pr) {
  VoltageRange range;
  SnnEngine<double> engine(pr.neuron, pr.encoding, pr.shapes);
  engine.set_voltage_range(&range);
  engine.Forward(pr.weights, pr.x, false);
  return range.peak_membrane_mv;
}

// The rail margin penalty acts on the membrane before the rails clamp it, so it still has a
// gradient for the samples held at a rail; the check covers samples inside the margin, between
// margin and rail, and at the rail (the penalty is counted as non-zero).
TEST(SnnEngine, WeightGradientsMatchFiniteDifferencesWithTheRailMarginPenalty) {
  NetProblem pr({2, 7, 7}, "c3k3s2p1-c2k3-a2-3", 3, 2, 17);
  pr.encoding.inter_layer_scale = 3e3;
  // Rails at half the unbounded run's peak (as in the test above).
  pr.neuron.rail_low_mv = -0.5 * UnboundedPeakMv(pr);
  pr.neuron.rail_high_mv = -pr.neuron.rail_low_mv;
  pr.rail_penalty = 0.5;
  pr.rail_margin = 0.4;
  SnnEngine<double> engine(pr.neuron, pr.encoding, pr.shapes);
  engine.set_margin_penalty(pr.rail_penalty, pr.rail_margin);
  engine.Forward(pr.weights, pr.x, true);
  EXPECT_GT(engine.margin_penalty(), 1e-3);
  const double loss_without = [&] {
    NetProblem plain = pr;
    plain.rail_penalty = 0;
    return plain.Loss(pr.weights);
  }();
  EXPECT_GT(pr.Loss(pr.weights), loss_without + 1e-4);
  CheckWeightGradients(pr);
}

TEST(SnnEngine, FloatForwardTracksDouble) {
  NetProblem pr({20, 16, 5}, 4, 3);
  SnnEngine<double> ed(pr.neuron, pr.encoding);
  SnnEngine<float> ef(pr.neuron, pr.encoding);
  std::vector<Mat<float>> wf;
  for (const auto& w : pr.weights) wf.push_back(w.cast<float>());
  const MatD ld = ed.Forward(pr.weights, pr.x, false);
  const Mat<float> lf = ef.Forward(wf, pr.x.cast<float>(), false);
  EXPECT_LT((lf.cast<double>() - ld).norm() / ld.norm(), 1e-4);
}

// Synthetic, linearly separable data: two bright halves of a tiny image.
Dataset TwoBlobs(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> unit(0, 1);
  Dataset d;
  d.name = "blobs";
  d.classes = 2;
  d.images.resize(16, n);
  for (int s = 0; s < n; ++s) {
    const int label = s % 2;
    for (int p = 0; p < 16; ++p) d.images(p, s) = 0.3f * unit(rng) + ((p < 8) == (label == 0) ? 0.7f : 0.0f);
    d.labels.push_back(static_cast<uint8_t>(label));
  }
  return d;
}

// Options that learn TwoBlobs in a few epochs.
TrainOptions BlobOptions(int epochs) {
  TrainOptions opt;
  opt.hidden = {8};
  opt.epochs = epochs;
  opt.batch_size = 16;
  opt.learning_rate = 1e-2;
  opt.quiet = true;
  opt.encoding.steps = 20;
  opt.encoding.period = 5;
  return opt;
}

TEST(Trainer, LearnsASeparableProblem) {
  TrainOptions opt = BlobOptions(4);
  Dataset train = TwoBlobs(256, 1), test = TwoBlobs(128, 2);
  auto model = Train(opt, train, &test);
  ASSERT_TRUE(model.has_value()) << model.error().message;
  EXPECT_GE(model->training.test_accuracy, 0.97);
}

// After every epoch the callback sees the model as it stands (what xbar train writes as its
// checkpoint): the epochs so far in its record, the weights of that epoch, the last one returned.
TEST(Trainer, EpochCallbackSeesTheModelOfEachEpoch) {
  TrainOptions opt = BlobOptions(3);
  Dataset train = TwoBlobs(256, 1), test = TwoBlobs(128, 2);
  std::vector<compiler::Model> seen;
  auto model = Train(opt, train, &test, [&](const EpochStats& s, const compiler::Model& m) {
    EXPECT_EQ(m.training.epochs, s.epoch);
    EXPECT_EQ(m.training.test_accuracy, s.test_accuracy);
    seen.push_back(m);
  });
  ASSERT_TRUE(model.has_value()) << model.error().message;
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_NE(seen[0].weights[0], seen[1].weights[0]);
  EXPECT_EQ(seen[2].weights, model->weights);
  EXPECT_EQ(model->training.epochs, 3);
  EXPECT_GE(seen[2].training.wall_time_s, seen[0].training.wall_time_s);
}

TEST(Trainer, SameSeedSameWeightsForAnyThreadCount) {
  TrainOptions opt;
  opt.hidden = {6};
  opt.epochs = 1;
  opt.batch_size = 40;
  opt.chunk = 8;
  opt.quiet = true;
  opt.encoding.steps = 10;
  opt.encoding.period = 3;
  Dataset train = TwoBlobs(100, 3);
  opt.threads = 1;
  auto a = Train(opt, train, nullptr);
  opt.threads = 2;
  auto b = Train(opt, train, nullptr);
  opt.seed = 2;
  auto c = Train(opt, train, nullptr);
  ASSERT_TRUE(a && b && c);
  for (std::size_t l = 0; l < a->weights.size(); ++l) {
    EXPECT_EQ(a->weights[l], b->weights[l]) << "layer " << l;
  }
  EXPECT_NE(a->weights[0], c->weights[0]);
}

// A convolutional network (padding, bias, pooling, a dense readout with bias) learns the blobs, and
// the same seed gives the same weights on one and on two threads.
TEST(Trainer, ConvolutionalNetworkLearnsAndIsTheSameForAnyThreadCount) {
  TrainOptions opt = BlobOptions(4);
  opt.layers = compiler::ParseArchitecture("c3k3p1b-a2-2b", {1, 4, 4}, 2).value();
  opt.chunk = 4;
  Dataset train = TwoBlobs(256, 1), test = TwoBlobs(128, 2);
  opt.threads = 1;
  auto a = Train(opt, train, &test);
  ASSERT_TRUE(a.has_value()) << a.error().message;
  EXPECT_GE(a->training.test_accuracy, 0.97);
  EXPECT_EQ(a->Describe(), "1x4x4-c3k3p1b-a2-2b");
  opt.threads = 2;
  auto b = Train(opt, train, &test);
  ASSERT_TRUE(b.has_value());
  for (std::size_t l = 0; l < a->weights.size(); ++l) EXPECT_EQ(a->weights[l], b->weights[l]) << "layer " << l;
  opt.layers = compiler::ParseArchitecture("c3k3p1b-a2-3", {1, 4, 4}, 3).value();
  auto wrong = Train(opt, train, &test);
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().message,
            "network 1x4x4-c3k3p1b-a2-3 takes 16 inputs and gives 3 outputs; blobs has 16 pixels and 2 classes");
}

// Weight bounds (what a programmed chip can still realise): every weight ends inside its box, a box
// of zero width freezes its weight, and the others still learn.
TEST(Trainer, KeepsWeightsInsideTheirBoundsAndFreezesZeroWidthBoxes) {
  TrainOptions opt = BlobOptions(2);
  Dataset train = TwoBlobs(256, 1), test = TwoBlobs(128, 2);
  std::mt19937_64 rng(5);
  std::normal_distribution<float> normal(0, 0.3f);
  opt.initial_weights = {Eigen::MatrixXf(8, 16), Eigen::MatrixXf(2, 8)};
  for (auto& w : opt.initial_weights) {
    for (Eigen::Index k = 0; k < w.size(); ++k) w.data()[k] = normal(rng);
  }
  for (const auto& w : opt.initial_weights) {
    opt.lower_bound.push_back((w.array() - 0.05f).matrix());
    opt.upper_bound.push_back((w.array() + 0.05f).matrix());
  }
  opt.lower_bound[0].row(3) = opt.initial_weights[0].row(3);  // output 3 of layer 0 frozen
  opt.upper_bound[0].row(3) = opt.initial_weights[0].row(3);
  auto model = Train(opt, train, &test);
  ASSERT_TRUE(model.has_value()) << model.error().message;
  int at_a_bound = 0;
  for (std::size_t l = 0; l < 2; ++l) {
    EXPECT_TRUE((model->weights[l].array() >= opt.lower_bound[l].array()).all()) << "layer " << l;
    EXPECT_TRUE((model->weights[l].array() <= opt.upper_bound[l].array()).all()) << "layer " << l;
    at_a_bound += static_cast<int>((model->weights[l].array() == opt.lower_bound[l].array() ||
                                    model->weights[l].array() == opt.upper_bound[l].array()).count());
  }
  EXPECT_TRUE(model->weights[0].row(3) == opt.initial_weights[0].row(3));
  EXPECT_NE(model->weights[0].row(2), opt.initial_weights[0].row(2));
  EXPECT_GT(at_a_bound, 16);  // the boxes bind: without them many weights would go further
  // Bounds of the wrong shape, or crossed, are refused.
  opt.upper_bound[1] = opt.lower_bound[1].array() - 1;
  auto bad = Train(opt, train, nullptr);
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("weight bounds of layer 1"), std::string::npos) << bad.error().message;
}

TEST(Trainer, RejectsNonsensicalOptions) {
  Dataset train = TwoBlobs(10, 1);
  TrainOptions opt;
  opt.quiet = true;
  opt.encoding.steps = 0;
  EXPECT_NE(Train(opt, train, nullptr).error().message.find("steps = 0"), std::string::npos);
  opt = TrainOptions{};
  opt.encoding.period = 101;
  EXPECT_NE(Train(opt, train, nullptr).error().message.find("period = 101"), std::string::npos);
  opt = TrainOptions{};
  opt.learning_rate = -1;
  EXPECT_NE(Train(opt, train, nullptr).error().message.find("--lr"), std::string::npos);
  opt = TrainOptions{};
  opt.batch_size = 0;
  EXPECT_EQ(Train(opt, train, nullptr).error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace xbar::runtime
