// operator add, operator list, export, audit: the privacy commands (docs/CLI.md, issue 4).
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "node/base/file.h"
#include "node/base/text.h"
#include "node/base/time.h"
#include "node/cli/commands.h"
#include "node/service/access.h"
#include "node/service/export.h"
#include "node/service/usage.h"

namespace shequ::cli {
namespace {

using json = nlohmann::ordered_json;

Result<std::string> FirstLine(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  size_t eol = text.find_first_of("\r\n");
  return eol == std::string::npos ? text : text.substr(0, eol);
}

Result<std::string> Prompt(const char* what) {
  if (!isatty(STDIN_FILENO))
    return Status::Invalid(std::string(what) + ": standard input is not a terminal; use a file");
  std::fprintf(stderr, "%s: ", what);
  std::string line;
  int c;
  while ((c = std::getchar()) != EOF && c != '\n') line.push_back(static_cast<char>(c));
  return line;
}

int OperatorAdd(const std::vector<std::string>& argv, Context& ctx) {
  static const Command self{
      "operator add",
      "--dir NODE --name TEXT [--passphrase-file F] [--by NAME --by-passphrase-file F2]", "",
      nullptr};
  int rc = 0;
  auto args = ParseOrUsage(argv, self, {}, {"dir", "name", "by", "by-passphrase-file"}, &rc);
  if (!args) return rc;
  auto dir = args->Need("dir");
  auto name = args->Need("name");
  for (auto* r : {&dir, &name})
    if (!r->ok()) return Fail(r->status());
  auto node = service::Node::Open(*dir, ctx.ref);
  if (!node.ok()) return Fail(node.status());
  service::Node& n = **node;
  // Who adds: nobody for the first operator (the keyring is plain), else an operator.
  if (n.sealed_at_rest()) {
    auto by = args->Get("by");
    if (!by) {
      return Fail(
          Status::Denied("this node has operators (" + Join(n.keyring().operators(), ", ") +
                         "): one of them adds the next, with --by NAME --by-passphrase-file FILE"));
    }
    Result<std::string> pass = args->Has("by-passphrase-file")
                                   ? FirstLine(*args->Get("by-passphrase-file"))
                                   : Prompt("existing operator's passphrase");
    if (!pass.ok()) return Fail(pass.status());
    Status st = service::LoginOperator(n, *by, *pass);
    if (!st.ok()) return Fail(st);
  }
  Result<std::string> pass = args->Has("passphrase-file") ? FirstLine(*args->Get("passphrase-file"))
                                                          : Prompt("new operator's passphrase");
  if (!pass.ok()) return Fail(pass.status());
  const service::Unlocked* by = n.secrets();
  if (!by) return Fail(Status::Internal("keyring not open"));
  Status st = n.keyring().AddOperator(*name, *pass, *by, service::DefaultScryptParams());
  if (!st.ok()) return Fail(st);
  st = service::RecordAccess(
      n, service::AccessEvent{"operator_add", true, "operator " + *name, {}, "", 0, "", ""});
  if (!st.ok()) return Fail(st);
  std::printf("operator %s added to %s; %zu operator(s); the keyring is sealed\n", name->c_str(),
              n.cert().name.c_str(), n.keyring().operators().size());
  return kExitOk;
}

int OperatorList(const std::vector<std::string>& argv, Context&) {
  static const Command self{"operator list", "--dir NODE [--json]", "", nullptr};
  int rc = 0;
  auto args = ParseOrUsage(argv, self, {"json"}, {"dir"}, &rc);
  if (!args) return rc;
  auto dir = args->Need("dir");
  if (!dir.ok()) return Fail(dir.status());
  auto keyring = service::Keyring::Load(*dir);
  if (!keyring.ok()) return Fail(keyring.status());
  if (args->Has("json")) {
    std::printf(
        "%s\n",
        json{{"sealed", keyring->sealed()}, {"operators", keyring->operators()}}.dump().c_str());
  } else if (!keyring->sealed()) {
    std::printf("no operators: the keyring is not sealed (add one with `shequ operator add`)\n");
  } else {
    for (const std::string& o : keyring->operators()) std::printf("%s\n", o.c_str());
  }
  return kExitOk;
}

int ExportCmd(const std::vector<std::string>& argv, Context& ctx) {
  static const Command self{
      "export",
      "--dir NODE --format csv|json [--kind person|household|visit] [--fields KEY,...] "
      "[--scope PREFIX] [--reveal] --purpose TEXT --out FILE",
      "", nullptr};
  int rc = 0;
  auto args = ParseOrUsage(argv, self, {"reveal", "json"},
                           {"dir", "format", "kind", "fields", "scope", "purpose", "out"}, &rc);
  if (!args) return rc;
  service::ExportOptions o;
  std::string format = args->GetOr("format", "csv");
  if (format == "csv") {
    o.format = service::ExportOptions::Format::kCsv;
  } else if (format == "json") {
    o.format = service::ExportOptions::Format::kJson;
  } else {
    return Fail(Status::Invalid("--format is csv or json"));
  }
  auto kind = model::ParseEntityKind(args->GetOr("kind", "person"));
  if (!kind) return Fail(Status::Invalid("--kind is person, household or visit"));
  o.kind = *kind;
  if (auto f = args->Get("fields"))
    for (std::string_view k : Split(*f, ','))
      if (!k.empty()) o.fields.emplace_back(k);
  o.scope = args->GetOr("scope", "");
  if (!o.scope.empty() && (o.scope.size() > 12 || !AllDigits(o.scope)))
    return Fail(Status::Invalid("--scope is a division-code prefix"));
  o.reveal = args->Has("reveal");
  o.purpose = args->GetOr("purpose", "");
  o.out = args->GetOr("out", "");
  auto node = OpenNode(*args, ctx);
  if (!node.ok()) return Fail(node.status());
  if (Status st = NeedOperator(*args, **node); !st.ok()) return Fail(st);
  auto rep = service::Export(**node, o);
  if (!rep.ok()) return Fail(rep.status());
  if (args->Has("json")) {
    std::printf("%s\n", json{{"records", rep->records},
                             {"fields", rep->fields},
                             {"masked", rep->masked},
                             {"revealed", rep->revealed},
                             {"out", o.out}}
                            .dump()
                            .c_str());
  } else {
    std::printf(
        "%zu records, %zu fields written to %s (masked: %s; revealed: %s); recorded as "
        "an access event\n",
        rep->records, rep->fields.size(), o.out.c_str(),
        rep->masked.empty() ? "none" : Join(rep->masked, ",").c_str(),
        rep->revealed.empty() ? "none" : Join(rep->revealed, ",").c_str());
  }
  return kExitOk;
}

int Audit(const std::vector<std::string>& argv, Context& ctx) {
  static const Command self{"audit", "--dir NODE [--since YYYY-MM-DD] [--json]", "", nullptr};
  int rc = 0;
  auto args = ParseOrUsage(argv, self, {"json"}, {"dir", "since"}, &rc);
  if (!args) return rc;
  uint64_t since = 0;
  if (auto s = args->Get("since")) {
    auto d = Date::Parse(*s);
    if (!d) return Fail(Status::Invalid("--since must be YYYY-MM-DD"));
    // Midnight China Standard Time.
    since = static_cast<uint64_t>(d->DaysSinceEpoch()) * 86400000ull - 8ull * 3600000ull;
  }
  auto node = OpenNode(*args, ctx);
  if (!node.ok()) return Fail(node.status());
  auto events = service::ListAccessEvents(**node, since);
  if (!events.ok()) return Fail(events.status());
  if (args->Has("json")) {
    json all = json::array();
    for (const auto& e : *events)
      all.push_back(json{{"time", service::IsoMillis(e.ms)},
                         {"node", e.node},
                         {"node_kind", e.node_kind},
                         {"operator", e.op},
                         {"action", e.event.action},
                         {"outcome", e.event.allowed ? "allowed" : "denied"},
                         {"target", e.event.target},
                         {"fields", e.event.fields},
                         {"purpose", e.event.purpose},
                         {"count", e.event.count},
                         {"reason", e.event.reason},
                         {"community", e.community},
                         {"entity", Hex(e.entity)}});
    std::printf("%s\n", all.dump(1).c_str());
    return kExitOk;
  }
  std::printf("%zu access events\n", events->size());
  for (const auto& e : *events) {
    std::printf("%s  %-14s %-10s %-12s %-7s %s%s%s%s\n", service::IsoMillis(e.ms).c_str(),
                e.node.c_str(), e.op.c_str(), e.event.action.c_str(),
                e.event.allowed ? "allowed" : "DENIED", e.event.target.c_str(),
                e.event.fields.empty() ? "" : (" [" + Join(e.event.fields, ",") + "]").c_str(),
                e.event.purpose.empty() ? "" : ("  事由: " + e.event.purpose).c_str(),
                e.event.reason.empty() ? "" : ("  — " + e.event.reason).c_str());
  }
  return kExitOk;
}

}  // namespace

std::vector<Command> PrivacyCommands() {
  return {
      {"operator add",
       "--dir NODE --name TEXT [--passphrase-file F] [--by NAME --by-passphrase-file F2]",
       "add an operator; the first one seals the node's keyring under their passphrase",
       OperatorAdd},
      {"operator list", "--dir NODE [--json]", "the node's operators", OperatorList},
      {"export",
       "--dir NODE --format csv|json [--kind K] [--fields KEY,...] [--scope PREFIX] [--reveal] "
       "--purpose TEXT --out FILE",
       "write the records this node may export, masked unless revealed (an access event)",
       ExportCmd},
      {"audit", "--dir NODE [--since YYYY-MM-DD] [--json]",
       "access events: reveals, exports, logins, denied requests", Audit},
  };
}

}  // namespace shequ::cli
