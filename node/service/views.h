// Read models of entities for the CLI, exports and the UI: every field in catalog order with its
// winning value, where it came from, siblings in conflict and proposals awaiting the owner.
#pragma once

#include <string>
#include <vector>

#include "node/service/node.h"

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
  ValueView current;
  std::vector<ValueView> siblings;   // concurrent values of the same rank (identity: review)
  std::vector<ValueView> proposals;  // lower-rank values awaiting the owner
};

struct EntityView {
  crdt::EntityRef ref;
  std::vector<FieldView> fields;     // catalog order, only fields with state
  std::vector<crdt::Note> warnings;  // notes stored with the changes behind the current values
  size_t changes = 0;
  const FieldView* Find(std::string_view key) const;
  std::string Value(std::string_view key) const;  // "" when not filled
};

// Display text of a value: the code label for code and list fields.
std::string DisplayValue(const model::FieldDef& f, const std::string& value);

Result<EntityView> ViewEntity(Node& node, const store::Txn& txn, const crdt::EntityRef& e);

}  // namespace shequ::service
