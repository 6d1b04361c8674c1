// card import, person show, person set, household show, conflicts, resolve.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "node/base/file.h"
#include "node/base/text.h"
#include "node/base/time.h"
#include "node/cli/commands.h"
#include "node/model/id_number.h"
#include "node/service/access.h"
#include "node/service/cards.h"
#include "node/service/usage.h"
#include "node/service/views.h"

namespace shequ::cli {
namespace {

using json = nlohmann::ordered_json;
using service::Node;

std::string Where(const model::Problem& p) {
  std::string s;
  if (p.member >= 0)
    s += "member " + std::to_string(p.member + 1) + " ";
  else if (p.block == "visit")
    s += "visit ";
  s += p.field.empty() ? "-" : p.field;
  return s;
}

json ProblemJson(const model::Problem& p) {
  return json{{"severity", p.severity == model::Severity::kError ? "error" : "warning"},
              {"card_no", p.card_no},
              {"member", p.member >= 0 ? json(p.member + 1) : json(nullptr)},
              {"block", p.block},
              {"field", p.field},
              {"code", p.code},
              {"message", p.message}};
}

int CardImport(const std::vector<std::string>& argv, Context& ctx) {
  static const Command self{
      "card import",
      "--dir NODE [--tool card|platform|terminal] [--operator NAME] [--json] FILE...", "", nullptr};
  int rc = 0;
  auto args =
      ParseOrUsage(argv, self, {"json"}, {"dir", "tool", "operator", "device", "batch"}, &rc);
  if (!args) return rc;
  if (args->positional().empty())
    return Fail(Status::Invalid("card import needs at least one FILE"));
  auto tool = crdt::ParseTool(args->GetOr("tool", "card"));
  if (!tool) return Fail(Status::Invalid("--tool is card, platform or terminal"));
  auto node = OpenNode(*args, ctx);
  if (!node.ok()) return Fail(node.status());
  if (Status st = NeedOperator(*args, **node); !st.ok()) return Fail(st);
  bool as_json = args->Has("json");
  service::ImportOptions o;
  o.tool = *tool;
  o.op = args->GetOr("operator", "");
  o.device = args->GetOr("device", "");
  o.today = Today();
  if (auto b = args->Get("batch"); b && AllDigits(*b)) o.batch = std::stoul(*b);
  size_t counts[4] = {0, 0, 0, 0}, persons = 0, changes = 0, warnings = 0, out_of_scope = 0;
  bool file_error = false;
  auto report = [&](const std::string& path, const service::CardResult& r) {
    ++counts[static_cast<int>(r.outcome)];
    out_of_scope += std::any_of(r.problems.begin(), r.problems.end(),
                                [](const model::Problem& p) { return p.code == "out_of_scope"; });
    if (r.outcome != service::CardResult::Outcome::kRefused) {
      persons += r.persons;
      changes += r.changes;
    }
    for (const auto& p : r.problems) warnings += p.severity == model::Severity::kWarning;
    if (as_json) {
      json j{{"file", path},
             {"index", r.index},
             {"card_no", r.card_no},
             {"outcome", std::string(service::OutcomeName(r.outcome))},
             {"persons", r.persons},
             {"changes", r.changes},
             {"household", r.household},
             {"problems", json::array()}};
      for (const auto& p : r.problems) j["problems"].push_back(ProblemJson(p));
      std::printf("%s\n", j.dump().c_str());
      return;
    }
    std::string name = r.card_no.empty()
                           ? "(card " + std::to_string(r.index + 1) + " of " + path + ")"
                           : r.card_no;
    std::printf("%-9s %s", std::string(service::OutcomeName(r.outcome)).c_str(), name.c_str());
    if (r.outcome != service::CardResult::Outcome::kRefused)
      std::printf("  %zu persons, %zu changes", r.persons, r.changes);
    std::printf("\n");
    for (const auto& p : r.problems)
      std::printf("  %s %s [%s] %s\n",
                  p.severity == model::Severity::kError ? "error  " : "warning", Where(p).c_str(),
                  p.code.c_str(), p.message.c_str());
  };
  for (const std::string& path : args->positional()) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "shequ: cannot open %s\n", path.c_str());
      file_error = true;
      continue;
    }
    // Stream the file: a whole city's cards do not need to fit in memory at once. Each batch
    // commits before its cards are reported, so every card reported stored is durable.
    std::vector<model::ParsedCard> pending;
    auto flush = [&]() -> Status {
      Status st = service::ImportCards(**node, pending, o,
                                       [&](const service::CardResult& r) { report(path, r); });
      std::fflush(stdout);
      pending.clear();
      return st;
    };
    Status st = model::ParseCardStream(in, [&](model::ParsedCard card) -> Status {
      pending.push_back(std::move(card));
      return pending.size() >= o.batch ? flush() : Status::Ok();
    });
    if (st.ok() && !pending.empty()) st = flush();
    if (!st.ok()) {
      if (st.code() == Code::kInvalidArgument || st.code() == Code::kCorruption) {
        std::fprintf(stderr, "shequ: %s: %s\n", path.c_str(), st.message().c_str());
        file_error = true;
        continue;
      }
      return Fail(st.With("importing " + path));
    }
  }
  // Cards of a community outside this node's scope are violations the terminal report counts.
  if (out_of_scope) {
    Status st = (*node)->store().Write([&](store::Txn& txn) {
      return service::CountUsage(**node, txn, service::kUsageOutOfScope, out_of_scope);
    });
    if (!st.ok()) return Fail(st.With("counting out-of-scope cards"));
  }
  if (as_json) {
    std::printf("%s\n", json{{"summary",
                              {{"stored", counts[0]},
                               {"updated", counts[1]},
                               {"unchanged", counts[2]},
                               {"refused", counts[3]},
                               {"persons", persons},
                               {"changes", changes},
                               {"warnings", warnings}}}}
                            .dump()
                            .c_str());
  } else {
    std::printf(
        "%zu cards: %zu stored, %zu updated, %zu unchanged, %zu refused; %zu persons, %zu changes, "
        "%zu warnings\n",
        counts[0] + counts[1] + counts[2] + counts[3], counts[0], counts[1], counts[2], counts[3],
        persons, changes, warnings);
  }
  return counts[3] || file_error ? kExitInvalid : kExitOk;
}

