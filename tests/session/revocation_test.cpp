// Revocation over the real network (issue 4, "Trust operations"): daemons with real ZeroMQ
// CURVE sockets, real LMDB replicas and real signatures, under either suite
// (SHEQU_TEST_SUITE=sm2). A revocation the office takes spreads to the hub with the trust set;
// from then on the hub refuses the revoked terminal's later changes (removing those it stored),
// keeps its earlier ones, closes the terminal's open session and its ZAP handler refuses the
// terminal's key.
#include <doctest/doctest.h>

#include <chrono>
#include <set>
#include <thread>

#include "node/base/text.h"
#include "node/base/time.h"
#include "node/service/bundle.h"
#include "node/service/revoke.h"
#include "node/service/verify.h"
#include "replication/session/daemon.h"
#include "replication/transport/transport.h"
#include "tests/support/daemons.h"
#include "tests/support/testbed.h"

using namespace shequ;
using namespace shequ::testing;
using namespace std::chrono_literals;
using trust::NodeKind;

namespace {

constexpr char kHeping[] = "150302001002";

// `shequ sync`: one session with the peer, until it synced or failed.
session::PeerReport SyncOnce(service::Node& n, const session::Contact& peer) {
  session::DaemonOptions o;
  o.peers = {peer};
  o.once = true;
  o.session_timeout = std::chrono::seconds(20);
  session::Daemon d(n, o);
  std::atomic<bool> stop{false};
  Status st = d.Run(stop);
  REQUIRE_MESSAGE(st.ok(), st.ToString());
  REQUIRE(d.reports().size() == 1);
  return d.reports()[0];
}

Id32 Edit(service::Node& n, const crdt::EntityRef& e, const std::string& field,
          const std::string& value) {
  Id32 id{};
  Status st = n.store().Write([&](store::Txn& txn) -> Status {
    ASSIGN_OR_RETURN(id, n.Commit(txn, e, {{field, value}}, {}));
    return Status::Ok();
  });
  REQUIRE_MESSAGE(st.ok(), st.ToString());
  return id;
}

bool Has(service::Node& n, const Id32& id) {
  auto r = n.store().BeginRead();
  REQUIRE(r.ok());
  return r->txn().Get(n.store().dbi(store::Db::kChanges), id)->has_value();
}

uint64_t HlcOf(service::Node& n, const Id32& id) {
  auto r = n.store().BeginRead();
  auto c = n.replica().LoadChange(*r, id);
  REQUIRE(c.ok());
  REQUIRE(c->has_value());
  return (*c)->body.hlc;
}

std::string Digest(service::Node& n) {
  auto r = n.store().BeginRead();
  return Hex(*n.replica().StateDigest(*r, kHeping));
}

struct City {
  Testbed bed;
  std::unique_ptr<service::Node> hub, office, terminal, heping;
  City() {
    bed.AddNode("hub", NodeKind::kHub, {"1503"});
    bed.AddNode("office", NodeKind::kOffice, {"1503"});
    bed.AddNode("t-heping", NodeKind::kTerminal, {kHeping});
    bed.AddNode("heping", NodeKind::kCommunity, {kHeping});
    hub = bed.Open("hub");
    office = bed.Open("office");
    terminal = bed.Open("t-heping");
    heping = bed.Open("heping");
    for (service::Node* a : {hub.get(), office.get(), terminal.get(), heping.get()})
      for (service::Node* b : {hub.get(), office.get(), terminal.get(), heping.get()})
        if (a != b) Introduce(*a, *b);
  }
  Bytes Revoke(service::Node& n, uint64_t at_ms, const std::string& reason) {
    service::RevokeOptions o;
    o.node = n.cert().node_id;
    o.reason = reason;
    o.at_ms = at_ms;
    auto rev = service::IssueRevocation(bed.city_dir(), o);
    REQUIRE_MESSAGE(rev.ok(), rev.status().ToString());
    return rev->Encode().value();
  }
};

}  // namespace

