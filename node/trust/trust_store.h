// The certificates and revocations a node knows, verified against the city root, persisted in the
// store's `trust` database and cached in memory with their parsed public keys.
//
// Thread safety: the lookups may be called from any thread (the ZAP handler's, for one) while
// one thread calls Add() and AddRevocation().
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <vector>

#include "node/store/store.h"
#include "node/trust/certificate.h"
#include "node/trust/revocation.h"

namespace shequ::trust {

struct Signer {
  Certificate cert;
  crypto::PublicKey key;
  Bytes encoded;  // the signed certificate as received
  Id32 digest{};  // SHA-256 of encoded
};

struct Revoked {
  Revocation revocation;
  Bytes encoded;  // the signed revocation as received
  Id32 digest{};  // SHA-256 of encoded: its item in the reconciled trust set
};

class TrustStore {
 public:
  static Result<std::unique_ptr<TrustStore>> Create(City city);

  const City& city() const { return city_; }
  const crypto::PublicKey& root() const { return root_; }

  // Reads every persisted certificate (each is verified again).
  Status Load(const store::Txn& txn, MDB_dbi trust_db);
  // Verifies a signed certificate against the root and persists it; a known one is a no-op.
  Result<const Signer*> Add(store::Txn& txn, MDB_dbi trust_db, ByteView signed_cert);
  // nullptr when unknown.
  const Signer* Find(const Id16& node) const;
  // The certificate whose CURVE key this is (transport admission), nullptr when unknown.
  const Signer* FindByCurveKey(ByteView curve_key) const;
  // By the SHA-256 of the signed certificate's bytes (reconciliation of the trust set).
  const Signer* FindByDigest(const Id32& digest) const;
  std::vector<const Signer*> All() const;

  // --- revocations (node/trust/revocation.h)
  struct AddedRevocation {
    const Revoked* revoked = nullptr;
    bool fresh = false;  // not stored before: the caller removes what it invalidates
  };
  // Verifies a signed revocation against the root and persists it (a known one is stored once).
  // The revoked node need not be known: its certificate may arrive later.
  Result<AddedRevocation> AddRevocation(store::Txn& txn, MDB_dbi trust_db,
                                        ByteView signed_revocation);
  // Revocations another process stored since this store was loaded: verified, added, returned.
  Result<std::vector<const Revoked*>> RefreshRevocations(const store::Txn& txn, MDB_dbi trust_db);
  // The revocation in force for a node, nullptr when none: of several, the earliest `at`.
  const Revoked* RevocationOf(const Id16& node) const;
  // Whether a change of `node` stamped `hlc` falls under its revocation.
  bool RevokedAt(const Id16& node, uint64_t hlc) const {
    const Revoked* r = RevocationOf(node);
    return r && hlc >= r->revocation.at;
  }
  const Revoked* FindRevocationByDigest(const Id32& digest) const;
  std::vector<const Revoked*> Revocations() const;
  // Changes whenever a revocation is learned (the daemon then closes sessions with the node).
  uint64_t revocation_generation() const { return revocation_generation_.load(); }

 private:
  TrustStore(City city, crypto::PublicKey root) : city_(std::move(city)), root_(std::move(root)) {}
  Result<std::unique_ptr<Signer>> Parse(ByteView signed_cert) const;
  Result<std::unique_ptr<Revoked>> ParseRevocation(ByteView signed_revocation) const;
  // REQUIRES: mu_ held exclusively.
  const Revoked* InsertRevocation(std::unique_ptr<Revoked> r);

  City city_;
  crypto::PublicKey root_;
  mutable std::shared_mutex mu_;
  std::map<Id16, std::unique_ptr<Signer>> signers_;
  std::map<Bytes, const Signer*> by_curve_key_;
  std::map<Id32, const Signer*> by_digest_;
  std::map<Id32, std::unique_ptr<Revoked>> revocations_;  // by digest
  std::map<Id16, const Revoked*> revoked_nodes_;          // the one in force per node
  std::atomic<uint64_t> revocation_generation_{0};
};

}  // namespace shequ::trust
