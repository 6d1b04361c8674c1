// The hybrid logical clock: monotonic, never behind what it saw, bounded by the wall clock.
#include "replication/crdt/hlc.h"

#include <doctest/doctest.h>

using namespace shequ::crdt;

TEST_CASE("stamps only go up, also when the wall clock goes back") {
  uint64_t wall = 1'790'000'000'000ull;
  HybridClock clock([&] { return wall; });
  uint64_t a = clock.Now(), b = clock.Now();
  CHECK(b > a);
  CHECK(HlcMillis(a) == wall);
  wall -= 60'000;  // NTP steps the clock back a minute
  uint64_t c = clock.Now();
  CHECK(c > b);
  CHECK(HlcMillis(c) == HlcMillis(b));  // the counter advances instead
  wall += 120'000;
  uint64_t d = clock.Now();
  CHECK(HlcMillis(d) == wall);
  CHECK((d & 0xffff) == 0);
}

TEST_CASE("a remote stamp moves the clock forward, up to 15 minutes past the wall clock") {
  uint64_t wall = 1'790'000'000'000ull;
  HybridClock clock([&] { return wall; });
  auto obs = clock.Observe(MakeHlc(wall + 60'000, 7));  // a peer one minute ahead
  CHECK(obs.skew_ms == 60'000);
  CHECK_FALSE(obs.clamped);
  CHECK(clock.Now() > MakeHlc(wall + 60'000, 7));
  // A peer three days ahead is recorded but cannot drag us there.
  uint64_t far = MakeHlc(wall + 3 * 86'400'000ull, 0);
  obs = clock.Observe(far);
  CHECK(obs.clamped);
  CHECK(obs.skew_ms == 3 * 86'400'000ll);
  uint64_t now = clock.Now();
  CHECK(HlcMillis(now) <= wall + HybridClock::kDefaultMaxAheadMs);
  CHECK(now < far);
  // A peer behind does not move us back.
  obs = clock.Observe(MakeHlc(wall - 86'400'000ull, 0));
  CHECK(obs.skew_ms == -86'400'000ll);
  CHECK(clock.Now() > now);
}

TEST_CASE("after a restart the clock continues from its persisted stamp") {
  uint64_t wall = 1'790'000'000'000ull;
  HybridClock before([&] { return wall; });
  for (int i = 0; i < 10; ++i) before.Now();
  uint64_t last = before.last();
  HybridClock after([&] { return wall - 5'000; });  // restarted with a clock 5 s behind
  after.Restore(last);
  CHECK(after.Now() > last);
}
