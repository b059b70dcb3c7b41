// Whole-file reads, atomic writes, and the checksummed, versioned artifact container.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "support/error.h"

namespace xbar {

/// Reads a whole file; kNotFound when it cannot be opened.
Expected<std::string> ReadFile(const std::string& path);

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, flushed, then
/// renamed over the target. On failure no partial file is left behind.
/// The bytes go out in writes of at most kAtomicWriteChunk.
Expected<void> WriteFileAtomic(const std::string& path, std::string_view bytes);
inline constexpr std::size_t kAtomicWriteChunk = std::size_t{1} << 20;

/// The steps of WriteFileAtomic, in order: the temporary file exists, one chunk is written
/// (repeated), the file is flushed and closed, it is renamed over the target.
enum class AtomicWriteStep { kCreated, kWroteChunk, kSynced, kRenamed };
/// Calls `observer` after each step of every WriteFileAtomic in this process (nullptr: none). For
/// tests that stop a writer at a chosen step (tests/support/atomic_write_test.cc).
void SetAtomicWriteObserverForTesting(void (*observer)(AtomicWriteStep));

/// CRC-32 (IEEE 802.3, reflected, as zlib computes it).
uint32_t Crc32(std::string_view bytes);

/// Artifact container shared by every binary xbar file:
///   "XBAR" | kind (4 bytes) | schema version (u32 LE) | payload size (u64 LE) |
///   payload CRC-32 (u32 LE) | payload.
struct ArtifactKind {
  const char* tag;          // exactly 4 characters, e.g. "XBM1"
  const char* description;  // e.g. "model", for messages
  uint32_t version;         // the schema version this build reads and writes
};

inline constexpr std::size_t kArtifactHeaderBytes = 24;

/// Wraps a payload in the container and writes it atomically.
Expected<void> WriteArtifact(const std::string& path, const ArtifactKind& kind,
                             std::string_view payload);

/// Reads and checks a container (magic, kind, version, size, checksum); returns the payload.
/// Errors are kDataLoss and name the file.
Expected<std::string> ReadArtifact(const std::string& path, const ArtifactKind& kind);

/// Same checks on bytes already in memory; `name` is used in messages.
Expected<std::string> ParseArtifact(std::string_view bytes, const ArtifactKind& kind,
                                    const std::string& name);

}  // namespace xbar
