// changes export, changes import: bundles of signed changes.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "node/base/text.h"
#include "node/cli/commands.h"
#include "node/service/bundle.h"

namespace shequ::cli {
namespace {

using json = nlohmann::ordered_json;

int ChangesExport(const std::vector<std::string>& argv, Context& ctx) {
  static const Command self{"changes export", "--dir NODE --out FILE [--scope PREFIX]", "",
                            nullptr};
  int rc = 0;
  auto args = ParseOrUsage(argv, self, {}, {"dir", "out", "scope"}, &rc);
  if (!args) return rc;
  auto dir = args->Need("dir");
  auto out = args->Need("out");
  if (!dir.ok()) return Fail(dir.status());
  if (!out.ok()) return Fail(out.status());
  std::string scope = args->GetOr("scope", "");
  if (!scope.empty() && (!AllDigits(scope) || scope.size() > 12))
    return Fail(Status::Invalid("--scope must be a division-code prefix"));
  auto node = service::Node::Open(*dir, ctx.ref);
  if (!node.ok()) return Fail(node.status());
  auto stats = service::ExportBundle(**node, *out, scope);
  if (!stats.ok()) return Fail(stats.status());
  std::printf("exported %zu changes, %zu certificates and %zu revocations to %s (%llu bytes)\n",
              stats->changes, stats->certificates, stats->revocations, out->c_str(),
              static_cast<unsigned long long>(stats->bytes));
  return kExitOk;
}

int ChangesImport(const std::vector<std::string>& argv, Context& ctx) {
  static const Command self{"changes import", "--dir NODE [--json] FILE", "", nullptr};
  int rc = 0;
  auto args = ParseOrUsage(argv, self, {"json"}, {"dir"}, &rc);
  if (!args) return rc;
  if (args->positional().size() != 1) return Fail(Status::Invalid("changes import takes one FILE"));
  auto node = OpenNode(*args, ctx);
  if (!node.ok()) return Fail(node.status());
  const std::string& path = args->positional()[0];
  auto stats = service::ImportBundle(**node, path);
  if (!stats.ok()) {
    // Not a bundle at all (or unreadable): exit 2.
    std::fprintf(stderr, "shequ: %s\n", stats.status().ToString().c_str());
    return kExitInvalid;
  }
  if (args->Has("json")) {
    json j{{"applied", stats->applied},
           {"duplicates", stats->duplicates},
           {"rejected", stats->rejected},
           {"certificates", stats->certificates},
           {"certificates_refused", stats->certificates_refused},
           {"revocations", stats->revocations},
           {"revocations_refused", stats->revocations_refused},
           {"revoked_changes_removed", stats->revoked_removed},
           {"rejections", json::array()},
           {"errors", stats->errors}};
    for (const auto& r : stats->rejections)
      j["rejections"].push_back(json{{"change", Hex(r.id)},
                                     {"origin", Hex(r.origin)},
                                     {"code", r.code},
                                     {"reason", r.reason}});
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    for (const auto& r : stats->rejections)
      std::printf("rejected %s [%s] %s\n", Hex(r.id).substr(0, 16).c_str(), r.code.c_str(),
                  r.reason.c_str());
    for (const auto& e : stats->errors) std::printf("error %s\n", e.c_str());
    std::printf("%zu applied, %zu already present, %zu rejected; %zu certificates (%zu refused)\n",
                stats->applied, stats->duplicates, stats->rejected, stats->certificates,
                stats->certificates_refused);
    if (stats->revocations || stats->revocations_refused)
      std::printf(
          "%zu new revocations (%zu refused); %zu stored changes of revoked nodes removed\n",
          stats->revocations, stats->revocations_refused, stats->revoked_removed);
  }
  return stats->rejected ? kExitRejected : kExitOk;
}

}  // namespace

std::vector<Command> ChangeCommands() {
  return {
      {"changes export", "--dir NODE --out FILE [--scope PREFIX]",
       "write the signed changes in scope (and the certificates and revocations) to a bundle file",
       ChangesExport},
      {"changes import", "--dir NODE [--json] FILE",
       "verify and apply a bundle; exit 3 if any change was rejected, 2 if not a bundle",
       ChangesImport},
  };
}

}  // namespace shequ::cli
