// Dense and convolution layers with pooling and bias against direct loops over the definitions.
#include "runtime/layer_ops.h"

#include <gtest/gtest.h>

#include <random>

namespace xbar::runtime {
namespace {

using MatD = Mat<double>;

MatD Random(Eigen::Index rows, Eigen::Index cols, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0, 1);
  return MatD::NullaryExpr(rows, cols, [&] { return normal(rng); });
}

// out[co, oy, ox] = sum_{ci, ky, kx} w[co, (ci*k + ky)*k + kx] * in[ci, oy*s - p + ky, ox*s - p + kx] + b[co]
TEST(LayerOp, ConvolutionEqualsTheDefinitionWithStridePaddingAndBias) {
  compiler::LayerShape shape;
  shape.kind = compiler::LayerKind::kConv;
  shape.source = {3, 7, 6};
  shape.out_channels = 4;
  shape.kernel = 3;
  shape.stride = 2;
  shape.padding = 1;
  shape.bias = true;
  ASSERT_TRUE(shape.Validate(0));
  const compiler::Shape3 in = shape.input(), out = shape.output();
  EXPECT_EQ(out, (compiler::Shape3{4, 4, 3}));
  const MatD w = Random(shape.matrix_rows(), shape.matrix_cols(), 1);
  const MatD x = Random(in.size(), 2, 2);
  LayerOp<double> op(shape);
  MatD y(out.size(), 2);
  op.Forward(w, x, y);
  for (int b = 0; b < 2; ++b) {
    for (int co = 0; co < out.c; ++co) {
      for (int oy = 0; oy < out.h; ++oy) {
        for (int ox = 0; ox < out.w; ++ox) {
          double sum = w(co, shape.fan_in());
          for (int ci = 0; ci < in.c; ++ci) {
            for (int ky = 0; ky < 3; ++ky) {
              for (int kx = 0; kx < 3; ++kx) {
                const int iy = oy * 2 - 1 + ky, ix = ox * 2 - 1 + kx;
                if (iy < 0 || iy >= in.h || ix < 0 || ix >= in.w) continue;
                sum += w(co, (ci * 3 + ky) * 3 + kx) * x((ci * in.h + iy) * in.w + ix, b);
              }
            }
          }
          EXPECT_NEAR(y((co * out.h + oy) * out.w + ox, b), sum, 1e-12);
        }
      }
    }
  }
}

TEST(LayerOp, AverageAndSumPoolingEqualTheDefinition) {
  for (auto kind : {compiler::PoolKind::kAverage, compiler::PoolKind::kSum}) {
    compiler::LayerShape shape = compiler::LayerShape::Dense(0, 2);
    shape.source = {2, 4, 6};
    shape.pool = kind;
    shape.pool_size = 2;
    ASSERT_TRUE(shape.Validate(1));
    const MatD v = Random(shape.source.size(), 3, 3);
    LayerOp<double> op(shape);
    const MatD pooled = op.Pool(v);
    ASSERT_EQ(pooled.rows(), 2 * 2 * 3);
    const double norm = kind == compiler::PoolKind::kAverage ? 0.25 : 1.0;
    for (int b = 0; b < 3; ++b) {
      for (int c = 0; c < 2; ++c) {
        for (int y = 0; y < 2; ++y) {
          for (int x = 0; x < 3; ++x) {
            double sum = 0;
            for (int dy = 0; dy < 2; ++dy) {
              for (int dx = 0; dx < 2; ++dx) sum += v((c * 4 + 2 * y + dy) * 6 + 2 * x + dx, b);
            }
            EXPECT_NEAR(pooled((c * 2 + y) * 3 + x, b), norm * sum, 1e-12);
          }
        }
      }
    }
  }
}

TEST(LayerOp, DenseWithBiasAddsTheLastColumn) {
  compiler::LayerShape shape = compiler::LayerShape::Dense(5, 3);
  shape.bias = true;
  const MatD w = Random(3, 6, 4);
  const MatD x = Random(5, 2, 5);
  LayerOp<double> op(shape);
  MatD y(3, 2);
  op.Forward(w, x, y);
  const MatD expect = (w.leftCols(5) * x).colwise() + w.col(5);
  EXPECT_LT((y - expect).cwiseAbs().maxCoeff(), 1e-12);
}

}  // namespace
}  // namespace xbar::runtime
