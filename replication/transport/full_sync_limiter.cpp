#include "replication/transport/full_sync_limiter.h"

#include <algorithm>

namespace shequ::transport {

void FullSyncLimiter::Expire(Clock::time_point now) {
  for (auto it = leases_.begin(); it != leases_.end();) {
    if (it->second <= now) {
      it = leases_.erase(it);
    } else {
      ++it;
    }
  }
}

FullSyncLimiter::Grant FullSyncLimiter::Acquire(const Id16& peer, Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  Expire(now);
  auto it = leases_.find(peer);
  if (it != leases_.end() || leases_.size() < options_.max_concurrent) {
    leases_[peer] = now + options_.lease;
    return {true, std::chrono::milliseconds(0)};
  }
  // Jitter spreads the refused peers out so that they do not all come back at once.
  uint64_t z = (rng_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  int64_t base = std::max<int64_t>(2, options_.retry_after.count());
  int64_t wait = base / 2 + static_cast<int64_t>(z % static_cast<uint64_t>(base + 1));
  return {false, std::chrono::milliseconds(wait)};
}

void FullSyncLimiter::Touch(const Id16& peer, Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = leases_.find(peer);
  if (it != leases_.end() && it->second > now) it->second = now + options_.lease;
}

void FullSyncLimiter::Release(const Id16& peer) {
  std::lock_guard<std::mutex> lock(mu_);
  leases_.erase(peer);
}

size_t FullSyncLimiter::active(Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  Expire(now);
  return leases_.size();
}

}  // namespace shequ::transport
