// node contact, run, sync, peers, trust import: replication between nodes.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "node/base/file.h"
#include "node/base/text.h"
#include "node/base/time.h"
#include "node/cli/commands.h"
#include "node/service/revoke.h"
#include "replication/crdt/hlc.h"
#include "replication/session/daemon.h"

namespace shequ::cli {
namespace {

using json = nlohmann::ordered_json;

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop.store(true); }

int NodeContact(const std::vector<std::string>& argv, Context& ctx) {
  static const Command self{"node contact", "--dir NODE --endpoint tcp://HOST:PORT", "", nullptr};
  int rc = 0;
  auto args = ParseOrUsage(argv, self, {}, {"dir", "endpoint"}, &rc);
  if (!args) return rc;
  auto endpoint = args->Need("endpoint");
  if (!endpoint.ok()) return Fail(endpoint.status());
  auto node = OpenNode(*args, ctx);
  if (!node.ok()) return Fail(node.status());
  session::Contact c{*endpoint, (*node)->cert().curve_key};
  auto check = session::Contact::Parse(c.ToString());
  if (!check.ok()) return Fail(check.status());
  std::printf("%s\n", c.ToString().c_str());
  return kExitOk;
}

Result<std::vector<session::Contact>> Peers(const Args& args) {
  std::vector<session::Contact> out;
  for (const std::string& p : args.All("peer")) {
    ASSIGN_OR_RETURN(session::Contact c, session::Contact::Parse(p));
    out.push_back(std::move(c));
  }
  return out;
}

// --fault-* options of `run`: seeded loss, duplication and delay of the frames the daemon sends
// (replication/transport/faults.h), for the chaos harness and by hand; `tc netem` is not at hand.
Result<transport::FaultConfig> FaultOptions(const Args& args) {
  transport::FaultConfig f;
  auto probability = [&](const char* name, double* out) -> Status {
    auto v = args.Get(name);
    if (!v) return Status::Ok();
    char* end = nullptr;
    double p = std::strtod(v->c_str(), &end);
    if (v->empty() || end != v->c_str() + v->size() || !(p >= 0 && p <= 1))
      return Status::Invalid("--" + std::string(name) + " is a probability from 0 to 1, got " +
                             Quote(*v));
    *out = p;
    return Status::Ok();
  };
  auto millis = [&](const char* name, std::chrono::milliseconds* out) -> Status {
    auto v = args.Get(name);
    if (!v) return Status::Ok();
    if (v->empty() || v->size() > 7 || !AllDigits(*v))
      return Status::Invalid("--" + std::string(name) +
                             " is a whole number of milliseconds (at most 9999999), got " +
                             Quote(*v));
    *out = std::chrono::milliseconds(std::stoll(*v));
    return Status::Ok();
  };
  RETURN_IF_ERROR(probability("fault-drop", &f.drop));
  RETURN_IF_ERROR(probability("fault-duplicate", &f.duplicate));
  RETURN_IF_ERROR(millis("fault-delay", &f.delay));
  RETURN_IF_ERROR(millis("fault-jitter", &f.jitter));
  if (auto v = args.Get("fault-seed")) {
    if (v->empty() || v->size() > 19 || !AllDigits(*v))
      return Status::Invalid("--fault-seed is a whole number, got " + Quote(*v));
    f.seed = std::stoull(*v);
  }
  return f;
}

int Run(const std::vector<std::string>& argv, Context& ctx) {
  static const Command self{
      "run",
      "--dir NODE [--listen tcp://HOST:PORT] [--peer PEER]... [--max-syncs N] "
      "[--timeout SECONDS] [--resync SECONDS] [--quiet] [--fault-drop P] [--fault-duplicate P] "
      "[--fault-delay MS] [--fault-jitter MS] [--fault-seed N]",
      "", nullptr};
  int rc = 0;
  auto args = ParseOrUsage(argv, self, {"quiet"},
                           {"dir", "listen", "peer", "max-syncs", "timeout", "resync", "fault-drop",
                            "fault-duplicate", "fault-delay", "fault-jitter", "fault-seed"},
                           &rc);
  if (!args) return rc;
  auto faults = FaultOptions(*args);
  if (!faults.ok()) return Fail(faults.status());
  auto peers = Peers(*args);
  if (!peers.ok()) return Fail(peers.status());
  if (!args->Has("listen") && peers->empty())
    return Fail(Status::Invalid("run needs --listen, --peer or both"));
  auto node = OpenNode(*args, ctx);
  if (!node.ok()) return Fail(node.status());
  session::DaemonOptions o;
  if (o.usage_report) o.usage_report->sealed = (*node)->sealed_at_rest();
  o.listen = args->Get("listen");
  o.peers = *peers;
  if (auto m = args->Get("max-syncs"); m && AllDigits(*m)) o.max_full_syncs = std::stoul(*m);
  if (auto t = args->Get("timeout"); t && AllDigits(*t))
    o.session_timeout = std::chrono::seconds(std::stoul(*t));
  if (auto r = args->Get("resync")) {
    if (!AllDigits(*r) || r->empty() || r->size() > 7)
      return Fail(Status::Invalid("--resync takes a number of seconds (0: never), not " + *r));
    o.resync_every = std::chrono::seconds(std::stoul(*r));
  }
  o.socket.send_faults = *faults;
  if (!args->Has("quiet"))
    o.log = [](const std::string& line) {
      std::fprintf(stderr, "%s\n", line.c_str());
      std::fflush(stderr);
    };
  if (o.log && faults->active()) {
    char buf[200];
    std::snprintf(buf, sizeof buf,
                  "faults on every frame sent: drop %.3f, duplicate %.3f, delay %lld ms, jitter "
                  "%lld ms, seed %llu",
                  faults->drop, faults->duplicate, static_cast<long long>(faults->delay.count()),
                  static_cast<long long>(faults->jitter.count()),
                  static_cast<unsigned long long>(faults->seed));
    o.log(FormatMillis(NowMillis()) + " " + (*node)->cert().name + ": " + buf);
  }
  if (o.log && ClockOffsetMillis() != 0)
    o.log(FormatMillis(NowMillis()) + " " + (*node)->cert().name + ": clock offset " +
          std::to_string(ClockOffsetMillis()) + " ms (SHEQU_CLOCK_OFFSET_MS)");
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGPIPE, SIG_IGN);
  session::Daemon daemon(**node, o);
  Status st = daemon.Run(g_stop);
  if (!st.ok()) return Fail(st);
  std::fprintf(stderr, "%s: stopped\n", (*node)->cert().name.c_str());
  return kExitOk;
}

