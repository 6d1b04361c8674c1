#include "replication/crdt/replica.h"

#include <algorithm>
#include <functional>
#include <set>

#include "node/base/text.h"
#include "node/base/time.h"
#include "replication/crdt/hlc.h"
#include "replication/crdt/scope_index.h"

namespace shequ::crdt {

using store::Db;

namespace {

bool HasPrefix(ByteView key, ByteView prefix) {
  return key.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), key.begin());
}

std::string SealedIndexKey(const std::array<uint8_t, kTokenBytes>& token) {
  std::string k(1, '\x01');
  k.append(reinterpret_cast<const char*>(token.data()), token.size());
  return k;
}

bool ParseEntityHex(std::string_view hex, Id16* out) {
  auto r = UnhexFixed<16>(hex);
  if (!r.ok()) return false;
  *out = *r;
  return true;
}

}  // namespace

bool IsMoveOut(const Change& c, const trust::Certificate& signer) {
  // A move-out (迁出) is written by the community the person leaves, into the destination's
  // scope, so that the destination receives it: allowed to a signer with the transfer grant
  // when it writes only the move-out fields and names a community of its own as the origin.
  if (c.body.kind != model::EntityKind::kTransfer || !signer.Has(trust::grant::kTransfer))
    return false;
  static const std::set<std::string_view> kMoveOutFields = {"person", "from_community", "out_date",
                                                            "record", "reason",         "status"};
  bool origin_ok = false;
  for (const Write& w : c.body.writes) {
    if (!kMoveOutFields.count(w.field)) return false;
    if (w.field == "status" && (w.kind != ValueKind::kText || w.value != "1")) return false;
    if (w.field == "from_community")
      origin_ok = w.kind == ValueKind::kText && signer.InScope(w.value);
  }
  return origin_ok;
}

Result<std::vector<uint8_t>> Replica::Authorize(const Change& c, bool signature_checked,
                                                Rejection* rej) const {
  auto refuse = [&](std::string code, std::string reason) -> Status {
    if (rej) *rej = Rejection{c.id, c.body.origin, code, reason};
    return Status::Denied(reason);
  };
  const trust::Signer* signer = trust_.Find(c.body.origin);
  if (!signer)
    return refuse("unknown_signer", "change " + Hex(c.id).substr(0, 16) + " is signed by node " +
                                        Hex(c.body.origin) +
                                        ", which holds no certificate of this city");
  const trust::Certificate& cert = signer->cert;
  if (!signature_checked && !signer->key.Verify(ChangeSigningMessage(c.id), c.signature))
    return refuse("bad_signature", "change " + Hex(c.id).substr(0, 16) +
                                       ": the signature of node " + cert.name + " does not verify");
  uint64_t ms = HlcMillis(c.body.hlc);
  if (const trust::Revoked* r = trust_.RevocationOf(c.body.origin);
      r && c.body.hlc >= r->revocation.at)
    return refuse("revoked", "change " + Hex(c.id).substr(0, 16) + " of node " + cert.name + " (" +
                                 cert.id_hex() + ") is dated " + FormatMillis(ms) +
                                 ", when the node was revoked (from " +
                                 FormatMillis(HlcMillis(r->revocation.at)) +
                                 "): " + r->revocation.reason);
  if (ms < cert.not_before)
    return refuse("not_yet_valid", "change dated " + FormatMillis(ms) +
                                       " precedes the certificate of " + cert.name +
                                       " (valid from " + FormatMillis(cert.not_before) + ")");
  if (ms > cert.not_after)
    return refuse("expired", "change dated " + FormatMillis(ms) + " is after the certificate of " +
                                 cert.name + " expired (" + FormatMillis(cert.not_after) + ")");
  if (!cert.InScope(c.body.community) && !IsMoveOut(c, cert))
    return refuse("out_of_scope",
                  "node " + cert.name + " may not write community " + c.body.community);
  std::vector<uint8_t> ranks;
  ranks.reserve(c.body.writes.size());
  // A terminal report is the signer's own: its entity id is the signer's node id.
  if (c.body.kind == model::EntityKind::kTerminalReport && c.body.entity != c.body.origin)
    return refuse("foreign_report", "node " + cert.name + " writes the terminal report of " +
                                        Hex(c.body.entity) + ", which is not its own");
  // Assessment inputs (checklists, innovation scores, leak incidents) are the assessors':
  // districts and the leading group's office, never the community assessed.
  if (c.body.kind == model::EntityKind::kAssessmentInput) {
    if (!cert.Has(trust::grant::kAssess))
      return refuse("no_write_grant",
                    "node " + cert.name + " has no assess grant to enter assessment inputs");
    return std::vector<uint8_t>(c.body.writes.size(), 1);
  }
  bool collect = cert.Has(trust::grant::kCollect) || model::IsSelfReport(c.body.kind);
  for (const Write& w : c.body.writes) {
    const model::FieldDef* f = ref_.catalog().Find(c.body.kind, w.field);
    if (!f)
      return refuse("unknown_field", "change writes " + Quote(w.field) + ", which is not a " +
                                         std::string(model::EntityKindName(c.body.kind)) +
                                         " field");
    if (f->type == model::FieldType::kCommunity)
      return refuse("scope_field",
                    "change writes the community field; an entity's community is its scope");
    if (cert.Has(trust::grant::Write(f->owner))) {
      ranks.push_back(1);
    } else if (collect) {
      ranks.push_back(0);
    } else {
      return refuse("no_write_grant", "node " + cert.name + " has no grant to write " + f->key +
                                          " (" + f->label + ", owned by " +
                                          std::string(model::DepartmentName(f->owner)) + ")");
    }
  }
  return ranks;
}

