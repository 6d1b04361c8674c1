// city init, node init, node show, node revoke, verify, state-hash.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "node/base/file.h"
#include "node/base/text.h"
#include "node/base/time.h"
#include "node/cli/commands.h"
#include "node/service/node.h"
#include "node/service/revoke.h"
#include "node/service/verify.h"
#include "replication/crdt/hlc.h"

namespace shequ::cli {
namespace {

using json = nlohmann::ordered_json;

int CityInit(const std::vector<std::string>& argv, Context&) {
  static const Command self{
      "city init", "--dir CITY [--suite ed25519|sm2] [--code 1503] [--name 乌海市]", "", nullptr};
  int rc = 0;
  auto args = ParseOrUsage(argv, self, {}, {"dir", "suite", "code", "name"}, &rc);
  if (!args) return rc;
  auto dir = args->Need("dir");
  if (!dir.ok()) return Fail(dir.status());
  service::CityInitOptions o;
  o.code = args->GetOr("code", o.code);
  o.name = args->GetOr("name", o.name);
  auto suite = crypto::ParseSuite(args->GetOr("suite", "ed25519"));
  if (!suite) return Fail(Status::Invalid("--suite is ed25519 or sm2"));
  o.suite = *suite;
  Status st = service::InitCity(*dir, o);
  if (!st.ok()) return Fail(st);
  auto city = service::ReadCity(*dir);
  if (!city.ok()) return Fail(city.status());
  std::printf("city %s (%s) created in %s\nsuite %s, root key %s\n", city->code.c_str(),
              city->name.c_str(), dir->c_str(), std::string(crypto::SuiteName(city->suite)).c_str(),
              Hex(city->root_key).substr(0, 16).c_str());
  std::printf("keep %s/root.key offline: it enrols and revokes every node of the city.\n",
              dir->c_str());
  return kExitOk;
}

void PrintCert(const trust::Certificate& c, const std::string& dir) {
  std::printf("node %s\n", c.id_hex().c_str());
  std::printf("  name        %s\n", c.name.c_str());
  std::printf("  kind        %s%s%s\n", std::string(trust::NodeKindName(c.kind)).c_str(),
              c.department ? " " : "",
              c.department ? std::string(model::DepartmentName(*c.department)).c_str() : "");
  std::string scopes, grants;
  for (const auto& s : c.scopes) scopes += (scopes.empty() ? "" : ",") + s;
  for (const auto& g : c.grants) grants += (grants.empty() ? "" : " ") + g;
  std::printf("  scope       %s\n  grants      %s\n", scopes.c_str(), grants.c_str());
  std::printf("  valid       %s .. %s\n", FormatMillis(c.not_before).c_str(),
              FormatMillis(c.not_after).c_str());
  std::printf("  suite       %s\n  serial      %llu\n",
              std::string(crypto::SuiteName(c.suite)).c_str(),
              static_cast<unsigned long long>(c.serial));
  if (!dir.empty()) std::printf("  directory   %s\n", dir.c_str());
}

json CertJson(const trust::Certificate& c) {
  return json{{"node", c.id_hex()},
              {"name", c.name},
              {"kind", std::string(trust::NodeKindName(c.kind))},
              {"department", c.department ? std::string(model::DepartmentName(*c.department)) : ""},
              {"scopes", c.scopes},
              {"grants", c.grants},
              {"not_before", FormatMillis(c.not_before)},
              {"not_after", FormatMillis(c.not_after)},
              {"suite", std::string(crypto::SuiteName(c.suite))},
              {"serial", c.serial}};
}

int NodeInit(const std::vector<std::string>& argv, Context& ctx) {
  static const Command self{
      "node init",
      "--dir NODE --city CITY --kind terminal|community|district|department|hub|office "
      "--scope CODE[,CODE...] [--department 公安|卫计委|民政局|人社局|残联|综治办] --name TEXT "
      "[--valid-days N]",
      "", nullptr};
  int rc = 0;
  auto args = ParseOrUsage(
      argv, self, {}, {"dir", "city", "kind", "scope", "department", "name", "valid-days"}, &rc);
  if (!args) return rc;
  auto dir = args->Need("dir");
  auto city = args->Need("city");
  auto kind_s = args->Need("kind");
  auto scope = args->Need("scope");
  for (auto* r : {&dir, &city, &kind_s, &scope})
    if (!r->ok()) return Fail(r->status());
  service::NodeInitOptions o;
  auto kind = trust::ParseNodeKind(*kind_s);
  if (!kind) return Fail(Status::Invalid("--kind " + Quote(*kind_s) + " is not a node kind"));
  o.kind = *kind;
  for (std::string_view s : Split(*scope, ',')) o.scopes.emplace_back(Trim(s));
  if (auto d = args->Get("department")) {
    o.department = model::ParseDepartment(*d);
    if (!o.department)
      return Fail(Status::Invalid("--department " + Quote(*d) + " is not a department"));
  }
  o.name = args->GetOr("name", "");
  if (auto v = args->Get("valid-days")) {
    if (!AllDigits(*v)) return Fail(Status::Invalid("--valid-days must be a number"));
    o.valid_days = std::stoull(*v);
  }
  auto cert = service::InitNode(*dir, *city, o, ctx.ref);
  if (!cert.ok()) return Fail(cert.status());
  PrintCert(*cert, *dir);
  return kExitOk;
}

int NodeShow(const std::vector<std::string>& argv, Context& ctx) {
  static const Command self{"node show", "--dir NODE [--json]", "", nullptr};
  int rc = 0;
  auto args = ParseOrUsage(argv, self, {"json"}, {"dir"}, &rc);
  if (!args) return rc;
  auto dir = args->Need("dir");
  if (!dir.ok()) return Fail(dir.status());
  auto node = service::Node::Open(*dir, ctx.ref);
  if (!node.ok()) return Fail(node.status());
  auto changes = (*node)->store().Count(store::Db::kChanges);
  auto rejected = (*node)->store().Count(store::Db::kRejected);
  auto review = (*node)->store().Count(store::Db::kReview);
  auto size = (*node)->store().FileSize();
  if (args->Has("json")) {
    json j = CertJson((*node)->cert());
    j["changes"] = changes.ok() ? *changes : 0;
    j["rejected"] = rejected.ok() ? *rejected : 0;
    j["review"] = review.ok() ? *review : 0;
    j["certificates_known"] = (*node)->trust().All().size();
    std::printf("%s\n", j.dump(2).c_str());
    return kExitOk;
  }
  PrintCert((*node)->cert(), *dir);
  std::printf("  changes     %zu\n  rejected    %zu\n  review      %zu conflicted fields\n",
              changes.ok() ? *changes : 0, rejected.ok() ? *rejected : 0,
              review.ok() ? *review : 0);
  std::printf("  known nodes %zu\n  store       %.1f MiB\n", (*node)->trust().All().size(),
              size.ok() ? static_cast<double>(*size) / (1 << 20) : 0.0);
  return kExitOk;
}

int NodeRevoke(const std::vector<std::string>& argv, Context& ctx) {
  static const Command self{
      "node revoke",
      "--city CITY --node NODE_ID --reason TEXT [--at TIME] [--dir NODE] [--out FILE]", "",
      nullptr};
  int rc = 0;
  auto args = ParseOrUsage(argv, self, {}, {"city", "node", "reason", "at", "dir", "out"}, &rc);
  if (!args) return rc;
  auto city = args->Need("city");
  auto node_s = args->Need("node");
  auto reason = args->Need("reason");
  for (auto* r : {&city, &node_s, &reason})
    if (!r->ok()) return Fail(r->status());
  service::RevokeOptions o;
  auto node_id = service::ResolveNodeId(*city, *node_s);
  if (!node_id.ok()) return Fail(node_id.status());
  o.node = *node_id;
  o.reason = std::string(Trim(*reason));
  if (auto at = args->Get("at")) {
    auto ms = service::ParseTime(*at);
    if (!ms.ok()) return Fail(ms.status().With("--at"));
    o.at_ms = *ms;
  }
  auto rev = service::IssueRevocation(*city, o);
  if (!rev.ok()) return Fail(rev.status());
  auto encoded = rev->Encode();
  if (!encoded.ok()) return Fail(encoded.status());
  std::string out = args->GetOr("out", "");
  if (out.empty()) {
    // CITY/revoked-<id>.rev, numbered when the node was revoked before.
    std::string base = *city + "/revoked-" + rev->node_hex().substr(0, 12);
    out = base + ".rev";
    for (int i = 2; FileExists(out); ++i) out = base + "-" + std::to_string(i) + ".rev";
  }
  Status st = WriteFileAtomic(out, AsChars(*encoded));
  if (!st.ok()) return Fail(st);
  std::printf("revoked node %s from %s: %s\nwrote %s (%zu bytes)\n", rev->node_hex().c_str(),
              FormatMillis(crdt::HlcMillis(rev->at)).c_str(), rev->reason.c_str(), out.c_str(),
              encoded->size());
  if (auto dir = args->Get("dir")) {
    auto node = service::Node::Open(*dir, ctx.ref);
    if (!node.ok()) return Fail(node.status());
    auto applied = service::ImportRevocation(**node, *encoded);
    if (!applied.ok()) return Fail(applied.status().With(*dir));
    std::printf(
        "%s holds it now (%zu stored changes of the node removed); it spreads from there "
        "with replication\n",
        (*node)->cert().name.c_str(), applied->removed);
  } else {
    std::printf(
        "give it to a node (shequ trust import --dir NODE %s): it spreads from there "
        "with replication\n",
        out.c_str());
  }
  return kExitOk;
}

int VerifyCmd(const std::vector<std::string>& argv, Context& ctx) {
  static const Command self{"verify", "--dir NODE", "", nullptr};
  int rc = 0;
  auto args = ParseOrUsage(argv, self, {}, {"dir"}, &rc);
  if (!args) return rc;
  auto node = OpenNode(*args, ctx);
  if (!node.ok()) return Fail(node.status());
  auto report = service::Verify(**node);
  if (!report.ok()) return Fail(report.status());
  std::printf("verified %zu changes: %zu no longer verify\n", report->changes, report->rejected);
  for (const std::string& d : report->differences) std::printf("  %s\n", d.c_str());
  if (report->ok()) {
    std::printf("state rebuilt from the changes is identical to the stored state\n");
    return kExitOk;
  }
  std::printf("VERIFY FAILED\n");
  return kExitFailure;
}

int StateHash(const std::vector<std::string>& argv, Context& ctx) {
  static const Command self{"state-hash", "--dir NODE [--scope PREFIX]", "", nullptr};
  int rc = 0;
  auto args = ParseOrUsage(argv, self, {}, {"dir", "scope"}, &rc);
  if (!args) return rc;
  auto dir = args->Need("dir");
  if (!dir.ok()) return Fail(dir.status());
  std::string scope = args->GetOr("scope", "");
  if (!scope.empty() && (!AllDigits(scope) || scope.size() > 12))
    return Fail(Status::Invalid("--scope must be a division-code prefix"));
  auto node = service::Node::Open(*dir, ctx.ref);
  if (!node.ok()) return Fail(node.status());
  auto r = (*node)->store().BeginRead();
  if (!r.ok()) return Fail(r.status());
  auto digest = (*node)->replica().StateDigest(*r, scope);
  if (!digest.ok()) return Fail(digest.status());
  std::printf("%s\n", Hex(*digest).c_str());
  return kExitOk;
}

}  // namespace

std::vector<Command> AdminCommands() {
  return {
      {"city init", "--dir CITY [--suite ed25519|sm2]",
       "create the city root key (the information office's)", CityInit},
      {"node init",
       "--dir NODE --city CITY --kind KIND --scope CODE[,CODE] [--department D] --name TEXT",
       "create a node: keys and a certificate signed by the city root", NodeInit},
      {"node show", "--dir NODE [--json]", "this node's certificate and store", NodeShow},
      {"node revoke", "--city CITY --node NODE_ID --reason TEXT [--at TIME] [--dir NODE]",
       "sign a revocation with the city root: the node's later changes and connections are "
       "refused",
       NodeRevoke},
      {"verify", "--dir NODE", "re-verify every change and rebuild the state to compare",
       VerifyCmd},
      {"state-hash", "--dir NODE [--scope PREFIX]", "digest of the folded state in scope",
       StateHash},
  };
}

}  // namespace shequ::cli
