// Terminal usage and the hub's terminal monitor (第十三条; DESIGN section 7).
//
// Every node keeps usage counters in its own store — `meta` keys "usage/<counter>", 8 bytes
// big-endian, never replicated. A terminal turns them into its terminal_report entity: one
// entity per terminal (its id is the terminal's node id, its community the terminal's first
// scope), updated by a change whenever something changed since the last report, which
// replication carries to the hub. The hub's monitor lists every terminal certificate it knows
// with its latest report, what the hub itself saw of it, and the changes of it the hub
// rejected (docs/STORAGE.md, "Terminal reports").
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "node/base/status.h"
#include "node/service/node.h"
#include "node/store/store.h"
#include "replication/crdt/keys.h"

namespace shequ::service {

// Counter names ("usage/<name>" in `meta`).
inline constexpr std::string_view kUsageLogins = "logins";               // operator logins
inline constexpr std::string_view kUsageFailedLogins = "failed_logins";  // refused logins
inline constexpr std::string_view kUsageOutOfScope = "out_of_scope";     // refused: not ours
inline constexpr std::string_view kUsageSyncs = "syncs";                 // completed syncs
// Not a count: the wall time (ms) of the last completed sync (RecordSync).
inline constexpr std::string_view kUsageLastSync = "last_sync";

// A terminal not seen for longer than this is flagged by the monitor.
inline constexpr uint64_t kTerminalStaleMs = uint64_t{7} * 24 * 3600 * 1000;

// The version of this build (the CMake project version), as reports carry it.
std::string_view AppVersion();

// "2026-11-26T14:03:05+08:00": ISO 8601 in China Standard Time, as reports carry times.
std::string IsoMillis(uint64_t ms);
// Parses what IsoMillis writes (also with a Z or another ±HH:MM offset, and fractions of a
// second); nullopt when `text` is not such a time.
std::optional<uint64_t> ParseIsoMillis(std::string_view text);

// Adds n to a counter (saturating). Counter names are lower-case ASCII letters, digits and '_'.
Status CountUsage(Node& node, store::Txn& txn, std::string_view counter, uint64_t n = 1);
// Every counter this node holds (last_sync included, as milliseconds).
Result<std::map<std::string, uint64_t>> ReadUsage(Node& node, const store::Txn& txn);
// A completed sync at wall time `ms`: counts it and remembers the time.
Status RecordSync(Node& node, store::Txn& txn, uint64_t ms);

// Local changes no peer has confirmed yet. A change is pending when this node signed it, it is
// not a terminal report (a report cannot count itself), and no peer whose certificate holds the
// change's community has completed a sync that began after the change was stored (its
// PeerRecord::log_synced is below the change's log position). Changes pushed live in an open
// session stay pending until the next completed sync confirms them: the count errs high, never
// low. ReportUsage keeps the log position below which nothing is pending (`meta`
// "pending_floor"), so a scan starts there rather than at the beginning of the log.
Result<uint64_t> PendingChanges(Node& node, const store::Txn& txn);

struct UsageReportOptions {
  // Whether the node's personal data rests sealed (the operator keyring, keyring.h).
  bool sealed = false;
  std::string app_version = std::string(AppVersion());
};

// The terminal_report entity of a node: its first scope, kind terminal_report, its node id.
// InvalidArgument when the first scope is not a 12-digit community.
Result<crdt::EntityRef> TerminalReportRef(const trust::Certificate& cert);

// Writes this node's usage report (a change of its terminal_report entity, tool terminal) when
// a reported value differs from the entity's current one; true when a change was written. Only
// the fields that changed are written, with reported_at.
Result<bool> ReportUsage(Node& node, store::Txn& txn, const UsageReportOptions& options);

// --- the hub's monitor

struct TerminalStatus {
  trust::Certificate cert;
  bool revoked = false;  // the city revoked it (trust store)
  uint64_t revoked_at_ms = 0;
  std::string revoked_reason;
  bool reported = false;                      // a report of it is here
  std::map<std::string, std::string> report;  // the report's current values
  uint64_t last_report_ms = 0;                // when the latest report was written (its clock)
  uint64_t last_sync_ms = 0;                  // its last completed sync, as it reported it
  uint64_t last_contact_ms = 0;               // its last session with this node (peer record)
  uint64_t last_seen_ms = 0;                  // the latest of the three; 0 = never seen
  bool stale = false;                         // never seen, or not for more than 7 days
  uint64_t logins = 0, failed_logins = 0, out_of_scope = 0, syncs = 0, pending = 0;
  std::optional<bool> sealed;  // nullopt until reported
  std::string app_version;
  std::map<std::string, uint64_t> rejected;  // rejection code -> changes of it refused here
  uint64_t rejected_total = 0;
  std::string last_rejection;  // the latest reason
  uint64_t violations() const { return out_of_scope + failed_logins + rejected_total; }
};

// Every terminal certificate this node knows, in community then name order, as seen at wall
// time now_ms.
Result<std::vector<TerminalStatus>> TerminalMonitor(Node& node, uint64_t now_ms);

}  // namespace shequ::service
