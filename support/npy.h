// Reader and writer for NumPy .npy arrays (float64/float32, C order, 1-D or 2-D).
#pragma once

#include <Eigen/Core>
#include <string>

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

/// Writes a float64 C-order .npy file atomically; `ndim` 1 writes a vector (the matrix must have
/// one column).
Expected<void> WriteNpy(const std::string& path, const Eigen::MatrixXd& data, int ndim = 2);

}  // namespace xbar
