// Fuzz inputs for the readers of checksummed xbar containers: a real file, or a bare payload that
// the target wraps in a valid header so that mutations reach the payload parser past the CRC.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "support/file_io.h"

namespace xbar::fuzz {

/// `data` itself when it starts with the container magic "XBAR" (the container checks are fuzzed),
/// otherwise `data` as the payload of a `tag` container of `version` with a correct size and CRC.
inline std::string ContainerBytes(const uint8_t* data, std::size_t size, const char* tag, uint32_t version) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (bytes.starts_with("XBAR")) return std::string(bytes);
  std::string out = "XBAR";
  out.append(tag, 4);
  auto put = [&out](uint64_t v, int width) {
    for (int i = 0; i < width; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  };
  put(version, 4);
  put(bytes.size(), 8);
  put(Crc32(bytes), 4);
  out.append(bytes);
  return out;
}

}  // namespace xbar::fuzz
