// A population generator: realistic registration cards for Wuhai's 83 communities and villages,
// for demonstrations, load tests and the validator's property tests. Deterministic for a seed
// (own PRNG, no <random> distributions), streamed card by card so that the city's 560,000
// persons never sit in memory at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "node/base/status.h"
#include "node/base/time.h"
#include "node/model/card.h"
#include "node/model/reference.h"

namespace shequ::gen {

struct GenOptions {
  size_t persons = 1000;  // exactly this many members over all cards
  uint64_t seed = 1;
  // Each card independently gets, with this probability, one realistic mistake (see GenStats).
  double error_rate = 0;
  // Visits fall within the 90 days before it; ages are taken on the visit date. A default Date
  // (year 0) means shequ::Today().
  Date today;
  // 12-digit codes of resident units; empty = all of them, persons spread by urban/rural size.
  std::vector<std::string> communities;
};

struct GenStats {
  size_t cards = 0;  // one household per card
  size_t households = 0, family_households = 0, collective_households = 0;
  size_t persons = 0, male = 0, female = 0;
  std::map<std::string, size_t> ethnicity;  // code -> persons
  // Mistakes injected (error_rate), by the problem code CheckCard reports for each: exactly one
  // problem per mistake. Errors: id_check, id_birth_mismatch, id_gender_mismatch, missing,
  // bad_code, bad_date; warnings: no_head, cert_mismatch, allowance_under_80, child_older.
  std::map<std::string, size_t> injected;
  // Warnings that real data has too and the generator produces on purpose, by code (people who
  // keep ID numbers with an abolished address code: id_old_address).
  std::map<std::string, size_t> natural;

  size_t injected_total() const;
};

using CardSink = std::function<Status(const model::Card&)>;

// Generates the cards and hands each to `sink` (a non-ok Status stops the run and is returned).
Status GenerateCards(const model::Reference& ref, const GenOptions& options, const CardSink& sink,
                     GenStats* stats);
// The same, written as a JSON array with one card per line (ParseCards/ParseCardStream read it).
Status GenerateCards(const model::Reference& ref, const GenOptions& options, std::ostream& out,
                     GenStats* stats);

}  // namespace shequ::gen
