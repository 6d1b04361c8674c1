#include "node/trust/trust_store.h"

#include <mutex>

namespace shequ::trust {

namespace {
constexpr std::string_view kCertPrefix = "cert/";
constexpr std::string_view kRevokedPrefix = "revoked/";
Bytes CertKey(const Id16& id) {
  Bytes k(kCertPrefix.size() + id.size());
  std::copy(kCertPrefix.begin(), kCertPrefix.end(), k.begin());
  std::copy(id.begin(), id.end(), k.begin() + kCertPrefix.size());
  return k;
}
// "revoked/" | node id | SHA-256 of the signed revocation: a node may be revoked more than once.
Bytes RevokedKey(const Id16& node, const Id32& digest) {
  Bytes k = ToBytes(kRevokedPrefix);
  k.insert(k.end(), node.begin(), node.end());
  k.insert(k.end(), digest.begin(), digest.end());
  return k;
}
bool HasPrefix(ByteView k, ByteView prefix) {
  return k.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), k.begin());
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

Result<std::unique_ptr<Revoked>> TrustStore::ParseRevocation(ByteView signed_revocation) const {
  ASSIGN_OR_RETURN(Revocation rev, DecodeRevocation(signed_revocation));
  RETURN_IF_ERROR(VerifyRevocation(rev, root_));
  return std::make_unique<Revoked>(
      Revoked{std::move(rev), Bytes(signed_revocation.begin(), signed_revocation.end()),
              crypto::Sha256(signed_revocation)});
}

const Revoked* TrustStore::InsertRevocation(std::unique_ptr<Revoked> r) {
  auto [it, inserted] = revocations_.emplace(r->digest, std::move(r));
  const Revoked* raw = it->second.get();
  if (!inserted) return raw;
  // Of several revocations of one node the earliest is in force (ties: the smaller digest), so
  // every replica applies the same one whatever order they came in.
  const Revoked*& in_force = revoked_nodes_[raw->revocation.node_id];
  if (!in_force || raw->revocation.at < in_force->revocation.at ||
      (raw->revocation.at == in_force->revocation.at && raw->digest < in_force->digest))
    in_force = raw;
  revocation_generation_.fetch_add(1);
  return raw;
}

Status TrustStore::Load(const store::Txn& txn, MDB_dbi trust_db) {
  RETURN_IF_ERROR(RefreshRevocations(txn, trust_db).status());
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

Result<TrustStore::AddedRevocation> TrustStore::AddRevocation(store::Txn& txn, MDB_dbi trust_db,
                                                              ByteView signed_revocation) {
  ASSIGN_OR_RETURN(std::unique_ptr<Revoked> r, ParseRevocation(signed_revocation));
  Bytes key = RevokedKey(r->revocation.node_id, r->digest);
  ASSIGN_OR_RETURN(auto have, txn.Get(trust_db, key));
  if (!have) RETURN_IF_ERROR(txn.Put(trust_db, key, signed_revocation));
  std::unique_lock<std::shared_mutex> lock(mu_);
  return AddedRevocation{InsertRevocation(std::move(r)), !have.has_value()};
}

Result<std::vector<const Revoked*>> TrustStore::RefreshRevocations(const store::Txn& txn,
                                                                   MDB_dbi trust_db) {
  std::vector<const Revoked*> out;
  ASSIGN_OR_RETURN(store::Cursor cur, store::Cursor::Open(txn, trust_db));
  Bytes prefix = ToBytes(kRevokedPrefix);
  for (bool ok = cur.Seek(prefix); ok && HasPrefix(cur.key(), prefix); ok = cur.Next()) {
    ByteView k = cur.key();
    if (k.size() != prefix.size() + 16 + 32)
      return Status::Corruption("trust database: revocation key of " + std::to_string(k.size()) +
                                " bytes");
    Id32 digest;
    std::copy(k.end() - 32, k.end(), digest.begin());
    if (FindRevocationByDigest(digest)) continue;
    auto r = ParseRevocation(cur.value());
    if (!r.ok()) return r.status().With("stored revocation");
    std::unique_lock<std::shared_mutex> lock(mu_);
    out.push_back(InsertRevocation(std::move(*r)));
  }
  RETURN_IF_ERROR(cur.status());
  return out;
}

const Revoked* TrustStore::RevocationOf(const Id16& node) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto it = revoked_nodes_.find(node);
  return it == revoked_nodes_.end() ? nullptr : it->second;
}

const Revoked* TrustStore::FindRevocationByDigest(const Id32& digest) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto it = revocations_.find(digest);
  return it == revocations_.end() ? nullptr : it->second.get();
}

std::vector<const Revoked*> TrustStore::Revocations() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  std::vector<const Revoked*> out;
  for (const auto& [digest, r] : revocations_) out.push_back(r.get());
  return out;
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
