#include "node/trust/trust_store.h"

#include <mutex>

namespace shequ::trust {

namespace {
constexpr std::string_view kCertPrefix = "cert/";
Bytes CertKey(const Id16& id) {
  Bytes k(kCertPrefix.size() + id.size());
  std::copy(kCertPrefix.begin(), kCertPrefix.end(), k.begin());
  std::copy(id.begin(), id.end(), k.begin() + kCertPrefix.size());
  return k;
}
}  // namespace

Result<std::unique_ptr<TrustStore>> TrustStore::Create(City city) {
  ASSIGN_OR_RETURN(crypto::PublicKey root, crypto::PublicKey::FromRaw(city.suite, city.root_key));
  return std::unique_ptr<TrustStore>(new TrustStore(std::move(city), std::move(root)));
}

Result<std::unique_ptr<Signer>> TrustStore::Parse(ByteView signed_cert) const {
  ASSIGN_OR_RETURN(Certificate cert, DecodeCertificate(signed_cert));
  RETURN_IF_ERROR(VerifyCertificate(cert, root_));
  if (cert.city != city_.code)
    return Status::Denied("certificate of node " + cert.id_hex() + " is for city " + cert.city +
                          ", not " + city_.code);
  ASSIGN_OR_RETURN(crypto::PublicKey key, crypto::PublicKey::FromRaw(cert.suite, cert.sign_key));
  return std::make_unique<Signer>(Signer{std::move(cert), std::move(key),
                                         Bytes(signed_cert.begin(), signed_cert.end()),
                                         crypto::Sha256(signed_cert)});
}

Status TrustStore::Load(const store::Txn& txn, MDB_dbi trust_db) {
  ASSIGN_OR_RETURN(store::Cursor cur, store::Cursor::Open(txn, trust_db));
  Bytes prefix = ToBytes(kCertPrefix);
  for (bool ok = cur.Seek(prefix); ok; ok = cur.Next()) {
    ByteView k = cur.key();
    if (k.size() < prefix.size() || !std::equal(prefix.begin(), prefix.end(), k.begin())) break;
    auto signer = Parse(cur.value());
    if (!signer.ok()) return signer.status().With("stored certificate");
    std::unique_lock<std::shared_mutex> lock(mu_);
    Id16 id = (*signer)->cert.node_id;
    if (signers_.count(id)) continue;
    const Signer* raw = signer->get();
    signers_[id] = std::move(*signer);
    by_curve_key_[raw->cert.curve_key] = raw;
    by_digest_[raw->digest] = raw;
  }
  return cur.status();
}

Result<const Signer*> TrustStore::Add(store::Txn& txn, MDB_dbi trust_db, ByteView signed_cert) {
  ASSIGN_OR_RETURN(std::unique_ptr<Signer> signer, Parse(signed_cert));
  Id16 id = signer->cert.node_id;
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    auto it = signers_.find(id);
    if (it != signers_.end()) {
      // A node id has exactly one certificate for life (re-enrolment issues a new node id), so
      // every replica verifies a change against the same key whatever order certificates came.
      if (it->second->encoded != signer->encoded)
        return Status::Denied("a different certificate for node " + Hex(id) +
                              " is already known; the root issued two certificates for one id");
      ASSIGN_OR_RETURN(auto have, txn.Get(trust_db, CertKey(id)));
      if (have) return it->second.get();
    }
  }
  RETURN_IF_ERROR(txn.Put(trust_db, CertKey(id), signed_cert));
  std::unique_lock<std::shared_mutex> lock(mu_);
  const Signer* raw = signers_.emplace(id, std::move(signer)).first->second.get();
  by_curve_key_[raw->cert.curve_key] = raw;
  by_digest_[raw->digest] = raw;
  return raw;
}

const Signer* TrustStore::Find(const Id16& node) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto it = signers_.find(node);
  return it == signers_.end() ? nullptr : it->second.get();
}

const Signer* TrustStore::FindByCurveKey(ByteView curve_key) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto it = by_curve_key_.find(Bytes(curve_key.begin(), curve_key.end()));
  return it == by_curve_key_.end() ? nullptr : it->second;
}

const Signer* TrustStore::FindByDigest(const Id32& digest) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto it = by_digest_.find(digest);
  return it == by_digest_.end() ? nullptr : it->second;
}

std::vector<const Signer*> TrustStore::All() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  std::vector<const Signer*> out;
  for (const auto& [id, s] : signers_) out.push_back(s.get());
  return out;
}

}  // namespace shequ::trust
