#include "tools/chaos/ledger.h"

#include <algorithm>

#include "node/base/file.h"
#include "node/store/store.h"
#include "node/trust/certificate.h"
#include "replication/crdt/change.h"

namespace shequ::chaos {

namespace {

Result<std::unique_ptr<store::Store>> OpenReadOnly(const std::string& node_dir) {
  store::StoreOptions o;
  o.read_only = true;
  auto s = store::Store::Open(node_dir + "/db", o);
  if (!s.ok()) return s.status().With("reading the replica of " + node_dir);
  return s;
}

}  // namespace

size_t Rejections::total() const {
  size_t n = 0;
  for (const auto& [code, count] : by_code) n += count;
  return n;
}

Result<uint64_t> LogEnd(const std::string& node_dir) {
  ASSIGN_OR_RETURN(auto s, OpenReadOnly(node_dir));
  ASSIGN_OR_RETURN(store::ReadTxn r, s->BeginRead());
  ASSIGN_OR_RETURN(store::Cursor cur, store::Cursor::Open(r, s->dbi(store::Db::kLog)));
  uint64_t end = cur.Last() && cur.key().size() == 8 ? GetBE64(cur.key().data()) : 0;
  RETURN_IF_ERROR(cur.status());
  return end;
}

Result<std::vector<Stored>> OwnChangesSince(const std::string& node_dir, uint64_t after,
                                            const Id16& origin) {
  ASSIGN_OR_RETURN(auto s, OpenReadOnly(node_dir));
  ASSIGN_OR_RETURN(store::ReadTxn r, s->BeginRead());
  ASSIGN_OR_RETURN(store::Cursor cur, store::Cursor::Open(r, s->dbi(store::Db::kLog)));
  std::vector<Stored> out;
  Bytes start;
  PutBE64(start, after + 1);
  for (bool ok = cur.Seek(start); ok; ok = cur.Next()) {
    if (cur.key().size() != 8 || cur.value().size() != 32)
      return Status::Corruption("log entry of " + node_dir);
    Id32 id;
    std::copy(cur.value().begin(), cur.value().end(), id.begin());
    ASSIGN_OR_RETURN(auto record, r.txn().Get(s->dbi(store::Db::kChanges), id));
    if (!record) continue;  // removed since (a revocation): not ours to count
    ASSIGN_OR_RETURN(crdt::RecordHeader h, crdt::PeekRecord(*record));
    if (h.origin != origin) continue;
    if (h.kind == model::EntityKind::kTerminalReport || h.kind == model::EntityKind::kAccessEvent)
      continue;
    out.push_back(Stored{id, h.community});
  }
  RETURN_IF_ERROR(cur.status());
  return out;
}

Result<std::vector<Id32>> MissingChanges(const std::string& node_dir,
                                         const std::vector<Id32>& ids) {
  ASSIGN_OR_RETURN(auto s, OpenReadOnly(node_dir));
  ASSIGN_OR_RETURN(store::ReadTxn r, s->BeginRead());
  std::vector<Id32> missing;
  for (const Id32& id : ids) {
    ASSIGN_OR_RETURN(auto record, r.txn().Get(s->dbi(store::Db::kChanges), id));
    if (!record) missing.push_back(id);
  }
  return missing;
}

Result<Rejections> ReadRejections(const std::string& node_dir) {
  ASSIGN_OR_RETURN(auto s, OpenReadOnly(node_dir));
  ASSIGN_OR_RETURN(store::ReadTxn r, s->BeginRead());
  ASSIGN_OR_RETURN(store::Cursor cur, store::Cursor::Open(r, s->dbi(store::Db::kRejected)));
  Rejections out;
  for (bool ok = cur.First(); ok; ok = cur.Next()) {
    std::string_view v = AsChars(cur.value());
    std::string code(v.substr(0, v.find('\t')));
    ++out.by_code[code];
    size_t reason = v.find('\t', v.find('\t') + 1);
    if (!out.example.count(code) && reason != std::string_view::npos)
      out.example[code] = std::string(v.substr(reason + 1));
  }
  RETURN_IF_ERROR(cur.status());
  return out;
}

Result<Id16> NodeIdOf(const std::string& node_dir) {
  ASSIGN_OR_RETURN(std::string bytes, ReadFile(node_dir + "/node.cert"));
  ASSIGN_OR_RETURN(trust::Certificate cert, trust::DecodeCertificate(AsBytes(bytes)));
  return cert.node_id;
}

}  // namespace shequ::chaos
