// Validation of CARD.md's rules: per field, across fields, across members, and against what the
// replica already holds. Errors block a save; warnings are saved and count against quality.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "node/base/time.h"
#include "node/model/card.h"
#include "node/model/reference.h"

namespace shequ::model {

// A person the replica already holds under some ID number.
struct RegisteredPerson {
  std::string person;     // entity id, hex
  std::string household;  // household entity id, hex
  std::string card_no;
  std::string community;
  std::string name;
};

struct ValidationContext {
  const Reference* ref = nullptr;
  Date today;  // "not in the future", ages
  // Active (status absent or 1) person holding this 18-digit number, if any.
  std::function<std::optional<RegisteredPerson>(const std::string& id_number)> find_person;
  // The household entity this card updates (hex), "" for a new household.
  std::string household;
};

struct CardCheck {
  Card normalized;  // 15-digit ID numbers converted, x -> X, lists sorted, numbers canonical
  std::vector<Problem> problems;
  bool ok() const;  // no errors
  size_t errors() const;
  size_t warnings() const;
};

// Every rule of CARD.md. Ages are taken on the visit date when there is one, else on `today`.
CardCheck CheckCard(const Card& card, const ValidationContext& ctx);

// One field alone (for validation as you type): the normalised value, or the problem.
struct FieldCheck {
  std::string value;
  std::optional<Problem> problem;
};
FieldCheck CheckField(const FieldDef& field, std::string_view value, const ValidationContext& ctx);

}  // namespace shequ::model
