// Keys of the privacy layer (DESIGN sections 4 and 7; docs/STORAGE.md "Keyring").
//
// The city information office holds CITY/audience.key, a 32-byte master from which it derives
// every audience's X25519 key pair and the token master (replication/crdt/seal.h). Enrolling a
// node gives it
//   DIR/audiences  the public key of every audience of the city, signed by the root: what the
//                  node seals its personal and sensitive writes to;
//   DIR/keyring    the secrets its grants allow — the audience secrets it may open and the
//                  token keys of the communities it reads or writes — sealed with AES-256-GCM
//                  under a random node data key, which is wrapped for each operator under a key
//                  derived from the operator's passphrase with scrypt (EVP_KDF).
// Until the first operator is added the keyring is plain (a node being set up, and tests); a
// terminal report says whether storage is sealed.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "node/base/bytes.h"
#include "node/base/status.h"
#include "node/crypto/crypto.h"
#include "node/crypto/seal.h"
#include "node/model/reference.h"
#include "node/trust/certificate.h"

namespace shequ::service {

// --- audiences

std::string CommunityAudience(std::string_view community);   // "c:150302001001"
std::string DepartmentAudience(model::Department d);         // "d:police"
inline constexpr std::string_view kBasicAudience = "basic";  // departments' and hub's basics

// Identity basics a department and the hub see masked (issue 4): name and birth date (gender
// and community are ordinary values).
bool IsIdentityBasic(const model::FieldDef& f);
// Who may open a write of `f` in `community`, sorted: empty for ordinary fields (not sealed).
std::vector<std::string> AudiencesFor(const model::FieldDef& f, std::string_view community);

// --- the office's side

struct CitySecrets {
  Bytes master;
  static Status Create(const std::string& city_dir);
  static Result<CitySecrets> Read(const std::string& city_dir);
  Bytes AudienceSecret(std::string_view audience) const;
  Bytes TokenMaster() const;
};

// The secrets a node holds.
struct NodeSecrets {
  std::map<std::string, Bytes, std::less<>> audiences;   // audience id -> X25519 secret
  std::map<std::string, Bytes, std::less<>> token_keys;  // community -> token key
  Bytes token_master;                                    // departments and the hub
  bool operator==(const NodeSecrets&) const = default;
};
// What a certificate's grants and scopes entitle it to.
NodeSecrets SecretsFor(const CitySecrets& city, const trust::Certificate& cert,
                       const model::Reference& ref);

// Every audience of the city and its public key, signed by the root.
struct AudienceDirectory {
  std::map<std::string, Bytes, std::less<>> keys;  // audience id -> X25519 public key
  static Result<AudienceDirectory> Build(const CitySecrets& city, const model::Reference& ref);
  Result<std::string> Encode(crypto::Suite suite, const crypto::SigningKey& root) const;
  static Result<AudienceDirectory> Decode(std::string_view file, crypto::Suite suite,
                                          const crypto::PublicKey& root);
};

// --- the node's keyring

struct Unlocked {
  std::string op;  // operator name; empty for a plain keyring
  Bytes data_key;  // empty for a plain keyring
  NodeSecrets secrets;
};

class Keyring {
 public:
  static std::string PathIn(const std::string& node_dir) { return node_dir + "/keyring"; }
  // A plain keyring (node init); refuses to overwrite one.
  static Status CreatePlain(const std::string& node_dir, const NodeSecrets& secrets);
  static Result<Keyring> Load(const std::string& node_dir);

  bool sealed() const { return !operators_.empty(); }
  std::vector<std::string> operators() const;
  bool HasOperator(std::string_view name) const;
  // A plain keyring's secrets (FailedPrecondition-like Denied when it is sealed).
  Result<Unlocked> OpenPlain() const;
  // Denied("wrong passphrase ...") or NotFound("no operator ...") name what is wrong;
  // Corruption when the file itself is damaged.
  Result<Unlocked> Unlock(std::string_view op, std::string_view passphrase) const;
  // Adds an operator (`by` is an unlocked keyring: an existing operator, or the plain one for
  // the first operator, which seals the file). Rewrites the file atomically.
  Status AddOperator(std::string_view name, std::string_view passphrase, const Unlocked& by,
                     const crypto::ScryptParams& params);

 private:
  struct Operator {
    std::string name;
    Bytes salt;
    crypto::ScryptParams params;
    Bytes wrapped;  // AES-256-GCM of the data key
  };
  Status Save() const;

  std::string path_;
  std::vector<Operator> operators_;
  Bytes sealed_secrets_;              // when operators exist
  std::optional<NodeSecrets> plain_;  // when none do
};

// scrypt cost for new operators: $SHEQU_SCRYPT_N (a power of two, for tests) or N = 2^15.
crypto::ScryptParams DefaultScryptParams();

}  // namespace shequ::service
