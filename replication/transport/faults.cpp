#include "replication/transport/faults.h"

namespace shequ::transport {

uint64_t FaultInjector::NextBits() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double FaultInjector::NextUnit() { return static_cast<double>(NextBits() >> 11) * 0x1.0p-53; }

FaultInjector::Decision FaultInjector::Next() {
  Decision d;
  if (!config_.active()) return d;
  // Every frame draws the same number of values, so one decision never shifts the next.
  double drop = NextUnit(), dup = NextUnit();
  uint64_t jitter = NextBits();
  if (drop < config_.drop) {
    d.copies = 0;
    return d;
  }
  if (dup < config_.duplicate) d.copies = 2;
  d.delay = config_.delay;
  if (config_.jitter.count() > 0)
    d.delay +=
        std::chrono::milliseconds(jitter % (static_cast<uint64_t>(config_.jitter.count()) + 1));
  return d;
}

}  // namespace shequ::transport
