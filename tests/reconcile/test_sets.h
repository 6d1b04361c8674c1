// Seeded random item sets for reconciliation tests (unit and conformance). Every set is a pure
// function of its parameters, so a failing case replays from the seed printed with it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "replication/reconcile/item.h"

namespace shequ::reconcile::testing {

enum class Timestamps {
  kSpread,     // uniform in [0, max_timestamp)
  kClustered,  // a handful of distinct values, so many items share a timestamp
  kHlc,        // 48-bit milliseconds << 16 | counter, as our hybrid logical clocks produce
};

struct SetSpec {
  uint64_t seed = 1;
  size_t shared = 0;  // items on both sides
  size_t only_a = 0;  // items only the initiator has
  size_t only_b = 0;  // items only the responder has
  Timestamps timestamps = Timestamps::kSpread;
  uint64_t max_timestamp = (uint64_t{1} << 31) - 2;  // kSpread/kClustered
  bool differences_at_tail = false;                  // the differing items are the newest ones
  double prefix_share = 0.2;  // chance that an id copies a prefix of the previous id

  std::string ToString() const {
    return "seed=" + std::to_string(seed) + " shared=" + std::to_string(shared) +
           " only_a=" + std::to_string(only_a) + " only_b=" + std::to_string(only_b) +
           " timestamps=" + std::to_string(static_cast<int>(timestamps)) +
           " tail=" + std::to_string(differences_at_tail);
  }
};

struct SetPair {
  std::vector<Item> a, b;         // unsorted
  std::set<Id32> only_a, only_b;  // the expected have and need of the initiator (a)
};

inline SetPair MakeSetPair(const SetSpec& spec) {
  std::mt19937_64 rng(spec.seed);
  const size_t total = spec.shared + spec.only_a + spec.only_b;
  std::vector<uint64_t> clusters;
  for (int i = 0; i < 5; ++i) clusters.push_back(rng() % (spec.max_timestamp + 1));
  const uint64_t hlc_start_ms = 1'700'000'000'000 + rng() % 1'000'000'000;

  std::set<Id32> seen;
  Id32 prev{};
  auto next_id = [&] {
    while (true) {
      Id32 id;
      for (auto& byte : id) byte = static_cast<uint8_t>(rng());
      if (std::uniform_real_distribution<double>(0, 1)(rng) < spec.prefix_share) {
        size_t k = 1 + rng() % 31;
        std::copy_n(prev.begin(), k, id.begin());
      }
      if (seen.insert(id).second) {
        prev = id;
        return id;
      }
    }
  };
  auto next_timestamp = [&](size_t i) -> uint64_t {
    switch (spec.timestamps) {
      case Timestamps::kClustered:
        return clusters[rng() % clusters.size()];
      case Timestamps::kHlc: {
        uint64_t ms = hlc_start_ms + i / 3;  // about three changes a millisecond
        return (ms << 16) | (rng() % 4);
      }
      case Timestamps::kSpread:
      default:
        return rng() % (spec.max_timestamp + 1);
    }
  };

  std::vector<Item> items(total);
  for (size_t i = 0; i < total; ++i) items[i] = Item{next_timestamp(i), next_id()};
  if (spec.differences_at_tail) std::sort(items.begin(), items.end());
  // The first `shared` items (the oldest, when sorted) are on both sides; the rest are split.
  SetPair out;
  std::vector<size_t> rest;
  for (size_t i = spec.shared; i < total; ++i) rest.push_back(i);
  std::shuffle(rest.begin(), rest.end(), rng);
  for (size_t i = 0; i < spec.shared; ++i) {
    out.a.push_back(items[i]);
    out.b.push_back(items[i]);
  }
  for (size_t j = 0; j < rest.size(); ++j) {
    const Item& item = items[rest[j]];
    if (j < spec.only_a) {
      out.a.push_back(item);
      out.only_a.insert(item.id);
    } else {
      out.b.push_back(item);
      out.only_b.insert(item.id);
    }
  }
  std::shuffle(out.a.begin(), out.a.end(), rng);
  std::shuffle(out.b.begin(), out.b.end(), rng);
  return out;
}

}  // namespace shequ::reconcile::testing