json ValueJson(const service::ValueView& v) {
  return json{{"value", v.value},
              {"display", v.display},
              {"tool", std::string(crdt::ToolName(v.tool))},
              {"time", FormatMillis(crdt::HlcMillis(v.hlc))},
              {"authority", v.rank},
              {"node", v.origin},
              {"operator", v.op},
              {"change", Hex(v.change)}};
}

json EntityJson(const service::EntityView& v) {
  json j{{"entity", Hex(v.ref.entity)},  {"kind", std::string(model::EntityKindName(v.ref.kind))},
         {"community", v.ref.community}, {"changes", v.changes},
         {"fields", json::object()},     {"warnings", json::array()}};
  for (const auto& f : v.fields) {
    json fj = ValueJson(f.current);
    fj["label"] = f.def->label;
    fj["filled"] = f.filled;
    if (f.visibility == service::Visibility::kMasked) fj["masked"] = true;
    if (!f.siblings.empty()) {
      fj["siblings"] = json::array();
      for (const auto& s : f.siblings) fj["siblings"].push_back(ValueJson(s));
    }
    if (!f.proposals.empty()) {
      fj["proposals"] = json::array();
      for (const auto& s : f.proposals) fj["proposals"].push_back(ValueJson(s));
    }
    j["fields"][f.def->key] = fj;
  }
  for (const auto& n : v.warnings)
    j["warnings"].push_back(json{{"field", n.field}, {"code", n.code}, {"message", n.message}});
  if (!v.withheld.empty()) j["withheld"] = v.withheld;
  if (!v.damaged.empty()) j["damaged"] = v.damaged;
  return j;
}

