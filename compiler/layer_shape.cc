// Layer geometry: derived sizes, limits, and the network description parser.
#include "compiler/layer_shape.h"

#include <cctype>

namespace xbar::compiler {
namespace {

constexpr int kMaxChannels = 4096;
constexpr int kMaxDense = 65536;
constexpr int kMaxKernel = 31;
constexpr int kMaxPool = 16;

std::unexpected<Error> Bad(std::string message) {
  return Fail(ErrorCode::kInvalidArgument, std::move(message));
}

std::string Layer(int index) { return "layer " + std::to_string(index); }

// Reads a decimal number at text[pos...]; -1 when there is none (or it exceeds 1e6).
int ReadNumber(const std::string& text, std::size_t& pos) {
  if (pos >= text.size() || !std::isdigit(static_cast<unsigned char>(text[pos]))) return -1;
  long value = 0;
  while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
    value = value * 10 + (text[pos++] - '0');
    if (value > 1000000) return -1;
  }
  return static_cast<int>(value);
}

}  // namespace

std::string Shape3::ToString() const {
  if (h == 1 && w == 1) return std::to_string(c);
  return std::to_string(c) + "x" + std::to_string(h) + "x" + std::to_string(w);
}

const char* LayerKindName(LayerKind kind) { return kind == LayerKind::kConv ? "conv" : "dense"; }

const char* PoolKindName(PoolKind kind) {
  switch (kind) {
    case PoolKind::kNone: return "none";
    case PoolKind::kAverage: return "average";
    case PoolKind::kSum: return "sum";
  }
  return "?";
}

Shape3 LayerShape::input() const {
  const int p = pool == PoolKind::kNone ? 1 : pool_size;
  const Shape3 pooled{source.c, source.h / p, source.w / p};
  if (kind == LayerKind::kDense) return {pooled.size(), 1, 1};
  return pooled;
}

Shape3 LayerShape::output() const {
  if (kind == LayerKind::kDense) return {out_channels, 1, 1};
  const Shape3 in = input();
  return {out_channels, (in.h + 2 * padding - kernel) / stride + 1, (in.w + 2 * padding - kernel) / stride + 1};
}

int LayerShape::fan_in() const {
  if (kind == LayerKind::kConv) return input().c * kernel * kernel;
  return input().size() + (recurrent ? out_channels : 0);
}

std::string LayerShape::ToString() const {
  std::string s;
  if (pool != PoolKind::kNone) s += (pool == PoolKind::kAverage ? "a" : "s") + std::to_string(pool_size) + "-";
  if (kind == LayerKind::kConv) {
    s += "c" + std::to_string(out_channels) + "k" + std::to_string(kernel);
    if (stride != 1) s += "s" + std::to_string(stride);
    if (padding != 0) s += "p" + std::to_string(padding);
  } else {
    s += std::to_string(out_channels);
    if (recurrent) s += "r";
  }
  if (bias) s += "b";
  return s;
}