Status Replica::LogRejection(store::Txn& txn, const Rejection& r, ByteView received) {
  Bytes key;
  PutBE64(key, NowMillis());
  Append(key, crypto::Sha256(received));
  std::string value = r.code + "\t" + Hex(r.origin) + "\t" + r.reason;
  return txn.Put(store_.dbi(Db::kRejected), key, AsBytes(value));
}

Result<Outcome> Replica::Receive(store::Txn& txn, ByteView record, Rejection* rej) {
  Rejection local;
  Rejection* out = rej ? rej : &local;
  auto change = DecodeRecord(record, trust_.city().suite);
  if (!change.ok()) {
    Id32 digest = crypto::Digest(trust_.city().suite, record);
    *out = Rejection{digest, Id16{}, "malformed", change.status().message()};
    RETURN_IF_ERROR(LogRejection(txn, *out, record));
    return Outcome::kRejected;
  }
  return ReceiveDecoded(txn, *change, record, /*signature_verified=*/false, out);
}

Result<Outcome> Replica::ReceiveDecoded(store::Txn& txn, const Change& change, ByteView record,
                                        bool signature_verified, Rejection* rej) {
  Rejection local;
  Rejection* out = rej ? rej : &local;
  ASSIGN_OR_RETURN(auto have, txn.Get(store_.dbi(Db::kChanges), change.id));
  if (have) return Outcome::kDuplicate;
  auto ranks = Authorize(change, signature_verified, out);
  if (!ranks.ok()) {
    if (ranks.status().code() != Code::kPermissionDenied) return ranks.status();
    RETURN_IF_ERROR(LogRejection(txn, *out, record));
    return Outcome::kRejected;
  }
  if (clock_) clock_->Observe(change.body.hlc);
  return Apply(txn, change, *ranks);
}

bool Replica::VerifySignature(const Change& change) const {
  const trust::Signer* signer = trust_.Find(change.body.origin);
  return signer && signer->key.Verify(ChangeSigningMessage(change.id), change.signature);
}

Status Replica::AppendLog(store::Txn& txn, const Id32& id) {
  // The next local sequence number follows the last entry of the log.
  ASSIGN_OR_RETURN(store::Cursor cur, store::Cursor::Open(txn, store_.dbi(Db::kLog)));
  uint64_t next = cur.Last() && cur.key().size() == 8 ? GetBE64(cur.key().data()) + 1 : 1;
  RETURN_IF_ERROR(cur.status());
  Bytes key;
  PutBE64(key, next);
  return txn.Put(store_.dbi(Db::kLog), key, id);
}

