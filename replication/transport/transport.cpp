#include "replication/transport/transport.h"

#include <zmq.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <queue>
#include <thread>
#include <vector>
#include <zmq.hpp>

namespace shequ::transport {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// ZMQ_ZAP_ENFORCE_DOMAIN: Debian's libzmq 4.3.4 implements it, but its zmq.h lists it among the
// draft options, so the name is not defined without ZMQ_BUILD_DRAFT_API.
constexpr int kZapEnforceDomainOption = 93;
constexpr char kZapEndpoint[] = "inproc://zeromq.zap.01";
constexpr size_t kKeyBytes = 32;
// Frames read per Receive round before events and timers get their turn again.
constexpr int kReadBurst = 64;

int ClampMs(milliseconds ms, int max = 1 << 30) {
  return static_cast<int>(std::clamp<int64_t>(ms.count(), 0, max));
}

Status FromZmq(const zmq::error_t& e, const std::string& what) {
  if (e.num() == ETERM) return Status::Unavailable(what + ": the network is shutting down");
  return Status::Internal(what + ": " + e.what());
}

Status CheckKey(const Bytes& key, const char* what) {
  if (key.size() != kKeyBytes)
    return Status::Invalid(std::string(what) + " must be a raw 32-byte CURVE key, got " +
                           std::to_string(key.size()) + " bytes");
  return Status::Ok();
}

// Options every data socket gets (DESIGN section 6).
void SetCommonOptions(zmq::socket_t& s, const SocketOptions& o) {
  s.set(zmq::sockopt::linger, ClampMs(o.linger));
  s.set(zmq::sockopt::maxmsgsize, o.max_message_bytes);
  s.set(zmq::sockopt::sndhwm, o.high_water_mark);
  s.set(zmq::sockopt::rcvhwm, o.high_water_mark);
  s.set(zmq::sockopt::handshake_ivl, ClampMs(o.handshake_timeout));
  s.set(zmq::sockopt::heartbeat_ivl, ClampMs(o.heartbeat_interval));
  s.set(zmq::sockopt::heartbeat_timeout, ClampMs(o.heartbeat_timeout));
  // The TTL travels in deciseconds in a 16-bit field.
  s.set(zmq::sockopt::heartbeat_ttl, ClampMs(o.heartbeat_ttl, 6553599));
}

// Receives one whole message without blocking: nullopt if none; the parts beyond `max_parts` are
// received and thrown away (so a peer cannot make us hold a million empty parts), and
// *too_many is set.
std::optional<std::vector<zmq::message_t>> RecvParts(zmq::socket_t& s, size_t max_parts,
                                                     bool* too_many) {
  std::vector<zmq::message_t> parts;
  *too_many = false;
  zmq::message_t part;
  if (!s.recv(part, zmq::recv_flags::dontwait)) return std::nullopt;
  bool more = part.more();
  parts.push_back(std::move(part));
  while (more) {
    zmq::message_t next;
    // The rest of a message is already there once its first part is.
    (void)s.recv(next, zmq::recv_flags::none);
    more = next.more();
    if (parts.size() < max_parts) {
      parts.push_back(std::move(next));
    } else {
      *too_many = true;
    }
  }
  return parts;
}

}  // namespace

std::string_view LinkEventName(LinkEventKind kind) {
  switch (kind) {
    case LinkEventKind::kConnected:
      return "connected";
    case LinkEventKind::kDisconnected:
      return "disconnected";
    case LinkEventKind::kRefused:
      return "refused";
    case LinkEventKind::kHandshakeFailed:
      return "handshake_failed";
    case LinkEventKind::kPeerGone:
      return "peer_gone";
  }
  return "unknown";
}

// --- Network and the ZAP handler

struct Network::Impl {
  explicit Impl(int io_threads) : ctx(io_threads) {}

  zmq::context_t ctx;
  AdmitFn admit;
  std::thread zap_thread;
  zmq::socket_t zap_stop;  // PAIR: one message stops the handler
  std::atomic<uint64_t> admitted{0}, refused{0}, malformed{0};
  std::atomic<int> live_sockets{0};
  std::atomic<uint64_t> next_inproc{0};

  std::string InprocName(const char* what) {
    return std::string("inproc://shequ-") + what + "-" + std::to_string(next_inproc++);
  }
  void HandleZapRequest(zmq::socket_t& zap);
  void ZapLoop(zmq::socket_t zap, zmq::socket_t stop);
};

