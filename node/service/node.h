// A node as the commands and the daemon see it: its directory, keys, certificate, store, trust
// and clock, wired together once (no globals). Local edits go through Commit(), which builds,
// signs, authorizes and folds a change inside the caller's write transaction.
//
// Directory layout (docs/STORAGE.md):
//   city.pub   the city's trust anchor (suite, root public key)
//   node.cert  this node's certificate, signed by the root
//   node.key   private signing and CURVE keys (mode 0600)
//   audiences  every audience's public key, signed by the root (node/service/keyring.h)
//   keyring    the node's secrets, sealed under its operators' passphrases
//   db/        the LMDB environment
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "node/crypto/crypto.h"
#include "node/model/reference.h"
#include "node/service/keyring.h"
#include "node/service/signing_queue.h"
#include "node/store/store.h"
#include "node/trust/certificate.h"
#include "node/trust/trust_store.h"
#include "replication/crdt/hlc.h"
#include "replication/crdt/replica.h"
#include "replication/crdt/seal.h"

namespace shequ::service {

// --- the city (information office)

struct CityInitOptions {
  std::string code = "1503";
  std::string name = "乌海市";
  crypto::Suite suite = crypto::Suite::kEd25519;
};
// Creates CITY/root.key and CITY/city.pub. Refuses to overwrite an existing city.
Status InitCity(const std::string& dir, const CityInitOptions& options);

struct NodeInitOptions {
  trust::NodeKind kind = trust::NodeKind::kCommunity;
  std::vector<std::string> scopes;
  std::optional<model::Department> department;
  std::string name;
  uint64_t valid_days = 5 * 365;
  uint64_t not_before_ms = 0;       // 0 = now - 1 day (tolerates clocks a little behind)
  std::vector<std::string> grants;  // empty = DefaultGrants(kind, department)
};
// Issues a certificate with the city root and creates the node directory.
Result<trust::Certificate> InitNode(const std::string& node_dir, const std::string& city_dir,
                                    const NodeInitOptions& options, const model::Reference& ref);

// --- a node

struct FieldEdit {
  std::string field;
  std::optional<std::string> value;  // nullopt clears the field
};

class Node {
 public:
  struct Options {
    store::StoreOptions store;
    std::function<uint64_t()> wall_ms;  // clock source (tests); null = system clock
    std::function<Id16()> entity_ids;   // entity id source (tests); null = UUIDv7
  };
  static Result<std::unique_ptr<Node>> Open(const std::string& dir, const model::Reference& ref,
                                            Options options);
  static Result<std::unique_ptr<Node>> Open(const std::string& dir, const model::Reference& ref) {
    return Open(dir, ref, Options{});
  }

  const std::string& dir() const { return dir_; }
  const model::Reference& ref() const { return ref_; }
  const trust::Certificate& cert() const { return cert_; }
  const crypto::SigningKey& key() const { return key_; }
  const Bytes& curve_secret() const { return curve_secret_; }
  store::Store& store() { return *store_; }
  trust::TrustStore& trust() { return *trust_; }
  crdt::Replica& replica() { return *replica_; }
  crdt::HybridClock& clock() { return clock_; }

  // --- operators and keys (node/service/keyring.h)
  Keyring& keyring() { return *keyring_; }
  const AudienceDirectory& audiences() const { return audiences_; }
  // Whether the keyring is sealed under operators' passphrases (false until the first
  // operator is added: then values rest sealed to audiences, but the secrets lie in the clear).
  bool sealed_at_rest() const { return keyring_->sealed(); }
  // The node's secrets are open: a plain keyring, or an operator logged in.
  bool unlocked() const { return unlocked_.has_value(); }
  // The operator logged in; empty when none (a plain keyring opens without one).
  const std::string& operator_name() const { return op_; }
  // Unlocks the keyring with an operator's passphrase and installs the keys in the replica.
  // Denied (wrong passphrase) and NotFound (no such operator) leave the node as it was.
  // service::LoginOperator (access.h) also writes the access event; prefer it.
  Status Login(std::string_view op, std::string_view passphrase);
  // The secrets, when unlocked.
  const Unlocked* secrets() const { return unlocked_ ? &*unlocked_ : nullptr; }

  struct CommitOptions {
    crdt::Tool tool = crdt::Tool::kPlatform;
    std::string op;      // operator; empty = the node's name
    std::string device;  // device serial for terminal reads
    std::vector<crdt::Note> warnings;
    // Fold now, sign later: the change joins the pending batch that SignPending() signs on
    // every core and stores before the transaction commits (bulk import).
    bool defer_signature = false;
  };
  // Builds a change writing `edits` to `entity` (each write supersedes the field's current
  // heads), signs it, checks this node's own grants and folds it, returning its id.
  // PermissionDenied names the field this node may not write.
  Result<Id32> Commit(store::Txn& txn, const crdt::EntityRef& entity,
                      const std::vector<FieldEdit>& edits, const CommitOptions& options);

  // Signs the changes committed with defer_signature, in parallel, and stores their records.
  // Must run in the same transaction before it commits.
  Status SignPending(store::Txn& txn);
  // Forgets pending changes (the transaction that folded them is being retried or aborted).
  void DiscardPending();

  // A new entity id: UUIDv7 (48-bit ms, version and variant bits, random), time-ordered so that
  // new entities append at the end of the state's key order.
  Id16 NewEntityId();
  // Persists the clock so a restart never issues an older stamp.
  Status SaveClock(store::Txn& txn);

 private:
  Node(const model::Reference& ref, crypto::SigningKey key, std::function<uint64_t()> wall)
      : ref_(ref), key_(std::move(key)), clock_(std::move(wall)) {}
  void InstallKeys();
  // Seals the personal and sensitive writes of a change being committed.
  Status SealWrites(crdt::ChangeBody& body);

  std::string dir_;
  const model::Reference& ref_;
  crypto::SigningKey key_;
  Bytes curve_secret_;
  trust::Certificate cert_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<trust::TrustStore> trust_;
  std::unique_ptr<crdt::Replica> replica_;
  crdt::HybridClock clock_;
  // Changes folded but not yet signed; a deque, so their addresses hold while the signing queue
  // works on them.
  std::deque<crdt::Change> pending_;
  std::function<Id16()> entity_ids_;
  std::unique_ptr<SigningQueue> signer_;
  std::optional<Keyring> keyring_;
  AudienceDirectory audiences_;
  std::optional<Unlocked> unlocked_;
  std::string op_;
  std::unique_ptr<crdt::Sealer> sealer_;
};

// Reads CITY/city.pub.
Result<trust::City> ReadCity(const std::string& dir);

}  // namespace shequ::service