Result<std::vector<Id32>> Replica::LogSince(const store::Txn& txn, uint64_t after, size_t max,
                                            uint64_t* last) const {
  std::vector<Id32> out;
  ASSIGN_OR_RETURN(store::Cursor cur, store::Cursor::Open(txn, store_.dbi(Db::kLog)));
  Bytes start;
  PutBE64(start, after + 1);
  *last = after;
  for (bool ok = cur.Seek(start); ok && out.size() < max; ok = cur.Next()) {
    if (cur.key().size() != 8 || cur.value().size() != 32) return Status::Corruption("log entry");
    Id32 id;
    std::copy(cur.value().begin(), cur.value().end(), id.begin());
    out.push_back(id);
    *last = GetBE64(cur.key().data());
  }
  RETURN_IF_ERROR(cur.status());
  return out;
}

Result<uint64_t> Replica::LogEnd(const store::Txn& txn) const {
  ASSIGN_OR_RETURN(store::Cursor cur, store::Cursor::Open(txn, store_.dbi(Db::kLog)));
  uint64_t end = cur.Last() && cur.key().size() == 8 ? GetBE64(cur.key().data()) : 0;
  RETURN_IF_ERROR(cur.status());
  return end;
}

Status Replica::StoreRecord(store::Txn& txn, const Change& c) {
  if (c.signature.empty()) return Status::Internal("storing an unsigned change");
  return txn.Put(store_.dbi(Db::kChanges), c.id, EncodeRecord(c));
}

Result<Outcome> Replica::Apply(store::Txn& txn, const Change& c, const std::vector<uint8_t>& ranks,
                               bool store_record) {
  if (ranks.size() != c.body.writes.size()) return Status::Internal("ranks do not match writes");
  ASSIGN_OR_RETURN(auto have, txn.Get(store_.dbi(Db::kChanges), c.id));
  if (have) return Outcome::kDuplicate;
  if (store_record) RETURN_IF_ERROR(StoreRecord(txn, c));
  RETURN_IF_ERROR(
      txn.Put(store_.dbi(Db::kByScope), ScopeKey(c.body.community, c.body.hlc, c.id), {}));
  RETURN_IF_ERROR(ScopeIndexInsert(store_, txn, c.body.community, c.body.hlc, c.id));
  RETURN_IF_ERROR(AppendLog(txn, c.id));
  EntityRef e{c.body.community, c.body.kind, c.body.entity};
  RETURN_IF_ERROR(txn.Put(store_.dbi(Db::kByEntity), ByEntityKey(e, c.body.hlc, c.id), {}));

  Bytes entity_key = EntityKey(e);
  ASSIGN_OR_RETURN(auto raw, txn.Get(store_.dbi(Db::kState), entity_key));
  EntityState state;
  if (raw) {
    ASSIGN_OR_RETURN(state, DecodeEntityState(*raw));
  }
  RETURN_IF_ERROR(FoldWrites(txn, e, c, ranks, state));
  RETURN_IF_ERROR(txn.Put(store_.dbi(Db::kState), entity_key, EncodeEntityState(state)));
  for (const auto& [name, fn] : observers_) RETURN_IF_ERROR(fn(txn, e, state));
  return Outcome::kApplied;
}

Result<std::optional<Change>> Replica::FindChange(const store::Txn& txn, const Id32& id) const {
  if (pending_)
    if (const Change* p = pending_(id)) return std::optional<Change>(*p);
  return LoadChange(txn, id);
}

