// NIR graphs <-> xbar models: the chain of weight layers and populations (compiler/nir_import.h).
#include "compiler/nir_import.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>
#include <vector>

#include "support/format.h"

namespace xbar::compiler {
namespace {

using device_models::ResetRule;
using device_models::SpikingKind;
using device_models::SpikingParams;

bool IsWeight(NirType t) { return t == NirType::kAffine || t == NirType::kLinear || t == NirType::kConv2d; }
bool IsPool(NirType t) { return t == NirType::kSumPool2d || t == NirType::kAvgPool2d; }

// A row-major (rows, cols) parameter as a matrix.
Eigen::MatrixXd RowMajor(const NirTensor& t, int64_t rows, int64_t cols) {
  Eigen::MatrixXd m(rows, cols);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) m(r, c) = t.values[static_cast<std::size_t>(r * cols + c)];
  }
  return m;
}

class Importer {
 public:
  Importer(const NirNetwork& net, const std::string& source) : net_(net), source_(source) {}

  Expected<Model> Run() {
    const auto& in = net_.input_shape();
    Shape3 current;
    if (in.size() == 1) {
      current = {static_cast<int>(in[0]), 1, 1};
    } else if (in.size() == 3) {
      current = {static_cast<int>(in[0]), static_cast<int>(in[1]), static_cast<int>(in[2])};
    } else {
      return Refuse(net_.input_node(), "its shape " + NirShapeText(in) + " is neither (N) nor (C, H, W)");
    }
    Model model;
    model.name = source_;
    model.encoding.kind = EncodingKind::kSpikeTrain;
    model.encoding.period = 1;
    model.encoding.input_gain = model.encoding.inter_layer_scale = model.encoding.readout_scale = 1.0;
    PoolKind pool = PoolKind::kNone;
    int pool_size = 1;
    int at = net_.input_node();
    while (true) {
      auto next = Next(at);
      if (!next) return std::unexpected(next.error());
      const int n = *next;
      const NirType type = Node(n).type;
      if (type == NirType::kOutput) {
        if (model.weights.empty()) return Refuse(n, "receives no neuron population; xbar maps weight layers followed by neurons");
        if (pool != PoolKind::kNone) return Refuse(n, "receives a pooling; xbar pools only in front of a weight layer");
        break;
      }
      if (IsPool(type)) {
        if (pool != PoolKind::kNone) return Refuse(n, "pools a pooling; xbar maps one pooling in front of a weight layer");
        const NirWindow& w = net_.window(n);
        if (w.kh != w.kw || w.sh != w.kh || w.sw != w.kw || w.ph != 0 || w.pw != 0) {
          return Refuse(n, "window " + std::to_string(w.kh) + "x" + std::to_string(w.kw) + ", stride " +
                               std::to_string(w.sh) + "x" + std::to_string(w.sw) + ", padding " + std::to_string(w.ph) +
                               "x" + std::to_string(w.pw) + ": xbar pools square windows with stride = window, no padding");
        }
        pool = type == NirType::kSumPool2d ? PoolKind::kSum : PoolKind::kAverage;
        pool_size = static_cast<int>(w.kh);
        at = n;
        continue;
      }
      if (type == NirType::kFlatten) {
        // C-order flattening is how xbar stores activations: a dense layer reads them flat anyway.
        if (net_.shape(n).size() != 1) return Refuse(n, "flattens to " + NirShapeText(net_.shape(n)) + "; xbar flattens whole activations only");
        at = n;
        continue;
      }
      if (!IsWeight(type)) {
        return Refuse(n, "follows '" + Node(at).name + "'; xbar maps chains of weight layers each followed by a neuron population");
      }
      auto layer = Stage(n, current, pool, pool_size, model);
      if (!layer) return std::unexpected(layer.error());
      at = *layer;
      current = model.layers.back().output();
      pool = PoolKind::kNone;
      pool_size = 1;
    }
    if (auto ok = model.Validate(); !ok) return Fail(ErrorCode::kFailedPrecondition, source_ + ": " + ok.error().message);
    return model;
  }

 private:
  const NirNode& Node(int i) const { return net_.graph().nodes[static_cast<std::size_t>(i)]; }

  // One line naming the file, the node and why xbar cannot map it.
  std::unexpected<Error> Refuse(int node, const std::string& why) const {
    return Fail(ErrorCode::kFailedPrecondition, source_ + ": node '" + Node(node).name + "' (" +
                                                    std::string(NirTypeName(Node(node).type)) + ") " + why);
  }

  // A recurrent weight of neuron node `neuron`: a weight node reading it whose edge into it is
  // recurrent.
  bool IsRecurrentWeight(int node, int neuron) const {
    return IsWeight(Node(node).type) && net_.Delayed(node, neuron);
  }

