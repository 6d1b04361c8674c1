#include "node/trust/revocation.h"

#include <algorithm>

#include "node/base/text.h"
#include "node/schema/capnp_io.h"
#include "node/schema/shequ.capnp.h"
#include "node/trust/certificate.h"

namespace shequ::trust {

namespace {

constexpr std::string_view kRevocationTag = "shequ/revoke/v1";

Status CheckFields(const Revocation& r, bool decoding) {
  auto bad = [&](std::string m) {
    return decoding ? Status::Corruption("revocation: " + m) : Status::Invalid("revocation: " + m);
  };
  if (r.at == 0) return bad("no time from which the node is revoked (at = 0)");
  if (r.reason.empty()) return bad("no reason given");
  if (r.reason.size() > kMaxRevocationReason)
    return bad("reason of " + std::to_string(r.reason.size()) + " bytes, at most " +
               std::to_string(kMaxRevocationReason));
  if (!IsValidUtf8(r.reason) || r.reason.find('\0') != std::string::npos)
    return bad("reason is not UTF-8 text");
  return Status::Ok();
}

}  // namespace

Status IssueRevocation(Revocation& rev, const crypto::SigningKey& root) {
  RETURN_IF_ERROR(CheckFields(rev, /*decoding=*/false));
  ASSIGN_OR_RETURN(rev.body, schema::BuildCanonical<schema::RevocationBody>(
                                 "revocation", [&](schema::RevocationBody::Builder b) {
                                   b.setVersion(1);
                                   b.setNodeId(schema::DataOf(rev.node_id));
                                   b.setAt(rev.at);
                                   b.setReason(rev.reason);
                                 }));
  ASSIGN_OR_RETURN(rev.signature, root.Sign(SigningMessage(
                                      kRevocationTag, crypto::Digest(root.suite(), rev.body))));
  return Status::Ok();
}

Result<Bytes> Revocation::Encode() const {
  if (body.empty()) return Status::Invalid("revocation not issued");
  return schema::BuildFlat<schema::SignedRevocation>("signed revocation",
                                                     [&](schema::SignedRevocation::Builder b) {
                                                       b.setBody(schema::DataOf(body));
                                                       b.setSignature(schema::DataOf(signature));
                                                     });
}

Result<Revocation> DecodeRevocation(ByteView signed_revocation) {
  Revocation rev;
  schema::ReadLimits outer;
  outer.max_bytes = kMaxRevocationBytes;
  outer.traversal_words = kMaxRevocationBytes / 4;
  RETURN_IF_ERROR(
      schema::ReadFlat<schema::SignedRevocation>(signed_revocation, outer, "signed revocation",
                                                 [&](schema::SignedRevocation::Reader r) -> Status {
                                                   auto body = r.getBody();
                                                   auto sig = r.getSignature();
                                                   rev.body.assign(body.begin(), body.end());
                                                   rev.signature.assign(sig.begin(), sig.end());
                                                   return Status::Ok();
                                                 }));
  if (rev.body.empty()) return Status::Corruption("signed revocation has no body");
  if (rev.signature.empty()) return Status::Corruption("signed revocation has no signature");
  schema::ReadLimits inner;
  inner.max_bytes = kMaxRevocationBytes;
  inner.traversal_words = kMaxRevocationBytes / 4;
  inner.canonical_segment = true;
  RETURN_IF_ERROR(schema::ReadFlat<schema::RevocationBody>(
      rev.body, inner, "revocation body", [&](schema::RevocationBody::Reader b) -> Status {
        if (b.getVersion() != 1)
          return Status::Corruption("revocation version " + std::to_string(b.getVersion()) +
                                    " (this node reads version 1)");
        auto id = b.getNodeId();
        if (id.size() != 16) return Status::Corruption("revocation node id is not 16 bytes");
        std::copy(id.begin(), id.end(), rev.node_id.begin());
        rev.at = b.getAt();
        rev.reason = schema::StringOf(b.getReason());
        return Status::Ok();
      }));
  RETURN_IF_ERROR(CheckFields(rev, /*decoding=*/true));
  return rev;
}

Status VerifyRevocation(const Revocation& rev, const crypto::PublicKey& root) {
  if (!root.Verify(SigningMessage(kRevocationTag, crypto::Digest(root.suite(), rev.body)),
                   rev.signature))
    return Status::Denied("the revocation of node " + rev.node_hex() +
                          " is not signed by this city's root");
  return Status::Ok();
}

}  // namespace shequ::trust