Status Replica::UpdateIndexes(store::Txn& txn, const EntityRef& e, const model::FieldDef& f,
                              const Head* old_winner, const FieldState& now) {
  if (f.identity || f.review) {
    // Identity fields enter the review queue when concurrent values disagree; review fields
    // (a suspected duplicate registration) while they are filled.
    Bytes key = StateKey(e, f.key);
    const Head* w = now.winner();
    bool queued = f.identity ? now.conflicted() : (w && w->filled() && !w->value.empty());
    if (queued) {
      RETURN_IF_ERROR(txn.Put(store_.dbi(Db::kReview), key, {}));
    } else {
      RETURN_IF_ERROR(txn.Del(store_.dbi(Db::kReview), key).status());
    }
  }
  const Head* nw = now.winner();
  // Indexed by the value, or for a sealed value by a marker byte and its token (an index that
  // needs the ID number holds no ID number: DESIGN section 4).
  auto value_of = [](const Head* h) -> std::optional<std::string> {
    if (!h || h->value.empty()) return std::nullopt;
    if (h->kind == ValueKind::kText) return h->value;
    if (h->kind != ValueKind::kSealed) return std::nullopt;
    auto token = TokenOf(h->value);
    if (!token) return std::nullopt;
    return SealedIndexKey(*token);
  };
  std::optional<std::string> before = value_of(old_winner), after = value_of(nw);
  if (before == after) return Status::Ok();
  Bytes ce = CommunityEntity(e.community, e.entity);
  MDB_dbi dbi = 0;
  bool household_link = false;
  if (e.kind == model::EntityKind::kPerson && f.key == "id_number") {
    dbi = store_.dbi(Db::kIdNumber);
  } else if (e.kind == model::EntityKind::kHousehold && f.key == "card_no") {
    dbi = store_.dbi(Db::kCard);
  } else if (e.kind == model::EntityKind::kPerson && f.key == "household") {
    dbi = store_.dbi(Db::kMembers);
    household_link = true;
  } else {
    return Status::Ok();
  }
  auto index_key = [&](const std::string& v, Bytes* k) {
    if (!household_link) {
      *k = ToBytes(v);
      return true;
    }
    Id16 hh;
    if (!ParseEntityHex(v, &hh)) return false;
    *k = CommunityEntity(e.community, hh);
    return true;
  };
  ByteView value = household_link ? ByteView(e.entity) : ByteView(ce);
  Bytes k;
  if (before && index_key(*before, &k)) RETURN_IF_ERROR(txn.Del(dbi, k, value).status());
  if (after && index_key(*after, &k)) RETURN_IF_ERROR(txn.Put(dbi, k, value));
  return Status::Ok();
}

Result<std::optional<FieldState>> Replica::Field(const store::Txn& txn, const EntityRef& e,
                                                 std::string_view field) const {
  ASSIGN_OR_RETURN(EntityState state, Entity(txn, e));
  auto it = state.find(field);
  if (it == state.end()) return std::optional<FieldState>();
  return std::optional<FieldState>(std::move(it->second));
}

Result<EntityState> Replica::Entity(const store::Txn& txn, const EntityRef& e) const {
  ASSIGN_OR_RETURN(auto raw, txn.Get(store_.dbi(Db::kState), EntityKey(e)));
  if (!raw) return EntityState();
  return DecodeEntityState(*raw);
}

Result<std::map<std::string, std::string, std::less<>>> Replica::Values(const store::Txn& txn,
                                                                        const EntityRef& e) const {
  ASSIGN_OR_RETURN(auto fields, Entity(txn, e));
  std::map<std::string, std::string, std::less<>> out;
  for (auto& [k, s] : fields) {
    const Head* w = s.winner();
    if (!w) continue;
    ASSIGN_OR_RETURN(std::optional<std::string> v, OpenValue(txn, e, k, *w));
    if (v) out.emplace(k, std::move(*v));
  }
  return out;
}

Bytes Replica::Keys::TokenKey(std::string_view community) const {
  auto it = token_keys.find(community);
  if (it != token_keys.end()) return it->second;
  if (!token_master.empty()) return CommunityTokenKey(token_master, community);
  return {};
}

Result<std::optional<std::string>> Replica::OpenValue(const store::Txn& txn, const EntityRef& e,
                                                      std::string_view field, const Head& h) const {
  switch (h.kind) {
    case ValueKind::kText:
      return std::optional<std::string>(h.value);
    case ValueKind::kAbsent:
      return std::optional<std::string>();
    case ValueKind::kSealed:
      break;
  }
  if (!keys_ || !keys_->opener) return std::optional<std::string>();
  if (pending_) {
    if (const Change* p = pending_(h.id))
      return keys_->opener->Open(p->id, p->body.keys, e.entity, e.kind, field, h.value);
  }
  ASSIGN_OR_RETURN(std::optional<Change> c, LoadChange(txn, h.id));
  if (!c) return Status::Corruption("state names a missing change " + Hex(h.id));
  return keys_->opener->Open(c->id, c->body.keys, e.entity, e.kind, field, h.value);
}