TEST_CASE(
    "a revocation spreads from the office through the hub: later changes removed and refused, "
    "earlier ones kept, the open session closed, the key refused") {
  City c;
  crdt::EntityRef person{kHeping, model::EntityKind::kPerson, c.terminal->NewEntityId()};
  Id32 e1 = Edit(*c.terminal, person, "marital", "10");

  DaemonThread hub(*c.hub, {}, /*listen=*/true);
  auto r1 = SyncOnce(*c.terminal, hub.contact());
  REQUIRE_MESSAGE(r1.synced, r1.error.ToString());
  CHECK(Has(*c.hub, e1));

  // The terminal is reported lost from now on; it goes on editing, and its live session
  // carries the later edit to the hub before anyone knows.
  std::this_thread::sleep_for(5ms);
  uint64_t at_ms = NowMillis();
  std::this_thread::sleep_for(5ms);
  Id32 e2 = Edit(*c.terminal, person, "marital", "20");
  REQUIRE(HlcOf(*c.terminal, e1) < crdt::MakeHlc(at_ms, 0));
  REQUIRE(HlcOf(*c.terminal, e2) >= crdt::MakeHlc(at_ms, 0));
  session::DaemonOptions live;
  live.peers = {hub.contact()};
  auto terminal_daemon = std::make_unique<DaemonThread>(*c.terminal, live, /*listen=*/false);
  REQUIRE_MESSAGE(WaitUntil([&] { return Has(*c.hub, e2); }), terminal_daemon->Log());

  // The office takes the revocation and syncs with the hub: the trust set carries it.
  Bytes rev = c.Revoke(*c.terminal, at_ms, "终端丢失（派出所报案）");
  auto taken = service::ImportRevocation(*c.office, rev);
  REQUIRE_MESSAGE(taken.ok(), taken.status().ToString());
  CHECK(taken->fresh);
  auto r2 = SyncOnce(*c.office, hub.contact());
  REQUIRE_MESSAGE(r2.synced, r2.error.ToString());
  CHECK(r2.stats.revocations_sent == 1);

  // The hub removed the later change and closed the terminal's session; the earlier one stays.
  CHECK_MESSAGE(WaitUntil([&] { return !Has(*c.hub, e2); }), hub.Log());
  CHECK(Has(*c.hub, e1));
  CHECK_MESSAGE(WaitUntil([&] { return hub.Logged("closing the session with t-heping"); }),
                hub.Log());
  CHECK_MESSAGE(WaitUntil([&] { return terminal_daemon->Logged("revoked"); }),
                terminal_daemon->Log());
  CHECK(terminal_daemon->Logged("终端丢失"));
  REQUIRE(terminal_daemon->Stop().ok());
  terminal_daemon.reset();

  // A new connection of the terminal is refused by the hub's ZAP handler.
  Id32 e3 = Edit(*c.terminal, person, "marital", "30");
  auto r3 = SyncOnce(*c.terminal, hub.contact());
  CHECK_FALSE(r3.synced);
  CHECK(r3.error.code() == Code::kPermissionDenied);
  CHECK(r3.error.message().find("refused") != std::string::npos);

  // The community office syncs with the hub: it receives the revocation and the earlier change.
  auto r4 = SyncOnce(*c.heping, hub.contact());
  REQUIRE_MESSAGE(r4.synced, r4.error.ToString());
  CHECK(r4.stats.revocations_received == 1);
  CHECK(Has(*c.heping, e1));
  CHECK_FALSE(Has(*c.heping, e2));
  // The terminal's changes on a USB stick: the earlier ones are already there, the later ones
  // (the edits and the terminal's usage reports written after the revocation) are rejected with
  // the reason.
  auto ex = service::ExportBundle(*c.terminal, c.bed.dir("t.bundle"), "");
  REQUIRE_MESSAGE(ex.ok(), ex.status().ToString());
  auto imported = service::ImportBundle(*c.heping, c.bed.dir("t.bundle"));
  REQUIRE_MESSAGE(imported.ok(), imported.status().ToString());
  const service::ImportStats& im = *imported;
  CHECK(im.applied == 0);
  CHECK(im.duplicates >= 1);
  REQUIRE(im.rejected >= 2);
  std::set<Id32> rejected;
  for (const crdt::Rejection& why : im.rejections) {
    CHECK(why.code == "revoked");
    CHECK(why.reason.find("终端丢失") != std::string::npos);
    rejected.insert(why.id);
  }
  CHECK(rejected.count(e2));
  CHECK(rejected.count(e3));
  CHECK(Digest(*c.heping) == Digest(*c.hub));

  REQUIRE(hub.Stop().ok());
  for (service::Node* n : {c.hub.get(), c.heping.get()}) {
    auto report = service::Verify(*n);
    REQUIRE(report.ok());
    CHECK_MESSAGE(report->ok(), Join(report->differences, "; "));
  }
}