  // The one node `at` feeds forward (its recurrent weights aside).
  Expected<int> Next(int at) const {
    std::vector<int> next;
    const int n = static_cast<int>(net_.graph().nodes.size());
    for (int i = 0; i < n; ++i) {
      const auto& in = net_.inputs_of(i);
      for (std::size_t k = 0; k < in.size(); ++k) {
        if (in[k] != at || net_.delayed_of(i)[k]) continue;
        if (!IsRecurrentWeight(i, at)) next.push_back(i);
      }
    }
    if (next.size() != 1) {
      return Refuse(at, "feeds " + std::to_string(next.size()) + " nodes; xbar maps chains (one successor per node)");
    }
    // A population's second input (its recurrent weight, or a stray sum) is Stage's to judge.
    if (net_.inputs_of(next[0]).size() != 1 && !net_.population(next[0])) {
      return Refuse(next[0], "sums " + std::to_string(net_.inputs_of(next[0]).size()) + " inputs; xbar maps chains");
    }
    return next[0];
  }

  // One stage from weight node `w`: its optional Scale, its population and recurrent weight.
  // Appends the layer to `model`; returns the population's node.
  Expected<int> Stage(int w, Shape3 source, PoolKind pool, int pool_size, Model& model) const {
    const NirNode& node = Node(w);
    const NirTensor& weight = *node.Find("weight");
    LayerShape shape;
    shape.source = source;
    shape.pool = pool;
    shape.pool_size = pool_size;
    Eigen::MatrixXd W;
    Eigen::VectorXd bias;
    if (node.type == NirType::kConv2d) {
      const NirWindow& g = net_.window(w);
      if (g.kh != g.kw || g.sh != g.sw || g.ph != g.pw) {
        return Refuse(w, "kernel " + std::to_string(g.kh) + "x" + std::to_string(g.kw) + ", stride " +
                             std::to_string(g.sh) + "x" + std::to_string(g.sw) + ", padding " + std::to_string(g.ph) + "x" +
                             std::to_string(g.pw) + ": xbar maps square kernels with equal strides and padding");
      }
      if (source.h == 1 && source.w == 1 && g.in_shape.size() == 3 && (g.in_shape[1] != 1 || g.in_shape[2] != 1)) {
        source = {static_cast<int>(g.in_shape[0]), static_cast<int>(g.in_shape[1]), static_cast<int>(g.in_shape[2])};
        shape.source = source;
      }
      shape.kind = LayerKind::kConv;
      shape.kernel = static_cast<int>(g.kh);
      shape.stride = static_cast<int>(g.sh);
      shape.padding = static_cast<int>(g.ph);
      shape.out_channels = static_cast<int>(weight.shape[0]);
      W = RowMajor(weight, weight.shape[0], weight.size() / weight.shape[0]);
    } else {
      shape.out_channels = static_cast<int>(weight.shape[0]);
      W = RowMajor(weight, weight.shape[0], weight.shape[1]);
    }
    bias = Eigen::VectorXd::Zero(shape.out_channels);
    if (const NirTensor* b = node.Find("bias"); b != nullptr) {
      bias = Eigen::Map<const Eigen::VectorXd>(b->values.data(), static_cast<Eigen::Index>(b->values.size()));
    }
    int at = w;
    auto next = Next(at);
    if (!next) return std::unexpected(next.error());
    if (Node(*next).type == NirType::kScale) {
      // Scale per output element; a convolution's must be one value per channel to fold into rows.
      const NirTensor& s = *Node(*next).Find("scale");
      const int64_t per = net_.size(w) / shape.out_channels;
      for (int c = 0; c < shape.out_channels; ++c) {
        const double v = NirParamAt(s, c * per);
        for (int64_t e = 0; e < per; ++e) {
          if (NirParamAt(s, c * per + e) != v) return Refuse(*next, "scales the positions of channel " + std::to_string(c) + " differently; xbar folds a scale per channel");
        }
        W.row(c) *= v;
        bias(c) *= v;
      }
      at = *next;
      next = Next(at);
      if (!next) return std::unexpected(next.error());
    }
    const int neuron = *next;
    if (!net_.population(neuron)) {
      return Refuse(neuron, "follows the weight node '" + node.name + "'; xbar maps every weight layer followed by a neuron population");
    }
    // Recurrent weights: more fan-in columns, driven by the population's spikes of the step before.
    std::optional<Eigen::MatrixXd> rec;
    for (int r : net_.inputs_of(neuron)) {
      if (!IsRecurrentWeight(r, neuron)) continue;
      const NirNode& rn = Node(r);
      if (net_.inputs_of(r).size() != 1 || net_.inputs_of(r)[0] != neuron || rn.type == NirType::kConv2d) {
        return Refuse(r, "feeds '" + Node(neuron).name + "' back but does not read it alone; xbar maps a dense weight from a population to itself");
      }
      if (rec) return Refuse(r, "is a second recurrent weight of '" + Node(neuron).name + "'");
      const NirTensor& rw = *rn.Find("weight");
      rec = RowMajor(rw, rw.shape[0], rw.shape[1]);
      if (const NirTensor* b = rn.Find("bias"); b != nullptr) {
        bias += Eigen::Map<const Eigen::VectorXd>(b->values.data(), static_cast<Eigen::Index>(b->values.size()));
      }
    }
    for (int r : net_.inputs_of(neuron)) {
      if (r != at && !IsRecurrentWeight(r, neuron)) return Refuse(neuron, "sums '" + Node(at).name + "' and '" + Node(r).name + "'; xbar maps one weight layer per population");
    }
    if (rec) {
      if (shape.kind == LayerKind::kConv) return Refuse(neuron, "is a convolution's population with a recurrent weight; xbar maps recurrent dense layers only");
      shape.recurrent = true;
    }
    shape.bias = (bias.array() != 0).any();
    if (auto ok = shape.Validate(static_cast<int>(model.layers.size())); !ok) {
      return Refuse(w, "does not fit xbar's layer limits: " + ok.error().message);
    }
    Eigen::MatrixXf m(shape.matrix_rows(), shape.matrix_cols());
    const int fan_in = static_cast<int>(W.cols());
    m.leftCols(fan_in) = W.cast<float>();
    if (rec) m.middleCols(fan_in, rec->cols()) = rec->cast<float>();
    if (shape.bias) m.col(m.cols() - 1) = bias.cast<float>();
    model.layers.push_back(shape);
    model.weights.push_back(std::move(m));
    model.populations.push_back(*net_.population(neuron));
    return neuron;
  }

