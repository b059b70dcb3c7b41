// Reader and writer for NumPy .npy arrays: weight matrices (float64/float32, 1-D or 2-D) and
// tensors of any rank (spike trains: floats, integers or booleans), C order.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <vector>

#include "support/error.h"

namespace xbar {

/// A 1-D or 2-D array read from a .npy file; a 1-D array of n values is an n x 1 matrix.
struct NpyArray {
  Eigen::MatrixXd data;
  int ndim = 2;
};

/// Reads a .npy file of little-endian float64 ('<f8') or float32 ('<f4') in C order with one or
/// two dimensions. Anything else (other dtypes, Fortran order, 3-D, truncated data) is rejected
/// with a kDataLoss error naming the file and what was found.
Expected<NpyArray> ReadNpy(const std::string& path);

/// Parses .npy bytes already in memory; `name` is used in messages.
Expected<NpyArray> ParseNpy(const std::string& bytes, const std::string& name);

/// An array of any rank (up to 8) in C order, values widened to double.
struct NpyTensor {
  std::vector<int64_t> shape;  // empty: a scalar
  std::vector<double> values;  // product of shape, C order
};

/// Reads a .npy tensor of little-endian float64/float32, signed or unsigned 8/16/32/64-bit
/// integers or booleans, C order, rank 0 to 8. Other dtypes, Fortran order, truncated data:
/// kDataLoss naming the file and what was found.
Expected<NpyTensor> ReadNpyTensor(const std::string& path);
Expected<NpyTensor> ParseNpyTensor(const std::string& bytes, const std::string& name);

/// Writes `tensor` as a float64 C-order .npy file atomically.
Expected<void> WriteNpyTensor(const std::string& path, const NpyTensor& tensor);

/// Writes a float64 C-order .npy file atomically; `ndim` 1 writes a vector (the matrix must have
/// one column).
Expected<void> WriteNpy(const std::string& path, const Eigen::MatrixXd& data, int ndim = 2);

}  // namespace xbar
