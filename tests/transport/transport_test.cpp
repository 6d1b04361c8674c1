// The transport over real ZeroMQ CURVE on loopback TCP, with real node keys from a throw-away
// city: enrolled nodes talk; another city's node, a revoked node, a client without CURVE, a
// client with the wrong server key, oversized, garbage, replayed and forged traffic are refused,
// and the honest nodes keep working. Waits are polls with generous limits, never bare sleeps.
#include "replication/transport/transport.h"

#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "node/trust/certificate.h"
#include "replication/wire/codec.h"
#include "tests/support/testbed.h"
#include "tests/transport/tcp_relay.h"

namespace shequ::transport {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// --- the cast: nodes of our city (one of them revoked) and one node of another city

struct Cast {
  Cast() {
    city.AddNode("hub", trust::NodeKind::kHub, {"1503"});
    city.AddNode("village", trust::NodeKind::kCommunity, {"150302001002"});
    city.AddNode("neighbour", trust::NodeKind::kCommunity, {"150302001003"});
    city.AddNode("revoked", trust::NodeKind::kTerminal, {"150302001002"});
    other_city.AddNode("stranger", trust::NodeKind::kHub, {"1503"});
    hub = city.Open("hub");
    village = city.Open("village");
    neighbour = city.Open("neighbour");
    revoked = city.Open("revoked");
    stranger = other_city.Open("stranger");
    // What the trust store does: enrol every certificate that verifies against our root.
    for (service::Node* n :
         {hub.get(), village.get(), neighbour.get(), revoked.get(), stranger.get()}) {
      if (trust::VerifyCertificate(n->cert(), hub->trust().root()).ok())
        admission.Enrol(n->cert().curve_key, n->cert().node_id);
    }
    admission.Revoke(revoked->cert().node_id);
  }

  testing::Testbed city, other_city;
  std::unique_ptr<service::Node> hub, village, neighbour, revoked, stranger;
  KeyAdmission admission;
};

Cast& C() {
  static Cast cast;
  return cast;
}

CurveKeyPair Keys(const service::Node& n) { return {n.cert().curve_key, n.curve_secret()}; }

// Fast heartbeats are off by default here: no traffic but ours in the relays.
SocketOptions TestOptions() {
  SocketOptions o;
  o.linger = 0ms;
  o.redial.initial = 50ms;
  o.redial.max = 1000ms;
  return o;
}

const Frame* AsFrame(const Incoming& in) { return std::get_if<Frame>(&in); }
const LinkEvent* AsEvent(const Incoming& in) { return std::get_if<LinkEvent>(&in); }
bool IsEvent(const Incoming& in, LinkEventKind k) {
  const LinkEvent* e = AsEvent(in);
  return e && e->kind == k;
}

// Receives until `match` accepts something or `limit` passes; everything else goes to *others.
template <typename Port>
std::optional<Incoming> WaitFor(Port& port, const std::function<bool(const Incoming&)>& match,
                                milliseconds limit = 10s, std::vector<Incoming>* others = nullptr) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    auto in = port.Receive(50ms);
    REQUIRE_MESSAGE(in.ok(), in.status().ToString());
    if (!in->has_value()) continue;
    if (match(**in)) return std::move(**in);
    if (others) others->push_back(std::move(**in));
  }
  return std::nullopt;
}

template <typename Port>
std::optional<Incoming> WaitEvent(Port& port, LinkEventKind kind, milliseconds limit = 10s,
                                  std::vector<Incoming>* others = nullptr) {
  return WaitFor(
      port, [kind](const Incoming& in) { return IsEvent(in, kind); }, limit, others);
}

// The next frame (events are skipped into *others).
template <typename Port>
std::optional<Frame> NextFrame(Port& port, milliseconds limit = 10s,
                               std::vector<Incoming>* others = nullptr) {
  auto in = WaitFor(
      port, [](const Incoming& i) { return AsFrame(i) != nullptr; }, limit, others);
  if (!in) return std::nullopt;
  return std::get<Frame>(std::move(*in));
}

