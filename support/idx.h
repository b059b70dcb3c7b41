// Reader for the idx format of the MNIST family (unsigned-byte tensors with a big-endian header).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "support/error.h"

namespace xbar {

/// An unsigned-byte tensor read from an idx file.
struct IdxTensor {
  std::vector<uint32_t> dims;  // outermost first
  std::vector<uint8_t> data;   // row-major, product(dims) bytes
};

/// Reads an idx file of unsigned bytes (type 0x08) with `expected_rank` dimensions. Rejects a bad
/// magic, a wrong rank or type, and a size that does not match the header (kDataLoss).
Expected<IdxTensor> ReadIdx(const std::string& path, int expected_rank);

/// Parses idx bytes already in memory; `name` is used in messages.
Expected<IdxTensor> ParseIdx(const std::string& bytes, int expected_rank, const std::string& name);

}  // namespace xbar