Result<bool> Replica::Exists(const store::Txn& txn, const EntityRef& e) const {
  ASSIGN_OR_RETURN(auto raw, txn.Get(store_.dbi(Db::kState), EntityKey(e)));
  return raw.has_value();
}

Status Replica::ScanEntities(
    const store::Txn& txn, std::string_view scope, model::EntityKind kind,
    const std::function<Status(const EntityRef&, const EntityState&)>& fn) const {
  ASSIGN_OR_RETURN(store::Cursor cur, store::Cursor::Open(txn, store_.dbi(Db::kState)));
  Bytes prefix = ToBytes(scope);
  for (bool ok = cur.Seek(prefix); ok && HasPrefix(cur.key(), prefix);) {
    EntityRef e;
    if (!ParseEntityKey(cur.key(), &e) || cur.key().size() != kEntityKeyLen)
      return Status::Corruption("state key");
    if (e.kind != kind) {
      // Skip to this community's entities of the wanted kind, or past them.
      Bytes next = ToBytes(e.community);
      next.push_back(static_cast<uint8_t>(kind) > static_cast<uint8_t>(e.kind)
                         ? static_cast<uint8_t>(kind)
                         : static_cast<uint8_t>(0xff));
      ok = cur.Seek(next);
      continue;
    }
    ASSIGN_OR_RETURN(EntityState state, DecodeEntityState(cur.value()));
    RETURN_IF_ERROR(fn(e, state));
    ok = cur.Next();
  }
  return cur.status();
}

Result<std::optional<Change>> Replica::LoadChange(const store::Txn& txn, const Id32& id) const {
  ASSIGN_OR_RETURN(auto raw, txn.Get(store_.dbi(Db::kChanges), id));
  if (!raw) return std::optional<Change>();
  ASSIGN_OR_RETURN(Change c, DecodeRecord(*raw, trust_.city().suite));
  return std::optional<Change>(std::move(c));
}

Result<std::vector<Change>> Replica::History(const store::Txn& txn, const EntityRef& e) const {
  std::vector<Change> out;
  Bytes prefix = EntityKey(e);
  ASSIGN_OR_RETURN(store::Cursor cur, store::Cursor::Open(txn, store_.dbi(Db::kByEntity)));
  for (bool ok = cur.Seek(prefix); ok && HasPrefix(cur.key(), prefix); ok = cur.Next()) {
    ByteView k = cur.key();
    if (k.size() != kEntityKeyLen + 8 + 32) return Status::Corruption("by_entity key length");
    Id32 id;
    std::copy(k.begin() + kEntityKeyLen + 8, k.end(), id.begin());
    ASSIGN_OR_RETURN(auto c, LoadChange(txn, id));
    if (!c) return Status::Corruption("by_entity names a missing change " + Hex(id));
    out.push_back(std::move(*c));
  }
  RETURN_IF_ERROR(cur.status());
  return out;
}

static Result<std::vector<EntityRef>> LookupDup(const store::Txn& txn, MDB_dbi dbi, ByteView key,
                                                model::EntityKind kind) {
  std::vector<EntityRef> out;
  ASSIGN_OR_RETURN(store::Cursor cur, store::Cursor::Open(txn, dbi));
  for (bool ok = cur.Seek(key);
       ok && std::equal(cur.key().begin(), cur.key().end(), key.begin(), key.end());
       ok = cur.NextDup()) {
    ByteView v = cur.value();
    if (v.size() != kCommunityLen + 16) return Status::Corruption("index value length");
    EntityRef e;
    e.community.assign(reinterpret_cast<const char*>(v.data()), kCommunityLen);
    e.kind = kind;
    std::copy(v.begin() + kCommunityLen, v.end(), e.entity.begin());
    out.push_back(std::move(e));
  }
  RETURN_IF_ERROR(cur.status());
  return out;
}

