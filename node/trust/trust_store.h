// The certificates a node knows, verified against the city root, persisted in the store's
// `trust` database and cached in memory with their parsed public keys.
//
// Thread safety: Find() may be called from any thread while one thread calls Add().
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <vector>

#include "node/store/store.h"
#include "node/trust/certificate.h"

namespace shequ::trust {

struct Signer {
  Certificate cert;
  crypto::PublicKey key;
  Bytes encoded;  // the signed certificate as received
  Id32 digest{};  // SHA-256 of encoded
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

 private:
  TrustStore(City city, crypto::PublicKey root) : city_(std::move(city)), root_(std::move(root)) {}
  Result<std::unique_ptr<Signer>> Parse(ByteView signed_cert) const;

  City city_;
  crypto::PublicKey root_;
  mutable std::shared_mutex mu_;
  std::map<Id16, std::unique_ptr<Signer>> signers_;
  std::map<Bytes, const Signer*> by_curve_key_;
  std::map<Id32, const Signer*> by_digest_;
};

}  // namespace shequ::trust
