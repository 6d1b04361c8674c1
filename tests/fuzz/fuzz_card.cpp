// libFuzzer target for the card decoder and the validator: arbitrary bytes must never crash,
// throw or hang ParseCards, ParseCardStream or CheckCard, and these must hold:
//  - a parsed card survives CardToJson -> ParseCards unchanged;
//  - the streaming reader reads exactly what ParseCards reads, when ParseCards accepts the input;
//  - normalising a normalised card changes nothing.
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>

#include "node/model/card.h"
#include "node/model/validate.h"

namespace {

using namespace shequ;
using namespace shequ::model;

const Reference& Ref() {
  static const Reference* ref = [] {
    auto r = Reference::Load();
    if (!r.ok()) std::abort();
    return new Reference(std::move(r).value());
  }();
  return *ref;
}

bool SameProblems(const std::vector<Problem>& a, const std::vector<Problem>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].ToString() != b[i].ToString()) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto cards = ParseCards(text);

  std::istringstream in{std::string(text)};
  std::vector<ParsedCard> streamed;
  Status st = ParseCardStream(in, [&](ParsedCard pc) {
    streamed.push_back(std::move(pc));
    return Status::Ok();
  });
  if (!cards.ok()) return 0;
  if (!st.ok() || streamed.size() != cards->size()) std::abort();

  ValidationContext ctx;
  ctx.ref = &Ref();
  ctx.today = Date{2026, 11, 26};
  ctx.household = "h-this";
  // Every other number is "registered" in another household, to exercise that path.
  ctx.find_person = [](const std::string& id) -> std::optional<RegisteredPerson> {
    if (id.empty() || (id.back() & 1) == 0) return std::nullopt;
    return RegisteredPerson{"p1", "h-other", "HBW-2026-000001", "150302001002", "张伟"};
  };
  for (size_t i = 0; i < cards->size(); ++i) {
    const ParsedCard& pc = (*cards)[i];
    if (!(streamed[i].card == pc.card) || streamed[i].index != pc.index ||
        !SameProblems(streamed[i].problems, pc.problems)) {
      std::abort();
    }
    for (bool pretty : {false, true}) {
      auto back = ParseCards(CardToJson(pc.card, pretty));
      if (!back.ok() || back->size() != 1 || !((*back)[0].card == pc.card)) std::abort();
    }
    CardCheck check = CheckCard(pc.card, ctx);
    for (const Problem& p : check.problems) {
      if (p.code.empty() || p.message.empty() || p.ToString().empty()) std::abort();
    }
    CardCheck again = CheckCard(check.normalized, ctx);
    if (!(again.normalized == check.normalized)) std::abort();
  }
  return 0;
}