TEST_CASE("the ZAP handler refuses a revoked node's key from the moment the revocation is known") {
  City c;
  auto network = transport::Network::Create(session::TrustAdmission(c.hub->trust()));
  REQUIRE_MESSAGE(network.ok(), network.status().ToString());
  transport::SocketOptions so;
  so.linger = 0ms;
  so.redial.initial = 50ms;
  so.redial.max = 1000ms;
  auto keys = [](service::Node& n) {
    return transport::CurveKeyPair{n.cert().curve_key, n.curve_secret()};
  };
  auto listener = transport::Listener::Bind(**network, keys(*c.hub), "tcp://127.0.0.1:*", so);
  REQUIRE_MESSAGE(listener.ok(), listener.status().ToString());
  auto wait_event = [](transport::Dialer& d, transport::LinkEventKind kind) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto in = d.Receive(50ms);
      REQUIRE(in.ok());
      if (!*in) continue;
      if (auto* e = std::get_if<transport::LinkEvent>(&**in); e && e->kind == kind) return true;
    }
    return false;
  };
  auto dial = [&](service::Node& n) {
    auto d = transport::Dialer::Dial(**network, keys(n), c.hub->cert().curve_key,
                                     listener->endpoint(), so);
    REQUIRE_MESSAGE(d.ok(), d.status().ToString());
    return std::move(*d);
  };
  {
    transport::Dialer before = dial(*c.terminal);
    CHECK(wait_event(before, transport::LinkEventKind::kConnected));
  }
  CHECK((*network)->zap_stats().refused == 0);
  // A revocation of a node the hub does not know yet is kept, and refuses nobody else.
  Bytes rev = c.Revoke(*c.terminal, NowMillis(), "lost");
  auto taken = service::ImportRevocation(*c.hub, rev);
  REQUIRE_MESSAGE(taken.ok(), taken.status().ToString());
  transport::Dialer after = dial(*c.terminal);
  CHECK(wait_event(after, transport::LinkEventKind::kRefused));
  transport::Dialer other = dial(*c.heping);
  CHECK(wait_event(other, transport::LinkEventKind::kConnected));
  CHECK((*network)->zap_stats().refused >= 1);
  // The admission says why.
  auto decision = session::TrustAdmission(c.hub->trust())(c.terminal->cert().curve_key);
  CHECK_FALSE(decision.admitted);
  CHECK(decision.reason.find("revoked") != std::string::npos);
  CHECK(decision.reason.find("lost") != std::string::npos);
}

TEST_CASE("a revocation not signed by the city root is refused by a session and changes nothing") {
  City c;
  Testbed other;
  service::RevokeOptions o;
  o.node = c.terminal->cert().node_id;
  o.reason = "forged";
  o.at_ms = NowMillis() - 3'600'000;
  Bytes forged = service::IssueRevocation(other.city_dir(), o).value().Encode().value();
  auto refused = service::ImportRevocation(*c.office, forged);
  CHECK(refused.status().code() == Code::kPermissionDenied);
  CHECK(refused.status().message().find("not signed by this city's root") != std::string::npos);
  // Sent in a session anyway (a hostile relay): the receiver logs and ignores it.
  session::Session l(*c.hub, session::Session::Role::kListener, wire::SessionId{9});
  session::Session d(*c.terminal, session::Session::Role::kDialer, wire::SessionId{9});
  auto hello = d.Start();
  REQUIRE(hello.ok());
  auto accept = l.Handle((*hello)[0], c.terminal->cert().curve_key);
  REQUIRE(accept.ok());
  size_t logged = *c.hub->store().Count(store::Db::kRejected);
  wire::Certificates certs;
  certs.revocations = {forged};
  auto out = l.Handle(wire::Message{wire::SessionId{9}, certs}, c.terminal->cert().curve_key);
  REQUIRE(out.ok());
  CHECK(out->empty());
  CHECK_FALSE(l.closed());
  CHECK(c.hub->trust().RevocationOf(c.terminal->cert().node_id) == nullptr);
  CHECK(*c.hub->store().Count(store::Db::kRejected) == logged + 1);
  // The genuine one, from the same peer, closes the session: the peer is what it revokes.
  certs.revocations = {c.Revoke(*c.terminal, NowMillis(), "stolen")};
  out = l.Handle(wire::Message{wire::SessionId{9}, certs}, c.terminal->cert().curve_key);
  REQUIRE(out.ok());
  REQUIRE(out->size() == 1);
  auto* err = std::get_if<wire::Error>(&(*out)[0].body);
  REQUIRE(err);
  CHECK(err->code == wire::ErrorCode::kRevoked);
  CHECK(err->text.find("stolen") != std::string::npos);
  CHECK(l.closed());
}