int Sync(const std::vector<std::string>& argv, Context& ctx) {
  static const Command self{"sync", "--dir NODE --peer PEER [--json] [--timeout SECONDS]", "",
                            nullptr};
  int rc = 0;
  auto args = ParseOrUsage(argv, self, {"json", "verbose"}, {"dir", "peer", "timeout"}, &rc);
  if (!args) return rc;
  auto peers = Peers(*args);
  if (!peers.ok()) return Fail(peers.status());
  if (peers->size() != 1) return Fail(Status::Invalid("sync takes exactly one --peer"));
  auto node = OpenNode(*args, ctx);
  if (!node.ok()) return Fail(node.status());
  session::DaemonOptions o;
  if (o.usage_report) o.usage_report->sealed = (*node)->sealed_at_rest();
  o.peers = *peers;
  o.once = true;
  o.session_timeout = std::chrono::seconds(30);
  if (auto t = args->Get("timeout"); t && AllDigits(*t))
    o.session_timeout = std::chrono::seconds(std::stoul(*t));
  if (args->Has("verbose"))
    o.log = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGPIPE, SIG_IGN);
  session::Daemon daemon(**node, o);
  Status st = daemon.Run(g_stop);
  if (!st.ok()) return Fail(st);
  if (daemon.reports().empty()) return Fail(Status::Internal("no session report"));
  const session::PeerReport& r = daemon.reports()[0];
  const session::Stats& s = r.stats;
  if (args->Has("json")) {
    json j{{"peer", r.peer},
           {"synced", r.synced},
           {"error", r.error.ok() ? "" : r.error.ToString()},
           {"seconds", r.seconds},
           {"changes_sent", s.changes_sent},
           {"changes_received", s.changes_received},
           {"applied", s.applied},
           {"duplicates", s.duplicates},
           {"rejected", s.rejected},
           {"bytes_sent", r.bytes_sent},
           {"bytes_received", r.bytes_received},
           {"record_bytes_sent", s.record_bytes_sent},
           {"record_bytes_received", s.record_bytes_received},
           {"round_trips", s.round_trips},
           {"communities", s.communities},
           {"certificates_sent", s.certificates_sent},
           {"certificates_received", s.certificates_received},
           {"revocations_sent", s.revocations_sent},
           {"revocations_received", s.revocations_received},
           {"clock_skew_ms", s.skew_ms},
           {"usage_report", r.usage_reported}};
    std::printf("%s\n", j.dump(2).c_str());
  } else if (r.synced) {
    std::printf("synced with %s in %.2f s\n", r.peer.c_str(), r.seconds);
    std::printf(
        "  changes   sent %llu, received %llu (%llu new, %llu already here, %llu rejected)\n",
        (unsigned long long)s.changes_sent, (unsigned long long)s.changes_received,
        (unsigned long long)s.applied, (unsigned long long)s.duplicates,
        (unsigned long long)s.rejected);
    std::printf(
        "  bytes     %llu out, %llu in\n  round trips %llu (hello, %llu reconciliation, "
        "transfer)\n",
        (unsigned long long)r.bytes_sent, (unsigned long long)r.bytes_received,
        (unsigned long long)s.round_trips, (unsigned long long)s.reconcile_rounds);
    std::printf("  communities reconciled %llu\n", (unsigned long long)s.communities);
    if (r.usage_reported) std::printf("  usage report written (it travels with the next sync)\n");
    if (s.skew_ms > 15 * 60 * 1000 || s.skew_ms < -15 * 60 * 1000)
      std::printf("  warning: the peer's clock differs from ours by %lld minutes\n",
                  (long long)(s.skew_ms / 60000));
  }
  if (!r.synced) {
    std::fprintf(stderr, "shequ sync: not synced with %s: %s\n", r.peer.c_str(),
                 r.error.ToString().c_str());
    return r.error.code() == Code::kPermissionDenied ? kExitDenied : kExitFailure;
  }
  return s.rejected ? kExitRejected : kExitOk;
}