Result<std::vector<EntityRef>> Replica::FindByIdNumber(const store::Txn& txn,
                                                       std::string_view id) const {
  if (id.empty()) return std::vector<EntityRef>();
  ASSIGN_OR_RETURN(std::vector<EntityRef> out, LookupDup(txn, store_.dbi(Db::kIdNumber),
                                                         AsBytes(id), model::EntityKind::kPerson));
  if (!keys_) return out;
  // Sealed ID numbers are indexed by their token, which depends on the community: try every
  // community whose token key this node holds.
  std::vector<std::string> communities;
  if (!keys_->token_master.empty()) {
    ASSIGN_OR_RETURN(communities, Communities(txn));
  } else {
    for (const auto& [c, k] : keys_->token_keys) communities.push_back(c);
  }
  for (const std::string& c : communities) {
    Bytes key = keys_->TokenKey(c);
    if (key.empty()) continue;
    std::string ix = SealedIndexKey(ValueToken(key, model::EntityKind::kPerson, "id_number", id));
    ASSIGN_OR_RETURN(
        std::vector<EntityRef> hits,
        LookupDup(txn, store_.dbi(Db::kIdNumber), AsBytes(ix), model::EntityKind::kPerson));
    for (EntityRef& h : hits)
      if (h.community == c) out.push_back(std::move(h));
  }
  return out;
}

Result<std::vector<EntityRef>> Replica::FindByCard(const store::Txn& txn,
                                                   std::string_view card_no) const {
  if (card_no.empty()) return std::vector<EntityRef>();
  return LookupDup(txn, store_.dbi(Db::kCard), AsBytes(card_no), model::EntityKind::kHousehold);
}

Result<std::vector<EntityRef>> Replica::Members(const store::Txn& txn,
                                                const EntityRef& household) const {
  std::vector<EntityRef> out;
  Bytes key = CommunityEntity(household.community, household.entity);
  ASSIGN_OR_RETURN(store::Cursor cur, store::Cursor::Open(txn, store_.dbi(Db::kMembers)));
  for (bool ok = cur.Seek(key);
       ok && std::equal(cur.key().begin(), cur.key().end(), key.begin(), key.end());
       ok = cur.NextDup()) {
    ByteView v = cur.value();
    if (v.size() != 16) return Status::Corruption("member index value length");
    EntityRef e{household.community, model::EntityKind::kPerson, {}};
    std::copy(v.begin(), v.end(), e.entity.begin());
    out.push_back(std::move(e));
  }
  RETURN_IF_ERROR(cur.status());
  return out;
}

Result<std::vector<std::pair<EntityRef, std::string>>> Replica::ReviewQueue(
    const store::Txn& txn) const {
  std::vector<std::pair<EntityRef, std::string>> out;
  ASSIGN_OR_RETURN(store::Cursor cur, store::Cursor::Open(txn, store_.dbi(Db::kReview)));
  for (bool ok = cur.First(); ok; ok = cur.Next()) {
    EntityRef e;
    if (!ParseEntityKey(cur.key(), &e)) return Status::Corruption("review key");
    out.emplace_back(std::move(e), std::string(StateKeyField(cur.key())));
  }
  RETURN_IF_ERROR(cur.status());
  return out;
}

Result<std::vector<std::string>> Replica::Communities(const store::Txn& txn) const {
  std::vector<std::string> out;
  ASSIGN_OR_RETURN(store::Cursor cur, store::Cursor::Open(txn, store_.dbi(Db::kState)));
  for (bool ok = cur.First(); ok && cur.key().size() >= kCommunityLen;) {
    out.emplace_back(AsChars(cur.key().subspan(0, kCommunityLen)));
    Bytes next = ToBytes(out.back());
    next.push_back(0xff);
    ok = cur.Seek(next);
  }
  RETURN_IF_ERROR(cur.status());
  return out;
}

Result<Id32> Replica::StateDigest(const store::Txn& txn, std::string_view scope) const {
  crypto::Hasher h;
  ASSIGN_OR_RETURN(store::Cursor cur, store::Cursor::Open(txn, store_.dbi(Db::kState)));
  Bytes prefix = ToBytes(scope);
  Bytes len;
  for (bool ok = cur.Seek(prefix); ok && HasPrefix(cur.key(), prefix); ok = cur.Next()) {
    len.clear();
    PutVarint(len, cur.key().size());
    h.Update(len);
    h.Update(cur.key());
    len.clear();
    PutVarint(len, cur.value().size());
    h.Update(len);
    h.Update(cur.value());
  }
  RETURN_IF_ERROR(cur.status());
  return h.Finish();
}

