// The seeded generator of the property tests and simulations (splitmix64): the same seed gives
// the same run on every machine and library version, so a failing seed can be replayed.
#pragma once

#include <cstddef>
#include <cstdint>

namespace shequ::testing {

struct Rng {
  uint64_t s;
  uint64_t Next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }
  bool Chance(double p) { return static_cast<double>(Next() % 1'000'000) < p * 1e6; }
};

}  // namespace shequ::testing