// One ZAP request (RFC 27, ZAP 1.0): version, request id, domain, address, identity, mechanism,
// credentials; the reply: version, request id, status code, status text, user id, metadata.
// The user id we return is the client key in hex: ZeroMQ hands it to us as the "User-Id" property
// of every frame from that connection.
void Network::Impl::HandleZapRequest(zmq::socket_t& zap) {
  bool too_many = false;
  auto req = RecvParts(zap, 8, &too_many);
  if (!req) return;
  auto text = [&](size_t i) { return i < req->size() ? (*req)[i].to_string() : std::string(); };
  std::string status = "400", status_text, user_id;
  if (req->size() < 6 || too_many || text(0) != "1.0") {
    status = "500";
    status_text = "malformed ZAP request";
    ++malformed;
  } else if (text(2) != kZapDomain) {
    status_text = "wrong ZAP domain";
    ++refused;
  } else if (text(5) != "CURVE" || req->size() != 7 || (*req)[6].size() != kKeyBytes) {
    status_text = "CURVE required";
    ++refused;
  } else {
    const auto* key_data = (*req)[6].data<uint8_t>();
    Bytes key(key_data, key_data + kKeyBytes);
    AdmitDecision d;
    try {
      d = admit(key);
    } catch (...) {
      d = AdmitDecision::Refuse("admission check failed");
    }
    if (d.admitted) {
      status = "200";
      status_text = "OK";
      user_id = Hex(key);
      ++admitted;
    } else {
      status_text = d.reason.substr(0, 200);
      ++refused;
    }
  }
  zmq::message_t request_id;
  if (req->size() > 1) request_id.copy((*req)[1]);
  zap.send(zmq::str_buffer("1.0"), zmq::send_flags::sndmore);
  zap.send(request_id, zmq::send_flags::sndmore);
  zap.send(zmq::buffer(status), zmq::send_flags::sndmore);
  zap.send(zmq::buffer(status_text), zmq::send_flags::sndmore);
  zap.send(zmq::buffer(user_id), zmq::send_flags::sndmore);
  zap.send(zmq::message_t(), zmq::send_flags::none);
}

void Network::Impl::ZapLoop(zmq::socket_t zap, zmq::socket_t stop) {
  // The one catch-all of this thread. If the handler ever stops, listeners refuse every client
  // (the domain is enforced): the failure is closed, not open.
  try {
    zmq_pollitem_t items[] = {{zap.handle(), 0, ZMQ_POLLIN, 0}, {stop.handle(), 0, ZMQ_POLLIN, 0}};
    while (true) {
      try {
        zmq::poll(items, 2, milliseconds(-1));
        if (items[1].revents & ZMQ_POLLIN) break;
        if (items[0].revents & ZMQ_POLLIN) HandleZapRequest(zap);
      } catch (const zmq::error_t& e) {
        if (e.num() == ETERM) break;
        if (e.num() != EINTR) ++malformed;
      }
    }
  } catch (...) {
    std::fprintf(stderr, "shequ: ZAP handler stopped on an unexpected exception\n");
  }
}

