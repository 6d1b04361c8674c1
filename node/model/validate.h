// Validation of CARD.md's rules: per field, across fields, across members, and against what the
// replica already holds. Errors block a save; warnings are saved and count against quality.
//
// Problem codes (stable; each has one severity). E = error, W = warning.
//  Reading (ParseCards, card.h):
//   unknown_key         E  a key the card does not have (also from CheckCard for keys a program
//                          put into a Card)
//   bad_type            E  a JSON value of the wrong type
//   duplicate_key       E  a key given twice in one JSON object
//  One field (CheckField, also run by CheckCard):
//   missing             E  a required field (or the visit block) is absent
//   bad_text            E  invalid UTF-8 or a control character (line break, tab, ...)
//   too_long            E  more characters than the catalog's limit
//   bad_card_no         E  card_no: at most 32 of A-Z a-z 0-9 and "-"
//   bad_name            E  a name character other than CJK, Latin letters, inner spaces, "·"
//   bad_community       E  community is not 12 digits
//   unknown_community   E  a 12-digit code that is not in the division list
//   not_community       E  a district, subdistrict or town code, not a community or village
//   virtual_community   E  a virtual unit (虚拟社区), which must not receive residents
//   bad_code            E  a code (or a code in a list) that is not in its table
//   bad_date            E  not YYYY-MM-DD or not a real calendar day
//   future_date         E  a date after today
//   date_too_early      E  birth_date before 1900-01-01
//   bad_int             E  not a whole number
//   out_of_range        E  a whole number outside 0..limit
//   bad_phone           E  not an 11-digit mobile (1[3-9]...) or 0473-NNNNNNN
//   id_length           E  citizen ID not 18 (or 15) characters
//   id_chars            E  citizen ID with characters other than digits and a final X
//   id_date             E  the birth digits of an ID are not a real date
//   id_check            E  GB 11643 check character wrong
//   id_not_convertible  E  a 15-digit number of someone not born in the 1900s
//   id_region           E  港澳台居民居住证 whose address code is not 810000/820000/830000
//   id_format           E  外国人永久居留身份证 in neither the 2017 nor the 2023 format
//   id_not_allowed      E  an id_number with doc_type 9 (无证件)
//   bad_cert            E  disability_cert not 18-char ID + category + grade (+ B1..B9)
//   bad_origin          E  migrant_origin of digits that is not a plausible 6-digit code
//   bad_fingerprint     E  not base64 of an ISO/IEC 19794-2 record ("FMR\0" " 20\0")
//  Across fields, members and the replica (CheckCard):
//   no_members          E  a card without members
//   id_birth_mismatch   E  the ID's birth date differs from birth_date
//   id_gender_mismatch  E  the ID's sequence parity differs from gender (1 odd, 2 even)
//   duplicate_id        E  two members of the card with the same ID number
//   registered_elsewhere E the ID number is registered to a person of another household
//   no_head             W  a family household without a member with relationship 02 (户主)
//   many_heads          W  a family household with more than one 户主
//   cert_mismatch       W  disability_cert is not id_number + category + grade
//   allowance_under_80  W  elderly_allowance 1 for a person under 80
//   spouse_under_age    W  a spouse (or the head who has one) under 22 (men) or 20 (women)
//   child_older         W  a child (relationship 20-39) older than the head or the head's spouse
//   parent_younger      W  a parent (relationship 50-59) younger than the head
//   id_old_address      W  the ID's address code is not a current division code
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
// Problems come in card order: card_no and community, household, no_members, each member (its
// fields in catalog order, then its cross-field findings), findings across members, the visit.
// REQUIRES: ctx.ref is set. Throws nothing but std::bad_alloc.
CardCheck CheckCard(const Card& card, const ValidationContext& ctx);

// One field alone (for validation as you type): the normalised value, or the problem.
// `record` (optional) holds the other values of the same household, member or visit: with it,
// conditional requirements ("unless doc_type = 9", "age >= 16" from birth_date on ctx.today) and
// the document number's format (by doc_type) are decided as CheckCard decides them; without it
// only unconditional requirements apply and an id_number is checked as a 居民身份证 number.
// CheckCard runs this same function for every field.
struct FieldCheck {
  std::string value;
  std::optional<Problem> problem;
};
FieldCheck CheckField(const FieldDef& field, std::string_view value, const ValidationContext& ctx,
                      const FieldValues* record = nullptr);

// Severity of a problem code above (kError for codes it does not know).
Severity SeverityOf(std::string_view code);
// A description of a warning that names no value (what a stored change may carry in the clear:
// messages of problems quote names, dates and numbers).
std::string_view WarningText(std::string_view code);

// Whether a 6-digit address code looks like a current division code. We hold only Wuhai's list:
// codes starting 1503 must be a current Wuhai district; other codes need a real province prefix
// (11-15, 21-23, 31-37, 41-46, 50-54, 61-65, and 71/81/82/83 as xx0000) and may not end in "00"
// at prefecture or county level. An abolished code elsewhere in China passes unnoticed.
bool AddressCodeLooksCurrent(const Divisions& divisions, std::string_view code6);

}  // namespace shequ::model
