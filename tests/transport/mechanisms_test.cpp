// The transport's pure parts: seeded fault decisions, jittered back-off, the full-sync limiter
// and the admission table.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "replication/transport/admission.h"
#include "replication/transport/backoff.h"
#include "replication/transport/faults.h"
#include "replication/transport/full_sync_limiter.h"

namespace shequ::transport {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

TEST_CASE("fault decisions follow the configured rates and replay from the seed") {
  FaultConfig c;
  c.drop = 0.3;
  c.duplicate = 0.1;
  c.delay = 20ms;
  c.jitter = 10ms;
  c.seed = 1234;
  FaultInjector a(c), b(c);
  int dropped = 0, doubled = 0;
  const int kN = 20000;
  for (int i = 0; i < kN; ++i) {
    auto x = a.Next();
    auto y = b.Next();
    REQUIRE(x.copies == y.copies);
    REQUIRE(x.delay == y.delay);
    if (x.copies == 0) {
      ++dropped;
      continue;
    }
    if (x.copies == 2) ++doubled;
    CHECK(x.delay >= 20ms);
    CHECK(x.delay <= 30ms);
  }
  CHECK(dropped > kN * 0.27);
  CHECK(dropped < kN * 0.33);
  CHECK(doubled > (kN - dropped) * 0.08);
  CHECK(doubled < (kN - dropped) * 0.12);

  c.seed = 1235;
  FaultInjector other(c);
  FaultInjector again(FaultConfig{0.3, 0.1, 20ms, 10ms, 1234});
  int same = 0;
  for (int i = 0; i < 100; ++i) same += other.Next().copies == again.Next().copies;
  CHECK(same < 100);  // another seed, another run

  FaultInjector none(FaultConfig{});
  CHECK_FALSE(none.active());
  for (int i = 0; i < 10; ++i) {
    auto d = none.Next();
    CHECK(d.copies == 1);
    CHECK(d.delay == 0ms);
  }
}

TEST_CASE("back-off doubles up to its maximum, with jitter in [base/2, base], and resets") {
  BackoffOptions o{100ms, 1000ms, 7};
  Backoff b(o), twin(o);
  std::vector<milliseconds> bases = {100ms, 200ms, 400ms, 800ms, 1000ms, 1000ms, 1000ms};
  for (milliseconds base : bases) {
    milliseconds w = b.Next();
    CHECK(w == twin.Next());
    CHECK(w >= base / 2);
    CHECK(w <= base);
  }
  b.Reset();
  milliseconds w = b.Next();
  CHECK(w >= 50ms);
  CHECK(w <= 100ms);
  // Jitter: many clients with different seeds do not come back in step.
  std::vector<milliseconds> firsts;
  for (uint64_t seed = 1; seed <= 20; ++seed)
    firsts.push_back(Backoff({1000ms, 60000ms, seed}).Next());
  std::sort(firsts.begin(), firsts.end());
  CHECK(firsts.front() != firsts.back());
}

TEST_CASE("the full-sync limiter admits N peers, refuses others with a jittered retry") {
  FullSyncLimiter::Options o;
  o.max_concurrent = 2;
  o.lease = 60s;
  o.retry_after = 10s;
  FullSyncLimiter limiter(o);
  auto t0 = FullSyncLimiter::Clock::time_point{} + 1000h;
  Id16 a{}, b{}, c{}, d{};
  a[0] = 1, b[0] = 2, c[0] = 3, d[0] = 4;

  CHECK(limiter.Acquire(a, t0).granted);
  CHECK(limiter.Acquire(b, t0).granted);
  auto busy = limiter.Acquire(c, t0);
  CHECK_FALSE(busy.granted);
  CHECK(busy.retry_after >= 5s);
  CHECK(busy.retry_after <= 15s);
  CHECK(limiter.active(t0) == 2);
  // A peer holding a slot is not refused by its own reconnect.
  CHECK(limiter.Acquire(a, t0 + 1s).granted);
  CHECK(limiter.active(t0 + 1s) == 2);

  limiter.Release(a);
  CHECK(limiter.Acquire(c, t0 + 2s).granted);
  CHECK_FALSE(limiter.Acquire(d, t0 + 2s).granted);

  // b makes progress, c goes silent: c's lease runs out and d gets its slot.
  limiter.Touch(b, t0 + 50s);
  CHECK_FALSE(limiter.Acquire(d, t0 + 61s).granted);  // c's lease (from 2s) still runs to 62s
  CHECK(limiter.Acquire(d, t0 + 63s).granted);
  CHECK(limiter.active(t0 + 63s) == 2);  // b (touched at 50s, until 110s) and d
  CHECK(limiter.active(t0 + 200s) == 0);

  // Retry-after values spread the refused peers out.
  std::vector<milliseconds> waits;
  CHECK(limiter.Acquire(a, t0 + 300s).granted);
  CHECK(limiter.Acquire(b, t0 + 300s).granted);
  for (int i = 0; i < 10; ++i) waits.push_back(limiter.Acquire(c, t0 + 300s).retry_after);
  std::sort(waits.begin(), waits.end());
  CHECK(waits.front() != waits.back());
}

TEST_CASE("key admission: enrolled keys pass, unknown and revoked ones do not") {
  KeyAdmission admission;
  Bytes k1(32, 1), k2(32, 2), k3(32, 3);
  Id16 n1{}, n2{};
  n1[0] = 1, n2[0] = 2;
  admission.Enrol(k1, n1);
  admission.Enrol(k2, n2);
  admission.Revoke(n2);
  CHECK(admission.Check(k1).admitted);
  CHECK_FALSE(admission.Check(k2).admitted);
  CHECK(admission.Check(k2).reason == "revoked");
  CHECK(admission.Check(k3).reason == "not enrolled");
  CHECK(admission.Check(Bytes(31, 1)).reason == "malformed key");
  Id16 found{};
  CHECK(admission.Find(k1, &found));
  CHECK(found == n1);
  AdmitFn fn = admission.AsAdmitFn();
  CHECK(fn(k1).admitted);
}

}  // namespace
}  // namespace shequ::transport
