// Dense and convolution layers with pooling and bias: forward and exact adjoints (im2col GEMMs).
#include "runtime/layer_ops.h"

#include <algorithm>

#include "support/error.h"

namespace xbar::runtime {

using compiler::LayerKind;
using compiler::PoolKind;

template <typename S>
LayerOp<S>::LayerOp(const compiler::LayerShape& shape)
    : shape_(shape), in_(shape.input()), out_(shape.output()), fan_in_(shape.fan_in()) {}

template <typename S>
void LayerOp<S>::Scale(const Mat<S>& w, const compiler::LayerShape& shape, S in_scale, S bias_in, Mat<S>& eff) {
  const Eigen::Index k = shape.fan_in();
  XBAR_CHECK(w.cols() == shape.matrix_cols());
  eff.resize(w.rows(), w.cols());
  eff.leftCols(k) = w.leftCols(k) * in_scale;
  if (shape.bias) eff.col(k) = w.col(k) * bias_in;
}

template <typename S>
const Mat<S>& LayerOp<S>::Pool(const Eigen::Ref<const Mat<S>>& source) {
  XBAR_CHECK(shape_.pool != PoolKind::kNone);
  const compiler::Shape3 src = shape_.source;
  const int p = shape_.pool_size;
  const int ph = src.h / p, pw = src.w / p;
  const S norm = shape_.pool == PoolKind::kAverage ? S(1) / static_cast<S>(p * p) : S(1);
  pooled_.resize(static_cast<Eigen::Index>(src.c) * ph * pw, source.cols());
  for (Eigen::Index b = 0; b < source.cols(); ++b) {
    for (int c = 0; c < src.c; ++c) {
      for (int y = 0; y < ph; ++y) {
        for (int x = 0; x < pw; ++x) {
          S sum = 0;
          for (int dy = 0; dy < p; ++dy) {
            for (int dx = 0; dx < p; ++dx) sum += source((c * src.h + y * p + dy) * src.w + x * p + dx, b);
          }
          pooled_((c * ph + y) * pw + x, b) = sum * norm;
        }
      }
    }
  }
  return pooled_;
}

template <typename S>
void LayerOp<S>::PoolBackward(const Mat<S>& input_bar, Eigen::Ref<Mat<S>> source_bar) const {
  const compiler::Shape3 src = shape_.source;
  const int p = shape_.pool_size;
  const int ph = src.h / p, pw = src.w / p;
  const S norm = shape_.pool == PoolKind::kAverage ? S(1) / static_cast<S>(p * p) : S(1);
  for (Eigen::Index b = 0; b < input_bar.cols(); ++b) {
    for (int c = 0; c < src.c; ++c) {
      for (int y = 0; y < ph; ++y) {
        for (int x = 0; x < pw; ++x) {
          const S g = input_bar((c * ph + y) * pw + x, b) * norm;
          for (int dy = 0; dy < p; ++dy) {
            for (int dx = 0; dx < p; ++dx) source_bar((c * src.h + y * p + dy) * src.w + x * p + dx, b) += g;
          }
        }
      }
    }
  }
}

namespace {

// The output positions o in [0, out) whose input index o * stride - pad + offset lies in [0, in):
// [lo, hi), empty when hi == lo.
void ValidRange(int offset, int in, int out, int stride, int pad, int& lo, int& hi) {
  const int first = pad - offset;  // o * stride >= first
  lo = first <= 0 ? 0 : (first + stride - 1) / stride;
  const int last = in - 1 + pad - offset;  // o * stride <= last
  hi = last < 0 ? 0 : std::min(out, last / stride + 1);
  lo = std::min(lo, out);
  hi = std::max(hi, lo);
}

}  // namespace

template <typename S>
void LayerOp<S>::Im2Col(const Eigen::Ref<const Mat<S>>& x, Eigen::Index b) {
  const int k = shape_.kernel, s = shape_.stride, pad = shape_.padding;
  patches_.resize(static_cast<Eigen::Index>(out_.h) * out_.w, fan_in_);
  const S* image = x.col(b).data();
  for (int c = 0; c < in_.c; ++c) {
    for (int ky = 0; ky < k; ++ky) {
      int y_lo = 0, y_hi = 0;
      ValidRange(ky, in_.h, out_.h, s, pad, y_lo, y_hi);
      for (int kx = 0; kx < k; ++kx) {
        int x_lo = 0, x_hi = 0;
        ValidRange(kx, in_.w, out_.w, s, pad, x_lo, x_hi);
        S* column = patches_.col((static_cast<Eigen::Index>(c) * k + ky) * k + kx).data();
        for (int oy = 0; oy < out_.h; ++oy) {
          S* row = column + static_cast<Eigen::Index>(oy) * out_.w;
          if (oy < y_lo || oy >= y_hi) {
            std::fill(row, row + out_.w, S(0));
            continue;
          }
          // The first valid input of this output row (x_lo * s - pad + kx >= 0 by construction).
          const S* src = image + static_cast<Eigen::Index>(c * in_.h + oy * s - pad + ky) * in_.w + x_lo * s - pad + kx;
          std::fill(row, row + x_lo, S(0));
          for (int ox = x_lo; ox < x_hi; ++ox) row[ox] = src[(ox - x_lo) * s];
          std::fill(row + x_hi, row + out_.w, S(0));
        }
      }
    }
  }
}

template <typename S>
void LayerOp<S>::Col2ImAdd(Eigen::Ref<Mat<S>> x_bar, Eigen::Index b) const {
  const int k = shape_.kernel, s = shape_.stride, pad = shape_.padding;
  S* image = x_bar.col(b).data();
  for (int c = 0; c < in_.c; ++c) {
    for (int ky = 0; ky < k; ++ky) {
      int y_lo = 0, y_hi = 0;
      ValidRange(ky, in_.h, out_.h, s, pad, y_lo, y_hi);
      for (int kx = 0; kx < k; ++kx) {
        int x_lo = 0, x_hi = 0;
        ValidRange(kx, in_.w, out_.w, s, pad, x_lo, x_hi);
        const S* column = patches_bar_.col((static_cast<Eigen::Index>(c) * k + ky) * k + kx).data();
        for (int oy = y_lo; oy < y_hi; ++oy) {
          const S* row = column + static_cast<Eigen::Index>(oy) * out_.w;
          S* dst = image + static_cast<Eigen::Index>(c * in_.h + oy * s - pad + ky) * in_.w + x_lo * s - pad + kx;
          for (int ox = x_lo; ox < x_hi; ++ox) dst[(ox - x_lo) * s] += row[ox];
        }
      }
    }
  }
}

template <typename S>
void LayerOp<S>::Forward(const Mat<S>& eff, const Eigen::Ref<const Mat<S>>& x, Eigen::Ref<Mat<S>> y) {
  const Eigen::Index batch = x.cols();
  XBAR_CHECK(x.rows() == in_.size() && eff.cols() == shape_.matrix_cols());
  XBAR_CHECK(y.rows() == out_.size() && y.cols() == batch);
  const auto kernel = eff.leftCols(fan_in_);
  if (shape_.kind == LayerKind::kDense) {
    y.noalias() = kernel * x;
    if (shape_.bias) y.colwise() += eff.col(fan_in_);
    return;
  }
  const Eigen::Index positions = static_cast<Eigen::Index>(out_.h) * out_.w;
  for (Eigen::Index b = 0; b < batch; ++b) {
    Im2Col(x, b);
    Eigen::Map<Mat<S>> yb(y.col(b).data(), positions, out_.c);  // channel-major = positions x channels
    yb.noalias() = patches_ * kernel.transpose();
    if (shape_.bias) yb.rowwise() += eff.col(fan_in_).transpose();
  }
}

template <typename S>
void LayerOp<S>::Backward(const Mat<S>& eff, const Eigen::Ref<const Mat<S>>& x,
                          const Eigen::Ref<const Mat<S>>& y_bar, S in_scale, S bias_in, Mat<S>& dw,
                          bool want_x_bar, Eigen::Ref<Mat<S>> x_bar) {
  const Eigen::Index batch = x.cols();
  XBAR_CHECK(y_bar.rows() == out_.size() && y_bar.cols() == batch);
  const auto kernel = eff.leftCols(fan_in_);
  if (shape_.kind == LayerKind::kDense) {
    // y = (w * in_scale) x:  dw += (y_bar * in_scale) x^T,  x_bar += eff^T y_bar.
    dw.leftCols(fan_in_).noalias() += (y_bar * in_scale) * x.transpose();
    if (shape_.bias) dw.col(fan_in_) += y_bar.rowwise().sum() * bias_in;
    if (want_x_bar) x_bar.noalias() += kernel.transpose() * y_bar;
    return;
  }
  const Eigen::Index positions = static_cast<Eigen::Index>(out_.h) * out_.w;
  for (Eigen::Index b = 0; b < batch; ++b) {
    Im2Col(x, b);
    const Eigen::Map<const Mat<S>> yb(y_bar.col(b).data(), positions, out_.c);
    dw.leftCols(fan_in_).noalias() += (yb.transpose() * in_scale) * patches_;
    if (shape_.bias) dw.col(fan_in_) += yb.colwise().sum().transpose() * bias_in;
    if (want_x_bar) {
      patches_bar_.noalias() = yb * kernel;
      Col2ImAdd(x_bar, b);
    }
  }
}

template class LayerOp<float>;
template class LayerOp<double>;

}  // namespace xbar::runtime