// ---------------------------------------------------------------- revocations

Result<Replica::RevocationOutcome> Replica::AddRevocation(store::Txn& txn,
                                                          ByteView signed_revocation) {
  ASSIGN_OR_RETURN(trust::TrustStore::AddedRevocation added,
                   trust_.AddRevocation(txn, store_.dbi(Db::kTrust), signed_revocation));
  RevocationOutcome out{added.revoked, added.fresh, 0};
  if (!added.fresh) return out;
  // Of several revocations of one node the earliest is in force.
  const Id16& node = added.revoked->revocation.node_id;
  const trust::Revoked* in_force = trust_.RevocationOf(node);
  ASSIGN_OR_RETURN(out.removed, RemoveRevoked(txn, node, in_force->revocation.at));
  return out;
}

Status Replica::RemoveChange(store::Txn& txn, const EntityRef& e, uint64_t hlc, const Id32& id) {
  RETURN_IF_ERROR(txn.Del(store_.dbi(Db::kByScope), ScopeKey(e.community, hlc, id)).status());
  RETURN_IF_ERROR(ScopeIndexRemove(store_, txn, e.community, hlc, id));
  RETURN_IF_ERROR(txn.Del(store_.dbi(Db::kByEntity), ByEntityKey(e, hlc, id)).status());
  // The arrival log may still name it: whoever reads the log skips changes no longer stored.
  return txn.Del(store_.dbi(Db::kChanges), id).status();
}

Result<size_t> Replica::RemoveRevoked(store::Txn& txn, const Id16& node, uint64_t at) {
  // The node's changes stamped at or after `at`, community by community: by_scope is ordered by
  // (community, hlc), so each community is read from `at` on only.
  struct Doomed {
    EntityRef e;
    uint64_t hlc = 0;
    Id32 id{};
  };
  std::vector<Doomed> doomed;
  {
    ASSIGN_OR_RETURN(store::Cursor cur, store::Cursor::Open(txn, store_.dbi(Db::kByScope)));
    bool ok = cur.First();
    while (ok) {
      ByteView k = cur.key();
      if (k.size() != kCommunityLen + 8 + 32) return Status::Corruption("by_scope key length");
      if (GetBE64(k.data() + kCommunityLen) < at) {
        Bytes from(k.begin(), k.begin() + kCommunityLen);
        PutBE64(from, at);
        ok = cur.Seek(from);
        continue;
      }
      Id32 id;
      std::copy(k.begin() + kCommunityLen + 8, k.end(), id.begin());
      ASSIGN_OR_RETURN(auto rec, txn.Get(store_.dbi(Db::kChanges), id));
      if (!rec) return Status::Corruption("by_scope names a missing change " + Hex(id));
      ASSIGN_OR_RETURN(RecordHeader h, PeekRecord(*rec));
      if (h.origin == node) {
        ASSIGN_OR_RETURN(Change c, DecodeRecord(*rec, trust_.city().suite));
        doomed.push_back(
            Doomed{EntityRef{c.body.community, c.body.kind, c.body.entity}, c.body.hlc, c.id});
      }
      ok = cur.Next();
    }
    RETURN_IF_ERROR(cur.status());
  }
  std::set<EntityRef> entities;
  for (const Doomed& d : doomed) {
    RETURN_IF_ERROR(RemoveChange(txn, d.e, d.hlc, d.id));
    entities.insert(d.e);
  }
  for (const EntityRef& e : entities) RETURN_IF_ERROR(Refold(txn, e));
  return doomed.size();
}

