// Hybrid logical clock: 48-bit wall milliseconds << 16 | 16-bit counter. Strictly increasing on
// one node, and never behind anything the node has seen — except that a remote stamp may push
// the clock at most max_ahead past the wall clock; further skew is recorded, never refused.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>

namespace shequ::crdt {

inline constexpr uint64_t HlcMillis(uint64_t hlc) { return hlc >> 16; }
inline constexpr uint64_t MakeHlc(uint64_t ms, uint16_t counter) { return ms << 16 | counter; }

class HybridClock {
 public:
  static constexpr uint64_t kDefaultMaxAheadMs = 15 * 60 * 1000;

  explicit HybridClock(std::function<uint64_t()> wall_ms = nullptr,
                       uint64_t max_ahead_ms = kDefaultMaxAheadMs);

  // A new stamp, greater than every stamp this clock issued or observed (within the bound).
  uint64_t Now();

  struct Observation {
    int64_t skew_ms = 0;   // remote millis minus our wall millis (positive: remote ahead)
    bool clamped = false;  // the remote stamp was beyond the bound and did not move us fully
  };
  // Takes a stamp seen on a received change or message into account.
  Observation Observe(uint64_t remote);

  uint64_t last() const;
  // After a restart: continue from the last stamp persisted (never go back).
  void Restore(uint64_t last);
  // The wall clock this clock reads (the injected source in tests), in milliseconds.
  uint64_t WallMs() const;

 private:
  std::function<uint64_t()> wall_ms_;
  uint64_t max_ahead_ms_;
  mutable std::mutex mu_;
  uint64_t last_ = 0;
};

}  // namespace shequ::crdt
