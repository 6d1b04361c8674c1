#include "node/service/peers.h"

#include <algorithm>

namespace shequ::service {

Bytes PeerRecord::Encode() const {
  Bytes out;
  out.push_back(1);
  PutString(out, name);
  for (uint64_t v : {last_contact, last_sync, changes_sent, changes_received, rejected, bytes_sent,
                     bytes_received, sessions, syncs, log_synced})
    PutVarint(out, v);
  PutString(out, last_error);
  return out;
}

Result<PeerRecord> PeerRecord::Decode(ByteView b) {
  ByteReader r(b);
  PeerRecord p;
  uint8_t version = 0;
  std::string_view name, error;
  if (!r.Byte(&version) || version != 1 || !r.String(&name))
    return Status::Corruption("peer record");
  p.name = std::string(name);
  for (uint64_t* v :
       {&p.last_contact, &p.last_sync, &p.changes_sent, &p.changes_received, &p.rejected,
        &p.bytes_sent, &p.bytes_received, &p.sessions, &p.syncs, &p.log_synced})
    if (!r.Varint(v)) return Status::Corruption("peer record");
  if (!r.String(&error) || !r.done()) return Status::Corruption("peer record");
  p.last_error = std::string(error);
  return p;
}

Result<std::vector<std::pair<Id16, PeerRecord>>> ReadPeers(Node& node, const store::Txn& txn) {
  std::vector<std::pair<Id16, PeerRecord>> out;
  ASSIGN_OR_RETURN(store::Cursor cur,
                   store::Cursor::Open(txn, node.store().dbi(store::Db::kPeers)));
  for (bool ok = cur.First(); ok; ok = cur.Next()) {
    if (cur.key().size() != 16) continue;
    Id16 id;
    std::copy(cur.key().begin(), cur.key().end(), id.begin());
    auto p = PeerRecord::Decode(cur.value());
    if (!p.ok()) return p.status().With("the record of peer " + Hex(id));
    out.emplace_back(id, std::move(*p));
  }
  RETURN_IF_ERROR(cur.status());
  return out;
}

Result<std::vector<std::pair<Id16, PeerRecord>>> ReadPeers(Node& node) {
  ASSIGN_OR_RETURN(store::ReadTxn r, node.store().BeginRead());
  return ReadPeers(node, r.txn());
}

}  // namespace shequ::service