Bytes Encode(wire::Body body, uint8_t session = 1) {
  wire::SessionId s{};
  s.fill(session);
  auto f = wire::Encode(wire::Message{s, std::move(body)});
  REQUIRE(f.ok());
  return *f;
}

wire::Message DecodeOk(const Frame& f) {
  auto m = wire::Decode(f.payload);
  REQUIRE_MESSAGE(m.ok(), m.status().ToString());
  return *m;
}

struct Server {
  Server() {
    auto n = Network::Create(C().admission.AsAdmitFn());
    REQUIRE_MESSAGE(n.ok(), n.status().ToString());
    network = std::move(*n);
    auto l = Listener::Bind(*network, Keys(*C().hub), "tcp://127.0.0.1:*", TestOptions());
    REQUIRE_MESSAGE(l.ok(), l.status().ToString());
    listener = std::make_unique<Listener>(std::move(*l));
  }
  std::unique_ptr<Network> network;
  std::unique_ptr<Listener> listener;
};

struct Client {
  explicit Client(const service::Node& node, const std::string& endpoint,
                  SocketOptions options = TestOptions(), const Bytes* server_key = nullptr) {
    auto n = Network::Create(nullptr);
    REQUIRE(n.ok());
    network = std::move(*n);
    auto d = Dialer::Dial(*network, Keys(node),
                          server_key ? *server_key : C().hub->cert().curve_key, endpoint, options);
    REQUIRE_MESSAGE(d.ok(), d.status().ToString());
    dialer = std::make_unique<Dialer>(std::move(*d));
  }
  ~Client() { dialer.reset(); }
  void Connect() { REQUIRE(WaitEvent(*dialer, LinkEventKind::kConnected)); }

  std::unique_ptr<Network> network;
  std::unique_ptr<Dialer> dialer;
};

// The server answers every frame: Pong to Ping, Error(bad_message) to what does not decode.
// Returns the frame it answered.
Frame ServeOne(Server& s) {
  auto f = NextFrame(*s.listener);
  REQUIRE(f);
  auto m = wire::Decode(f->payload);
  wire::Body reply = wire::Error{wire::ErrorCode::kBadMessage, "undecodable frame"};
  if (m.ok()) {
    if (auto* ping = std::get_if<wire::Ping>(&m->body)) reply = wire::Pong{ping->token};
  }
  REQUIRE(s.listener->Send(f->peer, Encode(reply)).ok());
  return *f;
}

// A Ping round trip from the client, served by the server: the link works.
void ExpectPingPong(Server& s, Client& c, uint64_t token) {
  REQUIRE(c.dialer->Send(Encode(wire::Ping{token})).ok());
  Frame served = ServeOne(s);
  auto reply = NextFrame(*c.dialer);
  REQUIRE(reply);
  CHECK(served.peer_key == Keys(*C().village).public_key);
  auto m = DecodeOk(*reply);
  REQUIRE(std::holds_alternative<wire::Pong>(m.body));
  CHECK(std::get<wire::Pong>(m.body).token == token);
}

// A raw ZeroMQ socket's monitor, for clients that are not our Dialer.
struct RawMonitor {
  RawMonitor(zmq::context_t& ctx, zmq::socket_t& s, const std::string& name) {
    REQUIRE(zmq_socket_monitor(s.handle(), name.c_str(), ZMQ_EVENT_ALL) == 0);
    pair = zmq::socket_t(ctx, zmq::socket_type::pair);
    pair.set(zmq::sockopt::rcvtimeo, 200);
    pair.connect(name);
  }
  // Waits for an event in `mask`; returns it, or 0 after `limit`.
  uint16_t Wait(int mask, milliseconds limit = 10s) {
    const auto deadline = Clock::now() + limit;
    while (Clock::now() < deadline) {
      zmq::message_t head, address;
      if (!pair.recv(head)) continue;
      if (head.more()) (void)pair.recv(address);
      uint16_t event;
      std::memcpy(&event, head.data(), 2);
      if (event & mask) return event;
    }
    return 0;
  }
  zmq::socket_t pair;
};