int PeersCmd(const std::vector<std::string>& argv, Context& ctx) {
  static const Command self{"peers", "--dir NODE [--json]", "", nullptr};
  int rc = 0;
  auto args = ParseOrUsage(argv, self, {"json"}, {"dir"}, &rc);
  if (!args) return rc;
  auto node = OpenNode(*args, ctx);
  if (!node.ok()) return Fail(node.status());
  auto peers = session::ReadPeers(**node);
  if (!peers.ok()) return Fail(peers.status());
  // Pending: changes stored here since the last completed sync with that peer.
  uint64_t log_end = 0;
  {
    auto r = (*node)->store().BeginRead();
    if (!r.ok()) return Fail(r.status());
    auto end = (*node)->replica().LogEnd(*r);
    if (!end.ok()) return Fail(end.status());
    log_end = *end;
  }
  json out = json::array();
  for (const auto& [id, p] : *peers) {
    uint64_t pending = log_end > p.log_synced ? log_end - p.log_synced : 0;
    if (args->Has("json")) {
      out.push_back(json{{"node", Hex(id)},
                         {"name", p.name},
                         {"last_contact", p.last_contact ? FormatMillis(p.last_contact) : ""},
                         {"last_full_sync", p.last_sync ? FormatMillis(p.last_sync) : ""},
                         {"pending", pending},
                         {"changes_sent", p.changes_sent},
                         {"changes_received", p.changes_received},
                         {"rejected", p.rejected},
                         {"bytes_sent", p.bytes_sent},
                         {"bytes_received", p.bytes_received},
                         {"sessions", p.sessions},
                         {"last_error", p.last_error}});
    } else {
      std::printf("%s  %s\n", Hex(id).substr(0, 12).c_str(), p.name.c_str());
      std::printf("    last contact %s, last full sync %s\n",
                  p.last_contact ? FormatMillis(p.last_contact).c_str() : "never",
                  p.last_sync ? FormatMillis(p.last_sync).c_str() : "never");
      std::printf(
          "    pending %llu, sent %llu, received %llu, rejected %llu, %llu KiB out, %llu KiB in, "
          "%llu sessions\n",
          (unsigned long long)pending, (unsigned long long)p.changes_sent,
          (unsigned long long)p.changes_received, (unsigned long long)p.rejected,
          (unsigned long long)(p.bytes_sent / 1024), (unsigned long long)(p.bytes_received / 1024),
          (unsigned long long)p.sessions);
      if (!p.last_error.empty()) std::printf("    last error: %s\n", p.last_error.c_str());
    }
  }
  if (args->Has("json"))
    std::printf("%s\n", out.dump(2).c_str());
  else if (peers->empty())
    std::printf("no peers yet\n");
  return kExitOk;
}

