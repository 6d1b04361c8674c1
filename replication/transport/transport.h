// ZeroMQ transport between nodes (DESIGN section 6, docs/PROTOCOL.md "Transport"): a Listener
// (ROUTER, bind) and Dialers (DEALER, connect), CURVE always on, every client key checked by a
// ZAP handler that admits only enrolled, unrevoked nodes. Frames are opaque bytes here; the wire
// codec gives them meaning.
//
// Ownership: a Network owns the ZeroMQ context and the ZAP handler thread. Listeners and Dialers
// are move-only owners of one socket each, made from a Network that must outlive them.
//
// Thread safety: a Listener or Dialer belongs to one thread at a time (ZeroMQ: one socket, one
// thread); Network's methods may be called from any thread. Nothing here throws: ZeroMQ's
// exceptions are caught in this module and returned as Status.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "node/base/bytes.h"
#include "node/base/status.h"
#include "replication/transport/admission.h"
#include "replication/transport/backoff.h"
#include "replication/transport/faults.h"
#include "replication/wire/codec.h"

namespace shequ::transport {

// Every listener sets this ZAP domain and ZMQ_ZAP_ENFORCE_DOMAIN: with libzmq 4.3.4 a CURVE
// server without a domain or without a handler accepts any client key.
inline constexpr char kZapDomain[] = "shequ";
// ZMQ_MAXMSGSIZE: a ZMTP message carries our frame inside a CURVE box a few dozen bytes larger.
inline constexpr int64_t kMaxMessageBytes = int64_t{wire::kMaxFrameBytes} + 4096;

// A raw 32-byte X25519 key pair (trust::Certificate::curve_key, service::Node::curve_secret()).
struct CurveKeyPair {
  Bytes public_key;
  Bytes secret_key;
};

struct SocketOptions {
  // ZMTP heartbeats: a PING every interval; no traffic for `timeout` closes the connection; the
  // peer is told to close after `ttl` without hearing from us.
  std::chrono::milliseconds heartbeat_interval{5000};
  std::chrono::milliseconds heartbeat_timeout{15000};
  std::chrono::milliseconds heartbeat_ttl{30000};
  std::chrono::milliseconds handshake_timeout{10000};
  std::chrono::milliseconds linger{1000};  // for frames still queued when a socket closes
  // Dialers: ZeroMQ reconnects after a lost link, from `interval` doubling to `interval_max`
  // (libzmq adds a random part of `interval` itself).
  std::chrono::milliseconds reconnect_interval{250};
  std::chrono::milliseconds reconnect_interval_max{30000};
  // Dialers: our own jittered back-off before re-dialling after a refusal or a failed handshake,
  // and after Redial().
  BackoffOptions redial;
  int high_water_mark = 256;  // frames queued per peer and direction
  int64_t max_message_bytes = kMaxMessageBytes;
  FaultConfig send_faults;     // applied to frames we send
  FaultConfig receive_faults;  // applied to frames we receive
};

// A connected peer of a listener: ZeroMQ's routing id of its connection. A reconnecting peer gets
// a new one; its CURVE key (Frame::peer_key) says who it is.
struct PeerId {
  Bytes routing_id;
  bool operator==(const PeerId&) const = default;
  bool operator<(const PeerId& o) const { return routing_id < o.routing_id; }
};

struct Frame {
  PeerId peer;     // empty on a dialer: its one peer is the server
  Bytes peer_key;  // the CURVE key the peer authenticated with (admitted by ZAP)
  Bytes payload;
};

enum class LinkEventKind {
  kConnected,        // dialer: CURVE handshake done, frames flow (send the Hello now)
  kDisconnected,     // dialer: the connection is gone (ZeroMQ reconnects; start a new session)
  kRefused,          // the server's ZAP handler refused the key (code: ZAP status, e.g. 400)
  kHandshakeFailed,  // wrong server key, no CURVE, corrupted handshake (code: ZMQ's error)
  kPeerGone,         // listener: a peer's connection closed (peer set; best effort, see below)
};
std::string_view LinkEventName(LinkEventKind kind);

struct LinkEvent {
  LinkEventKind kind = LinkEventKind::kConnected;
  PeerId peer;  // kPeerGone only
  int code = 0;
  std::string detail;
};

using Incoming = std::variant<Frame, LinkEvent>;

struct LinkStats {
  uint64_t sent = 0, received = 0;
  uint64_t send_failures = 0;      // peer gone, queue full, not connected
  uint64_t malformed_dropped = 0;  // multipart frames, frames without an admitted key
  uint64_t faults_dropped = 0, faults_duplicated = 0, faults_delayed = 0;
};

struct ZapStats {
  uint64_t admitted = 0, refused = 0, malformed = 0;
};

class Listener;
class Dialer;

class Network {
 public:
  // Starts the context and, when `admit` is set, the ZAP handler, bound before this returns so
  // that no listener ever runs without it. A network without `admit` can only dial.
  static Result<std::unique_ptr<Network>> Create(AdmitFn admit, int io_threads = 1);
  // REQUIRES: every Listener and Dialer made from this network has been destroyed (aborts
  // otherwise: ZeroMQ would hang).
  ~Network();
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  ZapStats zap_stats() const;

