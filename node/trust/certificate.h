// The city root and node certificates (DESIGN section 6). A certificate binds a node id, its
// kind, signing and CURVE keys, scopes (division-code prefixes), grants and validity, signed by
// the city information office's root key. Grants are strings, so a city can add new ones
// without a new build; the defaults per kind are in DefaultGrants().
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "node/base/bytes.h"
#include "node/base/status.h"
#include "node/crypto/crypto.h"
#include "node/model/reference.h"

namespace shequ::trust {

enum class NodeKind : uint8_t { kTerminal, kCommunity, kDistrict, kDepartment, kHub, kOffice };
inline constexpr NodeKind kAllNodeKinds[] = {NodeKind::kTerminal, NodeKind::kCommunity,
                                             NodeKind::kDistrict, NodeKind::kDepartment,
                                             NodeKind::kHub,      NodeKind::kOffice};
std::string_view NodeKindName(NodeKind k);
std::optional<NodeKind> ParseNodeKind(std::string_view s);

namespace grant {
inline constexpr std::string_view kCollect = "collect";       // rank-0 writes of any card field
inline constexpr std::string_view kReview = "review";         // resolve conflicts
inline constexpr std::string_view kRead = "read";             // every field in scope
inline constexpr std::string_view kReadOwn = "read:own";      // own department's fields
inline constexpr std::string_view kReadBasic = "read:basic";  // masked identity basics
inline constexpr std::string_view kReadAggregate = "read:aggregate";
inline constexpr std::string_view kReveal = "reveal";      // unmasked values, audited
inline constexpr std::string_view kExport = "export";      // files of records, audited
inline constexpr std::string_view kRelay = "relay";        // store and forward in scope
inline constexpr std::string_view kTransfer = "transfer";  // write move-outs to other communities
inline constexpr std::string_view kAssess = "assess";      // assessment inputs
inline constexpr std::string_view kScore = "score";        // run the assessment
inline constexpr std::string_view kAudit = "audit";        // read access events
inline constexpr std::string_view kEnrol = "enrol";        // issue certificates
inline constexpr std::string_view kRevoke = "revoke";
// "write:<department slug>": authoritative (rank 1) writes of that department's fields.
std::string Write(model::Department d);
}  // namespace grant

std::vector<std::string> DefaultGrants(NodeKind kind, std::optional<model::Department> dept);

struct Certificate {
  std::string city;  // city division code, e.g. "1503"
  Id16 node_id{};
  NodeKind kind = NodeKind::kCommunity;
  std::string name;
  std::optional<model::Department> department;
  crypto::Suite suite = crypto::Suite::kEd25519;
  Bytes sign_key;   // raw public signing key
  Bytes curve_key;  // 32-byte CURVE public key
  std::vector<std::string> scopes;
  std::vector<std::string> grants;
  uint64_t not_before = 0, not_after = 0;  // ms since the epoch
  uint64_t serial = 0;
  // As issued (filled by Issue/Decode).
  Bytes body, signature;

  bool InScope(std::string_view community) const;
  bool Has(std::string_view g) const;
  bool ValidAt(uint64_t ms) const { return ms >= not_before && ms <= not_after; }
  std::string id_hex() const { return Hex(node_id); }
  // The signed certificate as one message (what node.cert holds and hello messages carry).
  Result<Bytes> Encode() const;
};

// Fills body and signature (the root signs a domain tag and the body's digest).
Status IssueCertificate(Certificate& cert, const crypto::SigningKey& root);
// Decodes a signed certificate; does not check the signature.
Result<Certificate> DecodeCertificate(ByteView signed_cert);
// Signature by the root, well-formed fields.
Status VerifyCertificate(const Certificate& cert, const crypto::PublicKey& root);

// The trust anchor every node of a city holds (city.pub): suite and root public key.
struct City {
  std::string code;  // "1503"
  std::string name;  // 乌海市
  crypto::Suite suite = crypto::Suite::kEd25519;
  Bytes root_key;
  std::string ToText() const;
  static Result<City> FromText(std::string_view text);
};

// Domain-separated signing: what is signed is tag || digest, so a signature made for one kind
// of object can never be replayed as another.
Bytes SigningMessage(std::string_view tag, const Id32& digest);

}  // namespace shequ::trust