// A revocation file (`shequ node revoke`): verified against the root, stored, and the stored
// changes it invalidates removed.
bool ImportRevocationFile(service::Node& node, const std::string& path, const Bytes& bytes) {
  auto applied = service::ImportRevocation(node, bytes);
  if (!applied.ok()) {
    std::fprintf(stderr, "shequ: %s: refused: %s\n", path.c_str(),
                 applied.status().message().c_str());
    return false;
  }
  const trust::Revocation& rev = applied->revoked->revocation;
  const trust::Signer* s = node.trust().Find(rev.node_id);
  std::printf("revoked %s %s from %s: %s%s\n", rev.node_hex().substr(0, 12).c_str(),
              s ? s->cert.name.c_str() : "(a node not known here yet)",
              FormatMillis(crdt::HlcMillis(rev.at)).c_str(), rev.reason.c_str(),
              applied->fresh ? "" : " (known already)");
  if (applied->removed)
    std::printf("  removed %zu stored changes it made from then on\n", applied->removed);
  return true;
}

int TrustImport(const std::vector<std::string>& argv, Context& ctx) {
  static const Command self{"trust import", "--dir NODE FILE...", "", nullptr};
  int rc = 0;
  auto args = ParseOrUsage(argv, self, {}, {"dir"}, &rc);
  if (!args) return rc;
  if (args->positional().empty())
    return Fail(Status::Invalid(
        "trust import needs certificate files (node.cert) or revocation files (.rev)"));
  auto node = OpenNode(*args, ctx);
  if (!node.ok()) return Fail(node.status());
  int refused = 0;
  for (const std::string& path : args->positional()) {
    auto bytes = ReadFile(path);
    if (!bytes.ok()) {
      std::fprintf(stderr, "shequ: %s\n", bytes.status().ToString().c_str());
      ++refused;
      continue;
    }
    // The two signed forms are told apart by their bodies: a revocation never decodes as a
    // certificate nor the other way round.
    if (!trust::DecodeCertificate(AsBytes(*bytes)).ok() &&
        trust::DecodeRevocation(AsBytes(*bytes)).ok()) {
      if (!ImportRevocationFile(**node, path, ToBytes(*bytes))) ++refused;
      continue;
    }
    const trust::Signer* added = nullptr;
    Status st = (*node)->store().Write([&](store::Txn& txn) -> Status {
      auto r = (*node)->trust().Add(txn, (*node)->store().dbi(store::Db::kTrust), AsBytes(*bytes));
      if (!r.ok()) return r.status();
      added = *r;
      return Status::Ok();
    });
    if (!st.ok()) {
      std::fprintf(stderr, "shequ: %s: refused: %s\n", path.c_str(), st.message().c_str());
      ++refused;
      continue;
    }
    std::printf("trusted %s %s (%s, scope %s)\n", added->cert.id_hex().substr(0, 12).c_str(),
                added->cert.name.c_str(),
                std::string(trust::NodeKindName(added->cert.kind)).c_str(),
                added->cert.scopes.empty() ? "" : added->cert.scopes[0].c_str());
  }
  return refused ? kExitInvalid : kExitOk;
}

}  // namespace

std::vector<Command> SyncCommands() {
  return {
      {"node contact", "--dir NODE --endpoint tcp://HOST:PORT",
       "print the contact string (endpoint and CURVE key) other nodes use as --peer", NodeContact},
      {"run", "--dir NODE [--listen tcp://HOST:PORT] [--peer PEER]... [--fault-drop P ...]",
       "the daemon: listen, dial peers, keep syncing and pushing; SIGTERM stops it", Run},
      {"sync", "--dir NODE --peer PEER [--json]", "one round with one peer, both ways, then exit",
       Sync},
      {"peers", "--dir NODE [--json]", "each peer: last contact, last full sync, pending, rejected",
       PeersCmd},
      {"trust import", "--dir NODE FILE...",
       "admit other nodes' certificates, or take revocations (checked against the city root)",
       TrustImport},
  };
}

}  // namespace shequ::cli