  const NirNetwork& net_;
  const std::string& source_;
};

NirTensor Tensor(std::vector<int64_t> shape, std::vector<double> values) {
  return NirTensor{std::move(shape), std::move(values), false};
}

NirTensor Integers(std::vector<double> values) {
  NirTensor t{{static_cast<int64_t>(values.size())}, std::move(values), true};
  return t;
}

NirTensor Scalar(double v, bool integer) { return NirTensor{{}, {v}, integer}; }

// The shape of a layer's output as NIR writes it: (C, H, W) for a convolution, (N) for dense.
std::vector<int64_t> NirShape(Shape3 s, bool spatial) {
  if (!spatial) return {s.size()};
  return {s.c, s.h, s.w};
}

NirType NeuronType(SpikingKind kind) {
  switch (kind) {
    case SpikingKind::kI: return NirType::kI;
    case SpikingKind::kIF: return NirType::kIF;
    case SpikingKind::kLI: return NirType::kLI;
    case SpikingKind::kLIF: return NirType::kLIF;
    case SpikingKind::kCubaLI: return NirType::kCubaLI;
    case SpikingKind::kCubaLIF: return NirType::kCubaLIF;
  }
  return NirType::kLIF;
}

// Whether population `p` resets as a NIR 0.x file without v_reset means it (nir_network.h).
bool ZeroXConvention(const SpikingParams& p) {
  if (!p.Spikes()) return true;
  if (p.kind == SpikingKind::kIF) return p.reset == ResetRule::kSubtract;
  return p.reset == ResetRule::kToValue && (p.v_reset.size() == 0 || (p.v_reset == 0).all());
}

}  // namespace

Expected<Model> ModelFromNir(const NirNetwork& net, const std::string& source) { return Importer(net, source).Run(); }