Status Replica::Refold(store::Txn& txn, const EntityRef& e) {
  // Forget the entity's derived records: its index entries (through the old winners), review
  // entries, superseded marks and state...
  Bytes entity_key = EntityKey(e);
  ASSIGN_OR_RETURN(EntityState old, Entity(txn, e));
  for (const auto& [field, s] : old) {
    const model::FieldDef* f = ref_.catalog().Find(e.kind, field);
    if (f) RETURN_IF_ERROR(UpdateIndexes(txn, e, *f, s.winner(), FieldState{}));
  }
  std::vector<Bytes> marks;
  {
    ASSIGN_OR_RETURN(store::Cursor cur, store::Cursor::Open(txn, store_.dbi(Db::kSuperseded)));
    for (bool ok = cur.Seek(entity_key); ok && HasPrefix(cur.key(), entity_key); ok = cur.Next())
      marks.emplace_back(cur.key().begin(), cur.key().end());
    RETURN_IF_ERROR(cur.status());
  }
  for (const Bytes& m : marks) RETURN_IF_ERROR(txn.Del(store_.dbi(Db::kSuperseded), m).status());
  RETURN_IF_ERROR(txn.Del(store_.dbi(Db::kState), entity_key).status());
  // ...then fold what remains, as if the removed changes had never arrived (the fold is a
  // function of the set of changes, so the order does not matter).
  ASSIGN_OR_RETURN(std::vector<Change> history, History(txn, e));
  EntityState state;
  bool folded = false;
  for (const Change& c : history) {
    Rejection why;
    auto ranks = Authorize(c, /*signature_checked=*/true, &why);
    if (!ranks.ok()) {
      // Another node revoked in the same step (revocations loaded together): its change goes
      // too, as its own removal would do.
      if (why.code != "revoked")
        return Status::Internal("stored change " + Hex(c.id).substr(0, 16) +
                                " no longer verifies: " + why.reason);
      RETURN_IF_ERROR(RemoveChange(txn, e, c.body.hlc, c.id));
      continue;
    }
    RETURN_IF_ERROR(FoldWrites(txn, e, c, *ranks, state));
    folded = true;
  }
  // Observers see the new state, or an empty one when nothing of the entity remains.
  if (folded)
    RETURN_IF_ERROR(txn.Put(store_.dbi(Db::kState), entity_key, EncodeEntityState(state)));
  for (const auto& [name, fn] : observers_) RETURN_IF_ERROR(fn(txn, e, state));
  return Status::Ok();
}

Status Replica::FoldWrites(store::Txn& txn, const EntityRef& e, const Change& c,
                           const std::vector<uint8_t>& ranks, EntityState& state) {
  // The register rule, for Apply and for a re-fold after a revocation: each write supersedes
  // the writes it names unless they outrank it, and may itself have been superseded already.
  for (size_t i = 0; i < c.body.writes.size(); ++i) {
    const Write& w = c.body.writes[i];
    uint8_t rank = ranks[i];
    const model::FieldDef* f = ref_.catalog().Find(c.body.kind, w.field);
    if (!f) return Status::Internal("fold of an unauthorized field " + w.field);
    FieldState& s = state[w.field];
    std::optional<Head> old_winner;
    if (!s.heads.empty()) old_winner = s.heads.front();
    for (const Id32& p : w.prev) {
      Bytes sk = SupersededKey(e, w.field, p);
      ASSIGN_OR_RETURN(auto cur, txn.Get(store_.dbi(Db::kSuperseded), sk));
      if (!cur || (*cur)[0] < rank) {
        uint8_t r = rank;
        RETURN_IF_ERROR(txn.Put(store_.dbi(Db::kSuperseded), sk, ByteView(&r, 1)));
      }
      s.heads.erase(std::remove_if(s.heads.begin(), s.heads.end(),
                                   [&](const Head& h) { return h.id == p && h.rank <= rank; }),
                    s.heads.end());
    }
    ASSIGN_OR_RETURN(auto sup,
                     txn.Get(store_.dbi(Db::kSuperseded), SupersededKey(e, w.field, c.id)));
    if (!sup || (*sup)[0] < rank) {
      Head h{c.id, c.body.hlc, rank, c.body.tool, w.kind, w.value};
      auto pos =
          std::find_if(s.heads.begin(), s.heads.end(), [&](const Head& o) { return h.Before(o); });
      s.heads.insert(pos, std::move(h));
    }
    auto& tv = s.by_tool[static_cast<size_t>(c.body.tool)];
    if (!tv || tv->hlc < c.body.hlc || (tv->hlc == c.body.hlc && tv->id < c.id))
      tv = ToolValue{c.id, c.body.hlc, w.kind, w.value};
    RETURN_IF_ERROR(UpdateIndexes(txn, e, *f, old_winner ? &*old_winner : nullptr, s));
  }
  return Status::Ok();
}

}  // namespace shequ::crdt
