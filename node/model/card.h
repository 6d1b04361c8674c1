// The registration card (《登记卡》, ../shared/CARD.md) as data, and its JSON form.
#pragma once

#include <functional>
#include <istream>
#include <map>
#include <span>
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

  bool operator==(const Card&) const = default;
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

  // "card HBW-2026-000123 member 2 id_number: [id_check] 证件号码校验位应为X，实为5" for index 1
  // `member` is printed counting from 1, as people count (第N位); household and visit fields name
  // their block
  // ("card X household phone: ..."), card-level findings omit the field ("card X: [no_members]
  // ..."), a missing card_no prints as "card ?", and warnings put 警告： before the message.
  std::string ToString() const;
};

struct ParsedCard {
  Card card;
  std::vector<Problem> problems;  // structural problems found while reading (unknown keys, ...)
  size_t index = 0;               // position in the file (0-based)
};

// The keys each block of the card may hold, in catalog order. CARD.md fixes them for the whole
// city (第十条), so they are compiled in; a test checks them against data/catalog.csv.
// block: "card" (top level), "household", "member" or "visit"; unknown blocks give an empty span.
std::span<const std::string_view> CardKeys(std::string_view block);

// Limits that keep a hostile file from exhausting the parser (which recurses).
inline constexpr size_t kMaxCardFileBytes = 64u << 20;  // per ParseCards call / per streamed card
inline constexpr int kMaxJsonDepth = 64;

// A file holds one card object or an array of cards. A JSON syntax error, or a top level that is
// neither, refuses the whole file (the Status); problems inside one card stay with that card.
// Reading never throws. Values: strings; JSON integers are accepted for int fields
// (children_count) and arrays of strings for list fields (chronic_disease), both turned into
// text; null means absent. Structural problems (codes, all errors):
//   unknown_key    a key the card does not have (the value is dropped, the key is named)
//   bad_type       a value of the wrong JSON type; integers are kept as text, others dropped;
//                  an array element that is not an object becomes an empty card or member
//   duplicate_key  a key given twice in one object (JSON keeps only the last value)
// Input larger than kMaxCardFileBytes or nested deeper than kMaxJsonDepth is refused.
Result<std::vector<ParsedCard>> ParseCards(std::string_view json);

// The same for files too large to hold: reads `in` incrementally (one card or a JSON array of
// cards) and hands each card to `fn` as soon as it is read; each card is bounded by
// kMaxCardFileBytes. A syntax error or a non-ok Status from `fn` stops the reading.
Status ParseCardStream(std::istream& in, const std::function<Status(ParsedCard)>& fn);

// The card as CARD.md JSON (keys in catalog order; keys outside the card, if a program put any
// in, follow in key order), every value a string, for export and round trips:
// ParseCards(CardToJson(c)) gives c back. Compact output is one line. Invalid UTF-8 in a value
// is written as U+FFFD.
std::string CardToJson(const Card& card, bool pretty = false);

}  // namespace shequ::model
