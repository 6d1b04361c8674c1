// Citizen ID numbers (GB 11643-1999) and the other document numbers of the card.
#pragma once

#include <string>
#include <string_view>

#include "node/base/status.h"
#include "node/base/time.h"

namespace shequ::model {

// ISO 7064 MOD 11-2 check character over the first 17 digits: '0'..'9' or 'X'.
// REQUIRES: first17 is 17 ASCII digits.
char IdCheckChar(std::string_view first17);

enum class IdError {
  kNone,
  kLength,          // not 15 or 18 characters
  kCharacters,      // not digits (and a final X)
  kBirthDate,       // the 8 (or 6) birth digits are not a real date
  kCheckChar,       // check character wrong
  kNotConvertible,  // 15-digit number of someone not born in the 1900s
};

struct CitizenId {
  std::string number;   // 18 characters, upper-case X
  std::string address;  // 6-digit address code
  Date birth;
  int sequence = 0;        // 3-digit sequence; odd = male
  bool converted = false;  // given as 15 digits
  bool male() const { return sequence % 2 == 1; }
};

struct IdParse {
  IdError error = IdError::kNone;
  std::string detail;  // Chinese explanation when error != kNone
  CitizenId id;
};

// Parses an 18-digit number (lower-case x accepted) or converts a 15-digit one.
IdParse ParseCitizenId(std::string_view s);
// 15 -> 18 digits: inserts "19" before the birth date and appends the check character.
Result<std::string> Convert15To18(std::string_view s);

}  // namespace shequ::model