TEST_CASE("an enrolled node connects and exchanges messages both ways over CURVE") {
  Server s;
  Client c(*C().village, s.listener->endpoint());
  c.Connect();
  CHECK(c.dialer->connected());

  wire::Hello hello{
      wire::kVersion, C().village->cert().Encode().value(), {"150302001002"}, 7, true};
  REQUIRE(c.dialer->Send(Encode(hello)).ok());
  auto f = NextFrame(*s.listener);
  REQUIRE(f);
  // The server knows who is on the other end: the key ZAP admitted, not what the peer claims.
  CHECK(f->peer_key == C().village->cert().curve_key);
  auto m = DecodeOk(*f);
  REQUIRE(std::holds_alternative<wire::Hello>(m.body));
  CHECK(std::get<wire::Hello>(m.body) == hello);

  wire::Accept accept{wire::kVersion, C().hub->cert().Encode().value(), {"150302001002"}, 8, true};
  REQUIRE(s.listener->Send(f->peer, Encode(accept)).ok());
  auto r = NextFrame(*c.dialer);
  REQUIRE(r);
  CHECK(r->peer_key == C().hub->cert().curve_key);
  CHECK(std::get<wire::Accept>(DecodeOk(*r).body) == accept);

  ExpectPingPong(s, c, 42);
  CHECK(s.network->zap_stats().admitted >= 1);
  CHECK(s.listener->stats().received == 2);
  CHECK(c.dialer->stats().sent == 2);
}

TEST_CASE("a node enrolled by another city's root is refused by ZAP") {
  Server s;
  Client stranger(*C().stranger, s.listener->endpoint());
  auto refused = WaitEvent(*stranger.dialer, LinkEventKind::kRefused);
  REQUIRE(refused);
  CHECK(AsEvent(*refused)->code == 400);
  CHECK_FALSE(stranger.dialer->connected());
  CHECK(stranger.dialer->Send(Encode(wire::Ping{1})).code() == Code::kUnavailable);
  CHECK(s.network->zap_stats().refused >= 1);

  Client village(*C().village, s.listener->endpoint());
  village.Connect();
  ExpectPingPong(s, village, 1);
  CHECK(s.listener->stats().received == 1);  // nothing ever came from the stranger
}

TEST_CASE("a revoked node is refused") {
  Server s;
  Client revoked(*C().revoked, s.listener->endpoint());
  REQUIRE(WaitEvent(*revoked.dialer, LinkEventKind::kRefused));
  Client village(*C().village, s.listener->endpoint());
  village.Connect();
  ExpectPingPong(s, village, 2);
  CHECK(s.listener->stats().received == 1);
}

TEST_CASE("a client without CURVE, or with the wrong server key, cannot talk to the server") {
  Server s;
  {
    zmq::context_t ctx;
    zmq::socket_t plain(ctx, zmq::socket_type::dealer);
    plain.set(zmq::sockopt::linger, 0);
    RawMonitor mon(ctx, plain, "inproc://plain-monitor");
    plain.connect(s.listener->endpoint());
    (void)plain.send(zmq::str_buffer("hello without curve"), zmq::send_flags::dontwait);
    CHECK(mon.Wait(ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                   ZMQ_EVENT_DISCONNECTED) != 0);
    zmq_socket_monitor(plain.handle(), nullptr, 0);
  }
  // A man in the middle: the client expects another server key.
  Bytes wrong = C().neighbour->cert().curve_key;
  Client fooled(*C().village, s.listener->endpoint(), TestOptions(), &wrong);
  REQUIRE(WaitEvent(*fooled.dialer, LinkEventKind::kHandshakeFailed));
  CHECK_FALSE(fooled.dialer->connected());

  Client village(*C().village, s.listener->endpoint());
  village.Connect();
  ExpectPingPong(s, village, 3);
  CHECK(s.listener->stats().received == 1);
}

