// Live pushes are not acknowledged: a push the network loses, or a session the listener dropped
// on its side while the dialer still thinks it live (found by the chaos harness, docs/CHAOS.md),
// used to stay missing until the link went down. A dialer now replaces its live session by a
// fresh one every DaemonOptions::resync_every; that reconciliation finds what went missing.
// Real daemons, ZeroMQ with CURVE on loopback, real LMDB; the loss is the transport's own fault
// injection (a quarter of the frames the community sends are dropped, seeded).
#include <doctest/doctest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "node/base/text.h"
#include "node/service/usage.h"
#include "replication/session/daemon.h"
#include "tests/support/daemons.h"
#include "tests/support/testbed.h"

using namespace shequ;
using namespace shequ::testing;
using namespace std::chrono_literals;
using trust::NodeKind;

namespace {

constexpr char kHeping[] = "150302001002";

bool Has(service::Node& n, const Id32& id) {
  auto r = n.store().BeginRead();
  REQUIRE(r.ok());
  return r->txn().Get(n.store().dbi(store::Db::kChanges), id)->has_value();
}

std::string Digest(service::Node& n) {
  auto r = n.store().BeginRead();
  REQUIRE(r.ok());
  return Hex(*n.replica().StateDigest(*r, kHeping));
}

// The hub of the city and 和平社区, each knowing the other's certificate.
struct Pair {
  Testbed bed;
  std::unique_ptr<service::Node> hub, heping;
  Pair() {
    bed.AddNode("hub", NodeKind::kHub, {"1503"});
    bed.AddNode("heping", NodeKind::kCommunity, {kHeping});
    hub = bed.Open("hub");
    heping = bed.Open("heping");
    Introduce(*hub, *heping);
    Introduce(*heping, *hub);
  }
};

}  // namespace

TEST_CASE("live pushes lost on a lossy link arrive with the next periodic re-reconciliation") {
  Pair p;
  service::Node& hub = *p.hub;
  service::Node& heping = *p.heping;

  DaemonThread hub_daemon(hub, {}, /*listen=*/true);
  session::DaemonOptions o;
  o.peers = {hub_daemon.contact()};
  o.session_timeout = 2s;  // a session that lost a frame of its sync starts again soon
  o.resync_every = 1s;
  o.socket.send_faults.drop = 0.25;
  o.socket.send_faults.seed = 3;
  DaemonThread community(heping, o, /*listen=*/false);

  REQUIRE_MESSAGE(WaitUntil([&] { return community.Logged("synced with hub"); }, 60s),
                  community.Log());
  // Twenty edits while the session is live, each pushed on its own: about five are lost.
  std::vector<Id32> ids;
  for (int i = 0; i < 20; ++i) {
    crdt::EntityRef person{kHeping, model::EntityKind::kPerson, heping.NewEntityId()};
    Status st = heping.store().Write([&](store::Txn& txn) -> Status {
      ASSIGN_OR_RETURN(Id32 id, heping.Commit(txn, person, {{"marital", "10"}}, {}));
      ids.push_back(id);
      return Status::Ok();
    });
    REQUIRE_MESSAGE(st.ok(), st.ToString());
    std::this_thread::sleep_for(100ms);
  }
  auto all_there = [&] {
    for (const Id32& id : ids)
      if (!Has(hub, id)) return false;
    return true;
  };
  REQUIRE_MESSAGE(WaitUntil(all_there, 60s), community.Log());
  CHECK(Digest(hub) == Digest(heping));
  CHECK(community.Stop().ok());
  CHECK(hub_daemon.Stop().ok());
}

TEST_CASE("a periodic re-reconciliation of an in-sync pair is quiet and not counted as a sync") {
  Pair p;
  service::Node& hub = *p.hub;
  service::Node& heping = *p.heping;
  DaemonThread hub_daemon(hub, {}, /*listen=*/true);
  session::DaemonOptions o;
  o.peers = {hub_daemon.contact()};
  o.resync_every = 300ms;
  DaemonThread community(heping, o, /*listen=*/false);
  REQUIRE(WaitUntil([&] { return community.Logged("synced with hub"); }));
  std::this_thread::sleep_for(2s);  // several periods
  // One sync line; the periodic ones found nothing and said nothing.
  std::string log = community.Log();
  size_t lines = 0;
  for (size_t at = log.find("synced with"); at != std::string::npos;
       at = log.find("synced with", at + 1))
    ++lines;
  CHECK_MESSAGE(lines == 1, log);
  CHECK(log.find("periodic") == std::string::npos);
  // The hub saw a fresh session each period (its peer record counts them).
  CHECK(community.Stop().ok());
  CHECK(hub_daemon.Stop().ok());
  auto r = hub.store().BeginRead();
  REQUIRE(r.ok());
  auto peers = session::ReadPeers(hub, *r);
  REQUIRE(peers.ok());
  REQUIRE(peers->size() == 1);
  CHECK_MESSAGE(peers->front().second.sessions >= 3, peers->front().second.sessions);
  // The community's usage counts one sync: its own, not the re-reconciliations.
  auto mine = heping.store().BeginRead();
  REQUIRE(mine.ok());
  auto usage = service::ReadUsage(heping, *mine);
  REQUIRE(usage.ok());
  CHECK(usage->at(std::string(service::kUsageSyncs)) == 1);
}
