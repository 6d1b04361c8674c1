// gen: a synthetic population as cards; demo: the README's first command.
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

// --- demo

int Demo(const std::vector<std::string>& argv, Context& ctx) {
  static const Command self{"demo", "[--keep DIR] [--persons N] [--seed S]", "", nullptr};
  int rc = 0;
  auto args = ParseOrUsage(argv, self, {}, {"keep", "persons", "seed"}, &rc);
  if (!args) return rc;
  size_t persons = 3000;
  if (auto p = args->Get("persons")) {
    if (!AllDigits(*p)) return Fail(Status::Invalid("--persons must be a number"));
    persons = std::stoull(*p);
  }
  uint64_t seed = 2026;
  if (auto s = args->Get("seed")) {
    if (!AllDigits(*s)) return Fail(Status::Invalid("--seed must be a number"));
    seed = std::stoull(*s);
  }
  std::string dir;
  bool keep = args->Has("keep");
  if (keep) {
    dir = *args->Get("keep");
    if (FileExists(dir + "/city"))
      return Fail(Status::Exists(dir + " already holds a demo city; choose another directory"));
  } else {
    char tmpl[] = "/tmp/shequ-demo-XXXXXX";
    if (!mkdtemp(tmpl)) return Fail(Status::Unavailable("cannot create a temporary directory"));
    dir = tmpl;
  }
  auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  const std::string community = "150302001002";  // 海勃湾区 凤凰岭街道 和平社区
  const std::string city = dir + "/city", office = dir + "/和平社区", hub = dir + "/市枢纽";
  std::printf("shequ demo — 乌海市社区基础信息采集 (directory %s)\n\n", dir.c_str());

  std::printf("1. The city information office creates the city root key and enrols two nodes.\n");
  service::CityInitOptions co;
  if (Status st = service::InitCity(city, co); !st.ok()) return Fail(st);
  service::NodeInitOptions community_node;
  community_node.kind = trust::NodeKind::kCommunity;
  community_node.scopes = {community};
  community_node.name = "和平社区居委会";
  auto c1 = service::InitNode(office, city, community_node, ctx.ref);
  if (!c1.ok()) return Fail(c1.status());
  service::NodeInitOptions hub_init;
  hub_init.kind = trust::NodeKind::kHub;
  hub_init.scopes = {"1503"};
  hub_init.name = "乌海市数据枢纽";
  auto c2 = service::InitNode(hub, city, hub_init, ctx.ref);
  if (!c2.ok()) return Fail(c2.status());
  std::printf("   community node %s (%s), scope %s\n   hub node       %s (%s), scope 1503\n\n",
              c1->id_hex().substr(0, 12).c_str(), c1->name.c_str(), community.c_str(),
              c2->id_hex().substr(0, 12).c_str(), c2->name.c_str());

  std::printf(
      "2. %zu residents of %s are registered on paper cards (a generated population, seed %llu,\n"
      "   with the usual share of slips: wrong check digits, missing fields, no head of "
      "household...).\n",
      persons, ctx.ref.divisions().PathName(community).c_str(),
      static_cast<unsigned long long>(seed));
  gen::GenOptions go;
  go.persons = persons;
  go.seed = seed;
  go.error_rate = 0.04;
  go.today = Today();
  go.communities = {community};
  std::vector<model::ParsedCard> cards;
  gen::GenStats gs;
  Status st = gen::GenerateCards(
      ctx.ref, go,
      [&](const model::Card& c) -> Status {
        model::ParsedCard pc;
        pc.card = c;
        pc.index = cards.size();
        cards.push_back(std::move(pc));
        return Status::Ok();
      },
      &gs);
  if (!st.ok()) return Fail(st);
  // Keep one card as a worker would type it, for exploring.
  if (!cards.empty())
    (void)WriteFileAtomic(dir + "/example-card.json", model::CardToJson(cards[0].card, true));
  std::printf("   %zu cards, %zu persons\n\n", gs.cards, gs.persons);

  std::printf(
      "3. The community worker imports the cards (each card is checked against CARD.md's rules\n"
      "   and against the people already registered; a card with an error is refused whole).\n");
  auto node = service::Node::Open(office, ctx.ref);
  if (!node.ok()) return Fail(node.status());
  service::ImportOptions io;
  io.tool = crdt::Tool::kCard;
  io.op = "王芳";
  io.today = Today();
  size_t stored = 0, refused = 0, changes = 0, stored_persons = 0;
  std::map<std::string, size_t> errors, warnings;
  std::vector<std::string> examples;
  auto import_start = elapsed();
  st = service::ImportCards(**node, cards, io, [&](const service::CardResult& r) {
    if (r.outcome == service::CardResult::Outcome::kRefused) {
      ++refused;
      if (examples.size() < 3)
        for (const auto& p : r.problems)
          if (p.severity == model::Severity::kError && examples.size() < 3)
            examples.push_back(p.ToString());
    } else {
      ++stored;
      stored_persons += r.persons;
      changes += r.changes;
    }
    for (const auto& p : r.problems)
      ++(p.severity == model::Severity::kError ? errors : warnings)[p.code];
  });
  if (!st.ok()) return Fail(st);
  double import_secs = elapsed() - import_start;
  std::printf(
      "   stored %zu cards (%zu persons, %zu signed changes) in %.1f s; refused %zu cards\n",
      stored, stored_persons, changes, import_secs, refused);
  std::printf("   errors (card refused):");
  for (const auto& [code, n] : errors) std::printf(" %s×%zu", code.c_str(), n);
  std::printf("\n   warnings (stored, count against information quality):");
  for (const auto& [code, n] : warnings) std::printf(" %s×%zu", code.c_str(), n);
  std::printf("\n   for example:\n");
  for (const auto& e : examples) std::printf("     %s\n", e.c_str());
  std::printf("\n");

  std::printf(
      "4. Two tools disagree: offline, a terminal reads a head of household's ID card while the\n"
      "   clerk corrects the same name on the platform. Both values are kept for review.\n");
  std::string conflict_person;
  {
    auto r = (*node)->store().BeginRead();
    if (!r.ok()) return Fail(r.status());
    auto communities = (*node)->replica().Communities(*r);
    if (!communities.ok()) return Fail(communities.status());
    for (const auto& c : cards) {
      if (c.card.members.empty() || !c.card.members[0].count("id_number")) continue;
      auto refs = (*node)->replica().FindByIdNumber(*r, c.card.members[0].at("id_number"));
      if (refs.ok() && refs->size() == 1) {
        conflict_person = Hex((*refs)[0].entity);
        break;
      }
    }
  }
  if (!conflict_person.empty()) {
    auto id = *UnhexFixed<16>(conflict_person);
    crdt::EntityRef person{community, model::EntityKind::kPerson, id};
    std::string name;
    {
      auto r = (*node)->store().BeginRead();
      name = (*node)->replica().Values(*r, person)->at("name");
    }
    // A terminal, enrolled for the same community, edits offline; its change arrives by bundle.
    service::NodeInitOptions tn;
    tn.kind = trust::NodeKind::kTerminal;
    tn.scopes = {community};
    tn.name = "和平社区终端1";
    std::string terminal_dir = dir + "/终端1";
    if (auto t = service::InitNode(terminal_dir, city, tn, ctx.ref); !t.ok())
      return Fail(t.status());
    auto terminal = service::Node::Open(terminal_dir, ctx.ref);
    if (!terminal.ok()) return Fail(terminal.status());
    auto to_terminal = service::ExportBundle(**node, dir + "/to-terminal.bundle", community);
    if (!to_terminal.ok()) return Fail(to_terminal.status());
    if (auto im = service::ImportBundle(**terminal, dir + "/to-terminal.bundle"); !im.ok())
      return Fail(im.status());
    // The terminal's reader and the clerk's correction differ in one homophone character.
    std::string surname = Utf8Prefix(name, 1), given = name.substr(surname.size());
    std::string given_tail = Utf8Length(given) > 1 ? given.substr(Utf8Prefix(given, 1).size()) : "";
    std::string read_name = surname + "晓" + given_tail;
    std::string typed_name = surname + "小" + given_tail;
    auto e1 = service::EditPerson(**terminal, person, {{"name", read_name}}, crdt::Tool::kTerminal,
                                  "李军", Today());
    auto e2 = service::EditPerson(**node, person, {{"name", typed_name}}, crdt::Tool::kPlatform,
                                  "王芳", Today());
    if (!e2.ok()) return Fail(e2.status());
    if (!e1.ok()) return Fail(e1.status());
    auto back = service::ExportBundle(**terminal, dir + "/from-terminal.bundle", community);
    if (!back.ok()) return Fail(back.status());
    auto im = service::ImportBundle(**node, dir + "/from-terminal.bundle");
    if (!im.ok()) return Fail(im.status());
    auto r = (*node)->store().BeginRead();
    auto view = service::ViewEntity(**node, *r, person);
    if (!view.ok()) return Fail(view.status());
    const service::FieldView* f = view->Find("name");
    std::printf("   person %s: name %s", conflict_person.substr(0, 12).c_str(),
                f->current.value.c_str());
    for (const auto& s : f->siblings)
      std::printf(" | also %s (from the %s, %s)", s.value.c_str(),
                  std::string(crdt::ToolLabel(s.tool)).c_str(), s.origin.c_str());
    auto queue = (*node)->replica().ReviewQueue(*r);
    std::printf("\n   review queue: %zu conflicted field(s) — `shequ conflicts --dir %s`\n\n",
                queue.ok() ? queue->size() : 0, office.c_str());
  }

  std::printf(
      "5. The community's changes reach the hub on a USB stick (a bundle of signed changes);\n"
      "   the hub verifies every signature and grant before storing anything.\n");
  auto hub_node = service::Node::Open(hub, ctx.ref);
  if (!hub_node.ok()) return Fail(hub_node.status());
  auto ex = service::ExportBundle(**node, dir + "/heping.bundle", community);
  if (!ex.ok()) return Fail(ex.status());
  auto im = service::ImportBundle(**hub_node, dir + "/heping.bundle");
  if (!im.ok()) return Fail(im.status());
  std::printf("   bundle %.1f KiB: %zu applied, %zu rejected at the hub\n",
              static_cast<double>(ex->bytes) / 1024, im->applied, im->rejected);
  std::string h1, h2;
  {
    auto r1 = (*node)->store().BeginRead();
    auto r2 = (*hub_node)->store().BeginRead();
    h1 = Hex(*(*node)->replica().StateDigest(*r1, community));
    h2 = Hex(*(*hub_node)->replica().StateDigest(*r2, community));
  }
  std::printf("   state digest, community: %s\n   state digest, hub:       %s  %s\n\n",
              h1.substr(0, 32).c_str(), h2.substr(0, 32).c_str(),
              h1 == h2 ? "(identical)" : "(DIFFERENT)");

  std::printf(
      "6. `shequ verify` re-checks every signature and rebuilds the state from the changes.\n");
  auto report = service::Verify(**hub_node);
  if (!report.ok()) return Fail(report.status());
  std::printf("   %zu changes verified; rebuilt state %s\n\n", report->changes,
              report->ok() ? "identical to the stored state" : "DIFFERS");
  auto size = (*node)->store().FileSize();
  std::printf("Done in %.1f s. Replica size %.1f MiB for %zu persons.\n", elapsed(),
              size.ok() ? static_cast<double>(*size) / (1 << 20) : 0.0, stored_persons);
  if (keep) {
    std::printf("The city is kept in %s. Try:\n", dir.c_str());
    std::printf("  shequ household show --dir '%s' --card %s\n", office.c_str(),
                cards.empty() ? "?" : cards[0].card.card_no.c_str());
    std::printf("  shequ conflicts --dir '%s'\n  shequ node show --dir '%s'\n", office.c_str(),
                hub.c_str());
  } else {
    std::system(("rm -rf '" + dir + "'").c_str());
    std::printf("(run with --keep DIR to keep the city for exploring)\n");
  }
  bool ok = h1 == h2 && report->ok();
  return ok ? kExitOk : kExitFailure;
}

}  // namespace

std::vector<Command> ToolCommands() {
  return {
      {"gen", "--persons N --seed S --out FILE [--error-rate R]",
       "a synthetic Wuhai population as registration cards (JSON array)", Gen},
      {"demo", "[--keep DIR] [--persons N] [--seed S]",
       "build a small city, register a community's residents, show validation, conflicts, sync",
       Demo},
  };
}

}  // namespace shequ::cli