TEST_CASE("oversized frames are refused, and the server keeps serving the others") {
  Server s;
  Client village(*C().village, s.listener->endpoint());
  village.Connect();

  // Our own sockets refuse to send a frame over the limit.
  Bytes big(wire::kMaxFrameBytes + 1, 0x55);
  CHECK(village.dialer->Send(big).code() == Code::kResourceExhausted);
  // A frame of exactly the limit passes (CURVE's overhead is allowed for in ZMQ_MAXMSGSIZE).
  Bytes limit(wire::kMaxFrameBytes, 0x66);
  REQUIRE(village.dialer->Send(limit).ok());
  auto f = NextFrame(*s.listener);
  REQUIRE(f);
  CHECK(f->payload.size() == wire::kMaxFrameBytes);
  CHECK(s.listener->Send(f->peer, big).code() == Code::kResourceExhausted);

  // An enrolled peer that sends 3 MiB anyway loses its connection at ZMQ_MAXMSGSIZE.
  {
    zmq::context_t ctx;
    zmq::socket_t raw(ctx, zmq::socket_type::dealer);
    raw.set(zmq::sockopt::linger, 0);
    raw.set(zmq::sockopt::curve_serverkey, zmq::buffer(C().hub->cert().curve_key));
    raw.set(zmq::sockopt::curve_publickey, zmq::buffer(C().neighbour->cert().curve_key));
    raw.set(zmq::sockopt::curve_secretkey, zmq::buffer(C().neighbour->curve_secret()));
    RawMonitor mon(ctx, raw, "inproc://oversize-monitor");
    raw.connect(s.listener->endpoint());
    REQUIRE(mon.Wait(ZMQ_EVENT_HANDSHAKE_SUCCEEDED) != 0);
    Bytes huge(3u << 20, 0x77);
    REQUIRE(raw.send(zmq::buffer(huge), zmq::send_flags::none));
    CHECK(mon.Wait(ZMQ_EVENT_DISCONNECTED) == ZMQ_EVENT_DISCONNECTED);
    zmq_socket_monitor(raw.handle(), nullptr, 0);
  }
  ExpectPingPong(s, village, 4);
  CHECK(s.listener->stats().received == 2);  // the frame at the limit and the ping
}

TEST_CASE("garbage gets a codec error, and the connection and the others keep working") {
  Server s;
  Client village(*C().village, s.listener->endpoint());
  village.Connect();
  Client neighbour(*C().neighbour, s.listener->endpoint());
  neighbour.Connect();

  Bytes garbage;
  for (int i = 0; i < 1000; ++i) garbage.push_back(static_cast<uint8_t>(i * 37 + 11));
  REQUIRE(village.dialer->Send(garbage).ok());
  Frame served = ServeOne(s);
  CHECK(wire::Decode(served.payload).status().code() == Code::kCorruption);
  auto err = NextFrame(*village.dialer);
  REQUIRE(err);
  auto m = DecodeOk(*err);
  REQUIRE(std::holds_alternative<wire::Error>(m.body));
  CHECK(std::get<wire::Error>(m.body).code == wire::ErrorCode::kBadMessage);

  // A multipart message is not ours either: dropped by the transport.
  {
    zmq::context_t ctx;
    zmq::socket_t raw(ctx, zmq::socket_type::dealer);
    raw.set(zmq::sockopt::linger, 0);
    raw.set(zmq::sockopt::curve_serverkey, zmq::buffer(C().hub->cert().curve_key));
    raw.set(zmq::sockopt::curve_publickey, zmq::buffer(C().neighbour->cert().curve_key));
    raw.set(zmq::sockopt::curve_secretkey, zmq::buffer(C().neighbour->curve_secret()));
    RawMonitor mon(ctx, raw, "inproc://multipart-monitor");
    raw.connect(s.listener->endpoint());
    REQUIRE(mon.Wait(ZMQ_EVENT_HANDSHAKE_SUCCEEDED) != 0);
    REQUIRE(raw.send(zmq::str_buffer("part one"), zmq::send_flags::sndmore));
    REQUIRE(raw.send(zmq::str_buffer("part two"), zmq::send_flags::none));
    REQUIRE(raw.send(zmq::str_buffer("single"), zmq::send_flags::none));
    auto single = NextFrame(*s.listener);
    REQUIRE(single);
    CHECK(std::string(single->payload.begin(), single->payload.end()) == "single");
    CHECK(s.listener->stats().malformed_dropped == 1);
    zmq_socket_monitor(raw.handle(), nullptr, 0);
  }

  ExpectPingPong(s, village, 5);
  REQUIRE(neighbour.dialer->Send(Encode(wire::Ping{6})).ok());
  Frame from_neighbour = ServeOne(s);
  CHECK(from_neighbour.peer_key == C().neighbour->cert().curve_key);
  auto pong = NextFrame(*neighbour.dialer);
  REQUIRE(pong);
  CHECK(std::get<wire::Pong>(DecodeOk(*pong).body).token == 6);
}