Network::Network(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<Network>> Network::Create(AdmitFn admit, int io_threads) {
  try {
    auto impl = std::make_unique<Impl>(std::max(1, io_threads));
    impl->ctx.set(zmq::ctxopt::blocky, 0);
    impl->admit = std::move(admit);
    if (impl->admit) {
      zmq::socket_t zap(impl->ctx, zmq::socket_type::rep);
      zap.set(zmq::sockopt::linger, 0);
      zap.bind(kZapEndpoint);
      std::string stop_name = impl->InprocName("zap-stop");
      zmq::socket_t stop_theirs(impl->ctx, zmq::socket_type::pair);
      stop_theirs.set(zmq::sockopt::linger, 0);
      stop_theirs.bind(stop_name);
      impl->zap_stop = zmq::socket_t(impl->ctx, zmq::socket_type::pair);
      impl->zap_stop.set(zmq::sockopt::linger, 0);
      impl->zap_stop.connect(stop_name);
      // The sockets move to the handler thread; starting a thread is the full barrier ZeroMQ
      // asks for when a socket changes threads.
      Impl* raw = impl.get();
      impl->zap_thread =
          std::thread([raw, z = std::move(zap), s = std::move(stop_theirs)]() mutable {
            raw->ZapLoop(std::move(z), std::move(s));
          });
    }
    return std::unique_ptr<Network>(new Network(std::move(impl)));
  } catch (const zmq::error_t& e) {
    return FromZmq(e, "starting the network");
  } catch (const std::exception& e) {
    return Status::Internal(std::string("starting the network: ") + e.what());
  }
}

Network::~Network() {
  if (!impl_) return;
  if (impl_->live_sockets.load() != 0) {
    std::fprintf(stderr, "shequ: Network destroyed with %d listeners or dialers alive\n",
                 impl_->live_sockets.load());
    std::abort();
  }
  try {
    if (impl_->zap_thread.joinable()) {
      impl_->zap_stop.send(zmq::str_buffer("stop"), zmq::send_flags::none);
      impl_->zap_thread.join();
    }
    impl_->zap_stop.close();
  } catch (...) {
    if (impl_->zap_thread.joinable()) impl_->zap_thread.join();
  }
}

ZapStats Network::zap_stats() const {
  return {impl_->admitted.load(), impl_->refused.load(), impl_->malformed.load()};
}

// --- what listeners and dialers share: the socket, its monitor, fault injection, the queues

namespace {

struct Port {
  Port(Network::Impl& n, zmq::socket_type type, const SocketOptions& o)
      : net(&n),
        socket(n.ctx, type),
        options(o),
        send_faults(o.send_faults),
        receive_faults(o.receive_faults) {
    ++net->live_sockets;
  }
  virtual ~Port() {
    try {
      zmq_socket_monitor(socket.handle(), nullptr, 0);
      monitor.close();
      socket.close();
    } catch (...) {
    }
    --net->live_sockets;
  }
  Port(const Port&) = delete;
  Port& operator=(const Port&) = delete;

  // Watches the socket's events through a PAIR, connected before the socket binds or connects
  // so that no event is missed. Leaves out ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL: libzmq 4.3.4
  // emits it between setting errno = EPROTO and the engine's errno check, and sending the event
  // can leave errno = EAGAIN, after which the engine stops reading the broken connection instead
  // of closing it (until a heartbeat timeout). A connection closed for a protocol error still
  // reports ZMQ_EVENT_DISCONNECTED.
  void StartMonitor() {
    std::string name = net->InprocName("monitor");
    const int events = ZMQ_EVENT_ALL & ~ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL;
    if (zmq_socket_monitor(socket.handle(), name.c_str(), events) != 0) throw zmq::error_t();
    monitor = zmq::socket_t(net->ctx, zmq::socket_type::pair);
    monitor.set(zmq::sockopt::linger, 0);
    monitor.connect(name);
  }

  // The socket's pending events, in order. Polls first: a zero-timeout poll makes ZeroMQ process
  // its pending commands, which a plain non-blocking recv may skip.
  void DrainMonitor() {
    while (true) {
      zmq_pollitem_t item{monitor.handle(), 0, ZMQ_POLLIN, 0};
      if (zmq::poll(&item, 1, milliseconds(0)) <= 0) return;
      zmq::message_t head, address;
      if (!monitor.recv(head, zmq::recv_flags::dontwait)) return;
      if (head.more()) (void)monitor.recv(address, zmq::recv_flags::none);
      if (head.size() < 6) continue;
      uint16_t event;
      int32_t value;
      std::memcpy(&event, head.data(), 2);
      std::memcpy(&value, static_cast<const uint8_t*>(head.data()) + 2, 4);
      OnMonitorEvent(event, value, address.to_string());
    }
  }

  // A frame that arrived, through the receive faults.
  void Deliver(Frame frame) {
    ++stats.received;
    FaultInjector::Decision d = receive_faults.Next();
    if (d.copies == 0) {
      ++stats.faults_dropped;
      return;
    }
    if (d.copies > 1) ++stats.faults_duplicated;
    for (int i = 0; i < d.copies; ++i) {
      if (d.delay.count() > 0) {
        ++stats.faults_delayed;
        in_delayed.push(
            Delayed{Clock::now() + d.delay, seq++, frame.peer, frame.payload, frame.peer_key});
      } else {
        ready.push_back(frame);
      }
    }
  }

  Status SendFrame(const PeerId& peer, ByteView payload) {
    if (payload.size() > wire::kMaxFrameBytes)
      return Status::Exhausted("frame of " + std::to_string(payload.size()) + " bytes, at most " +
                               std::to_string(wire::kMaxFrameBytes));
    FaultInjector::Decision d = send_faults.Next();
    if (d.copies == 0) {
      ++stats.faults_dropped;
      return Status::Ok();  // lost on the way, as far as the sender can tell
    }
    if (d.copies > 1) ++stats.faults_duplicated;
    if (d.delay.count() > 0) {
      for (int i = 0; i < d.copies; ++i) {
        ++stats.faults_delayed;
        out_delayed.push(Delayed{
            Clock::now() + d.delay, seq++, peer, Bytes(payload.begin(), payload.end()), {}});
      }
      return Status::Ok();
    }
    Status first = Write(peer, payload);
    for (int i = 1; i < d.copies; ++i) (void)Write(peer, payload);
    return first;
  }

  Status Write(const PeerId& peer, ByteView payload) {
    Status st = WriteOne(peer, payload);
    if (st.ok()) {
      ++stats.sent;
    } else {
      ++stats.send_failures;
    }
    return st;
  }

  // Sends the delayed frames that are due, releases delayed incoming frames, runs timers.
  void RunDue(Clock::time_point now) {
    while (!out_delayed.empty() && out_delayed.top().due <= now) {
      Delayed d = out_delayed.top();
      out_delayed.pop();
      (void)Write(d.peer, d.payload);
    }
    while (!in_delayed.empty() && in_delayed.top().due <= now) {
      Delayed d = in_delayed.top();
      in_delayed.pop();
      ready.push_back(Frame{d.peer, d.key, d.payload});
    }
    OnTimers(now);
  }

  std::optional<Clock::time_point> NextDue() {
    std::optional<Clock::time_point> next = NextTimer();
    auto earlier = [&](Clock::time_point t) {
      if (!next || t < *next) next = t;
    };
    if (!out_delayed.empty()) earlier(out_delayed.top().due);
    if (!in_delayed.empty()) earlier(in_delayed.top().due);
    return next;
  }

  Result<std::optional<Incoming>> Receive(milliseconds timeout) {
    try {
      const Clock::time_point deadline = Clock::now() + std::max(milliseconds(0), timeout);
      while (true) {
        Clock::time_point now = Clock::now();
        RunDue(now);
        if (!ready.empty()) return Pop();
        milliseconds wait(0);
        if (now < deadline) {
          Clock::time_point until = deadline;
          if (auto due = NextDue(); due && *due < until) until = std::max(now, *due);
          // Round up, so that a wait never ends just before what it waits for.
          wait = std::chrono::ceil<milliseconds>(until - now);
        }
        std::vector<zmq_pollitem_t> items = {{socket.handle(), 0, ZMQ_POLLIN, 0},
                                             {monitor.handle(), 0, ZMQ_POLLIN, 0}};
        if (WantWritable()) items[0].events |= ZMQ_POLLOUT;
        int n = 0;
        try {
          n = zmq::poll(items.data(), items.size(), wait);
        } catch (const zmq::error_t& e) {
          if (e.num() != EINTR) throw;
        }
        if (n > 0) {
          if (items[1].revents & ZMQ_POLLIN) DrainMonitor();
          if (items[0].revents & ZMQ_POLLOUT) OnWritable();
          if (items[0].revents & ZMQ_POLLIN) ReadAvailable();
        }
        RunDue(Clock::now());
        if (!ready.empty()) return Pop();
        if (Clock::now() >= deadline) return std::optional<Incoming>();
      }
    } catch (const zmq::error_t& e) {
      return FromZmq(e, "receiving");
    } catch (const std::exception& e) {
      return Status::Internal(std::string("receiving: ") + e.what());
    }
  }

  std::optional<Incoming> Pop() {
    Incoming in = std::move(ready.front());
    ready.pop_front();
    return in;
  }

  void Push(LinkEventKind kind, int code, std::string detail, PeerId peer = {}) {
    ready.push_back(LinkEvent{kind, std::move(peer), code, std::move(detail)});
  }

  virtual Status WriteOne(const PeerId& peer, ByteView payload) = 0;
  virtual void ReadAvailable() = 0;
  virtual void OnMonitorEvent(uint16_t event, int32_t value, const std::string& address) = 0;
  virtual std::optional<Clock::time_point> NextTimer() { return std::nullopt; }
  virtual void OnTimers(Clock::time_point) {}
  virtual bool WantWritable() const { return false; }
  virtual void OnWritable() {}

  struct Delayed {
    Clock::time_point due;
    uint64_t seq;
    PeerId peer;
    Bytes payload;
    Bytes key;
    bool operator>(const Delayed& o) const { return due != o.due ? due > o.due : seq > o.seq; }
  };
  using DelayQueue = std::priority_queue<Delayed, std::vector<Delayed>, std::greater<Delayed>>;

  Network::Impl* net;  // not owned
  zmq::socket_t socket;
  zmq::socket_t monitor;
  SocketOptions options;
  FaultInjector send_faults, receive_faults;
  LinkStats stats;
  uint64_t seq = 0;
  DelayQueue out_delayed, in_delayed;
  std::deque<Incoming> ready;
};

LinkEventKind HandshakeEventKind(uint16_t event) {
  return event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ? LinkEventKind::kRefused
                                                  : LinkEventKind::kHandshakeFailed;
}

bool IsHandshakeFailure(uint16_t event) {
  return event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH || event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ||
         event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL;
}

}  // namespace

// --- Listener

struct Listener::Impl : Port {
  Impl(Network::Impl& n, const SocketOptions& o) : Port(n, zmq::socket_type::router, o) {}

  std::string endpoint;
  // Which connection (file descriptor, ZMQ_SRCFD) each peer's frames came from, so that a closed
  // connection can be reported as kPeerGone.
  std::map<Bytes, int> peer_fd;
  std::map<int, Bytes> fd_peer;

  void Forget(int fd) {
    auto it = fd_peer.find(fd);
    if (it == fd_peer.end()) return;
    Push(LinkEventKind::kPeerGone, 0, "connection closed", PeerId{it->second});
    peer_fd.erase(it->second);
    fd_peer.erase(it);
  }

  void Track(int fd, const Bytes& routing_id) {
    auto known = peer_fd.find(routing_id);
    if (known != peer_fd.end() && known->second == fd) return;
    // A descriptor is reused only after its connection closed: whoever had it is gone.
    Forget(fd);
    if (known != peer_fd.end()) fd_peer.erase(known->second);
    peer_fd[routing_id] = fd;
    fd_peer[fd] = routing_id;
  }

  void OnMonitorEvent(uint16_t event, int32_t value, const std::string& address) override {
    if (event == ZMQ_EVENT_DISCONNECTED) {
      Forget(value);
    } else if (IsHandshakeFailure(event)) {
      Push(HandshakeEventKind(event), value, "handshake with a client failed on " + address);
    }
  }

  void ReadAvailable() override {
    for (int i = 0; i < kReadBurst; ++i) {
      bool too_many = false;
      auto parts = RecvParts(socket, 2, &too_many);
      if (!parts) return;
      if (too_many || parts->size() != 2) {
        ++stats.malformed_dropped;  // our peers send one frame per message
        continue;
      }
      zmq::message_t& payload = (*parts)[1];
      // The key ZAP admitted; without it (impossible with the domain enforced) nothing passes.
      const char* user_id = zmq_msg_gets(payload.handle(), "User-Id");
      Result<Bytes> key = user_id ? Unhex(user_id) : Result<Bytes>(Status::NotFound("no key"));
      if (!key.ok() || key->size() != kKeyBytes) {
        ++stats.malformed_dropped;
        continue;
      }
      int fd = zmq_msg_get(payload.handle(), ZMQ_SRCFD);
      // Events already queued (the close of the connection that had this descriptor before)
      // must be seen before this frame claims the descriptor.
      DrainMonitor();
      const auto* rid = (*parts)[0].data<uint8_t>();
      Bytes routing_id(rid, rid + (*parts)[0].size());
      if (fd >= 0) Track(fd, routing_id);
      const auto* p = payload.data<uint8_t>();
      Deliver(Frame{PeerId{std::move(routing_id)}, std::move(*key), Bytes(p, p + payload.size())});
    }
  }

  Status WriteOne(const PeerId& peer, ByteView payload) override {
    try {
      if (!socket.send(zmq::buffer(peer.routing_id.data(), peer.routing_id.size()),
                       zmq::send_flags::sndmore | zmq::send_flags::dontwait))
        return Status::Unavailable("the peer's send queue is full");
      (void)socket.send(zmq::buffer(payload.data(), payload.size()), zmq::send_flags::dontwait);
      return Status::Ok();
    } catch (const zmq::error_t& e) {
      if (e.num() == EHOSTUNREACH) return Status::Unavailable("the peer is gone");
      return FromZmq(e, "sending");
    }
  }
};

Listener::Listener(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Listener::Listener(Listener&&) noexcept = default;
Listener& Listener::operator=(Listener&&) noexcept = default;
Listener::~Listener() = default;

Result<Listener> Listener::Bind(Network& network, const CurveKeyPair& keys,
                                const std::string& endpoint, const SocketOptions& options) {
  if (!network.impl_->admit)
    return Status::Invalid("a network without admission (no ZAP handler) cannot listen");
  RETURN_IF_ERROR(CheckKey(keys.public_key, "the listener's public key"));
  RETURN_IF_ERROR(CheckKey(keys.secret_key, "the listener's secret key"));
  try {
    auto impl = std::make_unique<Impl>(*network.impl_, options);
    zmq::socket_t& s = impl->socket;
    SetCommonOptions(s, options);
    s.set(zmq::sockopt::router_mandatory, 1);
    s.set(zmq::sockopt::curve_server, 1);
    s.set(zmq::sockopt::curve_publickey, zmq::const_buffer(keys.public_key.data(), kKeyBytes));
    s.set(zmq::sockopt::curve_secretkey, zmq::const_buffer(keys.secret_key.data(), kKeyBytes));
    s.set(zmq::sockopt::zap_domain, kZapDomain);
    int enforce = 1;
    if (zmq_setsockopt(s.handle(), kZapEnforceDomainOption, &enforce, sizeof enforce) != 0)
      return Status::Internal(
          "this libzmq does not enforce ZAP domains (option 93): refusing to "
          "listen without client authentication");
    impl->StartMonitor();
    try {
      s.bind(endpoint);
    } catch (const zmq::error_t& e) {
      if (e.num() == EADDRINUSE || e.num() == EADDRNOTAVAIL)
        return Status::Unavailable("binding " + endpoint + ": " + e.what());
      return Status::Invalid("binding " + endpoint + ": " + e.what());
    }
    impl->endpoint = s.get(zmq::sockopt::last_endpoint);
    return Listener(std::move(impl));
  } catch (const zmq::error_t& e) {
    return FromZmq(e, "listening on " + endpoint);
  }
}

const std::string& Listener::endpoint() const { return impl_->endpoint; }
const LinkStats& Listener::stats() const { return impl_->stats; }

Result<std::optional<Incoming>> Listener::Receive(milliseconds timeout) {
  return impl_->Receive(timeout);
}

Status Listener::Send(const PeerId& peer, ByteView payload) {
  try {
    impl_->RunDue(Clock::now());
    return impl_->SendFrame(peer, payload);
  } catch (const zmq::error_t& e) {
    return FromZmq(e, "sending");
  }
}

// --- Dialer

struct Dialer::Impl : Port {
  Impl(Network::Impl& n, const SocketOptions& o)
      : Port(n, zmq::socket_type::dealer, o), backoff(o.redial) {}

  std::string endpoint;
  Bytes server_key;
  Backoff backoff;
  bool handshaken = false;  // CURVE done, waiting for ZeroMQ to attach the connection
  bool connected = false;   // kConnected reported
  bool attached = true;     // the socket is connected to the endpoint (not waiting to re-dial)
  std::optional<Clock::time_point> redial_at;

  void Detach() {
    if (attached) {
      try {
        socket.disconnect(endpoint);
      } catch (const zmq::error_t&) {
        // Not connected any more: nothing to undo.
      }
      attached = false;
    }
    handshaken = false;
    if (connected) {
      connected = false;
      Push(LinkEventKind::kDisconnected, 0, "re-dialling");
    }
    if (!redial_at) redial_at = Clock::now() + backoff.Next();
  }

  void OnMonitorEvent(uint16_t event, int32_t value, const std::string& address) override {
    if (!attached) return;  // events of the connection we dropped
    if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
      handshaken = true;
    } else if (event == ZMQ_EVENT_DISCONNECTED) {
      handshaken = false;
      if (connected) {
        connected = false;
        Push(LinkEventKind::kDisconnected, 0, "connection to " + address + " closed");
      }
    } else if (IsHandshakeFailure(event)) {
      Push(HandshakeEventKind(event), value, "handshake with " + address + " failed");
      // Trying again at once would fail again: back off, with jitter.
      Detach();
    }
  }

  // With ZMQ_IMMEDIATE the socket is writable only once the connection is attached: that, not
  // the handshake event, is when a session can start.
  bool WantWritable() const override { return handshaken && !connected; }
  void OnWritable() override {
    if (handshaken && !connected) {
      connected = true;
      backoff.Reset();
      Push(LinkEventKind::kConnected, 0, endpoint);
    }
  }

  std::optional<Clock::time_point> NextTimer() override { return redial_at; }
  void OnTimers(Clock::time_point now) override {
    if (redial_at && *redial_at <= now) {
      redial_at.reset();
      socket.connect(endpoint);
      attached = true;
    }
  }

  void ReadAvailable() override {
    for (int i = 0; i < kReadBurst; ++i) {
      bool too_many = false;
      auto parts = RecvParts(socket, 1, &too_many);
      if (!parts) return;
      if (too_many) {
        ++stats.malformed_dropped;
        continue;
      }
      const auto* p = (*parts)[0].data<uint8_t>();
      Deliver(Frame{PeerId{}, server_key, Bytes(p, p + (*parts)[0].size())});
    }
  }

  Status WriteOne(const PeerId&, ByteView payload) override {
    try {
      if (!socket.send(zmq::buffer(payload.data(), payload.size()), zmq::send_flags::dontwait))
        return Status::Unavailable(connected ? "the send queue is full" : "not connected");
      return Status::Ok();
    } catch (const zmq::error_t& e) {
      return FromZmq(e, "sending");
    }
  }
};

Dialer::Dialer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Dialer::Dialer(Dialer&&) noexcept = default;
Dialer& Dialer::operator=(Dialer&&) noexcept = default;
Dialer::~Dialer() = default;

Result<Dialer> Dialer::Dial(Network& network, const CurveKeyPair& keys, const Bytes& server_key,
                            const std::string& endpoint, const SocketOptions& options) {
  RETURN_IF_ERROR(CheckKey(keys.public_key, "the dialler's public key"));
  RETURN_IF_ERROR(CheckKey(keys.secret_key, "the dialler's secret key"));
  RETURN_IF_ERROR(CheckKey(server_key, "the server key"));
  try {
    auto impl = std::make_unique<Impl>(*network.impl_, options);
    impl->endpoint = endpoint;
    impl->server_key = server_key;
    zmq::socket_t& s = impl->socket;
    SetCommonOptions(s, options);
    s.set(zmq::sockopt::immediate, 1);
    s.set(zmq::sockopt::reconnect_ivl, ClampMs(options.reconnect_interval));
    s.set(zmq::sockopt::reconnect_ivl_max, ClampMs(options.reconnect_interval_max));
    s.set(zmq::sockopt::curve_serverkey, zmq::const_buffer(server_key.data(), kKeyBytes));
    s.set(zmq::sockopt::curve_publickey, zmq::const_buffer(keys.public_key.data(), kKeyBytes));
    s.set(zmq::sockopt::curve_secretkey, zmq::const_buffer(keys.secret_key.data(), kKeyBytes));
    impl->StartMonitor();
    try {
      s.connect(endpoint);
    } catch (const zmq::error_t& e) {
      return Status::Invalid("dialling " + endpoint + ": " + e.what());
    }
    return Dialer(std::move(impl));
  } catch (const zmq::error_t& e) {
    return FromZmq(e, "dialling " + endpoint);
  }
}

Result<std::optional<Incoming>> Dialer::Receive(milliseconds timeout) {
  return impl_->Receive(timeout);
}

Status Dialer::Send(ByteView payload) {
  try {
    impl_->RunDue(Clock::now());
    return impl_->SendFrame(PeerId{}, payload);
  } catch (const zmq::error_t& e) {
    return FromZmq(e, "sending");
  }
}

Status Dialer::Redial() {
  try {
    impl_->Detach();
    return Status::Ok();
  } catch (const zmq::error_t& e) {
    return FromZmq(e, "re-dialling");
  }
}

bool Dialer::connected() const { return impl_->connected; }
const std::string& Dialer::endpoint() const { return impl_->endpoint; }
const LinkStats& Dialer::stats() const { return impl_->stats; }

}  // namespace shequ::transport