  struct Impl;

 private:
  explicit Network(std::unique_ptr<Impl> impl);
  friend class Listener;
  friend class Dialer;
  std::unique_ptr<Impl> impl_;
};

class Listener {
 public:
  // Binds `endpoint` ("tcp://0.0.0.0:7700"; "tcp://127.0.0.1:*" picks a free port) as a CURVE
  // server with `keys`. kInvalidArgument for a network without admission or malformed keys;
  // kUnavailable when the address cannot be bound.
  static Result<Listener> Bind(Network& network, const CurveKeyPair& keys,
                               const std::string& endpoint, const SocketOptions& options = {});
  Listener(Listener&&) noexcept;
  Listener& operator=(Listener&&) noexcept;
  ~Listener();

  // The bound address with the actual port, e.g. "tcp://127.0.0.1:41234".
  const std::string& endpoint() const;

  // The next frame or event within `timeout` (0: only what is already there); nullopt when
  // nothing came. Also sends delayed frames that have come due (fault injection).
  Result<std::optional<Incoming>> Receive(std::chrono::milliseconds timeout);
  // Queues a frame for a peer without blocking. kUnavailable when the peer is gone or its queue
  // is full; kResourceExhausted over wire::kMaxFrameBytes.
  Status Send(const PeerId& peer, ByteView payload);

  const LinkStats& stats() const;

  struct Impl;

 private:
  explicit Listener(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class Dialer {
 public:
  // Connects (in the background: ZeroMQ keeps trying) to a listener whose CURVE public key is
  // `server_key` (from its certificate), authenticating with `keys`.
  static Result<Dialer> Dial(Network& network, const CurveKeyPair& keys, const Bytes& server_key,
                             const std::string& endpoint, const SocketOptions& options = {});
  Dialer(Dialer&&) noexcept;
  Dialer& operator=(Dialer&&) noexcept;
  ~Dialer();

  // As Listener::Receive. Events tell when a session may start (kConnected) and when it ended.
  // After kRefused or kHandshakeFailed the dialer waits a jittered back-off before trying again.
  Result<std::optional<Incoming>> Receive(std::chrono::milliseconds timeout);
  // kUnavailable when not connected (frames are never queued for a connection to come: a new
  // connection starts a new session) or the queue is full.
  Status Send(ByteView payload);
  // Drops the connection and dials again after the back-off (after a protocol error).
  Status Redial();

  bool connected() const;
  const std::string& endpoint() const;
  const LinkStats& stats() const;

  struct Impl;

 private:
  explicit Dialer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace shequ::transport
