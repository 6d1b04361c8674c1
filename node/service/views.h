// Read models of entities for the CLI, exports and the UI: every field in catalog order with its
// winning value, where it came from, siblings in conflict and proposals awaiting the owner.
#pragma once

#include <string>
#include <vector>

#include "node/service/node.h"
#include "node/service/policy.h"

namespace shequ::service {

struct ValueView {
  std::string value;
  std::string display;  // value with its code label, e.g. "1 男性"
  crdt::Tool tool = crdt::Tool::kPlatform;
  uint64_t hlc = 0;
  uint8_t rank = 0;
  std::string origin;  // signer's node name
  std::string op;      // operator
  Id32 change{};
};

struct FieldView {
  const model::FieldDef* def = nullptr;
  bool filled = false;
  Visibility visibility = Visibility::kFull;  // values below are masked when kMasked
  ValueView current;
  std::vector<ValueView> siblings;   // concurrent values of the same rank (identity: review)
  std::vector<ValueView> proposals;  // lower-rank values awaiting the owner
};

struct EntityView {
  crdt::EntityRef ref;
  std::vector<FieldView> fields;     // catalog order, only fields with state
  std::vector<crdt::Note> warnings;  // notes stored with the changes behind the current values
  size_t changes = 0;
  // Fields with state this node may not read, or whose sealed values it cannot open.
  std::vector<std::string> withheld;
  // Fields whose stored sealed value does not authenticate (damaged storage): "key: why".
  std::vector<std::string> damaged;
  const FieldView* Find(std::string_view key) const;
  std::string Value(std::string_view key) const;  // "" when not filled
};

// Display text of a value: the code label for code and list fields.
std::string DisplayValue(const model::FieldDef& f, const std::string& value);

struct ViewOptions {
  // Shown in full: fields whose reveal the caller has decided and audited (access.h).
  std::vector<std::string> revealed;
  // Internal use only (verification, the node's own bookkeeping): no masking, nothing withheld
  // that the node can open. Never for what a person sees.
  bool unmasked = false;
};
// The entity as this node's access policy lets it be seen (policy.h): unreadable fields
// withheld, personal and sensitive values masked unless revealed.
Result<EntityView> ViewEntity(Node& node, const store::Txn& txn, const crdt::EntityRef& e,
                              const ViewOptions& options = {});

}  // namespace shequ::service