void PrintEntity(const service::EntityView& v, const model::Reference& ref) {
  std::printf("%s %s  (%s %s)\n", v.ref.kind == model::EntityKind::kPerson ? "人员" : "户",
              Hex(v.ref.entity).c_str(), v.ref.community.c_str(),
              ref.divisions().Find(v.ref.community)
                  ? ref.divisions().Find(v.ref.community)->name.c_str()
                  : "");
  for (const auto& f : v.fields) {
    std::string label = f.def->label;
    std::printf("  %-18s %-28s %s  [%s · %s · %s]\n", f.def->key.c_str(),
                f.filled ? f.current.display.c_str() : "(cleared)", label.c_str(),
                std::string(crdt::ToolLabel(f.current.tool)).c_str(), f.current.origin.c_str(),
                FormatMillis(crdt::HlcMillis(f.current.hlc)).c_str());
    for (const auto& s : f.siblings)
      std::printf("  %-18s ! conflict: also %s  [%s · %s · %s]\n", "", s.display.c_str(),
                  std::string(crdt::ToolLabel(s.tool)).c_str(), s.origin.c_str(),
                  FormatMillis(crdt::HlcMillis(s.hlc)).c_str());
    for (const auto& s : f.proposals)
      std::printf("  %-18s ? proposal: %s  [%s · %s · %s]\n", "", s.display.c_str(),
                  std::string(crdt::ToolLabel(s.tool)).c_str(), s.origin.c_str(),
                  FormatMillis(crdt::HlcMillis(s.hlc)).c_str());
  }
  for (const auto& n : v.warnings)
    std::printf("  warning %s [%s] %s\n", n.field.empty() ? "-" : n.field.c_str(), n.code.c_str(),
                n.message.c_str());
  if (!v.withheld.empty())
    std::printf("  withheld (no read right here): %s\n", Join(v.withheld, ", ").c_str());
  for (const std::string& d : v.damaged) std::printf("  DAMAGED %s\n", d.c_str());
  std::printf("  %zu changes\n", v.changes);
}

Result<crdt::EntityRef> EntityFromHex(Node& node, const store::Txn& txn, model::EntityKind kind,
                                      const std::string& hex) {
  auto id = UnhexFixed<16>(hex);
  if (!id.ok()) return Status::Invalid("--entity must be 32 hex digits: " + id.status().message());
  ASSIGN_OR_RETURN(auto e, service::FindEntity(node, txn, kind, *id));
  if (!e)
    return Status::NotFound("no " + std::string(model::EntityKindName(kind)) + " " + hex +
                            " in this replica");
  return *e;
}

service::ReadOptions ReadOptionsOf(const Args& args) {
  service::ReadOptions ro;
  ro.reveal = args.Has("reveal");
  ro.purpose = args.GetOr("purpose", "");
  if (auto f = args.Get("fields"))
    for (std::string_view k : Split(*f, ',')) ro.fields.emplace_back(k);
  return ro;
}

int PersonShow(const std::vector<std::string>& argv, Context& ctx) {
  static const Command self{
      "person show",
      "--dir NODE (--id ID_NUMBER | --entity HEX) [--reveal [--fields K,...] --purpose TEXT] "
      "[--json]",
      "", nullptr};
  int rc = 0;
  auto args = ParseOrUsage(argv, self, {"json", "reveal"},
                           {"dir", "id", "entity", "fields", "purpose"}, &rc);
  if (!args) return rc;
  if (args->Has("id") == args->Has("entity"))
    return Fail(Status::Invalid("give exactly one of --id and --entity"));
  auto node = OpenNode(*args, ctx);
  if (!node.ok()) return Fail(node.status());
  if (Status st = NeedOperator(*args, **node); !st.ok()) return Fail(st);
  auto r = (*node)->store().BeginRead();
  if (!r.ok()) return Fail(r.status());
  std::vector<crdt::EntityRef> refs;
  if (auto id = args->Get("id")) {
    std::string number = *id;
    model::IdParse parsed = model::ParseCitizenId(number);
    if (parsed.error == model::IdError::kNone) number = parsed.id.number;
    auto found = (*node)->replica().FindByIdNumber(*r, number);
    if (!found.ok()) return Fail(found.status());
    refs = *found;
    if (refs.empty()) return Fail(Status::NotFound("no person with ID number " + number));
  } else {
    auto e = EntityFromHex(**node, *r, model::EntityKind::kPerson, *args->Get("entity"));
    if (!e.ok()) return Fail(e.status());
    refs.push_back(*e);
  }
  json all = json::array();
  service::ReadOptions ro = ReadOptionsOf(*args);
  for (const auto& e : refs) {
    auto v = service::ReadEntity(**node, e, ro);
    if (!v.ok()) return Fail(v.status());
    if (args->Has("json"))
      all.push_back(EntityJson(*v));
    else
      PrintEntity(*v, ctx.ref);
  }
  if (args->Has("json")) std::printf("%s\n", (refs.size() == 1 ? all[0] : all).dump(2).c_str());
  return kExitOk;
}