Expected<NirGraph> NirFromModel(const Model& model) {
  if (!model.Spiking()) {
    return Fail(ErrorCode::kFailedPrecondition, "model '" + model.name + "' has MIF neurons; NIR export covers neuron populations");
  }
  if (auto ok = model.Validate(); !ok) return std::unexpected(ok.error());
  const bool zero_x = std::all_of(model.populations.begin(), model.populations.end(), ZeroXConvention);
  const bool to_value = std::all_of(model.populations.begin(), model.populations.end(), [](const SpikingParams& p) {
    return !p.Spikes() || p.reset == ResetRule::kToValue;
  });
  if (!zero_x && !to_value) {
    return Fail(ErrorCode::kFailedPrecondition, "model '" + model.name +
                                                    "' mixes resets NIR cannot state in one file (IF to a value with others by subtraction)");
  }
  NirGraph g;
  g.version = zero_x ? "0.2.0" : "1.0.0";
  const auto shapes = model.Shapes();
  g.nodes.reserve(6 * shapes.size() + 2);  // at most six nodes per layer: references stay valid
  auto add = [&](std::string name, NirType type) -> NirNode& {
    g.nodes.push_back(NirNode{std::move(name), type, {}, {}});
    return g.nodes.back();
  };
  auto edge = [&](const std::string& from, const std::string& to) { g.edges.emplace_back(g.Index(from), g.Index(to)); };
  const Shape3 in = shapes.front().source;
  const bool spatial_in = !(in.h == 1 && in.w == 1);
  std::vector<double> in_dims;
  for (int64_t d : NirShape(in, spatial_in)) in_dims.push_back(static_cast<double>(d));
  add("input", NirType::kInput).params["shape"] = Integers(in_dims);
  std::string prev = "input";
  bool prev_spatial = spatial_in;
  for (std::size_t l = 0; l < shapes.size(); ++l) {
    const LayerShape& s = shapes[l];
    const std::string base = "layer" + std::to_string(l);
    const Eigen::MatrixXd W = model.weights[l].cast<double>();
    if (s.pool != PoolKind::kNone) {
      NirNode& p = add(base + ".pool", s.pool == PoolKind::kSum ? NirType::kSumPool2d : NirType::kAvgPool2d);
      p.params["kernel_size"] = Integers({double(s.pool_size), double(s.pool_size)});
      p.params["stride"] = Integers({double(s.pool_size), double(s.pool_size)});
      p.params["padding"] = Integers({0, 0});
      edge(prev, p.name);
      prev = p.name;
    }
    if (s.kind == LayerKind::kDense && prev_spatial) {
      const Shape3 x = s.input();
      NirNode& f = add(base + ".flatten", NirType::kFlatten);
      f.params["start_dim"] = Scalar(0, true);
      f.params["end_dim"] = Scalar(-1, true);
      f.params["input_type"] = Integers({double(x.c), double(x.h), double(x.w)});
      edge(prev, f.name);
      prev = f.name;
    }
    const int fan_in = s.kind == LayerKind::kConv ? s.fan_in() : s.input().size();
    const int outs = s.out_channels;
    auto values = [](const Eigen::MatrixXd& m) {
      std::vector<double> v;
      for (Eigen::Index r = 0; r < m.rows(); ++r) {
        for (Eigen::Index c = 0; c < m.cols(); ++c) v.push_back(m(r, c));
      }
      return v;
    };
    std::vector<double> bias(static_cast<std::size_t>(outs), 0.0);
    if (s.bias) {
      for (int o = 0; o < outs; ++o) bias[static_cast<std::size_t>(o)] = W(o, W.cols() - 1);
    }
    NirNode& w = add(base + ".weight", s.kind == LayerKind::kConv ? NirType::kConv2d : NirType::kAffine);
    if (s.kind == LayerKind::kConv) {
      const Shape3 x = s.input();
      w.params["weight"] = Tensor({outs, x.c, s.kernel, s.kernel}, values(W.leftCols(fan_in)));
      w.params["bias"] = Tensor({outs}, bias);
      w.params["stride"] = Integers({double(s.stride), double(s.stride)});
      w.params["padding"] = Integers({double(s.padding), double(s.padding)});
      w.params["dilation"] = Integers({1, 1});
      w.params["groups"] = Scalar(1, true);
      w.params["input_shape"] = Integers({double(x.h), double(x.w)});
    } else {
      w.params["weight"] = Tensor({outs, fan_in}, values(W.leftCols(fan_in)));
      w.params["bias"] = Tensor({outs}, bias);
    }
    edge(prev, w.name);
    const SpikingParams& p = model.populations[l];
    const bool spatial = s.kind == LayerKind::kConv;
    const std::vector<int64_t> out_shape = NirShape(s.output(), spatial);
    NirNode& n = add(base + ".neurons", NeuronType(p.kind));
    for (const auto& [key, field] : NirPopulationFields(p)) {
      // NIR 0.x files name no v_reset (the reset is their convention); 1.0 files state it.
      Eigen::ArrayXd a = *field;
      if (std::string_view(key) == "v_reset") {
        if (zero_x || !p.Spikes()) continue;
        if (a.size() == 0) a = Eigen::ArrayXd::Zero(p.size());
      }
      if (a.size() > 0) n.params[key] = Tensor(out_shape, std::vector<double>(a.data(), a.data() + a.size()));
    }
    edge(w.name, n.name);
    if (s.recurrent) {
      NirNode& r = add(base + ".recurrent", NirType::kAffine);
      r.params["weight"] = Tensor({outs, outs}, values(W.middleCols(fan_in, outs)));
      r.params["bias"] = Tensor({outs}, std::vector<double>(static_cast<std::size_t>(outs), 0.0));
      edge(n.name, r.name);
      edge(r.name, n.name);
    }
    prev = n.name;
    prev_spatial = spatial;
  }
  NirNode& out = add("output", NirType::kOutput);
  out.params["shape"] = Integers({double(model.outputs())});
  edge(prev, "output");
  return g;
}

}  // namespace xbar::compiler
