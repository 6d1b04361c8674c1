// Frames that overtake their session's Hello (found by the chaos harness, docs/CHAOS.md): a
// dialer that holds the listener's certificate sends its Hello and its first reconciliation
// messages in one flight; a network that reorders frames (the transport's fault injection with
// jitter) delivers some of them first. The listener keeps them for the session the Hello starts
// instead of dropping them, so the session completes rather than timing out again and again.
#include <doctest/doctest.h>

#include <atomic>

#include "replication/session/daemon.h"
#include "tests/support/daemons.h"
#include "tests/support/testbed.h"

using namespace shequ;
using namespace shequ::testing;
using trust::NodeKind;

TEST_CASE("a first flight reordered ahead of its hello still syncs") {
  Testbed bed;
  bed.AddNode("hub", NodeKind::kHub, {"1503"});
  // A department of the whole city: its first flight holds a reconciliation per community (83).
  bed.AddNode("labour", NodeKind::kDepartment, {"1503"}, model::Department::kLabour);
  auto hub = bed.Open("hub");
  auto labour = bed.Open("labour");
  Introduce(*hub, *labour);
  Introduce(*labour, *hub);

  session::Contact contact{"tcp://127.0.0.1:" + std::to_string(FreeLoopbackPort()),
                           hub->cert().curve_key};
  std::atomic<bool> stop{false};
  Status hub_status;
  std::thread listener([&] {
    session::DaemonOptions o;
    o.listen = contact.endpoint;
    session::Daemon d(*hub, o);
    hub_status = d.Run(stop);
  });

  session::DaemonOptions o;
  o.peers = {contact};
  o.once = true;
  o.session_timeout = std::chrono::seconds(10);
  // Every frame 30 to 60 ms late: frames overtake one another.
  o.socket.send_faults.delay = std::chrono::milliseconds(30);
  o.socket.send_faults.jitter = std::chrono::milliseconds(30);
  o.socket.send_faults.seed = 7;
  session::Daemon dialer(*labour, o);
  std::atomic<bool> never{false};
  Status st = dialer.Run(never);
  stop.store(true);
  listener.join();
  REQUIRE_MESSAGE(st.ok(), st.ToString());
  REQUIRE_MESSAGE(hub_status.ok(), hub_status.ToString());
  REQUIRE(dialer.reports().size() == 1);
  const session::PeerReport& r = dialer.reports()[0];
  CHECK_MESSAGE(r.synced, r.error.ToString());
  CHECK(r.stats.communities > 50);
}
