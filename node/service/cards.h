// Registration cards into the replica: validation against CARD.md and what the replica already
// holds, then one change per household, member and visit, signed and folded.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "node/model/card.h"
#include "node/model/validate.h"
#include "node/service/node.h"

namespace shequ::service {

struct ImportOptions {
  crdt::Tool tool = crdt::Tool::kCard;
  std::string op;  // operator
  std::string device;
  Date today;
  size_t batch = 256;  // cards per write transaction
};

struct CardResult {
  enum class Outcome { kStored, kUpdated, kUnchanged, kRefused };
  size_t index = 0;  // position in the input
  std::string card_no;
  Outcome outcome = Outcome::kRefused;
  std::vector<model::Problem> problems;  // every error (refused) and warning
  size_t changes = 0;
  size_t persons = 0;
  std::string household;  // entity id, hex
};
std::string_view OutcomeName(CardResult::Outcome o);

// Imports the cards in batches; each card is all or nothing. `report` is called for every card
// once its batch has committed (so a reported card is durable), in input order.
Status ImportCards(Node& node, const std::vector<model::ParsedCard>& cards,
                   const ImportOptions& options,
                   const std::function<void(const CardResult&)>& report);

// The validation context for a card updating `household` (hex, "" for new), looking people up
// through `txn`.
model::ValidationContext MakeValidationContext(Node& node, const store::Txn& txn,
                                               const std::string& household, Date today);

// The household's current card as the replica holds it (members with status 在册 and others).
// member_refs receives the person entity of each member, in card order.
Result<model::Card> CurrentCard(Node& node, const store::Txn& txn, const crdt::EntityRef& household,
                                std::vector<crdt::EntityRef>* member_refs);

// An edit of one person (person set): validated as part of its household's card; an edit that
// would introduce an error is refused with every problem listed.
struct EditResult {
  std::vector<model::Problem> problems;  // errors (refused) or new warnings (stored)
  bool stored = false;
  Id32 change{};
};
Result<EditResult> EditPerson(Node& node, const crdt::EntityRef& person,
                              const std::vector<std::pair<std::string, std::string>>& edits,
                              crdt::Tool tool, const std::string& op, Date today);

// Finds an entity by id in any community this replica holds.
Result<std::optional<crdt::EntityRef>> FindEntity(Node& node, const store::Txn& txn,
                                                  model::EntityKind kind, const Id16& id);

}  // namespace shequ::service