int HouseholdShow(const std::vector<std::string>& argv, Context& ctx) {
  static const Command self{
      "household show",
      "--dir NODE (--card CARD_NO | --entity HEX) [--reveal [--fields K,...] --purpose TEXT] "
      "[--json]",
      "", nullptr};
  int rc = 0;
  auto args = ParseOrUsage(argv, self, {"json", "reveal"},
                           {"dir", "card", "entity", "fields", "purpose"}, &rc);
  if (!args) return rc;
  if (args->Has("card") == args->Has("entity"))
    return Fail(Status::Invalid("give exactly one of --card and --entity"));
  auto node = OpenNode(*args, ctx);
  if (!node.ok()) return Fail(node.status());
  if (Status st = NeedOperator(*args, **node); !st.ok()) return Fail(st);
  auto r = (*node)->store().BeginRead();
  if (!r.ok()) return Fail(r.status());
  std::vector<crdt::EntityRef> refs;
  if (auto card = args->Get("card")) {
    auto found = (*node)->replica().FindByCard(*r, *card);
    if (!found.ok()) return Fail(found.status());
    refs = *found;
    if (refs.empty()) return Fail(Status::NotFound("no household with card number " + *card));
  } else {
    auto e = EntityFromHex(**node, *r, model::EntityKind::kHousehold, *args->Get("entity"));
    if (!e.ok()) return Fail(e.status());
    refs.push_back(*e);
  }
  json all = json::array();
  service::ReadOptions ro = ReadOptionsOf(*args);
  for (const auto& h : refs) {
    auto v = service::ReadEntity(**node, h, ro);
    if (!v.ok()) return Fail(v.status());
    auto members = (*node)->replica().Members(*r, h);
    if (!members.ok()) return Fail(members.status());
    json hj = EntityJson(*v);
    hj["members"] = json::array();
    if (!args->Has("json")) {
      PrintEntity(*v, ctx.ref);
      std::printf("  members:\n");
    }
    for (const auto& m : *members) {
      auto mv = service::ReadEntity(**node, m, ro);
      if (!mv.ok()) return Fail(mv.status());
      if (args->Has("json")) {
        hj["members"].push_back(EntityJson(*mv));
      } else {
        const model::FieldDef* rel =
            ctx.ref.catalog().Find(model::EntityKind::kPerson, "relationship");
        std::printf(
            "    %s  %-8s %s %s %s %s%s\n", Hex(m.entity).c_str(), mv->Value("name").c_str(),
            mv->Value("gender") == "1"   ? "男"
            : mv->Value("gender") == "2" ? "女"
                                         : "?",
            mv->Value("birth_date").c_str(), mv->Value("id_number").c_str(),
            service::DisplayValue(*rel, mv->Value("relationship")).c_str(),
            mv->Value("status").empty() || mv->Value("status") == "1" ? "" : " (not active)");
      }
    }
    all.push_back(hj);
  }
  if (args->Has("json")) std::printf("%s\n", (refs.size() == 1 ? all[0] : all).dump(2).c_str());
  return kExitOk;
}

