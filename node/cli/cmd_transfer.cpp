// transfer out, transfer list, transfer accept: people moving between communities.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "node/base/text.h"
#include "node/base/time.h"
#include "node/cli/commands.h"
#include "node/service/cards.h"
#include "node/service/transfer.h"

namespace shequ::cli {
namespace {

using json = nlohmann::ordered_json;

Result<Date> DateArg(const Args& args) {
  if (auto d = args.Get("date")) {
    auto parsed = Date::Parse(*d);
    if (!parsed) return Status::Invalid("--date must be YYYY-MM-DD");
    return *parsed;
  }
  return Today();
}

int TransferOut(const std::vector<std::string>& argv, Context& ctx) {
  static const Command self{"transfer out",
                            "--dir NODE --entity PERSON --to COMMUNITY [--reason TEXT] [--date D]",
                            "", nullptr};
  int rc = 0;
  auto args =
      ParseOrUsage(argv, self, {}, {"dir", "entity", "to", "reason", "date", "operator"}, &rc);
  if (!args) return rc;
  auto dir = args->Need("dir");
  auto hex = args->Need("entity");
  auto to = args->Need("to");
  for (auto* r : {&dir, &hex, &to})
    if (!r->ok()) return Fail(r->status());
  auto date = DateArg(*args);
  if (!date.ok()) return Fail(date.status());
  auto node = OpenNode(*args, ctx);
  if (!node.ok()) return Fail(node.status());
  if (Status st = NeedOperator(*args, **node); !st.ok()) return Fail(st);
  auto id = UnhexFixed<16>(*hex);
  if (!id.ok()) return Fail(Status::Invalid("--entity must be 32 hex digits"));
  crdt::EntityRef person;
  {
    auto r = (*node)->store().BeginRead();
    if (!r.ok()) return Fail(r.status());
    auto e = service::FindEntity(**node, *r, model::EntityKind::kPerson, *id);
    if (!e.ok()) return Fail(e.status());
    if (!*e) return Fail(Status::NotFound("no person " + *hex + " in this replica"));
    person = **e;
  }
  auto t = service::TransferOut(**node, person, *to, args->GetOr("reason", ""), *date,
                                args->GetOr("operator", ""));
  if (!t.ok()) return Fail(t.status());
  std::printf("transfer %s: %s moves out of %s to %s (%s), marked 迁出 here\n", Hex(*t).c_str(),
              hex->c_str(), person.community.c_str(), to->c_str(),
              ctx.ref.divisions().Find(*to) ? ctx.ref.divisions().Find(*to)->name.c_str() : "");
  std::printf("it reaches %s with the next sync through a node that holds both communities\n",
              to->c_str());
  return kExitOk;
}

int TransferList(const std::vector<std::string>& argv, Context& ctx) {
  static const Command self{"transfer list", "--dir NODE [--json]", "", nullptr};
  int rc = 0;
  auto args = ParseOrUsage(argv, self, {"json"}, {"dir"}, &rc);
  if (!args) return rc;
  auto node = OpenNode(*args, ctx);
  if (!node.ok()) return Fail(node.status());
  if (Status st = NeedOperator(*args, **node); !st.ok()) return Fail(st);
  auto list = service::ListTransfers(**node, Today());
  if (!list.ok()) return Fail(list.status());
  json out = json::array();
  for (const auto& t : *list) {
    bool overdue = t.status == "1" && t.days_waiting > 7;
    if (args->Has("json")) {
      out.push_back(json{{"transfer", Hex(t.ref.entity)},
                         {"to", t.ref.community},
                         {"from", t.from_community},
                         {"person", t.person},
                         {"name", t.name},
                         {"out_date", t.out_date},
                         {"accept_date", t.accept_date},
                         {"status", t.status},
                         {"days_waiting", t.days_waiting},
                         {"overdue", overdue},
                         {"new_person", t.new_person},
                         {"reason", t.reason}});
    } else {
      std::printf(
          "%s  %s -> %s  %s  out %s  %s%s\n", Hex(t.ref.entity).c_str(), t.from_community.c_str(),
          t.ref.community.c_str(), t.name.c_str(), t.out_date.c_str(),
          t.status == "2"   ? ("accepted " + t.accept_date).c_str()
          : t.status == "3" ? "returned"
                            : ("pending " + std::to_string(t.days_waiting) + " days").c_str(),
          overdue ? "  OVERDUE (over 7 days)" : "");
    }
  }
  if (args->Has("json"))
    std::printf("%s\n", out.dump(2).c_str());
  else
    std::printf("%zu transfers\n", list->size());
  return kExitOk;
}

int TransferAccept(const std::vector<std::string>& argv, Context& ctx) {
  static const Command self{
      "transfer accept",
      "--dir NODE --transfer HEX --household CARD_NO [--relationship CODE] [--date D]", "",
      nullptr};
  int rc = 0;
  auto args = ParseOrUsage(
      argv, self, {}, {"dir", "transfer", "household", "relationship", "date", "operator"}, &rc);
  if (!args) return rc;
  auto dir = args->Need("dir");
  auto hex = args->Need("transfer");
  auto card = args->Need("household");
  for (auto* r : {&dir, &hex, &card})
    if (!r->ok()) return Fail(r->status());
  auto date = DateArg(*args);
  if (!date.ok()) return Fail(date.status());
  auto id = UnhexFixed<16>(*hex);
  if (!id.ok()) return Fail(Status::Invalid("--transfer must be 32 hex digits"));
  auto node = OpenNode(*args, ctx);
  if (!node.ok()) return Fail(node.status());
  if (Status st = NeedOperator(*args, **node); !st.ok()) return Fail(st);
  auto r = service::TransferAccept(**node, *id, *card, args->GetOr("relationship", "99"), *date,
                                   args->GetOr("operator", ""));
  if (!r.ok()) return Fail(r.status());
  for (const auto& p : r->problems)
    std::printf("%s %s [%s] %s\n", p.severity == model::Severity::kError ? "error  " : "warning",
                p.field.c_str(), p.code.c_str(), p.message.c_str());
  if (!r->accepted) {
    std::printf("refused: nothing was written\n");
    return kExitInvalid;
  }
  std::printf("accepted: person %s joins household %s\n", Hex(r->person).c_str(), card->c_str());
  return kExitOk;
}

}  // namespace

std::vector<Command> TransferCommands() {
  return {
      {"transfer out", "--dir NODE --entity PERSON --to COMMUNITY [--reason TEXT]",
       "record a person moving to another community (the person is marked 迁出 here)", TransferOut},
      {"transfer list", "--dir NODE [--json]",
       "transfers this node holds: pending, accepted, overdue", TransferList},
      {"transfer accept", "--dir NODE --transfer HEX --household CARD_NO [--relationship CODE]",
       "accept a person moving in: re-issued here as a member of that household", TransferAccept},
  };
}

}  // namespace shequ::cli
