#include "node/service/usage.h"

#include <algorithm>
#include <cstdio>
#include <limits>

#include "node/base/text.h"
#include "node/base/time.h"
#include "node/service/peers.h"
#include "replication/crdt/change.h"

#ifndef SHEQU_VERSION
#define SHEQU_VERSION "unknown"
#endif

namespace shequ::service {

namespace {

constexpr std::string_view kUsagePrefix = "usage/";
constexpr uint64_t kDayMs = 24 * 3600 * 1000;
constexpr int64_t kChinaOffsetMs = 8 * 3600 * 1000;

Bytes UsageKey(std::string_view counter) {
  std::string k = std::string(kUsagePrefix) + std::string(counter);
  return Bytes(k.begin(), k.end());
}

bool HasPrefix(ByteView key, ByteView prefix) {
  return key.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), key.begin());
}

Status CheckCounterName(std::string_view counter) {
  bool ok = !counter.empty() && counter.size() <= 64;
  for (char c : counter) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  if (!ok)
    return Status::Invalid("usage counter " + Quote(counter) +
                           " is not a name of lower-case letters, digits and _");
  return Status::Ok();
}

Result<std::optional<uint64_t>> GetCounter(Node& node, const store::Txn& txn,
                                           std::string_view counter) {
  ASSIGN_OR_RETURN(auto raw, txn.Get(node.store().dbi(store::Db::kMeta), UsageKey(counter)));
  if (!raw) return std::optional<uint64_t>();
  if (raw->size() != 8)
    return Status::Corruption("usage counter " + std::string(counter) + " holds " +
                              std::to_string(raw->size()) + " bytes, not 8");
  return std::optional<uint64_t>(GetBE64(raw->data()));
}

Status PutCounter(Node& node, store::Txn& txn, std::string_view counter, uint64_t v) {
  Bytes value;
  PutBE64(value, v);
  return txn.Put(node.store().dbi(store::Db::kMeta), UsageKey(counter), value);
}

// A decimal count as reports carry it; nullopt when not one.
std::optional<uint64_t> ParseCount(std::string_view s) {
  if (s.empty() || s.size() > 19 || !AllDigits(s)) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) v = v * 10 + static_cast<uint64_t>(c - '0');
  return v;
}

