// Sessions driven by hand: refusals in the handshake, the hub's limit of full syncs, stale
// frames of an earlier session.
#include "replication/session/session.h"

#include <doctest/doctest.h>

#include "tests/support/testbed.h"

using namespace shequ;
using namespace shequ::testing;
using session::Session;
using trust::NodeKind;

namespace {

struct Pair {
  Testbed bed;
  std::unique_ptr<service::Node> hub, heping, other_scope;
  Pair() {
    bed.AddNode("hub", NodeKind::kHub, {"1503"});
    bed.AddNode("heping", NodeKind::kCommunity, {"150302001002"});
    bed.AddNode("wuda", NodeKind::kCommunity, {"150304002001"});
    hub = bed.Open("hub");
    heping = bed.Open("heping");
    other_scope = bed.Open("wuda");
  }
  // Provisioning: `from` holds the certificate of `of`.
  void Introduce(service::Node& from, service::Node& of) {
    Status st = from.store().Write([&](store::Txn& txn) {
      return from.trust()
          .Add(txn, from.store().dbi(store::Db::kTrust),
               of.trust().Find(of.cert().node_id)->encoded)
          .status();
    });
    REQUIRE(st.ok());
  }
};

// Exchanges messages between two sessions until neither has anything to say.
void Run(Session& d, service::Node& dn, Session& l, service::Node& ln,
         std::vector<wire::Message> first) {
  std::vector<wire::Message> to_l = std::move(first), to_d;
  for (int round = 0; round < 50 && (!to_l.empty() || !to_d.empty()); ++round) {
    std::vector<wire::Message> next_d, next_l;
    for (const auto& m : to_l) {
      auto out = l.Handle(*wire::Decode(*wire::Encode(m)), dn.cert().curve_key);
      REQUIRE(out.ok());
      next_d.insert(next_d.end(), out->begin(), out->end());
    }
    for (const auto& m : to_d) {
      auto out = d.Handle(*wire::Decode(*wire::Encode(m)), ln.cert().curve_key);
      REQUIRE(out.ok());
      next_l.insert(next_l.end(), out->begin(), out->end());
    }
    to_d = std::move(next_d);
    to_l = std::move(next_l);
  }
}

}  // namespace

TEST_CASE("a hub at its limit of full syncs answers busy; the dialer learns when to retry") {
  Pair p;
  session::Config busy;
  busy.busy = [](const Id16&) -> std::optional<uint32_t> { return 30000; };
  wire::SessionId id{1};
  Session l(*p.hub, Session::Role::kListener, id, busy);
  Session d(*p.heping, Session::Role::kDialer, id);
  Run(d, *p.heping, l, *p.hub, *d.Start());
  CHECK(d.closed());
  CHECK(d.error().code() == Code::kUnavailable);
  CHECK(d.error().message().find("30000") != std::string::npos);
  CHECK_FALSE(d.synced());
}

TEST_CASE("a hello whose certificate is not the connection's key is refused") {
  Pair p;
  wire::SessionId id{2};
  Session l(*p.hub, Session::Role::kListener, id);
  Session d(*p.heping, Session::Role::kDialer, id);
  auto hello = d.Start();
  // The transport authenticated another node's key than the certificate in the hello.
  auto out = l.Handle((*hello)[0], p.other_scope->cert().curve_key);
  REQUIRE(out.ok());
  REQUIRE(out->size() == 1);
  auto* err = std::get_if<wire::Error>(&(*out)[0].body);
  REQUIRE(err);
  CHECK(err->code == wire::ErrorCode::kNotEnrolled);
  CHECK(l.closed());
}

TEST_CASE("nodes without a scope in common are refused; stale frames are ignored") {
  Pair p;
  wire::SessionId id{3};
  Session l(*p.other_scope, Session::Role::kListener, id);
  Session d(*p.heping, Session::Role::kDialer, id);
  auto hello = d.Start();
  auto out = l.Handle((*hello)[0], p.heping->cert().curve_key);
  REQUIRE(out.ok());
  auto* err = std::get_if<wire::Error>(&(*out)[0].body);
  REQUIRE(err);
  CHECK(err->code == wire::ErrorCode::kOutOfScope);
  // A frame of another session id changes nothing.
  Session l2(*p.hub, Session::Role::kListener, wire::SessionId{4});
  auto stale = l2.Handle((*hello)[0], p.heping->cert().curve_key);
  REQUIRE(stale.ok());
  CHECK(stale->empty());
  CHECK(l2.phase() == Session::Phase::kHello);
}

TEST_CASE("an in-sync pair completes in two round trips with the hello pipelined") {
  Pair p;
  wire::SessionId id{5};
  p.Introduce(*p.heping, *p.hub);
  session::Config dc;
  dc.peer_key = p.hub->cert().curve_key;
  Session l(*p.hub, Session::Role::kListener, id);
  Session d(*p.heping, Session::Role::kDialer, id, dc);
  auto first = d.Start();
  REQUIRE(first.ok());
  CHECK(first->size() > 1);  // hello and reconciliation in one flight
  Run(d, *p.heping, l, *p.hub, *first);
  CHECK(d.synced());
  CHECK(l.synced());
  CHECK(d.stats().round_trips <= 2);
}