int PersonSet(const std::vector<std::string>& argv, Context& ctx) {
  static const Command self{
      "person set", "--dir NODE --entity HEX [--tool platform] [--operator NAME] KEY=VALUE...", "",
      nullptr};
  int rc = 0;
  auto args = ParseOrUsage(argv, self, {}, {"dir", "entity", "tool", "operator"}, &rc);
  if (!args) return rc;
  auto kv = KeyValues(args->positional());
  if (!kv.ok()) return Fail(kv.status());
  auto tool = crdt::ParseTool(args->GetOr("tool", "platform"));
  if (!tool) return Fail(Status::Invalid("--tool is card, platform or terminal"));
  auto hex = args->Need("entity");
  if (!hex.ok()) return Fail(hex.status());
  auto node = OpenNode(*args, ctx);
  if (!node.ok()) return Fail(node.status());
  if (Status st = NeedOperator(*args, **node); !st.ok()) return Fail(st);
  crdt::EntityRef person;
  {
    auto r = (*node)->store().BeginRead();
    if (!r.ok()) return Fail(r.status());
    auto e = EntityFromHex(**node, *r, model::EntityKind::kPerson, *hex);
    if (!e.ok()) return Fail(e.status());
    person = *e;
  }
  auto result =
      service::EditPerson(**node, person, *kv, *tool, args->GetOr("operator", ""), Today());
  if (!result.ok()) return Fail(result.status());
  for (const auto& p : result->problems)
    std::printf("%s %s [%s] %s\n", p.severity == model::Severity::kError ? "error  " : "warning",
                p.field.c_str(), p.code.c_str(), p.message.c_str());
  if (!result->stored) {
    std::printf("refused: nothing was written\n");
    return kExitInvalid;
  }
  std::printf("stored change %s\n", Hex(result->change).c_str());
  return kExitOk;
}

int Conflicts(const std::vector<std::string>& argv, Context& ctx) {
  static const Command self{"conflicts", "--dir NODE [--json]", "", nullptr};
  int rc = 0;
  auto args = ParseOrUsage(argv, self, {"json"}, {"dir"}, &rc);
  if (!args) return rc;
  auto node = OpenNode(*args, ctx);
  if (!node.ok()) return Fail(node.status());
  if (Status st = NeedOperator(*args, **node); !st.ok()) return Fail(st);
  auto r = (*node)->store().BeginRead();
  if (!r.ok()) return Fail(r.status());
  auto queue = (*node)->replica().ReviewQueue(*r);
  if (!queue.ok()) return Fail(queue.status());
  json out = json::array();
  for (const auto& [e, field] : *queue) {
    auto v = service::ViewEntity(**node, *r, e);
    if (!v.ok()) return Fail(v.status());
    const service::FieldView* f = v->Find(field);
    if (!f) continue;
    json values = json::array();
    values.push_back(ValueJson(f->current));
    for (const auto& s : f->siblings) values.push_back(ValueJson(s));
    if (args->Has("json")) {
      out.push_back(json{{"entity", Hex(e.entity)},
                         {"kind", std::string(model::EntityKindName(e.kind))},
                         {"community", e.community},
                         {"field", field},
                         {"label", f->def->label},
                         {"name", v->Value("name")},
                         {"values", values}});
    } else {
      std::printf("%s %s %s (%s) %s:\n", e.community.c_str(), Hex(e.entity).c_str(),
                  v->Value("name").c_str(), std::string(model::EntityKindName(e.kind)).c_str(),
                  field.c_str());
      for (const auto& val : values)
        std::printf("    %-24s from %s, %s, %s\n", val["display"].get<std::string>().c_str(),
                    val["tool"].get<std::string>().c_str(), val["node"].get<std::string>().c_str(),
                    val["time"].get<std::string>().c_str());
    }
  }
  if (args->Has("json"))
    std::printf("%s\n", out.dump(2).c_str());
  else
    std::printf("%zu conflicted fields\n", queue->size());
  return kExitOk;
}

