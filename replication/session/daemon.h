// The node daemon: sessions over ZeroMQ (CURVE, ZAP admission from the trust store), a listener
// and dialers in one thread — the node's writer thread — plus live push of new changes and the
// per-peer progress record. `shequ run` runs it until SIGTERM; `shequ sync` runs it until one
// session with the peer has completed.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "node/service/node.h"
#include "node/service/peers.h"
#include "node/service/usage.h"
#include "replication/session/session.h"
#include "replication/transport/transport.h"

namespace shequ::session {

// A peer as a node's contact string names it: "tcp://HOST:PORT#<CURVE public key, 64 hex>".
struct Contact {
  std::string endpoint;
  Bytes curve_key;
  std::string ToString() const;
  static Result<Contact> Parse(std::string_view text);
};

// What a node remembers about a peer (the `peers` database, docs/STORAGE.md).
using service::PeerRecord;
using service::ReadPeers;

// Who may connect to a node's listeners: the ZAP handler admits a CURVE key only when it is the
// key of a certificate this node holds, valid now and not revoked. Thread-safe (it runs on the
// network's ZAP thread); `trust` must outlive the network.
transport::AdmitFn TrustAdmission(const trust::TrustStore& trust,
                                  std::function<uint64_t()> wall_ms = nullptr);

struct PeerReport {
  std::string peer;  // name (or endpoint until known)
  bool synced = false;
  Status error;
  Stats stats;
  uint64_t bytes_sent = 0, bytes_received = 0, frames_sent = 0, frames_received = 0;
  double seconds = 0;
  bool usage_reported = false;  // a terminal wrote its usage report after this sync
};

struct DaemonOptions {
  std::optional<std::string> listen;  // endpoint to bind, e.g. tcp://0.0.0.0:7001
  std::vector<Contact> peers;         // to dial
  size_t max_full_syncs = 4;          // listener: simultaneous syncs in progress
  std::chrono::milliseconds session_timeout{std::chrono::seconds(60)};
  // A dialer (not once) replaces a live session by a fresh one this long after it began: live
  // sessions only push, pushes are not acknowledged, and a listener may have dropped its side;
  // a fresh reconciliation finds whatever went missing (in sync, it costs two round trips and
  // a few kilobytes). Zero: never.
  std::chrono::milliseconds resync_every{std::chrono::minutes(10)};
  bool once = false;  // stop once a session with every peer has completed (or failed)
  transport::SocketOptions socket;
  Config session;
  std::function<void(const std::string&)> log;  // one line per event; null = silent
  // Each completed sync is counted in the node's usage (service::RecordSync); a terminal then
  // writes its usage report with these options, which the live push or the next sync carries
  // to its peers. nullopt: no report.
  std::optional<service::UsageReportOptions> usage_report = service::UsageReportOptions{};
};

class Daemon {
 public:
  Daemon(service::Node& node, DaemonOptions options);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Runs until `stop` becomes true (or, with once, until every peer's session ended).
  Status Run(const std::atomic<bool>& stop);
  // The last session with each dialled peer (once mode reports these).
  const std::vector<PeerReport>& reports() const { return reports_; }
  // The bound endpoint (with the port the system chose for tcp://...:*), after Run started.
  std::string endpoint() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<PeerReport> reports_;
};

}  // namespace shequ::session