bool ParseDigits(std::string_view s, size_t at, size_t n, int* out) {
  if (at + n > s.size()) return false;
  int v = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

// The origin of a stored change (read without decoding the whole record).
Result<std::optional<Id16>> OriginOf(Node& node, const store::Txn& txn, const Id32& id) {
  ASSIGN_OR_RETURN(auto raw, txn.Get(node.store().dbi(store::Db::kChanges), id));
  if (!raw) return std::optional<Id16>();
  ASSIGN_OR_RETURN(crdt::RecordHeader h, crdt::PeekRecord(*raw));
  return std::optional<Id16>(h.origin);
}

// The report of terminal `t` as it wrote it: the values of its own changes only (any node may
// write a self-report kind in its scope, so another node could write this entity too).
Status ReadReport(Node& node, const store::Txn& txn, TerminalStatus& t) {
  auto ref = TerminalReportRef(t.cert);
  if (!ref.ok()) return Status::Ok();  // not scoped to a community: it cannot report
  ASSIGN_OR_RETURN(crdt::EntityState state, node.replica().Entity(txn, *ref));
  if (state.empty()) return Status::Ok();
  bool foreign = false;
  for (const auto& [field, fs] : state) {
    for (const crdt::Head& h : fs.heads) {
      ASSIGN_OR_RETURN(auto origin, OriginOf(node, txn, h.id));
      if (!origin || *origin != t.cert.node_id) foreign = true;
    }
  }
  if (!foreign) {
    for (const auto& [field, fs] : state) {
      const crdt::Head* w = fs.winner();
      if (!w) continue;
      t.last_report_ms = std::max(t.last_report_ms, crdt::HlcMillis(w->hlc));
      if (w->kind == crdt::ValueKind::kText) t.report[field] = w->value;
    }
  } else {
    // Replay the terminal's own changes, oldest first.
    ASSIGN_OR_RETURN(std::vector<crdt::Change> history, node.replica().History(txn, *ref));
    for (const crdt::Change& c : history) {
      if (c.body.origin != t.cert.node_id) continue;
      t.last_report_ms = std::max(t.last_report_ms, crdt::HlcMillis(c.body.hlc));
      for (const crdt::Write& w : c.body.writes) {
        if (w.kind == crdt::ValueKind::kText)
          t.report[w.field] = w.value;
        else
          t.report.erase(w.field);
      }
    }
  }
  t.reported = t.last_report_ms != 0;
  auto count = [&](std::string_view field) -> uint64_t {
    auto it = t.report.find(std::string(field));
    if (it == t.report.end()) return 0;
    return ParseCount(it->second).value_or(0);
  };
  t.logins = count(kUsageLogins);
  t.failed_logins = count(kUsageFailedLogins);
  t.out_of_scope = count(kUsageOutOfScope);
  t.syncs = count(kUsageSyncs);
  t.pending = count("pending");
  if (auto it = t.report.find("app_version"); it != t.report.end()) t.app_version = it->second;
  if (auto it = t.report.find("sealed"); it != t.report.end()) {
    if (it->second == "yes" || it->second == "1") t.sealed = true;
    if (it->second == "no" || it->second == "0") t.sealed = false;
  }
  if (auto it = t.report.find(std::string(kUsageLastSync)); it != t.report.end())
    t.last_sync_ms = ParseIsoMillis(it->second).value_or(0);
  return Status::Ok();
}

// Log positions up to which no change is pending (meta "pending_floor", 8 bytes BE): every
// change at or below it is another node's, a terminal report, or confirmed by a peer. It only
// moves forward, as confirmations do (a peer's log_synced only grows, a node id has one
// certificate for life), so each scan starts there instead of at the beginning of the log.
constexpr std::string_view kPendingFloorKey = "pending_floor";

struct PendingScan {
  uint64_t pending = 0;
  uint64_t floor = 0;  // the new floor
};

Result<PendingScan> ScanPending(Node& node, const store::Txn& txn) {
  PendingScan scan;
  ASSIGN_OR_RETURN(auto stored,
                   txn.Get(node.store().dbi(store::Db::kMeta), AsBytes(kPendingFloorKey)));
  if (stored && stored->size() == 8) scan.floor = GetBE64(stored->data());
  struct Confirmer {
    uint64_t upto;
    const trust::Certificate* cert;
  };
  std::vector<Confirmer> confirmers;
  ASSIGN_OR_RETURN(auto peers, ReadPeers(node, txn));
  for (const auto& [id, p] : peers) {
    const trust::Signer* s = node.trust().Find(id);
    if (s && p.log_synced > scan.floor) confirmers.push_back({p.log_synced, &s->cert});
  }
  const Id16& self = node.cert().node_id;
  bool prefix_clear = true;  // nothing pending from the floor up to here
  Bytes start;
  PutBE64(start, scan.floor + 1);
  ASSIGN_OR_RETURN(store::Cursor cur, store::Cursor::Open(txn, node.store().dbi(store::Db::kLog)));
  for (bool ok = cur.Seek(start); ok; ok = cur.Next()) {
    if (cur.key().size() != 8 || cur.value().size() != 32)
      return Status::Corruption("log entry of " + std::to_string(cur.key().size()) + "+" +
                                std::to_string(cur.value().size()) + " bytes");
    uint64_t pos = GetBE64(cur.key().data());
    Id32 id;
    std::copy(cur.value().begin(), cur.value().end(), id.begin());
    ASSIGN_OR_RETURN(auto raw, txn.Get(node.store().dbi(store::Db::kChanges), id));
    bool pending = false;
    if (raw) {  // a change no longer stored is nobody's to send
      ASSIGN_OR_RETURN(crdt::RecordHeader h, crdt::PeekRecord(*raw));
      pending = h.origin == self && h.kind != model::EntityKind::kTerminalReport &&
                std::none_of(confirmers.begin(), confirmers.end(), [&](const Confirmer& c) {
                  return pos <= c.upto && c.cert->InScope(h.community);
                });
    }
    if (pending) {
      ++scan.pending;
      prefix_clear = false;
    } else if (prefix_clear) {
      scan.floor = pos;
    }
  }
  RETURN_IF_ERROR(cur.status());
  return scan;
}

struct Rejections {
  std::map<std::string, uint64_t> by_code;
  uint64_t total = 0;
  std::string last_reason;
};

// The security log (`rejected`: ms | digest -> code \t origin hex \t reason), by origin.
Result<std::map<std::string, Rejections>> RejectionsByOrigin(Node& node, const store::Txn& txn) {
  std::map<std::string, Rejections> out;
  ASSIGN_OR_RETURN(store::Cursor cur,
                   store::Cursor::Open(txn, node.store().dbi(store::Db::kRejected)));
  for (bool ok = cur.First(); ok; ok = cur.Next()) {
    std::string_view v(reinterpret_cast<const char*>(cur.value().data()), cur.value().size());
    size_t a = v.find('\t');
    size_t b = a == std::string_view::npos ? a : v.find('\t', a + 1);
    if (b == std::string_view::npos) continue;  // not a rejection record
    Rejections& r = out[std::string(v.substr(a + 1, b - a - 1))];
    ++r.by_code[std::string(v.substr(0, a))];
    ++r.total;
    r.last_reason = std::string(v.substr(b + 1));  // keys are in time order
  }
  RETURN_IF_ERROR(cur.status());
  return out;
}

}  // namespace

