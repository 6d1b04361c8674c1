// Revocations (DESIGN section 6): the city root's signed statement that a node is no longer
// trusted. From the moment a node knows a revocation, the revoked node's changes stamped at or
// after `at` are refused (earlier ones stay valid), its CURVE key is refused at the handshake
// and any open session with it is closed. Revocations travel like certificates: in the trust
// set of every session, in bundles and as files (`shequ trust import`). docs/FORMATS.md.
#pragma once

#include <string>

#include "node/base/bytes.h"
#include "node/base/status.h"
#include "node/crypto/crypto.h"

namespace shequ::trust {

inline constexpr size_t kMaxRevocationReason = 1024;  // bytes of UTF-8
inline constexpr size_t kMaxRevocationBytes = 2048;   // the signed revocation as it travels

struct Revocation {
  Id16 node_id{};
  uint64_t at = 0;     // hybrid clock stamp: the node's changes with hlc >= at are refused
  std::string reason;  // why, for the people reading logs and refusals
  // As issued (filled by IssueRevocation / DecodeRevocation).
  Bytes body, signature;

  std::string node_hex() const { return Hex(node_id); }
  // The signed revocation as one flat message (SignedRevocation): what files, bundles and
  // sessions carry.
  Result<Bytes> Encode() const;
};

// Fills body and signature: the root signs "shequ/revoke/v1" 0x00 digest(body).
Status IssueRevocation(Revocation& rev, const crypto::SigningKey& root);
// Decodes a signed revocation (limits, canonical body, well-formed fields); does not check the
// signature.
Result<Revocation> DecodeRevocation(ByteView signed_revocation);
// PermissionDenied unless the city root signed it.
Status VerifyRevocation(const Revocation& rev, const crypto::PublicKey& root);

}  // namespace shequ::trust
