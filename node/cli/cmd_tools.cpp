// gen: a synthetic population as cards.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "node/base/file.h"
#include "node/base/text.h"
#include "node/base/time.h"
#include "node/cli/commands.h"
#include "node/service/bundle.h"
#include "node/service/cards.h"
#include "node/service/verify.h"
#include "node/service/views.h"
#include "tools/gen/gen.h"

namespace shequ::cli {
namespace {

using json = nlohmann::ordered_json;

Result<double> ParseRate(const std::string& s) {
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || *end || v < 0 || v > 1)
    return Status::Invalid("--error-rate must be between 0 and 1");
  return v;
}

void PrintGenStats(const gen::GenStats& st) {
  std::printf("%zu persons in %zu households (%zu family, %zu collective), %zu male, %zu female\n",
              st.persons, st.households, st.family_households, st.collective_households, st.male,
              st.female);
  if (!st.injected.empty()) {
    std::printf("injected mistakes:");
    for (const auto& [code, n] : st.injected) std::printf(" %s %zu", code.c_str(), n);
    std::printf("\n");
  }
}

int Gen(const std::vector<std::string>& argv, Context& ctx) {
  static const Command self{
      "gen",
      "--persons N --seed S --out FILE [--error-rate R] [--communities CODE,...] [--today DATE]",
      "", nullptr};
  int rc = 0;
  auto args = ParseOrUsage(argv, self, {},
                           {"persons", "seed", "out", "error-rate", "communities", "today"}, &rc);
  if (!args) return rc;
  auto persons = args->Need("persons");
  auto out = args->Need("out");
  if (!persons.ok()) return Fail(persons.status());
  if (!out.ok()) return Fail(out.status());
  if (!AllDigits(*persons)) return Fail(Status::Invalid("--persons must be a number"));
  gen::GenOptions o;
  o.persons = std::stoull(*persons);
  std::string seed = args->GetOr("seed", "1");
  if (!AllDigits(seed)) return Fail(Status::Invalid("--seed must be a number"));
  o.seed = std::stoull(seed);
  if (auto r = args->Get("error-rate")) {
    auto rate = ParseRate(*r);
    if (!rate.ok()) return Fail(rate.status());
    o.error_rate = *rate;
  }
  if (auto c = args->Get("communities"))
    for (std::string_view code : Split(*c, ',')) o.communities.emplace_back(Trim(code));
  o.today = Today();
  if (auto t = args->Get("today")) {
    auto d = Date::Parse(*t);
    if (!d) return Fail(Status::Invalid("--today must be YYYY-MM-DD"));
    o.today = *d;
  }
  std::ofstream file(*out + ".tmp", std::ios::binary);
  if (!file) return Fail(Status::Unavailable("cannot create " + *out));
  gen::GenStats stats;
  Status st = gen::GenerateCards(ctx.ref, o, file, &stats);
  file.close();
  if (!st.ok()) return Fail(st);
  if (!file || std::rename((*out + ".tmp").c_str(), out->c_str()) != 0)
    return Fail(Status::Exhausted("cannot write " + *out + " (disk full?)"));
  std::printf("wrote %zu cards to %s\n", stats.cards, out->c_str());
  PrintGenStats(stats);
  return kExitOk;
}

}  // namespace

std::vector<Command> ToolCommands() {
  return {
      {"gen", "--persons N --seed S --out FILE [--error-rate R]",
       "a synthetic Wuhai population as registration cards (JSON array)", Gen},
  };
}

}  // namespace shequ::cli
