// The access layer (DESIGN section 7, issue 4): every read of personal data — CLI, UI, export,
// the hub's reports — asks Decide(), which answers by the node's certificate (kind, grants,
// scope, department) and the field's owner and class; values are masked unless revealed; every
// reveal, export, login and denied request is an access_event entity, signed and replicated to
// the hub like any change (kept as long as the changes are: never deleted).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "node/service/node.h"
#include "node/service/policy.h"
#include "node/service/views.h"

namespace shequ::service {

// --- access events

struct AccessEvent {
  std::string action;   // login, login_failed, read, reveal, export, write
  bool allowed = true;  // outcome
  std::string target;   // "person/<community>/<hex>", a scope, or a file
  std::vector<std::string> fields;
  std::string purpose;
  uint64_t count = 0;  // records concerned
  std::string reason;  // for denials and failed logins
  std::string op;      // operator, when not the one logged in (failed logins)
};
// The scope a node's own reports live in: a community or terminal's community, else its first
// scope padded to 12 digits (150300000000 for a city-wide node).
std::string HomeScope(const trust::Certificate& cert);
// Writes the event as an access_event change in the node's home scope.
Status RecordAccess(Node& node, store::Txn& txn, const AccessEvent& e);
Status RecordAccess(Node& node, const AccessEvent& e);

// Logs an operator in, recording the login or the failed login (with its reason) as an event.
Status LoginOperator(Node& node, std::string_view op, std::string_view passphrase);

// The access events this node holds and may read (auditors: all; others: their scope), newest
// first, from `since_ms` on.
struct AccessRecord {
  uint64_t ms = 0;
  std::string node, node_kind, op;  // who: node name and kind, operator
  AccessEvent event;
  std::string community;  // the scope the event lives in
  Id16 entity{};
};
Result<std::vector<AccessRecord>> ListAccessEvents(Node& node, uint64_t since_ms);

// --- reads through the policy

struct ReadOptions {
  bool reveal = false;
  // The fields asked for (a denied one is an access event); empty = the whole record.
  std::vector<std::string> fields;
  std::string purpose;  // required to reveal
};
// An entity as this node may see it: fields it may not read withheld, values masked unless a
// reveal was asked and allowed. A reveal writes an access event (allowed or denied); a read of
// an entity outside every read grant writes a denied event and fails.
Result<EntityView> ReadEntity(Node& node, const crdt::EntityRef& e, const ReadOptions& o);

// Writes through the policy: a write the node may not make is refused (Denied) and recorded as
// an access event; an allowed one is committed in its own transaction.
Result<Id32> WriteEntity(Node& node, const crdt::EntityRef& e, const std::vector<FieldEdit>& edits,
                         const Node::CommitOptions& o = {});

}  // namespace shequ::service