TEST_CASE("a peer presenting another node's certificate is identified by its CURVE key") {
  Server s;
  Client village(*C().village, s.listener->endpoint());
  village.Connect();
  // The village claims to be the neighbour.
  wire::Hello forged{
      wire::kVersion, C().neighbour->cert().Encode().value(), {"150302001003"}, 1, false};
  REQUIRE(village.dialer->Send(Encode(forged)).ok());
  auto f = NextFrame(*s.listener);
  REQUIRE(f);
  auto hello = std::get<wire::Hello>(DecodeOk(*f).body);
  auto claimed = trust::DecodeCertificate(hello.certificate);
  REQUIRE(claimed.ok());
  // What a session checks: the certificate's CURVE key must be the key the connection proved.
  CHECK(claimed->curve_key != f->peer_key);
  CHECK(f->peer_key == C().village->cert().curve_key);
}

TEST_CASE("replayed CURVE traffic is refused") {
  Server s;
  testing::TcpRelay relay(testing::PortOf(s.listener->endpoint()));
  Client village(*C().village, relay.endpoint());
  village.Connect();
  Bytes original = Encode(wire::Push{{Bytes{1, 2, 3}}}, 9);
  REQUIRE(village.dialer->Send(original).ok());
  auto f = NextFrame(*s.listener);
  REQUIRE(f);
  REQUIRE(f->payload == original);
  std::vector<uint8_t> recorded = relay.Recorded(0);
  REQUIRE(recorded.size() > 200);  // greeting, HELLO, INITIATE, MESSAGE
  uint64_t admitted = s.network->zap_stats().admitted;

  // Replay the whole client side of that connection on a new connection.
  int fd = testing::ConnectLoopback(testing::PortOf(s.listener->endpoint()));
  REQUIRE(fd >= 0);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  REQUIRE(testing::WriteAll(fd, recorded.data(), recorded.size()));
  // The server answers the greeting and HELLO, then closes the connection: the INITIATE carries
  // a cookie from another connection.
  uint8_t buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) {
  }
  CHECK(n == 0);  // closed by the server, not a timeout
  ::close(fd);
  std::vector<Incoming> others;

  // Nothing from the replay reached the server; the honest link still works.
  REQUIRE(village.dialer->Send(Encode(wire::Ping{10})).ok());
  auto next = NextFrame(*s.listener, 10s, &others);
  REQUIRE(next);
  CHECK(std::holds_alternative<wire::Ping>(DecodeOk(*next).body));
  for (const Incoming& in : others) CHECK(AsFrame(in) == nullptr);
  CHECK(s.network->zap_stats().admitted == admitted);
}

