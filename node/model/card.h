// The registration card (《登记卡》, ../shared/CARD.md) as data, and its JSON form.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "node/base/status.h"

namespace shequ::model {

// key -> value as text. Absent key = not filled. List fields are "1,3" (sorted, unique) after
// normalisation; integers are decimal text.
using FieldValues = std::map<std::string, std::string, std::less<>>;

struct Card {
  std::string card_no;
  std::string community;
  FieldValues household;             // household keys other than card_no and community
  std::vector<FieldValues> members;  // person keys
  FieldValues visit;                 // date, result, collector; empty when absent
  bool has_visit = false;
};

enum class Severity { kError, kWarning };

// One finding, naming the card, member and field. Codes are stable ASCII identifiers (scripts,
// tests, the assessment); messages are Chinese, for the people who fix the card.
struct Problem {
  Severity severity = Severity::kError;
  std::string card_no;  // as written on the card ("" if missing)
  int member = -1;      // member index (0-based) or -1 for the household, visit or card level
  std::string block;    // "card", "household", "member", "visit"
  std::string field;    // card key, e.g. "id_number"; "" for whole-card findings
  std::string code;     // e.g. "id_check", "missing", "unknown_key", "no_head"
  std::string message;  // Chinese, e.g. "证件号码校验位应为X，实为5"

  // "card HBW-2026-000123 member 2 id_number: [id_check] 证件号码校验位应为X，实为5"
  std::string ToString() const;
};

struct ParsedCard {
  Card card;
  std::vector<Problem> problems;  // structural problems found while reading (unknown keys, ...)
  size_t index = 0;               // position in the file (0-based)
};

// A file holds one card object or an array of cards. A JSON syntax error, or a top level that is
// neither, refuses the whole file (the Status); problems inside one card stay with that card.
Result<std::vector<ParsedCard>> ParseCards(std::string_view json);

// The card as CARD.md JSON (keys in catalog order), for export and round trips.
std::string CardToJson(const Card& card, bool pretty = false);

}  // namespace shequ::model
