#include "node/service/bundle.h"

#include <unistd.h>

#include <cstdio>
#include <memory>

#include "node/schema/capnp_io.h"
#include "node/schema/shequ.capnp.h"

namespace shequ::service {
namespace {

struct FileCloser {
  void operator()(FILE* f) const {
    if (f) std::fclose(f);
  }
};
using File = std::unique_ptr<FILE, FileCloser>;

Status WriteChunk(FILE* f, const Bytes& chunk, uint64_t* bytes) {
  uint8_t len[4];
  for (int i = 0; i < 4; ++i) len[i] = static_cast<uint8_t>(chunk.size() >> (8 * i));
  if (std::fwrite(len, 1, 4, f) != 4 ||
      std::fwrite(chunk.data(), 1, chunk.size(), f) != chunk.size())
    return Status::Exhausted("cannot write the bundle (disk full?)");
  *bytes += 4 + chunk.size();
  return Status::Ok();
}

}  // namespace

Result<Bytes> EncodeBundleChunk(const BundleChunk& chunk) {
  return schema::BuildFlat<schema::BundleChunk>(
      "bundle chunk", [&](schema::BundleChunk::Builder b) {
        auto c = b.initCertificates(static_cast<unsigned>(chunk.certificates.size()));
        for (unsigned i = 0; i < chunk.certificates.size(); ++i)
          c.set(i, schema::DataOf(chunk.certificates[i]));
        auto r = b.initRevocations(static_cast<unsigned>(chunk.revocations.size()));
        for (unsigned i = 0; i < chunk.revocations.size(); ++i)
          r.set(i, schema::DataOf(chunk.revocations[i]));
        auto ch = b.initChanges(static_cast<unsigned>(chunk.changes.size()));
        for (unsigned i = 0; i < chunk.changes.size(); ++i)
          ch.set(i, schema::DataOf(chunk.changes[i]));
      });
}

Result<BundleChunk> DecodeBundleChunk(ByteView chunk) {
  BundleChunk out;
  schema::ReadLimits limits;
  limits.max_bytes = kMaxChunkBytes;
  limits.traversal_words = kMaxChunkBytes / 4;
  RETURN_IF_ERROR(schema::ReadFlat<schema::BundleChunk>(
      chunk, limits, "bundle chunk", [&](schema::BundleChunk::Reader r) -> Status {
        for (auto c : r.getCertificates()) out.certificates.emplace_back(c.begin(), c.end());
        for (auto c : r.getRevocations()) out.revocations.emplace_back(c.begin(), c.end());
        for (auto c : r.getChanges()) out.changes.emplace_back(c.begin(), c.end());
        return Status::Ok();
      }));
  return out;
}

Result<ExportStats> ExportBundle(Node& node, const std::string& path, std::string_view scope) {
  ExportStats stats;
  std::string tmp = path + ".tmp";
  File f(std::fopen(tmp.c_str(), "wb"));
  if (!f) return Status::Unavailable("cannot create " + tmp);
  if (std::fwrite(kBundleMagic.data(), 1, kBundleMagic.size(), f.get()) != kBundleMagic.size())
    return Status::Exhausted("cannot write " + tmp);
  stats.bytes = kBundleMagic.size();
  std::vector<Bytes> certs, revocations;
  for (const trust::Signer* s : node.trust().All()) certs.push_back(s->encoded);
  for (const trust::Revoked* r : node.trust().Revocations()) revocations.push_back(r->encoded);
  stats.certificates = certs.size();
  stats.revocations = revocations.size();
  {
    ASSIGN_OR_RETURN(store::ReadTxn r, node.store().BeginRead());
    ASSIGN_OR_RETURN(store::Cursor cur,
                     store::Cursor::Open(r, node.store().dbi(store::Db::kByScope)));
    std::vector<Bytes> batch;
    size_t batch_bytes = 0;
    Bytes prefix = ToBytes(scope);
    auto flush = [&]() -> Status {
      ASSIGN_OR_RETURN(Bytes chunk, EncodeBundleChunk(BundleChunk{certs, batch, revocations}));
      RETURN_IF_ERROR(WriteChunk(f.get(), chunk, &stats.bytes));
      certs.clear();
      revocations.clear();
      batch.clear();
      batch_bytes = 0;
      return Status::Ok();
    };
    for (bool ok = cur.Seek(prefix); ok; ok = cur.Next()) {
      ByteView k = cur.key();
      if (k.size() < prefix.size() || !std::equal(prefix.begin(), prefix.end(), k.begin())) break;
      if (k.size() != 12 + 8 + 32) return Status::Corruption("by_scope key length");
      ASSIGN_OR_RETURN(auto rec, r.txn().Get(node.store().dbi(store::Db::kChanges), k.subspan(20)));
      if (!rec) return Status::Corruption("by_scope names a missing change");
      batch.emplace_back(rec->begin(), rec->end());
      batch_bytes += rec->size();
      ++stats.changes;
      if (batch_bytes >= kChunkTarget) RETURN_IF_ERROR(flush());
    }
    RETURN_IF_ERROR(cur.status());
    if (!batch.empty() || !certs.empty() || !revocations.empty() || stats.changes == 0)
      RETURN_IF_ERROR(flush());
  }
  if (std::fflush(f.get()) != 0 || fsync(fileno(f.get())) != 0)
    return Status::Exhausted("cannot flush " + tmp + " (disk full?)");
  f.reset();
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    return Status::Unavailable("cannot rename " + tmp);
  return stats;
}

Result<ImportStats> ImportBundle(Node& node, const std::string& path) {
  File f(std::fopen(path.c_str(), "rb"));
  if (!f) return Status::NotFound("cannot open " + path);
  std::string magic(kBundleMagic.size(), '\0');
  if (std::fread(magic.data(), 1, magic.size(), f.get()) != magic.size() || magic != kBundleMagic)
    return Status::Invalid(path + " is not a shequ bundle (it does not start with SHEQU-BUNDLE-1)");
  ImportStats stats;
  Bytes chunk;
  for (size_t index = 0;; ++index) {
    uint8_t len[4];
    size_t n = std::fread(len, 1, 4, f.get());
    if (n == 0) break;
    std::string where = "chunk " + std::to_string(index + 1);
    if (n != 4) {
      stats.errors.push_back(where + ": truncated length");
      ++stats.rejected;
      break;
    }
    uint32_t size =
        uint32_t(len[0]) | uint32_t(len[1]) << 8 | uint32_t(len[2]) << 16 | uint32_t(len[3]) << 24;
    if (size > kMaxChunkBytes) {
      stats.errors.push_back(where + ": length " + std::to_string(size) +
                             " exceeds the 4 MiB limit");
      ++stats.rejected;
      break;
    }
    chunk.resize(size);
    if (std::fread(chunk.data(), 1, size, f.get()) != size) {
      stats.errors.push_back(where + ": truncated");
      ++stats.rejected;
      break;
    }
    auto decoded = DecodeBundleChunk(chunk);
    Status st = decoded.status();
    if (!st.ok()) {
      stats.errors.push_back(where + ": " + st.message());
      ++stats.rejected;
      break;
    }
    ImportStats chunk_stats;
    RETURN_IF_ERROR(node.store().Write([&](store::Txn& txn) -> Status {
      chunk_stats = ImportStats{};
      for (const Bytes& c : decoded->certificates) {
        auto added = node.trust().Add(txn, node.store().dbi(store::Db::kTrust), c);
        if (added.ok()) {
          ++chunk_stats.certificates;
        } else {
          ++chunk_stats.certificates_refused;
          chunk_stats.errors.push_back("certificate refused: " + added.status().message());
        }
      }
      // Revocations before changes: a change of a revoked node is refused, not stored and
      // removed again.
      for (const Bytes& r : decoded->revocations) {
        auto added = node.replica().AddRevocation(txn, r);
        if (added.ok()) {
          if (added->fresh) ++chunk_stats.revocations;
          chunk_stats.revoked_removed += added->removed;
        } else if (added.status().code() == Code::kPermissionDenied ||
                   added.status().code() == Code::kCorruption) {
          ++chunk_stats.revocations_refused;
          chunk_stats.errors.push_back("revocation refused: " + added.status().message());
        } else {
          return added.status();
        }
      }
      for (const Bytes& c : decoded->changes) {
        crdt::Rejection why;
        ASSIGN_OR_RETURN(crdt::Outcome o, node.replica().Receive(txn, c, &why));
        if (o == crdt::Outcome::kApplied)
          ++chunk_stats.applied;
        else if (o == crdt::Outcome::kDuplicate)
          ++chunk_stats.duplicates;
        else {
          ++chunk_stats.rejected;
          chunk_stats.rejections.push_back(std::move(why));
        }
      }
      return Status::Ok();
    }));
    stats.certificates += chunk_stats.certificates;
    stats.certificates_refused += chunk_stats.certificates_refused;
    stats.revocations += chunk_stats.revocations;
    stats.revocations_refused += chunk_stats.revocations_refused;
    stats.revoked_removed += chunk_stats.revoked_removed;
    stats.applied += chunk_stats.applied;
    stats.duplicates += chunk_stats.duplicates;
    stats.rejected += chunk_stats.rejected;
    for (auto& r : chunk_stats.rejections) stats.rejections.push_back(std::move(r));
    for (auto& e : chunk_stats.errors) stats.errors.push_back(std::move(e));
  }
  return stats;
}

}  // namespace shequ::service
