// NIR graphs as networks: every node's shape, the evaluation order, the recurrent edges and the
// neuron populations, checked once (docs/nir.md).
#include "compiler/nir_network.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>

#include "support/format.h"

namespace xbar::compiler {
namespace {

int64_t Product(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + ")";
}

bool IsNeuron(NirType t) {
  return t == NirType::kI || t == NirType::kIF || t == NirType::kLI || t == NirType::kLIF || t == NirType::kCubaLI ||
         t == NirType::kCubaLIF;
}

// An Input's or Output's `shape` parameter.
std::vector<int64_t> ShapeOf(const NirNode& node) {
  std::vector<int64_t> shape;
  for (double d : node.Find("shape")->values) shape.push_back(static_cast<int64_t>(d));
  return shape;
}

int64_t WindowOut(int64_t n, int64_t k, int64_t s, int64_t p) { return (n + 2 * p - k) / s + 1; }

// The value of parameter `t` for element `i` (one value for all, or one per element).
double At(const NirTensor& t, int64_t i) { return t.values[t.values.size() == 1 ? 0 : static_cast<std::size_t>(i)]; }

// A neuron node's population: its parameters broadcast to its `size` elements.
device_models::SpikingParams Population(const NirNode& node, int64_t size, NirReset reset, double dt_s) {
  using device_models::SpikingKind;
  device_models::SpikingParams p;
  switch (node.type) {
    case NirType::kI: p.kind = SpikingKind::kI; break;
    case NirType::kIF: p.kind = SpikingKind::kIF; break;
    case NirType::kLI: p.kind = SpikingKind::kLI; break;
    case NirType::kLIF: p.kind = SpikingKind::kLIF; break;
    case NirType::kCubaLI: p.kind = SpikingKind::kCubaLI; break;
    default: p.kind = SpikingKind::kCubaLIF; break;
  }
  for (const auto& [key, out] : NirPopulationFields(p)) {
    const NirTensor* t = node.Find(key);
    if (t == nullptr) continue;
    out->resize(static_cast<Eigen::Index>(size));
    for (int64_t e = 0; e < size; ++e) (*out)(static_cast<Eigen::Index>(e)) = At(*t, e);
  }
  p.reset = reset == NirReset::kSubtract ? device_models::ResetRule::kSubtract : device_models::ResetRule::kToValue;
  p.dt_s = dt_s;
  return p;
}

}  // namespace

int64_t NirShapeSize(const std::vector<int64_t>& shape) { return Product(shape); }

std::string NirShapeText(const std::vector<int64_t>& shape) { return ShapeText(shape); }

double NirParamAt(const NirTensor& t, int64_t i) { return At(t, i); }

Expected<NirReset> ParseNirReset(const std::string& text) {
  if (text == "auto") return NirReset::kAuto;
  if (text == "zero") return NirReset::kZero;
  if (text == "subtract") return NirReset::kSubtract;
  return Fail(ErrorCode::kInvalidArgument, "--reset '" + text + "' must be auto, zero or subtract");
}

bool NirNetwork::Delayed(int from, int to) const {
  const auto& in = in_[static_cast<std::size_t>(to)];
  for (std::size_t k = 0; k < in.size(); ++k) {
    if (in[k] == from) return delayed_[static_cast<std::size_t>(to)][k] != 0;
  }
  return false;
}

NirReset NirNetwork::ResetOf(int node) const {
  const auto& p = neurons_[static_cast<std::size_t>(node)];
  return p && p->reset == device_models::ResetRule::kSubtract ? NirReset::kSubtract : NirReset::kZero;
}

Expected<NirNetwork> NirNetwork::Create(NirGraph graph, const NirRunOptions& options,
                                        const std::string& source) {
  auto refuse = [&](const std::string& what) { return Fail(ErrorCode::kFailedPrecondition, source + ": " + what); };
  if (!(options.dt_s > 0) || !std::isfinite(options.dt_s)) {
    return Fail(ErrorCode::kInvalidArgument, "--dt = " + FormatNumber(options.dt_s) + " s must be > 0");
  }
  NirNetwork net;
  net.options_ = options;
  const int n = static_cast<int>(graph.nodes.size());
  for (int i = 0; i < n; ++i) {
    const NirType t = graph.nodes[static_cast<std::size_t>(i)].type;
    if (t != NirType::kInput && t != NirType::kOutput) continue;
    int& slot = t == NirType::kInput ? net.input_ : net.output_;
    if (slot >= 0) {
      return refuse(std::string("the graph has more than one ") + (t == NirType::kInput ? "Input" : "Output") +
                    " node ('" + graph.nodes[static_cast<std::size_t>(slot)].name + "', '" +
                    graph.nodes[static_cast<std::size_t>(i)].name + "'); xbar runs graphs with one of each");
    }
    slot = i;
  }
  if (net.input_ < 0 || net.output_ < 0) return refuse("the graph needs an Input and an Output node");
  net.in_.assign(static_cast<std::size_t>(n), {});
  net.delayed_.assign(static_cast<std::size_t>(n), {});
  std::vector<std::vector<int>> out(static_cast<std::size_t>(n));
  for (const auto& [f, t] : graph.edges) {
    net.in_[static_cast<std::size_t>(t)].push_back(f);
    net.delayed_[static_cast<std::size_t>(t)].push_back(0);
    out[static_cast<std::size_t>(f)].push_back(t);
  }
  // Depth-first from the Input: an edge into a node still on the stack closes a cycle and is
  // delayed by one step; the reverse post-order of the rest is the evaluation order.
  std::vector<int> state(static_cast<std::size_t>(n), 0);  // 0 new, 1 on the stack, 2 done
  std::vector<int> post;
  std::function<void(int)> visit = [&](int v) {
    state[static_cast<std::size_t>(v)] = 1;
    for (int w : out[static_cast<std::size_t>(v)]) {
      if (state[static_cast<std::size_t>(w)] == 1) {
        auto& in = net.in_[static_cast<std::size_t>(w)];
        for (std::size_t k = 0; k < in.size(); ++k) {
          if (in[k] == v) net.delayed_[static_cast<std::size_t>(w)][k] = 1;
        }
      } else if (state[static_cast<std::size_t>(w)] == 0) {
        visit(w);
      }
    }
    state[static_cast<std::size_t>(v)] = 2;
    post.push_back(v);
  };
  visit(net.input_);
  for (int i = 0; i < n; ++i) {
    if (state[static_cast<std::size_t>(i)] == 0) {
      return refuse("node '" + graph.nodes[static_cast<std::size_t>(i)].name + "' is not reachable from the Input");
    }
  }
  net.order_.assign(post.rbegin(), post.rend());

  // Shapes, in evaluation order (a node's forward inputs come first).
  net.shape_.assign(static_cast<std::size_t>(n), {});
  net.window_.assign(static_cast<std::size_t>(n), {});
  net.neurons_.assign(static_cast<std::size_t>(n), std::nullopt);
  net.size_.assign(static_cast<std::size_t>(n), 0);
  for (int i : net.order_) {
    const NirNode& node = graph.nodes[static_cast<std::size_t>(i)];
    const std::string where = "node '" + node.name + "' (" + std::string(NirTypeName(node.type)) + ")";
    std::vector<int64_t> in_shape;
    const auto& in = net.in_[static_cast<std::size_t>(i)];
    if (node.type != NirType::kInput) {
      if (in.empty()) return refuse(where + " has no input");
      for (std::size_t k = 0; k < in.size(); ++k) {
        if (net.delayed_[static_cast<std::size_t>(i)][k]) continue;
        in_shape = net.shape_[static_cast<std::size_t>(in[k])];
        break;
      }
    }
    const int64_t in_size = Product(in_shape);
    auto param = [&](const std::string& key) -> const NirTensor& { return *node.Find(key); };
    auto sized = [&](const std::string& key, int64_t size) -> Expected<void> {
      const NirTensor* t = node.Find(key);
      if (t == nullptr) return {};
      if (t->size() != 1 && t->size() != size) {
        return refuse(where + ": parameter '" + key + "' has " + std::to_string(t->size()) + " values, the node has " +
                      std::to_string(size) + " elements (or give one value)");
      }
      return {};
    };
    // Geometry parameters: whole numbers, one value (or one per spatial axis).
    for (const char* key : {"stride", "padding", "dilation", "kernel_size", "groups", "start_dim", "end_dim"}) {
      const NirTensor* t = node.Find(key);
      if (t == nullptr) continue;
      const bool pair = std::string_view(key) != "groups" && !std::string_view(key).ends_with("_dim");
      const bool whole = std::all_of(t->values.begin(), t->values.end(),
                                     [](double v) { return v == std::floor(v) && std::abs(v) <= 1e6; });
      if (t->size() < 1 || t->size() > (pair ? 2 : 1) || !whole) {
        return refuse(where + ": parameter '" + key + "' must be " + (pair ? "one or two whole numbers" : "one whole number") +
                      ", the file has " + std::to_string(t->size()) + " value(s)");
      }
    }
    std::vector<int64_t> shape = in_shape;
    switch (node.type) {
      case NirType::kInput: {
        shape = ShapeOf(node);
        if (shape.empty() || Product(shape) < 1) return refuse(where + ": shape " + ShapeText(shape) + " is empty");
        net.input_shape_ = shape;
        break;
      }
      case NirType::kOutput:
        if (Product(ShapeOf(node)) != in_size) {
          return refuse(where + ": its shape does not match the " + std::to_string(in_size) + " values it receives");
        }
        break;
      case NirType::kAffine:
      case NirType::kLinear: {
        const NirTensor& w = param("weight");
        if (w.shape.size() != 2 || w.shape[1] != in_size) {
          return refuse(where + ": weight " + ShapeText(w.shape) + " must be (outputs, " + std::to_string(in_size) +
                        ") for its " + std::to_string(in_size) + " inputs");
        }
        shape = {w.shape[0]};
        if (node.type == NirType::kAffine && node.Find("bias")->size() != w.shape[0]) {
          return refuse(where + ": bias has " + std::to_string(node.Find("bias")->size()) + " values, weight " +
                        std::to_string(w.shape[0]) + " outputs");
        }
        break;
      }
      case NirType::kConv2d: {
        const NirTensor& w = param("weight");
        if (w.shape.size() != 4) return refuse(where + ": weight " + ShapeText(w.shape) + " must be (C_out, C_in, kH, kW)");
        if (in_shape.size() != 3) {
          const NirTensor* spatial = node.Find("input_shape");
          if (spatial == nullptr || spatial->size() != 2 || w.shape[1] * spatial->values[0] * spatial->values[1] != in_size) {
            return refuse(where + ": its input " + ShapeText(in_shape) + " is not (C, H, W)");
          }
          in_shape = {w.shape[1], static_cast<int64_t>(spatial->values[0]), static_cast<int64_t>(spatial->values[1])};
        }
        if (param("groups").values[0] != 1) return refuse(where + ": groups = " + FormatNumber(param("groups").values[0]) + ", xbar maps groups = 1 only");
        for (double d : param("dilation").values) {
          if (d != 1) return refuse(where + ": dilation " + FormatNumber(d) + ", xbar maps dilation 1 only");
        }
        if (w.shape[1] != in_shape[0]) {
          return refuse(where + ": weight takes " + std::to_string(w.shape[1]) + " channels, its input has " + std::to_string(in_shape[0]));
        }
        if (const NirTensor* b = node.Find("bias"); b != nullptr && b->size() != w.shape[0]) {
          return refuse(where + ": bias has " + std::to_string(b->size()) + " values for " + std::to_string(w.shape[0]) + " channels");
        }
        break;
      }
      case NirType::kSumPool2d:
      case NirType::kAvgPool2d:
        if (in_shape.size() != 3) return refuse(where + ": its input " + ShapeText(in_shape) + " is not (C, H, W)");
        break;
      case NirType::kFlatten: {
        const int rank = static_cast<int>(in_shape.size());
        int start = static_cast<int>(param("start_dim").values[0]), end = static_cast<int>(param("end_dim").values[0]);
        if (start < 0) start += rank;
        if (end < 0) end += rank;
        if (start < 0 || end >= rank || start > end) {
          return refuse(where + ": dims " + std::to_string(start) + ".." + std::to_string(end) + " outside its input " + ShapeText(in_shape));
        }
        shape.assign(in_shape.begin(), in_shape.begin() + start);
        shape.push_back(Product(std::vector<int64_t>(in_shape.begin() + start, in_shape.begin() + end + 1)));
        shape.insert(shape.end(), in_shape.begin() + end + 1, in_shape.end());
        break;
      }
      case NirType::kScale:
        if (auto ok = sized("scale", in_size); !ok) return std::unexpected(ok.error());
        break;
      default:  // neurons and Threshold: one element per input element
        for (const auto& [key, t] : node.params) {
          if (auto ok = sized(key, in_size); !ok) return std::unexpected(ok.error());
        }
        for (const char* key : {"tau", "tau_mem", "tau_syn"}) {
          const NirTensor* t = node.Find(key);
          if (t == nullptr) continue;
          for (double v : t->values) {
            if (!(v > 0)) return refuse(where + ": " + key + " = " + FormatNumber(v) + " s must be > 0");
          }
        }
        break;
    }
    if (node.type == NirType::kConv2d || node.type == NirType::kSumPool2d || node.type == NirType::kAvgPool2d) {
      NirWindow& g = net.window_[static_cast<std::size_t>(i)];
      const bool conv = node.type == NirType::kConv2d;
      const NirTensor& k = conv ? param("weight") : param("kernel_size");
      g.kh = static_cast<int64_t>(conv ? k.shape[2] : k.values[0]);
      g.kw = static_cast<int64_t>(conv ? k.shape[3] : k.values[k.values.size() > 1 ? 1 : 0]);
      const NirTensor& s = param("stride");
      g.sh = static_cast<int64_t>(s.values[0]);
      g.sw = static_cast<int64_t>(s.values[s.values.size() > 1 ? 1 : 0]);
      if (auto it = node.strings.find("padding"); it != node.strings.end()) {
        if (it->second == "same") {
          if (g.sh != 1 || g.sw != 1) return refuse(where + ": padding 'same' needs stride 1");
          g.ph = (g.kh - 1) / 2;
          g.pw = (g.kw - 1) / 2;
          if ((g.kh - 1) % 2 || (g.kw - 1) % 2) return refuse(where + ": padding 'same' with an even kernel is asymmetric; xbar pads symmetrically");
        } else if (it->second != "valid") {
          return refuse(where + ": padding '" + it->second + "' must be numbers, 'same' or 'valid'");
        }
      } else if (const NirTensor* p = node.Find("padding")) {
        g.ph = static_cast<int64_t>(p->values[0]);
        g.pw = static_cast<int64_t>(p->values[p->values.size() > 1 ? 1 : 0]);
      }
      if (g.kh < 1 || g.kw < 1 || g.sh < 1 || g.sw < 1 || g.ph < 0 || g.pw < 0) {
        return refuse(where + ": kernel and stride must be >= 1 and padding >= 0");
      }
      const int64_t c = conv ? k.shape[0] : in_shape[0];
      const int64_t ho = WindowOut(in_shape[1], g.kh, g.sh, g.ph), wo = WindowOut(in_shape[2], g.kw, g.sw, g.pw);
      if (ho < 1 || wo < 1) return refuse(where + ": the window does not fit its input " + ShapeText(in_shape));
      shape = {c, ho, wo};
      g.in_shape = in_shape;
    }
    net.shape_[static_cast<std::size_t>(i)] = shape;
    net.size_[static_cast<std::size_t>(i)] = Product(shape);
    // Every incoming edge, delayed ones included, must carry the node's input size.
    if (node.type != NirType::kInput) {
      for (std::size_t k = 0; k < in.size(); ++k) {
        if (net.delayed_[static_cast<std::size_t>(i)][k]) continue;
        if (net.size_[static_cast<std::size_t>(in[k])] != in_size) {
          return refuse(where + ": its inputs carry " + std::to_string(net.size_[static_cast<std::size_t>(in[k])]) +
                        " and " + std::to_string(in_size) + " values");
        }
      }
    }
    if (IsNeuron(node.type)) {
      NirReset reset = options.reset;
      if (reset == NirReset::kAuto) {
        reset = graph.HasResetValues() || node.type != NirType::kIF ? NirReset::kZero : NirReset::kSubtract;
      }
      net.neurons_[static_cast<std::size_t>(i)] = Population(node, in_size, reset, options.dt_s);
    }
  }
  // A recurrent edge must carry what the node's forward inputs carry.
  for (int i = 0; i < n; ++i) {
    const auto& in = net.in_[static_cast<std::size_t>(i)];
    const auto& delayed = net.delayed_[static_cast<std::size_t>(i)];
    const auto forward = std::find(delayed.begin(), delayed.end(), 0);
    if (forward == delayed.end()) continue;
    const int64_t expect = net.size_[static_cast<std::size_t>(in[static_cast<std::size_t>(forward - delayed.begin())])];
    for (std::size_t k = 0; k < in.size(); ++k) {
      const int64_t carried = net.size_[static_cast<std::size_t>(in[k])];
      if (delayed[k] && carried != expect) {
        return refuse("the recurrent edge " + graph.nodes[static_cast<std::size_t>(in[k])].name + " -> " +
                      graph.nodes[static_cast<std::size_t>(i)].name + " carries " + std::to_string(carried) +
                      " values, the node takes " + std::to_string(expect));
      }
    }
  }
  const auto& out_in = net.in_[static_cast<std::size_t>(net.output_)];
  if (out_in.size() == 1 && IsNeuron(graph.nodes[static_cast<std::size_t>(out_in[0])].type)) net.probe_ = out_in[0];
  net.graph_ = std::move(graph);
  return net;
}

}  // namespace xbar::compiler