TEST_CASE("a forged (corrupted) frame kills only its connection, which comes back") {
  Server s;
  testing::TcpRelay relay(testing::PortOf(s.listener->endpoint()));
  Client village(*C().village, relay.endpoint());
  village.Connect();
  relay.CorruptNextClientChunk();
  REQUIRE(village.dialer->Send(Encode(wire::Ping{11})).ok());
  REQUIRE(WaitEvent(*village.dialer, LinkEventKind::kDisconnected));
  // ZeroMQ reconnects through the relay; the new session works.
  REQUIRE(WaitEvent(*village.dialer, LinkEventKind::kConnected));
  REQUIRE(village.dialer->Send(Encode(wire::Ping{12})).ok());
  auto f = NextFrame(*s.listener);
  REQUIRE(f);
  CHECK(std::get<wire::Ping>(DecodeOk(*f).body).token == 12);  // 11 never arrived
}

TEST_CASE("heartbeats detect a dead peer on both sides") {
  SocketOptions fast = TestOptions();
  fast.heartbeat_interval = 100ms;
  fast.heartbeat_timeout = 500ms;
  fast.heartbeat_ttl = 1000ms;
  auto n = Network::Create(C().admission.AsAdmitFn());
  REQUIRE(n.ok());
  auto l = Listener::Bind(**n, Keys(*C().hub), "tcp://127.0.0.1:*", fast);
  REQUIRE(l.ok());
  {
    testing::TcpRelay relay(testing::PortOf(l->endpoint()));
    Client village(*C().village, relay.endpoint(), fast);
    village.Connect();
    REQUIRE(village.dialer->Send(Encode(wire::Ping{1})).ok());
    auto f = NextFrame(*l);
    REQUIRE(f);

    relay.FreezeExisting();  // the village's machine dies without closing anything
    const auto frozen_at = Clock::now();
    REQUIRE(WaitEvent(*village.dialer, LinkEventKind::kDisconnected));
    auto gone = WaitEvent(*l, LinkEventKind::kPeerGone);
    REQUIRE(gone);
    CHECK(AsEvent(*gone)->peer == f->peer);
    CHECK(Clock::now() - frozen_at >= 400ms);  // not before the heartbeat timeout
    // ROUTER_MANDATORY: frames for the gone peer are refused (once the socket has seen it go).
    bool refused = false;
    for (auto until = Clock::now() + 10s; !refused && Clock::now() < until;) {
      refused = l->Send(f->peer, Encode(wire::Ping{2})).code() == Code::kUnavailable;
      if (!refused) (void)l->Receive(20ms);
    }
    CHECK(refused);

    // The link comes back by itself (a new connection through the relay).
    REQUIRE(WaitEvent(*village.dialer, LinkEventKind::kConnected));
    REQUIRE(village.dialer->Send(Encode(wire::Ping{3})).ok());
    auto again = NextFrame(*l);
    REQUIRE(again);
    CHECK_FALSE(again->peer == f->peer);  // a new connection, a new routing id
    CHECK(again->peer_key == f->peer_key);
  }
}