int Resolve(const std::vector<std::string>& argv, Context& ctx) {
  static const Command self{"resolve", "--dir NODE --entity HEX [--operator NAME] KEY=VALUE...", "",
                            nullptr};
  int rc = 0;
  auto args = ParseOrUsage(argv, self, {}, {"dir", "entity", "operator", "tool"}, &rc);
  if (!args) return rc;
  auto kv = KeyValues(args->positional());
  if (!kv.ok()) return Fail(kv.status());
  auto hex = args->Need("entity");
  if (!hex.ok()) return Fail(hex.status());
  auto node = OpenNode(*args, ctx);
  if (!node.ok()) return Fail(node.status());
  if (Status st = NeedOperator(*args, **node); !st.ok()) return Fail(st);
  auto tool = crdt::ParseTool(args->GetOr("tool", "platform"));
  if (!tool) return Fail(Status::Invalid("--tool is card, platform or terminal"));
  Id32 change{};
  size_t resolved = 0;
  Status st = (*node)->store().Write([&](store::Txn& txn) -> Status {
    resolved = 0;
    auto id = UnhexFixed<16>(*hex);
    if (!id.ok()) return Status::Invalid("--entity must be 32 hex digits");
    std::optional<crdt::EntityRef> e;
    for (model::EntityKind k : model::kAllEntityKinds) {
      ASSIGN_OR_RETURN(e, service::FindEntity(**node, txn, k, *id));
      if (e) break;
    }
    if (!e) return Status::NotFound("no entity " + *hex + " in this replica");
    std::vector<service::FieldEdit> edits;
    model::ValidationContext vctx = service::MakeValidationContext(**node, txn, "", Today());
    for (const auto& [k, v] : *kv) {
      const model::FieldDef* f = ctx.ref.catalog().Find(e->kind, k);
      if (!f)
        return Status::Invalid(Quote(k) + " is not a field of a " +
                               std::string(model::EntityKindName(e->kind)));
      ASSIGN_OR_RETURN(auto state, (*node)->replica().Field(txn, *e, k));
      if (state && state->conflicted()) ++resolved;
      model::FieldCheck check = model::CheckField(*f, v, vctx);
      if (check.problem && check.problem->severity == model::Severity::kError)
        return Status::Invalid(k + ": [" + check.problem->code + "] " + check.problem->message);
      edits.push_back(service::FieldEdit{k, check.value});
    }
    Node::CommitOptions co;
    co.tool = *tool;
    co.op = args->GetOr("operator", "");
    // Marked as a review's correction: the assessment's fill accuracy counts resolved fields.
    for (const auto& ed : edits) co.warnings.push_back({ed.field, "resolved", "冲突经审核更正"});
    ASSIGN_OR_RETURN(Id32 c, (*node)->Commit(txn, *e, edits, co));
    change = c;
    return Status::Ok();
  });
  if (!st.ok()) return Fail(st);
  std::printf("stored change %s (%zu conflicted fields resolved)\n", Hex(change).c_str(), resolved);
  return kExitOk;
}

}  // namespace

std::vector<Command> CardCommands() {
  return {
      {"card import",
       "--dir NODE [--tool card|platform|terminal] [--operator NAME] [--json] FILE...",
       "import registration cards (one card or an array per file); a card with an error is refused "
       "whole",
       CardImport},
      {"person show", "--dir NODE (--id ID_NUMBER | --entity HEX) [--json]",
       "a person's fields, sources, conflicts", PersonShow},
      {"person set", "--dir NODE --entity HEX KEY=VALUE...",
       "edit a person, validated like an import", PersonSet},
      {"household show", "--dir NODE (--card CARD_NO | --entity HEX) [--json]",
       "a household and its members", HouseholdShow},
      {"conflicts", "--dir NODE [--json]",
       "the review queue: identity fields with concurrent values", Conflicts},
      {"resolve", "--dir NODE --entity HEX KEY=VALUE...",
       "write the value that resolves a conflict", Resolve},
  };
}

}  // namespace shequ::cli
