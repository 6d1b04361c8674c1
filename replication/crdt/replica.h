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
#include "replication/crdt/seal.h"

namespace shequ::crdt {

enum class Outcome { kApplied, kDuplicate, kRejected };

// Why a change was refused at merge; codes are stable (logs, counters, tests).
struct Rejection {
  Id32 id{};
  Id16 origin{};
  std::string code;    // malformed, unknown_signer, bad_signature, revoked, not_yet_valid,
                       // expired, out_of_scope, no_write_grant, unknown_field, scope_field
  std::string reason;  // human-readable
};

// A move-out written by the origin community into the destination's scope (see Authorize).
bool IsMoveOut(const Change& c, const trust::Certificate& signer);

class Replica {
 public:
  Replica(store::Store& store, trust::TrustStore& trust, const model::Reference& ref)
      : store_(store), trust_(trust), ref_(ref) {}

  // The privacy layer's keys, installed once an operator has unlocked the node's keyring: the
  // audience secrets that open sealed values, and token keys (per community, or a master from
  // which every community's is derived) that find an ID number among sealed ones. Without them
  // sealed values read as unreadable and are left out of Values().
  struct Keys {
    std::shared_ptr<Opener> opener;
    std::map<std::string, Bytes, std::less<>> token_keys;  // community -> token key
    Bytes token_master;                                    // empty unless city-wide
    Bytes TokenKey(std::string_view community) const;      // empty when not held
  };
  void SetKeys(std::shared_ptr<const Keys> keys) { keys_ = std::move(keys); }
  // Changes folded in the current transaction whose records are stored only when it commits
  // (a batch signed after folding): OpenValue finds their key blocks here.
  void set_pending(std::function<const Change*(const Id32&)> pending) {
    pending_ = std::move(pending);
  }
  // Called in the folding transaction each time an entity's state changes (a change applied, or
  // a re-fold after a revocation): derived views kept up to date as changes arrive (the
  // assessment's counts at the hub, scoring/incremental.h).
  using FoldObserver = std::function<Status(store::Txn&, const EntityRef&, const EntityState&)>;
  // Named: adding a name twice keeps the first (idempotent installation).
  void AddFoldObserver(std::string name, FoldObserver fn) {
    for (const auto& [n, f] : observers_)
      if (n == name) return;
    observers_.emplace_back(std::move(name), std::move(fn));
  }
  // A change by id: one folded in this transaction but not yet stored (set_pending), or stored.
  Result<std::optional<Change>> FindChange(const store::Txn& txn, const Id32& id) const;
  const Keys* keys() const { return keys_.get(); }
  // The plain value of a head: its text, or the opened sealed value; nullopt when absent or
  // when this node may not open it.
  Result<std::optional<std::string>> OpenValue(const store::Txn& txn, const EntityRef& e,
                                               std::string_view field, const Head& h) const;

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
  // Winner values only: absent values, and sealed ones this node cannot open, left out.
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

  // --- revocations (node/trust/revocation.h)
  struct RevocationOutcome {
    const trust::Revoked* revoked = nullptr;
    bool fresh = false;  // not stored before
    size_t removed = 0;  // stored changes it invalidated, now removed
  };
  // Verifies and stores a signed revocation; a new one removes what it invalidates
  // (RemoveRevoked). PermissionDenied when the city root did not sign it.
  Result<RevocationOutcome> AddRevocation(store::Txn& txn, ByteView signed_revocation);
  // Removes the stored changes of `node` stamped at or after `at` (changes, by_scope and its
  // blocks, by_entity) and folds every entity they wrote again from its remaining changes, so
  // that the state is what it would be had they never arrived. Returns how many went.
  Result<size_t> RemoveRevoked(store::Txn& txn, const Id16& node, uint64_t at);

 private:
  Status AppendLog(store::Txn& txn, const Id32& id);
  Status UpdateIndexes(store::Txn& txn, const EntityRef& e, const model::FieldDef& f,
                       const Head* old_winner, const FieldState& now);
  Status RemoveChange(store::Txn& txn, const EntityRef& e, uint64_t hlc, const Id32& id);
  Status Refold(store::Txn& txn, const EntityRef& e);
  Status FoldWrites(store::Txn& txn, const EntityRef& e, const Change& c,
                    const std::vector<uint8_t>& ranks, EntityState& state);

  store::Store& store_;
  trust::TrustStore& trust_;
  const model::Reference& ref_;
  HybridClock* clock_ = nullptr;
  std::shared_ptr<const Keys> keys_;
  std::function<const Change*(const Id32&)> pending_;
  std::vector<std::pair<std::string, FoldObserver>> observers_;
};

}  // namespace shequ::crdt
