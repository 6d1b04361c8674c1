// terminals: the hub's terminal monitor (第十三条; node/service/usage.h).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "node/base/text.h"
#include "node/base/time.h"
#include "node/cli/commands.h"
#include "node/service/usage.h"

namespace shequ::cli {
namespace {

using json = nlohmann::ordered_json;

std::string Time(uint64_t ms) { return ms ? FormatMillis(ms) : "never"; }
json TimeJson(uint64_t ms) { return ms ? json(FormatMillis(ms)) : json(nullptr); }

uint64_t DaysUnseen(const service::TerminalStatus& t, uint64_t now) {
  return now > t.last_seen_ms ? (now - t.last_seen_ms) / (24 * 3600 * 1000) : 0;
}

json TerminalJson(const service::TerminalStatus& t, uint64_t now) {
  json rejected = json::object();
  for (const auto& [code, n] : t.rejected) rejected[code] = n;
  return json{
      {"node", t.cert.id_hex()},
      {"name", t.cert.name},
      {"community", t.cert.scopes.empty() ? "" : t.cert.scopes[0]},
      {"scopes", t.cert.scopes},
      {"valid_from", FormatMillis(t.cert.not_before)},
      {"valid_until", FormatMillis(t.cert.not_after)},
      {"valid_now", t.cert.ValidAt(now)},
      {"revoked", t.revoked},
      {"revoked_at", TimeJson(t.revoked_at_ms)},
      {"revoked_reason", t.revoked_reason},
      {"reported", t.reported},
      {"last_seen", TimeJson(t.last_seen_ms)},
      {"last_report", TimeJson(t.last_report_ms)},
      {"last_sync", TimeJson(t.last_sync_ms)},
      {"last_contact", TimeJson(t.last_contact_ms)},
      {"days_unseen", t.last_seen_ms ? json(DaysUnseen(t, now)) : json(nullptr)},
      {"stale", t.stale},
      {"app_version", t.reported ? json(t.app_version) : json(nullptr)},
      {"sealed", t.sealed ? json(*t.sealed) : json(nullptr)},
      {"logins", t.logins},
      {"failed_logins", t.failed_logins},
      {"out_of_scope", t.out_of_scope},
      {"syncs", t.syncs},
      {"pending", t.pending},
      {"rejected", t.rejected_total},
      {"rejected_by_code", rejected},
      {"last_rejection", t.last_rejection},
      {"violations", t.violations()},
  };
}

void PrintTerminal(const service::TerminalStatus& t, uint64_t now) {
  std::string flags;
  if (t.revoked) flags += "  REVOKED " + FormatMillis(t.revoked_at_ms) + ": " + t.revoked_reason;
  if (!t.cert.ValidAt(now)) flags += "  CERTIFICATE NOT VALID NOW";
  std::printf("%s  %s (%s), valid %s to %s%s\n", t.cert.id_hex().substr(0, 12).c_str(),
              t.cert.name.c_str(), t.cert.scopes.empty() ? "" : t.cert.scopes[0].c_str(),
              FormatMillis(t.cert.not_before).substr(0, 10).c_str(),
              FormatMillis(t.cert.not_after).substr(0, 10).c_str(), flags.c_str());
  std::printf("    last seen %s (report %s, its last sync %s, session here %s)\n",
              Time(t.last_seen_ms).c_str(), Time(t.last_report_ms).c_str(),
              Time(t.last_sync_ms).c_str(), Time(t.last_contact_ms).c_str());
  std::printf(
      "    pending %llu; violations %llu: out of scope %llu, failed logins %llu, "
      "rejected here %llu\n",
      (unsigned long long)t.pending, (unsigned long long)t.violations(),
      (unsigned long long)t.out_of_scope, (unsigned long long)t.failed_logins,
      (unsigned long long)t.rejected_total);
  if (t.rejected_total) {
    std::string codes;
    for (const auto& [code, n] : t.rejected)
      codes += (codes.empty() ? "" : ", ") + code + " " + std::to_string(n);
    std::printf("    rejected: %s; latest: %s\n", codes.c_str(), t.last_rejection.c_str());
  }
  if (t.reported)
    std::printf("    app %s, storage sealed %s, logins %llu, syncs %llu\n", t.app_version.c_str(),
                t.sealed ? (*t.sealed ? "yes" : "no") : "unknown", (unsigned long long)t.logins,
                (unsigned long long)t.syncs);
  else
    std::printf("    no report yet\n");
  if (t.stale) {
    if (t.last_seen_ms)
      std::printf("    ! not seen for %llu days\n", (unsigned long long)DaysUnseen(t, now));
    else
      std::printf("    ! never seen\n");
  }
}

int Terminals(const std::vector<std::string>& argv, Context& ctx) {
  static const Command self{"terminals", "--dir NODE [--json]", "", nullptr};
  int rc = 0;
  auto args = ParseOrUsage(argv, self, {"json"}, {"dir"}, &rc);
  if (!args) return rc;
  auto node = OpenNode(*args, ctx);
  if (!node.ok()) return Fail(node.status());
  uint64_t now = (*node)->clock().WallMs();
  auto terminals = service::TerminalMonitor(**node, now);
  if (!terminals.ok()) return Fail(terminals.status());
  size_t stale = 0, violating = 0;
  for (const auto& t : *terminals) {
    stale += t.stale;
    violating += t.violations() > 0;
  }
  if (args->Has("json")) {
    json list = json::array();
    for (const auto& t : *terminals) list.push_back(TerminalJson(t, now));
    json out{{"as_of", FormatMillis(now)},
             {"stale_after_days", service::kTerminalStaleMs / (24 * 3600 * 1000)},
             {"terminals", std::move(list)}};
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  for (const auto& t : *terminals) PrintTerminal(t, now);
  std::printf("%zu terminals, %zu not seen for more than %llu days, %zu with violations\n",
              terminals->size(), stale,
              (unsigned long long)(service::kTerminalStaleMs / (24 * 3600 * 1000)), violating);
  return kExitOk;
}

}  // namespace

std::vector<Command> MonitorCommands() {
  return {
      {"terminals", "--dir NODE [--json]",
       "the terminal monitor: every terminal's last sign of life, pending changes, violations",
       Terminals},
  };
}

}  // namespace shequ::cli
