// Bundles: signed changes on a USB stick between villages, and for tests (docs/FORMATS.md).
// "SHEQU-BUNDLE-1\n", then chunks of a 4-byte little-endian length and a flat Cap'n Proto
// BundleChunk (certificates, revocations, change records), each at most 4 MiB.
#pragma once

#include <string>
#include <vector>

#include "node/service/node.h"

namespace shequ::service {

inline constexpr std::string_view kBundleMagic = "SHEQU-BUNDLE-1\n";
inline constexpr size_t kMaxChunkBytes = 4 << 20;
inline constexpr size_t kChunkTarget = 1 << 20;  // changes per chunk up to about 1 MiB

// One chunk of a bundle, decoded (the bundle reader's only decoder; fuzzed).
struct BundleChunk {
  std::vector<Bytes> certificates, changes;
  std::vector<Bytes> revocations;  // signed revocations (trust::Revocation::Encode)
};
Result<BundleChunk> DecodeBundleChunk(ByteView chunk);
Result<Bytes> EncodeBundleChunk(const BundleChunk& chunk);

struct ExportStats {
  size_t certificates = 0, revocations = 0, changes = 0;
  uint64_t bytes = 0;
};
// Every certificate and revocation this node knows and every change of the communities starting
// with `scope`.
Result<ExportStats> ExportBundle(Node& node, const std::string& path, std::string_view scope);

struct ImportStats {
  size_t certificates = 0, certificates_refused = 0;
  size_t revocations = 0, revocations_refused = 0;  // revocations new to this node; refused ones
  size_t revoked_removed = 0;  // stored changes the new revocations invalidated
  size_t applied = 0, duplicates = 0, rejected = 0;
  std::vector<crdt::Rejection> rejections;
  std::vector<std::string> errors;  // certificate and revocation refusals, damaged chunks
};
// Verifies and applies a bundle chunk by chunk (each chunk one transaction). InvalidArgument if
// the file is not a bundle at all; a damaged chunk after a good start is reported in errors and
// counted as rejected, keeping what came before.
Result<ImportStats> ImportBundle(Node& node, const std::string& path);

}  // namespace shequ::service
