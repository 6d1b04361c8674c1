#include "replication/transport/backoff.h"

#include <algorithm>

namespace shequ::transport {

std::chrono::milliseconds Backoff::Next() {
  // splitmix64, as in faults.cpp: the same waits for the same seed everywhere.
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  int64_t initial = std::max<int64_t>(1, options_.initial.count());
  int64_t max = std::max<int64_t>(initial, options_.max.count());
  int64_t base = initial;
  for (int i = 0; i < attempt_ && base < max; ++i) base = std::min(max, base * 2);
  if (base < max) ++attempt_;
  int64_t half = base / 2;
  return std::chrono::milliseconds(
      half + static_cast<int64_t>(z % static_cast<uint64_t>(base - half + 1)));
}

}  // namespace shequ::transport