std::string_view AppVersion() { return SHEQU_VERSION; }

std::string IsoMillis(uint64_t ms) {
  int64_t local = static_cast<int64_t>(ms) + kChinaOffsetMs;
  int64_t days = local / static_cast<int64_t>(kDayMs);
  int64_t in_day = local % static_cast<int64_t>(kDayMs);
  Date d = Date::FromDays(days);
  int64_t secs = in_day / 1000;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d+08:00", d.year, d.month, d.day,
                static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60),
                static_cast<int>(secs % 60));
  return buf;
}

std::optional<uint64_t> ParseIsoMillis(std::string_view s) {
  if (s.size() < 20 || (s[10] != 'T' && s[10] != ' ')) return std::nullopt;
  auto date = Date::Parse(s.substr(0, 10));
  int h = 0, m = 0, sec = 0;
  if (!date || !ParseDigits(s, 11, 2, &h) || s[13] != ':' || !ParseDigits(s, 14, 2, &m) ||
      s[16] != ':' || !ParseDigits(s, 17, 2, &sec) || h > 23 || m > 59 || sec > 59)
    return std::nullopt;
  size_t at = 19;
  int64_t frac_ms = 0;
  if (at < s.size() && s[at] == '.') {
    size_t digits = 0;
    for (++at; at < s.size() && s[at] >= '0' && s[at] <= '9'; ++at, ++digits)
      if (digits < 3) frac_ms = frac_ms * 10 + (s[at] - '0');
    if (digits == 0) return std::nullopt;
    for (; digits < 3; ++digits) frac_ms *= 10;
  }
  int64_t offset_ms = 0;
  if (at + 1 == s.size() && s[at] == 'Z') {
    offset_ms = 0;
  } else if (at + 6 == s.size() && (s[at] == '+' || s[at] == '-') && s[at + 3] == ':') {
    int oh = 0, om = 0;
    if (!ParseDigits(s, at + 1, 2, &oh) || !ParseDigits(s, at + 4, 2, &om) || oh > 23 || om > 59)
      return std::nullopt;
    offset_ms = (oh * 60 + om) * 60000LL * (s[at] == '-' ? -1 : 1);
  } else {
    return std::nullopt;
  }
  int64_t ms = date->DaysSinceEpoch() * static_cast<int64_t>(kDayMs) +
               ((h * 60LL + m) * 60 + sec) * 1000 + frac_ms - offset_ms;
  if (ms < 0) return std::nullopt;
  return static_cast<uint64_t>(ms);
}

Status CountUsage(Node& node, store::Txn& txn, std::string_view counter, uint64_t n) {
  RETURN_IF_ERROR(CheckCounterName(counter));
  if (counter == kUsageLastSync)
    return Status::Invalid("usage counter last_sync is a time; RecordSync sets it");
  ASSIGN_OR_RETURN(auto have, GetCounter(node, txn, counter));
  uint64_t v = have.value_or(0);
  v = n > std::numeric_limits<uint64_t>::max() - v ? std::numeric_limits<uint64_t>::max() : v + n;
  return PutCounter(node, txn, counter, v);
}

Result<std::map<std::string, uint64_t>> ReadUsage(Node& node, const store::Txn& txn) {
  std::map<std::string, uint64_t> out;
  Bytes prefix = ToBytes(kUsagePrefix);
  ASSIGN_OR_RETURN(store::Cursor cur, store::Cursor::Open(txn, node.store().dbi(store::Db::kMeta)));
  for (bool ok = cur.Seek(prefix); ok && HasPrefix(cur.key(), prefix); ok = cur.Next()) {
    std::string name(reinterpret_cast<const char*>(cur.key().data()) + prefix.size(),
                     cur.key().size() - prefix.size());
    if (cur.value().size() != 8)
      return Status::Corruption("usage counter " + name + " holds " +
                                std::to_string(cur.value().size()) + " bytes, not 8");
    out[name] = GetBE64(cur.value().data());
  }
  RETURN_IF_ERROR(cur.status());
  return out;
}

Status RecordSync(Node& node, store::Txn& txn, uint64_t ms) {
  RETURN_IF_ERROR(CountUsage(node, txn, kUsageSyncs));
  return PutCounter(node, txn, kUsageLastSync, ms);
}

Result<uint64_t> PendingChanges(Node& node, const store::Txn& txn) {
  ASSIGN_OR_RETURN(PendingScan scan, ScanPending(node, txn));
  return scan.pending;
}

