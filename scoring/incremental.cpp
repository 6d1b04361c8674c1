#include "scoring/incremental.h"

#include <lmdb.h>

#include <set>

#include "node/base/text.h"

namespace shequ::scoring {

namespace {

constexpr std::string_view kComplete = "assess/complete";

struct Kept {
  bool person = false, active = true;
  std::string household;
  RecordCounts counts;
};

Bytes Key(const crdt::EntityRef& e) {
  Bytes k = ToBytes(e.community);
  k.push_back(static_cast<uint8_t>(e.kind));
  Append(k, e.entity);
  return k;
}

Bytes Encode(const Kept& k) {
  Bytes b = {1, static_cast<uint8_t>(k.active ? 1 : 0)};
  PutString(b, k.household);
  for (uint64_t v : {k.counts.fill_num, k.counts.fill_den, k.counts.tool_num, k.counts.tool_den,
                     k.counts.card_num, k.counts.card_den})
    PutVarint(b, v);
  return b;
}

Result<Kept> Decode(ByteView b) {
  ByteReader r(b);
  uint8_t version = 0, active = 0;
  std::string_view household;
  Kept k;
  uint64_t* f[] = {&k.counts.fill_num, &k.counts.fill_den, &k.counts.tool_num,
                   &k.counts.tool_den, &k.counts.card_num, &k.counts.card_den};
  if (!r.Byte(&version) || version != 1 || !r.Byte(&active) || !r.String(&household))
    return Status::Corruption("assess record header");
  for (uint64_t* v : f)
    if (!r.Varint(v)) return Status::Corruption("assess record counts");
  if (!r.done()) return Status::Corruption("assess record has trailing bytes");
  k.active = active == 1;
  k.household = std::string(household);
  return k;
}

std::string TextOf(const crdt::EntityState& s, std::string_view key) {
  auto it = s.find(key);
  if (it == s.end() || !it->second.winner() || it->second.winner()->kind != crdt::ValueKind::kText)
    return "";
  return it->second.winner()->value;
}

Status Update(service::Node& node, store::Txn& txn, const crdt::EntityRef& e,
              const crdt::EntityState& state) {
  if (e.kind != model::EntityKind::kHousehold && e.kind != model::EntityKind::kPerson)
    return Status::Ok();
  MDB_dbi dbi = node.store().dbi(store::Db::kAssess);
  if (state.empty()) return txn.Del(dbi, Key(e)).status();
  Kept k;
  k.person = e.kind == model::EntityKind::kPerson;
  if (k.person) {
    std::string status = TextOf(state, "status");
    k.active = status.empty() || status == "1";
    k.household = TextOf(state, "household");
  }
  std::map<Id32, std::optional<crdt::Change>> changes;
  ASSIGN_OR_RETURN(k.counts, CountRecord(
                                 node.ref().catalog(), e, state,
                                 [&](const Id32& id) -> Result<const crdt::Change*> {
                                   auto it = changes.find(id);
                                   if (it == changes.end()) {
                                     ASSIGN_OR_RETURN(auto c, node.replica().FindChange(txn, id));
                                     it = changes.emplace(id, std::move(c)).first;
                                   }
                                   return it->second ? &*it->second : nullptr;
                                 },
                                 nullptr));
  return txn.Put(dbi, Key(e), Encode(k));
}

}  // namespace

Status RebuildCounts(service::Node& node) {
  return node.store().Write([&](store::Txn& txn) -> Status {
    if (int rc = mdb_drop(txn.raw(), node.store().dbi(store::Db::kAssess), 0); rc != 0)
      return Status::Internal(std::string("clearing the assess database: ") + mdb_strerror(rc));
    for (model::EntityKind kind : {model::EntityKind::kHousehold, model::EntityKind::kPerson}) {
      std::vector<std::pair<crdt::EntityRef, crdt::EntityState>> all;
      RETURN_IF_ERROR(node.replica().ScanEntities(
          txn, "", kind, [&](const crdt::EntityRef& e, const crdt::EntityState& s) {
            all.emplace_back(e, s);
            return Status::Ok();
          }));
      for (const auto& [e, s] : all) RETURN_IF_ERROR(Update(node, txn, e, s));
    }
    return txn.Put(node.store().dbi(store::Db::kMeta), AsBytes(kComplete), AsBytes("1"));
  });
}

Status KeepCounts(service::Node& node) {
  node.replica().AddFoldObserver(
      "assess", [&node](store::Txn& txn, const crdt::EntityRef& e, const crdt::EntityState& s) {
        return Update(node, txn, e, s);
      });
  bool complete = false;
  {
    ASSIGN_OR_RETURN(store::ReadTxn r, node.store().BeginRead());
    ASSIGN_OR_RETURN(auto v, r.txn().Get(node.store().dbi(store::Db::kMeta), AsBytes(kComplete)));
    complete = v.has_value();
  }
  return complete ? Status::Ok() : RebuildCounts(node);
}

Result<std::optional<std::map<std::string, RecordCounts>>> KeptCounts(service::Node& node,
                                                                      const store::Txn& txn,
                                                                      std::string_view scope) {
  using Out = std::optional<std::map<std::string, RecordCounts>>;
  ASSIGN_OR_RETURN(auto complete, txn.Get(node.store().dbi(store::Db::kMeta), AsBytes(kComplete)));
  if (!complete) return Out();
  std::map<std::string, std::map<std::string, std::pair<bool, Kept>>> households;  // by hex
  std::map<std::string, std::vector<Kept>> persons;
  ASSIGN_OR_RETURN(store::Cursor cur,
                   store::Cursor::Open(txn, node.store().dbi(store::Db::kAssess)));
  for (bool ok = cur.Seek(AsBytes(scope)); ok; ok = cur.Next()) {
    ByteView key = cur.key();
    if (key.size() != 12 + 1 + 16) return Status::Corruption("assess key length");
    std::string community(reinterpret_cast<const char*>(key.data()), 12);
    if (!StartsWith(community, scope)) break;
    ASSIGN_OR_RETURN(Kept k, Decode(cur.value()));
    if (key[12] == static_cast<uint8_t>(model::EntityKind::kPerson)) {
      persons[community].push_back(std::move(k));
    } else {
      households[community][Hex(key.subspan(13, 16))] = {false, std::move(k)};
    }
  }
  RETURN_IF_ERROR(cur.status());
  std::map<std::string, RecordCounts> out;
  for (auto& [community, list] : persons) {
    RecordCounts& sum = out[community];
    for (const Kept& p : list) {
      if (!p.active) continue;
      sum += p.counts;
      auto h = households[community].find(p.household);
      if (h != households[community].end()) h->second.first = true;  // an active member
    }
  }
  for (auto& [community, map] : households)
    for (auto& [hex, h] : map)
      if (h.first) out[community] += h.second.counts;
  return Out(std::move(out));
}

}  // namespace shequ::scoring
