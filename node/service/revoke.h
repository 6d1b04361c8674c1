// Revoking a node (`shequ node revoke`, docs/CLI.md): the information office signs a
// revocation with the city root; any node that takes it (a file through `shequ trust import`, a
// bundle, a session's trust set) refuses the revoked node's changes stamped from then on,
// removes those it already stored, and refuses its connections.
#pragma once

#include <string>

#include "node/service/node.h"
#include "node/trust/revocation.h"

namespace shequ::service {

// "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS]" or "YYYY-MM-DDTHH:MM[:SS]" in China Standard Time
// (UTC+8, as every time shequ prints), or "now"; milliseconds since the epoch.
Result<uint64_t> ParseTime(std::string_view text);

// A node id as the office names it: 32 hex digits, or a prefix of at least 6 that matches one
// node in CITY/issued.log. A full id need not be in the log (a node of another office's log).
Result<Id16> ResolveNodeId(const std::string& city_dir, std::string_view text);

struct RevokeOptions {
  Id16 node{};
  std::string reason;
  uint64_t at_ms = 0;  // changes stamped from this moment on are refused; 0 = now
};
// Signs a revocation with CITY/root.key and records it in CITY/revoked.log.
Result<trust::Revocation> IssueRevocation(const std::string& city_dir, const RevokeOptions& o);

// Verifies a signed revocation against the node's city root, stores it and removes the changes
// it invalidates, in one transaction. PermissionDenied when the root did not sign it.
Result<crdt::Replica::RevocationOutcome> ImportRevocation(Node& node, ByteView signed_revocation);

}  // namespace shequ::service
