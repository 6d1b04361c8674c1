#include "replication/crdt/hlc.h"

#include <algorithm>

#include "node/base/time.h"

namespace shequ::crdt {

HybridClock::HybridClock(std::function<uint64_t()> wall_ms, uint64_t max_ahead_ms)
    : wall_ms_(std::move(wall_ms)), max_ahead_ms_(max_ahead_ms) {}

uint64_t HybridClock::WallMs() const { return wall_ms_ ? wall_ms_() : NowMillis(); }

uint64_t HybridClock::Now() {
  uint64_t wall = MakeHlc(WallMs() & ((uint64_t{1} << 48) - 1), 0);
  std::lock_guard<std::mutex> lock(mu_);
  last_ = std::max(last_ + 1, wall);
  return last_;
}

HybridClock::Observation HybridClock::Observe(uint64_t remote) {
  uint64_t wall_ms = WallMs();
  Observation obs;
  obs.skew_ms = static_cast<int64_t>(HlcMillis(remote)) - static_cast<int64_t>(wall_ms);
  // The highest stamp of the millisecond max_ahead past the wall clock: the next local stamp is
  // then at most that millisecond.
  uint64_t bound = MakeHlc(wall_ms + max_ahead_ms_, 0) - 1;
  uint64_t take = remote;
  if (remote > bound) {
    take = bound;
    obs.clamped = true;
  }
  std::lock_guard<std::mutex> lock(mu_);
  last_ = std::max(last_, take);
  return obs;
}

uint64_t HybridClock::last() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_;
}

void HybridClock::Restore(uint64_t last) {
  std::lock_guard<std::mutex> lock(mu_);
  last_ = std::max(last_, last);
}

}  // namespace shequ::crdt
