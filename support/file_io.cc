// Whole-file reads, atomic writes, and the checksummed artifact container.
#include "support/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace xbar {
namespace {

std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t n = 0; n < 256; ++n) {
    uint32_t c = n;
    for (int k = 0; k < 8; ++k) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[n] = c;
  }
  return table;
}

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
uint64_t GetLe(std::string_view bytes, std::size_t offset, int width) {
  uint64_t v = 0;
  for (int i = 0; i < width; ++i) {
    v |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[offset + i])) << (8 * i);
  }
  return v;
}

void (*g_atomic_write_observer)(AtomicWriteStep) = nullptr;

void Observe(AtomicWriteStep step) {
  if (g_atomic_write_observer != nullptr) g_atomic_write_observer(step);
}

}  // namespace

void SetAtomicWriteObserverForTesting(void (*observer)(AtomicWriteStep)) { g_atomic_write_observer = observer; }

uint32_t Crc32(std::string_view bytes) {
  static const std::array<uint32_t, 256> table = MakeCrcTable();
  uint32_t c = 0xFFFFFFFFu;
  for (char ch : bytes) c = table[(c ^ static_cast<unsigned char>(ch)) & 0xFFu] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

Expected<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(ErrorCode::kNotFound, path + ": cannot open (" + std::strerror(errno) + ")");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return Fail(ErrorCode::kDataLoss, path + ": read error");
  return buffer.str();
}

Expected<void> WriteFileAtomic(const std::string& path, std::string_view bytes) {
  std::string tmp = path + ".tmp.XXXXXX";
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) {
    return Fail(ErrorCode::kNotFound,
                path + ": cannot create a temporary file beside it (" + std::strerror(errno) + ")");
  }
  Observe(AtomicWriteStep::kCreated);
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, std::min(bytes.size() - done, kAtomicWriteChunk));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::string why = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return Fail(ErrorCode::kFailedPrecondition, path + ": write failed (" + why + ")");
    }
    done += static_cast<std::size_t>(n);
    Observe(AtomicWriteStep::kWroteChunk);
  }
  ::fchmod(fd, 0644);
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return Fail(ErrorCode::kFailedPrecondition, path + ": cannot flush the file to disk");
  }
  Observe(AtomicWriteStep::kSynced);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    return Fail(ErrorCode::kFailedPrecondition, path + ": cannot rename into place (" + why + ")");
  }
  Observe(AtomicWriteStep::kRenamed);
  return {};
}

Expected<void> WriteArtifact(const std::string& path, const ArtifactKind& kind,
                             std::string_view payload) {
  XBAR_CHECK(std::strlen(kind.tag) == 4);
  std::string out = "XBAR";
  out.append(kind.tag, 4);
  PutU32(out, kind.version);
  PutU64(out, payload.size());
  PutU32(out, Crc32(payload));
  out.append(payload);
  return WriteFileAtomic(path, out);
}

Expected<std::string> ParseArtifact(std::string_view bytes, const ArtifactKind& kind,
                                    const std::string& name) {
  auto bad = [&](const std::string& what) {
    return Fail(ErrorCode::kDataLoss, name + ": " + what);
  };
  if (bytes.size() < kArtifactHeaderBytes) {
    return bad("truncated: " + std::to_string(bytes.size()) + " bytes, shorter than the " +
               std::to_string(kArtifactHeaderBytes) + "-byte xbar header");
  }
  if (bytes.substr(0, 4) != "XBAR") return bad("not an xbar file (bad magic)");
  if (bytes.substr(4, 4) != std::string_view(kind.tag, 4)) {
    return bad("is a '" + std::string(bytes.substr(4, 4)) + "' file, expected a " +
               kind.description + " ('" + kind.tag + "')");
  }
  const auto version = static_cast<uint32_t>(GetLe(bytes, 8, 4));
  if (version != kind.version) {
    return bad(std::string(kind.description) + " schema version " + std::to_string(version) +
               " is not supported (this xbar reads version " + std::to_string(kind.version) +
               ")");
  }
  const uint64_t size = GetLe(bytes, 12, 8);
  const uint64_t have = bytes.size() - kArtifactHeaderBytes;
  if (size != have) {
    return bad((size > have ? "truncated: header says " : "trailing bytes: header says ") +
               std::to_string(size) + " payload bytes, file has " + std::to_string(have));
  }
  const auto crc = static_cast<uint32_t>(GetLe(bytes, 20, 4));
  std::string_view payload = bytes.substr(kArtifactHeaderBytes);
  if (Crc32(payload) != crc) return bad("corrupt: payload checksum does not match the header");
  return std::string(payload);
}

Expected<std::string> ReadArtifact(const std::string& path, const ArtifactKind& kind) {
  auto bytes = ReadFile(path);
  if (!bytes) return std::unexpected(bytes.error());
  return ParseArtifact(*bytes, kind, path);
}

}  // namespace xbar
