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
struct PeerRecord {
  std::string name;
  uint64_t last_contact = 0, last_sync = 0;  // ms
  uint64_t changes_sent = 0, changes_received = 0, rejected = 0;
  uint64_t bytes_sent = 0, bytes_received = 0;
  uint64_t sessions = 0, syncs = 0;
  uint64_t log_synced = 0;  // local log position everything up to which the peer has
  std::string last_error;
  Bytes Encode() const;
  static Result<PeerRecord> Decode(ByteView b);
};
Result<std::vector<std::pair<Id16, PeerRecord>>> ReadPeers(service::Node& node);

struct PeerReport {
  std::string peer;  // name (or endpoint until known)
  bool synced = false;
  Status error;
  Stats stats;
  uint64_t bytes_sent = 0, bytes_received = 0, frames_sent = 0, frames_received = 0;
  double seconds = 0;
};

struct DaemonOptions {
  std::optional<std::string> listen;  // endpoint to bind, e.g. tcp://0.0.0.0:7001
  std::vector<Contact> peers;         // to dial
  size_t max_full_syncs = 4;          // listener: simultaneous syncs in progress
  std::chrono::milliseconds session_timeout{std::chrono::seconds(60)};
  bool once = false;  // stop once a session with every peer has completed (or failed)
  transport::SocketOptions socket;
  Config session;
  std::function<void(const std::string&)> log;  // one line per event; null = silent
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