Expected<void> LayerShape::Validate(int index) const {
  if (source.c < 1 || source.h < 1 || source.w < 1) {
    return Bad(Layer(index) + ": input " + source.ToString() + " must have positive sizes");
  }
  if (pool != PoolKind::kNone) {
    if (pool_size < 1 || pool_size > kMaxPool) {
      return Bad(Layer(index) + ": pooling window " + std::to_string(pool_size) + " must lie in [1, " +
                 std::to_string(kMaxPool) + "]");
    }
    if (source.h % pool_size != 0 || source.w % pool_size != 0) {
      return Bad(Layer(index) + ": pooling window " + std::to_string(pool_size) + " does not divide its input " +
                 source.ToString());
    }
  } else if (pool_size != 1) {
    return Bad(Layer(index) + ": pooling window " + std::to_string(pool_size) + " without pooling");
  }
  if (kind == LayerKind::kDense) {
    if (out_channels < 1 || out_channels > kMaxDense) {
      return Bad(Layer(index) + ": " + std::to_string(out_channels) + " outputs must lie in [1, " +
                 std::to_string(kMaxDense) + "]");
    }
    if (kernel != 1 || stride != 1 || padding != 0) {
      return Bad(Layer(index) + ": a dense layer has no kernel, stride or padding");
    }
    return {};
  }
  if (recurrent) return Bad(Layer(index) + ": a convolution cannot be recurrent (dense layers only)");
  if (out_channels < 1 || out_channels > kMaxChannels) {
    return Bad(Layer(index) + ": " + std::to_string(out_channels) + " output channels must lie in [1, " +
               std::to_string(kMaxChannels) + "]");
  }
  if (kernel < 1 || kernel > kMaxKernel) {
    return Bad(Layer(index) + ": kernel " + std::to_string(kernel) + " must lie in [1, " +
               std::to_string(kMaxKernel) + "]");
  }
  if (stride < 1 || stride > kernel) {
    return Bad(Layer(index) + ": stride " + std::to_string(stride) + " must lie in [1, kernel = " +
               std::to_string(kernel) + "]");
  }
  if (padding < 0 || padding >= kernel) {
    return Bad(Layer(index) + ": padding " + std::to_string(padding) + " must lie in [0, kernel - 1 = " +
               std::to_string(kernel - 1) + "]");
  }
  const Shape3 in = input();
  if (in.h + 2 * padding < kernel || in.w + 2 * padding < kernel) {
    return Bad(Layer(index) + ": a " + std::to_string(kernel) + "x" + std::to_string(kernel) +
               " kernel with padding " + std::to_string(padding) + " on input " + in.ToString() +
               " has no output position (output size must be positive)");
  }
  return {};
}

LayerShape LayerShape::Dense(int inputs, int outputs) {
  LayerShape s;
  s.source = {inputs, 1, 1};
  s.out_channels = outputs;
  return s;
}

std::vector<LayerShape> DenseShapes(const std::vector<int>& sizes) {
  std::vector<LayerShape> layers;
  for (std::size_t l = 0; l + 1 < sizes.size(); ++l) layers.push_back(LayerShape::Dense(sizes[l], sizes[l + 1]));
  return layers;
}

bool AllPlainDense(const std::vector<LayerShape>& layers) {
  for (const auto& s : layers) {
    if (!s.plain_dense()) return false;
  }
  return true;
}

Expected<void> ValidateChain(const std::vector<LayerShape>& layers) {
  if (layers.empty()) return Bad("network has no layers");
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const int index = static_cast<int>(l);
    if (auto ok = layers[l].Validate(index); !ok) return ok;
    if (l == 0) {
      if (layers[0].pool != PoolKind::kNone) return Bad("layer 0: pooling before the first weight layer is not supported");
      continue;
    }
    const auto& prev = layers[l - 1];
    if (!(layers[l].source == prev.output())) {
      return Bad(Layer(index) + " takes " + layers[l].source.ToString() + " but layer " + std::to_string(l - 1) +
                 " gives " + prev.output().ToString());
    }
    if (layers[l].pool != PoolKind::kNone && prev.kind == LayerKind::kDense) {
      return Bad(Layer(index) + ": pooling after a dense layer (its output has no height and width)");
    }
    if (layers[l].kind == LayerKind::kConv && prev.kind == LayerKind::kDense) {
      return Bad(Layer(index) + ": a convolution after a dense layer is not supported");
    }
  }
  if (layers.back().kind != LayerKind::kDense) return Bad("the last layer must be dense (the readout)");
  return {};
}

