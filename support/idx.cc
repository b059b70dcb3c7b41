// Reader for the idx format of the MNIST family.
#include "support/idx.h"

#include "support/file_io.h"

namespace xbar {

Expected<IdxTensor> ParseIdx(const std::string& bytes, int expected_rank, const std::string& name) {
  auto bad = [&](const std::string& what) {
    return Fail(ErrorCode::kDataLoss, name + ": " + what);
  };
  auto byte = [&](std::size_t i) { return static_cast<uint8_t>(bytes[i]); };
  if (bytes.size() < 4) return bad("truncated idx header (" + std::to_string(bytes.size()) + " bytes)");
  if (byte(0) != 0 || byte(1) != 0) return bad("not an idx file (bad magic)");
  if (byte(2) != 0x08) {
    return bad("idx element type 0x" + std::to_string(byte(2)) + " is not supported (only 0x08, unsigned byte)");
  }
  const int rank = byte(3);
  if (rank != expected_rank) {
    return bad("idx rank " + std::to_string(rank) + ", expected " + std::to_string(expected_rank));
  }
  const std::size_t header = 4 + 4 * static_cast<std::size_t>(rank);
  if (bytes.size() < header) return bad("truncated idx header");
  IdxTensor t;
  uint64_t count = 1;
  for (int d = 0; d < rank; ++d) {
    const std::size_t o = 4 + 4 * static_cast<std::size_t>(d);
    const uint32_t dim = (uint32_t{byte(o)} << 24) | (uint32_t{byte(o + 1)} << 16) |
                         (uint32_t{byte(o + 2)} << 8) | uint32_t{byte(o + 3)};
    t.dims.push_back(dim);
    // Saturates instead of wrapping past 2^64, where a product could come back to the file's size.
    count = dim != 0 && count > UINT64_MAX / dim ? UINT64_MAX : count * dim;
  }
  if (bytes.size() - header != count) {
    const std::string promised = count == UINT64_MAX ? "more than 2^64 - 2" : std::to_string(count);
    return bad("size mismatch: header promises " + promised + " bytes of data, file has " +
               std::to_string(bytes.size() - header));
  }
  t.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end());
  return t;
}

Expected<IdxTensor> ReadIdx(const std::string& path, int expected_rank) {
  auto bytes = ReadFile(path);
  if (!bytes) return std::unexpected(bytes.error());
  return ParseIdx(*bytes, expected_rank, path);
}

}  // namespace xbar
