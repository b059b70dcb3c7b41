// A NIR graph run in software, step by step (docs/nir.md "Running a graph").
#include "runtime/nir_sim.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "support/format.h"
#include "support/threads.h"

namespace xbar::runtime {

using compiler::NirNode;
using compiler::NirParamAt;
using compiler::NirShapeText;
using compiler::NirTensor;
using compiler::NirType;

NirRun RunNir(const compiler::NirNetwork& net, const Eigen::Ref<const Eigen::MatrixXd>& spikes) {
  const int n = static_cast<int>(net.graph().nodes.size());
  const int64_t steps = spikes.rows();
  std::vector<Eigen::VectorXd> now(static_cast<std::size_t>(n)), before(static_cast<std::size_t>(n));
  std::vector<std::optional<device_models::SpikingPopulation>> populations(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const auto s = static_cast<Eigen::Index>(net.size(i));
    now[static_cast<std::size_t>(i)] = before[static_cast<std::size_t>(i)] = Eigen::VectorXd::Zero(s);
    if (const auto& p = net.population(i)) populations[static_cast<std::size_t>(i)].emplace(*p);
  }
  NirRun run;
  run.outputs = Eigen::MatrixXd::Zero(steps, net.outputs());
  run.membranes = Eigen::MatrixXd::Zero(steps, net.outputs());
  Eigen::VectorXd x;
  // Step -1 gives the recurrent edges what their sources send before the first step: neurons
  // nothing, weights their biases (snnTorch's recurrent layer adds its bias from step 0 on).
  for (int64_t t = -1; t < steps; ++t) {
    const bool initial = t < 0;
    for (int i : net.order()) {
      const NirNode& node = net.graph().nodes[static_cast<std::size_t>(i)];
      Eigen::VectorXd& y = now[static_cast<std::size_t>(i)];
      if (node.type == NirType::kInput) {
        if (initial) {
          y.setZero();
        } else {
          y = spikes.row(t).transpose();
        }
        continue;
      }
      const auto& in = net.inputs_of(i);
      const auto& delayed = net.delayed_of(i);
      x.setZero(static_cast<Eigen::Index>(in.empty() ? 0 : net.size(in[0])));
      for (std::size_t k = 0; k < in.size(); ++k) {
        x += delayed[k] ? before[static_cast<std::size_t>(in[k])] : now[static_cast<std::size_t>(in[k])];
      }
      const auto p = [&](const char* key, Eigen::Index e) { return NirParamAt(*node.Find(key), e); };
      switch (node.type) {
        case NirType::kOutput:
        case NirType::kFlatten:
          y = x;
          break;
        case NirType::kAffine:
        case NirType::kLinear: {
          const NirTensor& w = *node.Find("weight");
          const Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> W(
              w.values.data(), w.shape[0], w.shape[1]);
          y.noalias() = W * x;
          if (node.type == NirType::kAffine) y += Eigen::Map<const Eigen::VectorXd>(node.Find("bias")->values.data(), w.shape[0]);
          break;
        }
        case NirType::kScale:
          for (Eigen::Index e = 0; e < x.size(); ++e) y(e) = p("scale", e) * x(e);
          break;
        case NirType::kConv2d:
        case NirType::kSumPool2d:
        case NirType::kAvgPool2d: {
          const compiler::NirWindow& g = net.window(i);
          const auto& os = net.shape(i);
          const int64_t ci_n = g.in_shape[0], hi = g.in_shape[1], wi = g.in_shape[2], co_n = os[0], ho = os[1], wo = os[2];
          const int64_t kh = g.kh, kw = g.kw, sh = g.sh, sw = g.sw, ph = g.ph, pw = g.pw;
          const bool conv = node.type == NirType::kConv2d;
          const NirTensor* w = conv ? node.Find("weight") : nullptr;
          const NirTensor* bias = conv ? node.Find("bias") : nullptr;
          y.setZero();
          for (int64_t co = 0; co < co_n; ++co) {
            for (int64_t oy = 0; oy < ho; ++oy) {
              for (int64_t ox = 0; ox < wo; ++ox) {
                double acc = bias != nullptr ? bias->values[static_cast<std::size_t>(co)] : 0.0;
                const int64_t c_lo = conv ? 0 : co, c_hi = conv ? ci_n : co + 1;
                for (int64_t c = c_lo; c < c_hi; ++c) {
                  for (int64_t ky = 0; ky < kh; ++ky) {
                    const int64_t iy = oy * sh - ph + ky;
                    if (iy < 0 || iy >= hi) continue;
                    for (int64_t kx = 0; kx < kw; ++kx) {
                      const int64_t ix = ox * sw - pw + kx;
                      if (ix < 0 || ix >= wi) continue;
                      const double in_v = x((c * hi + iy) * wi + ix);
                      acc += conv ? w->values[static_cast<std::size_t>(((co * ci_n + c) * kh + ky) * kw + kx)] * in_v : in_v;
                    }
                  }
                }
                if (node.type == NirType::kAvgPool2d) acc /= static_cast<double>(kh * kw);
                y((co * ho + oy) * wo + ox) = acc;
              }
            }
          }
          break;
        }
        case NirType::kThreshold:
          for (Eigen::Index e = 0; e < x.size(); ++e) y(e) = x(e) > p("threshold", e) ? 1.0 : 0.0;
          break;
        default: {
          // Neurons (device_models/spiking_neuron.h); nothing before the first step.
          if (initial) {
            y.setZero();
            break;
          }
          y = populations[static_cast<std::size_t>(i)]->Step(x.array()).matrix();
          break;
        }
      }
    }
    if (initial) {
      before = now;
      continue;
    }
    run.outputs.row(t) = now[static_cast<std::size_t>(net.output_node())].transpose();
    if (net.probe_node() >= 0) run.membranes.row(t) = populations[static_cast<std::size_t>(net.probe_node())]->v().transpose();
    before = now;
  }
  run.decision = OutputDecision(run.outputs);
  return run;
}

int OutputDecision(const Eigen::MatrixXd& outputs) {
  Eigen::Index best = 0;
  outputs.colwise().sum().maxCoeff(&best);
  return static_cast<int>(best);
}

Expected<NirBatch> RunSpikeBatch(const std::vector<int64_t>& in, int64_t n_out, const NpyTensor& spikes,
                                 const std::string& spikes_path, int threads,
                                 const std::function<SpikeSampleRun()>& make) {
  const std::size_t rank = spikes.shape.size();
  NirBatch batch;
  batch.batched = rank == in.size() + 2;
  const bool single = rank == in.size() + 1;
  const std::size_t lead = batch.batched ? 2 : 1;
  bool fits = (single || batch.batched) && std::equal(in.begin(), in.end(), spikes.shape.begin() + static_cast<long>(lead));
  if (!fits) {
    return Fail(ErrorCode::kInvalidArgument, spikes_path + ": spike array of shape " + NirShapeText(spikes.shape) +
                                                 " is neither (T, " + NirShapeText(in).substr(1) + " nor (N, T, " +
                                                 NirShapeText(in).substr(1) + " for the graph's input " + NirShapeText(in));
  }
  batch.samples = batch.batched ? spikes.shape[0] : 1;
  batch.steps = spikes.shape[lead - 1];
  if (batch.samples < 1 || batch.steps < 1) {
    return Fail(ErrorCode::kInvalidArgument, spikes_path + ": spike array of shape " + NirShapeText(spikes.shape) + " holds no steps");
  }
  const int64_t n_in = compiler::NirShapeSize(in);
  std::vector<int64_t> out_shape = {batch.steps, n_out};
  if (batch.batched) out_shape.insert(out_shape.begin(), batch.samples);
  batch.outputs.shape = batch.membranes.shape = out_shape;
  batch.outputs.values.assign(static_cast<std::size_t>(batch.samples * batch.steps * n_out), 0.0);
  batch.membranes.values = batch.outputs.values;
  batch.decisions.assign(static_cast<std::size_t>(batch.samples), -1);
  using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  std::optional<Error> error;
#pragma omp parallel num_threads(ThreadCount(threads))
  {
    const SpikeSampleRun run = make();
#pragma omp for schedule(dynamic)
    for (int64_t s = 0; s < batch.samples; ++s) {
      const Eigen::Map<const RowMajor> x(spikes.values.data() + s * batch.steps * n_in, batch.steps, n_in);
      auto result = run(s, x);
      if (!result) {
#pragma omp critical
        if (!error) error = result.error();
        continue;
      }
      Eigen::Map<RowMajor>(batch.outputs.values.data() + s * batch.steps * n_out, batch.steps, n_out) = result->outputs;
      Eigen::Map<RowMajor>(batch.membranes.values.data() + s * batch.steps * n_out, batch.steps, n_out) = result->membranes;
      batch.decisions[static_cast<std::size_t>(s)] = result->decision;
    }
  }
  if (error) return std::unexpected(*error);
  for (double v : batch.outputs.values) batch.output_total += v;
  return batch;
}

Expected<NirBatch> RunNirSpikes(const NirNetwork& net, const NpyTensor& spikes, const std::string& spikes_path,
                                int threads) {
  return RunSpikeBatch(net.input_shape(), net.outputs(), spikes, spikes_path, threads, [&net] {
    return [&net](int64_t, const Eigen::Ref<const Eigen::MatrixXd>& x) -> Expected<NirRun> { return RunNir(net, x); };
  });
}

Expected<int64_t> NirBatch::Correct(const std::vector<int>& labels, const std::string& labels_path) const {
  if (static_cast<int64_t>(labels.size()) != samples) {
    return Fail(ErrorCode::kInvalidArgument, labels_path + ": " + std::to_string(labels.size()) + " labels for " +
                                                 std::to_string(samples) + " samples");
  }
  int64_t correct = 0;
  for (std::size_t s = 0; s < labels.size(); ++s) correct += decisions[s] == labels[s];
  return correct;
}

Expected<std::vector<int>> ReadNirLabels(const std::string& path, int64_t classes) {
  auto y = ReadNpyTensor(path);
  if (!y) return std::unexpected(y.error());
  std::vector<int> labels;
  for (double v : y->values) {
    if (!(v >= 0 && v < static_cast<double>(classes) && v == std::floor(v))) {
      return Fail(ErrorCode::kInvalidArgument, path + ": label " + FormatNumber(v) + " is not a class in [0, " +
                                                   std::to_string(classes) + ")");
    }
    labels.push_back(static_cast<int>(v));
  }
  return labels;
}

}  // namespace xbar::runtime
