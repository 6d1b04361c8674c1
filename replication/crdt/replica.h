// The replica: verifies changes against their signers' authority and folds them into the state
// (DESIGN sections 3 and 4). Every function takes the caller's transaction; nothing here opens
// one, so a batch of changes commits or aborts together.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "node/model/reference.h"
#include "node/store/store.h"
#include "node/trust/trust_store.h"
#include "replication/crdt/change.h"
#include "replication/crdt/field_state.h"
#include "replication/crdt/hlc.h"
#include "replication/crdt/keys.h"

namespace shequ::crdt {

enum class Outcome { kApplied, kDuplicate, kRejected };

// Why a change was refused at merge; codes are stable (logs, counters, tests).
struct Rejection {
  Id32 id{};
  Id16 origin{};
  std::string code;    // malformed, unknown_signer, bad_signature, not_yet_valid, expired,
                       // out_of_scope, no_write_grant, unknown_field, scope_field
  std::string reason;  // human-readable
};

// A move-out written by the origin community into the destination's scope (see Authorize).
bool IsMoveOut(const Change& c, const trust::Certificate& signer);

class Replica {
 public:
  Replica(store::Store& store, trust::TrustStore& trust, const model::Reference& ref)
      : store_(store), trust_(trust), ref_(ref) {}

  // Received stamps advance this clock (so local edits sort after what was seen).
  void set_clock(HybridClock* clock) { clock_ = clock; }
  store::Store& store() { return store_; }
  trust::TrustStore& trust() { return trust_; }
  const model::Reference& ref() const { return ref_; }

  // Authority at merge: signature (unless `signature_checked`), certificate valid at the change's
  // hlc, community in the signer's scope, a write grant for every field. Returns the rank of
  // each write (1 owner, 0 collection), or the rejection.
  Result<std::vector<uint8_t>> Authorize(const Change& c, bool signature_checked,
                                         Rejection* rejection) const;

  // Decodes, verifies and folds one stored-form change. A rejection is logged in `rejected` and
  // reported through `rejection`; it is an ordinary outcome, not an error.
  Result<Outcome> Receive(store::Txn& txn, ByteView record, Rejection* rejection);
  // The same for a change already decoded from `record`. With signature_verified the caller has
  // checked the signature (VerifySignature, e.g. on other cores); everything else is checked here.
  Result<Outcome> ReceiveDecoded(store::Txn& txn, const Change& change, ByteView record,
                                 bool signature_verified, Rejection* rejection);
  // The signature check alone; thread-safe, needs no transaction.
  bool VerifySignature(const Change& change) const;
  // Folds a change whose authority has been checked. With store_record false the caller puts
  // the record itself later in the same transaction (a batch signed after folding).
  Result<Outcome> Apply(store::Txn& txn, const Change& c, const std::vector<uint8_t>& ranks,
                        bool store_record = true);
  // Puts the record of a change folded with store_record false.
  Status StoreRecord(store::Txn& txn, const Change& c);
  // Changes this replica stored after local sequence number `after`, oldest first, at most
  // `max`; *last is the sequence number of the last one returned (or `after`).
  Result<std::vector<Id32>> LogSince(const store::Txn& txn, uint64_t after, size_t max,
                                     uint64_t* last) const;

  // The local sequence number of the last change stored (0 when none).
  Result<uint64_t> LogEnd(const store::Txn& txn) const;

  // Records a rejection in the security log, keyed by time and the digest of what was received
  // (so two damaged copies of one change are two events).
  Status LogRejection(store::Txn& txn, const Rejection& r, ByteView received);

  // --- reads
  Result<std::optional<FieldState>> Field(const store::Txn& txn, const EntityRef& e,
                                          std::string_view field) const;
  // Every field of an entity that has state.
  Result<EntityState> Entity(const store::Txn& txn, const EntityRef& e) const;
  // Every entity of a kind in the communities starting with `scope`, in key order.
  Status ScanEntities(const store::Txn& txn, std::string_view scope, model::EntityKind kind,
                      const std::function<Status(const EntityRef&, const EntityState&)>& fn) const;
  // Winner values only (absent values left out).
  Result<std::map<std::string, std::string, std::less<>>> Values(const store::Txn& txn,
                                                                 const EntityRef& e) const;
  Result<bool> Exists(const store::Txn& txn, const EntityRef& e) const;
  Result<std::optional<Change>> LoadChange(const store::Txn& txn, const Id32& id) const;
  // Changes of one entity, oldest first.
  Result<std::vector<Change>> History(const store::Txn& txn, const EntityRef& e) const;
  // Persons (entity refs) holding an ID number.
  Result<std::vector<EntityRef>> FindByIdNumber(const store::Txn& txn, std::string_view id) const;
  Result<std::vector<EntityRef>> FindByCard(const store::Txn& txn, std::string_view card_no) const;
  Result<std::vector<EntityRef>> Members(const store::Txn& txn, const EntityRef& household) const;
  // Entities with a conflicted identity field: (entity, field) pairs.
  Result<std::vector<std::pair<EntityRef, std::string>>> ReviewQueue(const store::Txn& txn) const;
  // Every community that has state, in code order.
  Result<std::vector<std::string>> Communities(const store::Txn& txn) const;
  // One digest of the folded state of every community starting with `scope`.
  Result<Id32> StateDigest(const store::Txn& txn, std::string_view scope) const;

 private:
  Status AppendLog(store::Txn& txn, const Id32& id);
  Status UpdateIndexes(store::Txn& txn, const EntityRef& e, const model::FieldDef& f,
                       const Head* old_winner, const FieldState& now);

  store::Store& store_;
  trust::TrustStore& trust_;
  const model::Reference& ref_;
  HybridClock* clock_ = nullptr;
};

}  // namespace shequ::crdt