Expected<std::vector<LayerShape>> ParseArchitecture(const std::string& text, Shape3 input, int classes) {
  std::vector<LayerShape> layers;
  Shape3 current = input;
  PoolKind pending_pool = PoolKind::kNone;
  int pending_size = 1;
  std::size_t start = 0;
  auto bad_token = [&](const std::string& token, const std::string& why) {
    return Bad("network description '" + text + "': '" + token + "' " + why);
  };
  if (text.empty()) return Bad("network description is empty");
  while (start <= text.size()) {
    const std::size_t dash = text.find('-', start);
    const std::string token = text.substr(start, dash == std::string::npos ? std::string::npos : dash - start);
    start = dash == std::string::npos ? text.size() + 1 : dash + 1;
    std::size_t pos = 0;
    if (token.empty()) return bad_token(token, "is empty (two dashes in a row?)");
    const char head = token[0];
    if (head == 'a' || head == 's') {
      pos = 1;
      const int n = ReadNumber(token, pos);
      if (n < 1 || pos != token.size()) return bad_token(token, "is not a pooling window like a2 or s2");
      if (pending_pool != PoolKind::kNone) return bad_token(token, "follows another pooling");
      if (layers.empty()) return bad_token(token, "pools the image: put a weight layer first");
      pending_pool = head == 'a' ? PoolKind::kAverage : PoolKind::kSum;
      pending_size = n;
      continue;
    }
    if (token == "f") continue;
    LayerShape s;
    s.source = current;
    s.pool = pending_pool;
    s.pool_size = pending_size;
    if (head == 'c') {
      s.kind = LayerKind::kConv;
      pos = 1;
      s.out_channels = ReadNumber(token, pos);
      if (s.out_channels < 1 || pos >= token.size() || token[pos] != 'k') {
        return bad_token(token, "is not a convolution like c16k5 (channels, then k and the kernel size)");
      }
      ++pos;
      s.kernel = ReadNumber(token, pos);
      if (s.kernel < 1) return bad_token(token, "has no kernel size after k");
      while (pos < token.size()) {
        const char key = token[pos++];
        if (key == 'b' && pos == token.size()) {
          s.bias = true;
          break;
        }
        const int v = ReadNumber(token, pos);
        if (key == 's' && v >= 1) {
          s.stride = v;
        } else if (key == 'p' && v >= 0) {
          s.padding = v;
        } else {
          return bad_token(token, "has an unknown part at '" + std::string(1, key) +
                                      "' (known: s<stride>, p<padding>, b for bias)");
        }
      }
      if (current.h == 1 && current.w == 1 && !layers.empty() && layers.back().kind == LayerKind::kDense) {
        return bad_token(token, "is a convolution after a dense layer");
      }
    } else {
      s.out_channels = ReadNumber(token, pos);
      if (s.out_channels < 1) {
        return bad_token(token, "is not a layer (c<C>k<K>..., a<N>, s<N>, f, or a dense size like 256)");
      }
      if (pos < token.size() && token[pos] == 'b') {
        s.bias = true;
        ++pos;
      }
      if (pos != token.size()) return bad_token(token, "has trailing characters after the dense size");
    }
    if (auto ok = s.Validate(static_cast<int>(layers.size())); !ok) {
      return Bad("network description '" + text + "': " + ok.error().message);
    }
    layers.push_back(s);
    current = s.output();
    pending_pool = PoolKind::kNone;
    pending_size = 1;
  }
  if (pending_pool != PoolKind::kNone) return Bad("network description '" + text + "' ends in a pooling");
  if (layers.empty()) return Bad("network description '" + text + "' has no weight layer");
  if (layers.back().kind != LayerKind::kDense || layers.back().out_channels != classes) {
    return Bad("network description '" + text + "' must end in a dense layer of " + std::to_string(classes) +
               " outputs (the data set's classes)");
  }
  if (auto ok = ValidateChain(layers); !ok) return Bad("network description '" + text + "': " + ok.error().message);
  return layers;
}

std::string DescribeArchitecture(const std::vector<LayerShape>& layers) {
  if (layers.empty()) return "";
  std::string s = layers.front().source.ToString();
  for (const auto& layer : layers) s += "-" + layer.ToString();
  return s;
}

}  // namespace xbar::compiler
