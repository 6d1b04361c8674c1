// How many peers may run a full sync with this node at once (the hub's protection against a
// morning when every village reconnects). A peer gets a slot or a jittered retry-after for its
// Busy reply. Slots are leases: a peer that goes silent without releasing its slot loses it once
// the lease runs out, so dead peers cannot starve the others.
//
// Thread safety: all methods may be called from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>

#include "node/base/bytes.h"

namespace shequ::transport {

class FullSyncLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  struct Options {
    size_t max_concurrent = 4;
    std::chrono::milliseconds lease{std::chrono::minutes(5)};         // extended by every Touch
    std::chrono::milliseconds retry_after{std::chrono::seconds(30)};  // Busy: [1/2, 3/2] of this
    uint64_t seed = 1;
  };

  struct Grant {
    bool granted = false;
    std::chrono::milliseconds retry_after{0};  // when refused
  };

  explicit FullSyncLimiter(const Options& options) : options_(options), rng_(options.seed) {}

  // A slot for `peer` (its node id). A peer that holds one already keeps it (and its lease is
  // renewed): a reconnecting node is not refused by its own earlier session.
  Grant Acquire(const Id16& peer, Clock::time_point now);
  // Renews the lease of a peer that is making progress. No-op without a slot.
  void Touch(const Id16& peer, Clock::time_point now);
  void Release(const Id16& peer);
  // Peers holding a live slot at `now`.
  size_t active(Clock::time_point now);

 private:
  void Expire(Clock::time_point now);  // REQUIRES: mu_ held

  const Options options_;
  std::mutex mu_;
  uint64_t rng_;
  std::map<Id16, Clock::time_point> leases_;  // peer -> lease end
};

}  // namespace shequ::transport