TEST_CASE("fault injection drops, duplicates and delays frames as configured, replayably") {
  Server s;
  SocketOptions lossy = TestOptions();
  lossy.send_faults.drop = 0.25;
  lossy.send_faults.seed = 42;
  Client village(*C().village, s.listener->endpoint(), lossy);
  village.Connect();
  const int kFrames = 200;
  for (int i = 0; i < kFrames; ++i)
    REQUIRE(village.dialer->Send(Encode(wire::Ping{uint64_t(i)})).ok());
  // The same seed decides the same way: we know exactly which frames were lost.
  FaultInjector replay(lossy.send_faults);
  std::vector<uint64_t> expected;
  for (int i = 0; i < kFrames; ++i)
    if (replay.Next().copies > 0) expected.push_back(uint64_t(i));
  CHECK(village.dialer->stats().faults_dropped == kFrames - expected.size());
  CHECK(expected.size() > 120);
  CHECK(expected.size() < 180);
  std::vector<uint64_t> got;
  while (got.size() < expected.size()) {
    auto f = NextFrame(*s.listener);
    REQUIRE(f);
    got.push_back(std::get<wire::Ping>(DecodeOk(*f).body).token);
  }
  CHECK(got == expected);

  // Duplicates and delays on the receiving side of the server.
  {
    SocketOptions slow = TestOptions();
    slow.receive_faults.duplicate = 1.0;
    slow.receive_faults.delay = 150ms;
    auto l = Listener::Bind(*s.network, Keys(*C().hub), "tcp://127.0.0.1:*", slow);
    REQUIRE(l.ok());
    Client neighbour(*C().neighbour, l->endpoint());
    neighbour.Connect();
    const auto sent_at = Clock::now();
    REQUIRE(neighbour.dialer->Send(Encode(wire::Ping{77})).ok());
    auto first = NextFrame(*l);
    auto second = NextFrame(*l);
    REQUIRE(first);
    REQUIRE(second);
    CHECK(Clock::now() - sent_at >= 150ms);
    CHECK(first->payload == second->payload);
    CHECK(l->stats().faults_duplicated == 1);
    CHECK(l->stats().faults_delayed == 2);
  }
}

TEST_CASE("a refused dialer backs off with jitter instead of hammering the server") {
  Server s;
  SocketOptions o = TestOptions();
  o.reconnect_interval = 10ms;  // what ZeroMQ alone would do: retry every 10 ms
  o.redial.initial = 600ms;
  o.redial.max = 5000ms;
  Client stranger(*C().stranger, s.listener->endpoint(), o);
  REQUIRE(WaitEvent(*stranger.dialer, LinkEventKind::kRefused));
  const auto first = Clock::now();
  REQUIRE(WaitEvent(*stranger.dialer, LinkEventKind::kRefused));
  const auto gap = Clock::now() - first;
  CHECK(gap >= 300ms);                         // at least half the initial back-off
  CHECK(s.network->zap_stats().refused < 10);  // ZeroMQ alone would have tried ~100 times
}

TEST_CASE("sending without a connection, to a gone peer, and listening without admission") {
  auto n = Network::Create(nullptr);
  REQUIRE(n.ok());
  auto l = Listener::Bind(**n, Keys(*C().hub), "tcp://127.0.0.1:*");
  CHECK(l.status().code() == Code::kInvalidArgument);
  {
    // Nothing listens on port 1.
    auto d = Dialer::Dial(**n, Keys(*C().village), C().hub->cert().curve_key, "tcp://127.0.0.1:1",
                          TestOptions());
    REQUIRE(d.ok());
    CHECK(d->Send(Encode(wire::Ping{1})).code() == Code::kUnavailable);
    auto in = d->Receive(0ms);
    REQUIRE(in.ok());
    CHECK(d->Send(Bytes(wire::kMaxFrameBytes + 1)).code() == Code::kResourceExhausted);
    auto bad = Dialer::Dial(**n, Keys(*C().village), Bytes(31), "tcp://127.0.0.1:1");
    CHECK(bad.status().code() == Code::kInvalidArgument);
    auto bad_endpoint =
        Dialer::Dial(**n, Keys(*C().village), C().hub->cert().curve_key, "nonsense://x");
    CHECK(bad_endpoint.status().code() == Code::kInvalidArgument);
  }
  Server s;
  CHECK(s.listener->Send(PeerId{Bytes{0, 1, 2, 3, 4}}, Encode(wire::Ping{1})).code() ==
        Code::kUnavailable);
  auto taken = Listener::Bind(*s.network, Keys(*C().hub), s.listener->endpoint());
  CHECK(taken.status().code() == Code::kUnavailable);
}

}  // namespace
}  // namespace shequ::transport
