// The geometry of one weight layer (dense or convolution, the pooling before it, its bias) and the
// network description `xbar train --arch` takes; the one owner of every layer size in xbar.
//
// A network is a chain of weight layers, each followed by MIF neurons, one per output element.
// Activations are stored channel-major (index = (c * H + y) * W + x), which is PyTorch's NCHW
// order, so a flatten between a convolution and a dense layer moves no data. A layer's weight
// matrix has one row per output channel (dense: per output) and one column per fan-in element
// (convolution: input channel, kernel row, kernel column, PyTorch's weight order), plus a last
// column for the bias when the layer has one: the bias is a weight on a word line driven at the
// constant input 1.
#pragma once

#include <string>
#include <vector>

#include "support/error.h"

namespace xbar::compiler {

/// Channels x height x width of an activation; a flat vector is (n, 1, 1).
struct Shape3 {
  int c = 0, h = 1, w = 1;
  int size() const { return c * h * w; }
  bool operator==(const Shape3&) const = default;
  /// "16x14x14", or "784" for a flat vector.
  std::string ToString() const;
};

enum class LayerKind { kDense, kConv };
/// Pooling of the previous layer's membrane voltages before a layer (window = stride).
enum class PoolKind { kNone, kAverage, kSum };

const char* LayerKindName(LayerKind kind);
const char* PoolKindName(PoolKind kind);

/// One weight layer and the pooling in front of it.
struct LayerShape {
  LayerKind kind = LayerKind::kDense;
  /// What the previous layer's neurons (or, for layer 0, the image) give: the input before pooling.
  Shape3 source;
  PoolKind pool = PoolKind::kNone;
  int pool_size = 1;  // window and stride; 1 without pooling
  int kernel = 1, stride = 1, padding = 0;  // convolution only (dense: 1, 1, 0)
  int out_channels = 0;  // convolution: output channels; dense: outputs
  bool bias = false;
  /// Dense only (NIR recurrent layers): the layer's own outputs of the step before are fan-in
  /// elements too, after the input's and before the bias.
  bool recurrent = false;

  /// The input after pooling: source with height and width divided by pool_size (dense: flat).
  Shape3 input() const;
  /// The output: (out_channels, out_h, out_w) for a convolution, (outputs, 1, 1) for dense.
  Shape3 output() const;
  /// Neurons after this layer, output().size().
  int neurons() const { return output().size(); }
  /// Weight elements one output channel sees: in_c * kernel^2 (convolution) or inputs (dense; a
  /// recurrent one: inputs + outputs).
  int fan_in() const;
  /// Weight matrix shape: out_channels x (fan_in + bias).
  int matrix_rows() const { return out_channels; }
  int matrix_cols() const { return fan_in() + (bias ? 1 : 0); }
  /// Output positions a convolution's kernel matrix is applied at per step (dense: 1).
  int positions() const { return kind == LayerKind::kConv ? output().h * output().w : 1; }
  /// Whether this is a plain dense layer: no pooling, no bias, no recurrence.
  bool plain_dense() const { return kind == LayerKind::kDense && pool == PoolKind::kNone && !bias && !recurrent; }
  /// The description token(s) of this layer, e.g. "a2-c32k5p2", "10b" or "38rb" (recurrent).
  std::string ToString() const;

  /// Checks sizes against their limits (kInvalidArgument naming layer `index`, the value and the
  /// limit): a pooling window that does not divide its input, a convolution whose output size is
  /// not positive, non-positive sizes.
  Expected<void> Validate(int index) const;

  /// A dense layer of `outputs` on a flat `inputs` vector, without pooling or bias.
  static LayerShape Dense(int inputs, int outputs);
};

/// The layer shapes of a plain dense network with these layer sizes (e.g. {784, 256, 10}).
std::vector<LayerShape> DenseShapes(const std::vector<int>& sizes);

/// Whether every layer is plain dense (what the chip mapping takes today).
bool AllPlainDense(const std::vector<LayerShape>& layers);

/// Checks each layer and that they chain: every layer's source is the previous layer's output
/// (a dense layer flattens it); a convolution does not follow a dense layer. kInvalidArgument
/// naming the layer.
Expected<void> ValidateChain(const std::vector<LayerShape>& layers);

/// Parses a network description for images of `input` shape ending in `classes` outputs, e.g.
/// "c16k5p2-a2-c32k5-a2-10": tokens separated by '-',
///   c<C>k<K>[s<S>][p<P>][b]  convolution: C output channels, K x K kernel, stride S (1), zero
///                            padding P (0), b: with bias
///   a<N> / s<N>              average / sum pooling, window = stride = N, of the previous layer
///   f                        flatten (optional: a dense layer flattens its input)
///   <N>[b]                   dense layer of N outputs, b: with bias
/// The last layer must be dense with `classes` outputs ("256-10" is the MLP 784-256-10 on MNIST).
/// kInvalidArgument naming the token, the value and the limit.
Expected<std::vector<LayerShape>> ParseArchitecture(const std::string& text, Shape3 input,
                                                    int classes);

/// The description of a network, the inverse of ParseArchitecture: "1x28x28-c16k5p2-a2-...-10".
std::string DescribeArchitecture(const std::vector<LayerShape>& layers);

}  // namespace xbar::compiler