Result<crdt::EntityRef> TerminalReportRef(const trust::Certificate& cert) {
  if (cert.scopes.empty() || cert.scopes[0].size() != 12 || !AllDigits(cert.scopes[0]))
    return Status::Invalid("node " + cert.name + " is scoped to " +
                           (cert.scopes.empty() ? std::string("nothing") : cert.scopes[0]) +
                           ", not to one community: it has no terminal report");
  return crdt::EntityRef{cert.scopes[0], model::EntityKind::kTerminalReport, cert.node_id};
}

Result<bool> ReportUsage(Node& node, store::Txn& txn, const UsageReportOptions& o) {
  ASSIGN_OR_RETURN(crdt::EntityRef ref, TerminalReportRef(node.cert()));
  ASSIGN_OR_RETURN(auto counters, ReadUsage(node, txn));
  ASSIGN_OR_RETURN(PendingScan scan, ScanPending(node, txn));
  Bytes floor;
  PutBE64(floor, scan.floor);
  RETURN_IF_ERROR(txn.Put(node.store().dbi(store::Db::kMeta), AsBytes(kPendingFloorKey), floor));
  const uint64_t pending = scan.pending;
  auto counter = [&](std::string_view name) {
    auto it = counters.find(std::string(name));
    return std::to_string(it == counters.end() ? 0 : it->second);
  };
  std::map<std::string, std::string> want = {
      {"app_version", o.app_version},
      {std::string(kUsageLogins), counter(kUsageLogins)},
      {std::string(kUsageFailedLogins), counter(kUsageFailedLogins)},
      {std::string(kUsageOutOfScope), counter(kUsageOutOfScope)},
      {std::string(kUsageSyncs), counter(kUsageSyncs)},
      {"pending", std::to_string(pending)},
      {"sealed", o.sealed ? "yes" : "no"},
  };
  if (auto it = counters.find(std::string(kUsageLastSync)); it != counters.end())
    want[std::string(kUsageLastSync)] = IsoMillis(it->second);
  ASSIGN_OR_RETURN(auto have, node.replica().Values(txn, ref));
  std::vector<FieldEdit> edits;
  for (const auto& [field, value] : want) {
    auto it = have.find(field);
    if (it == have.end() || it->second != value) edits.push_back(FieldEdit{field, value});
  }
  if (edits.empty()) return false;
  edits.push_back(FieldEdit{"reported_at", IsoMillis(node.clock().WallMs())});
  Node::CommitOptions co;
  co.tool = crdt::Tool::kTerminal;
  auto id = node.Commit(txn, ref, edits, co);
  if (!id.ok()) return id.status().With("writing the terminal report of " + node.cert().name);
  return true;
}

Result<std::vector<TerminalStatus>> TerminalMonitor(Node& node, uint64_t now_ms) {
  ASSIGN_OR_RETURN(store::ReadTxn r, node.store().BeginRead());
  const store::Txn& txn = r.txn();
  ASSIGN_OR_RETURN(auto peer_list, ReadPeers(node, txn));
  std::map<Id16, PeerRecord> peers(peer_list.begin(), peer_list.end());
  ASSIGN_OR_RETURN(auto rejections, RejectionsByOrigin(node, txn));
  std::vector<TerminalStatus> out;
  for (const trust::Signer* s : node.trust().All()) {
    if (s->cert.kind != trust::NodeKind::kTerminal) continue;
    TerminalStatus t;
    t.cert = s->cert;
    if (const trust::Revoked* rev = node.trust().RevocationOf(t.cert.node_id)) {
      t.revoked = true;
      t.revoked_at_ms = crdt::HlcMillis(rev->revocation.at);
      t.revoked_reason = rev->revocation.reason;
    }
    RETURN_IF_ERROR(ReadReport(node, txn, t));
    if (auto it = peers.find(t.cert.node_id); it != peers.end())
      t.last_contact_ms = it->second.last_contact;
    if (auto it = rejections.find(t.cert.id_hex()); it != rejections.end()) {
      t.rejected = it->second.by_code;
      t.rejected_total = it->second.total;
      t.last_rejection = it->second.last_reason;
    }
    t.last_seen_ms = std::max({t.last_report_ms, t.last_sync_ms, t.last_contact_ms});
    t.stale = t.last_seen_ms == 0 ||
              (now_ms > t.last_seen_ms && now_ms - t.last_seen_ms > kTerminalStaleMs);
    out.push_back(std::move(t));
  }
  std::sort(out.begin(), out.end(), [](const TerminalStatus& a, const TerminalStatus& b) {
    const std::string& ca = a.cert.scopes.empty() ? std::string() : a.cert.scopes[0];
    const std::string& cb = b.cert.scopes.empty() ? std::string() : b.cert.scopes[0];
    if (ca != cb) return ca < cb;
    if (a.cert.name != b.cert.name) return a.cert.name < b.cert.name;
    return a.cert.node_id < b.cert.node_id;
  });
  return out;
}

}  // namespace shequ::service
