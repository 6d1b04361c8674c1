// Items and bounds of range-based set reconciliation (Negentropy protocol V1, docs/RECONCILE.md).
//
// An item is (timestamp, 32-byte id); items sort by timestamp, then by id byte by byte. A bound is
// a point in that order: a timestamp and an id prefix, the omitted bytes being zero. The timestamp
// kInfinity (2^64 - 1) is reserved for the bound past every item and is never an item's timestamp.
#pragma once

#include <algorithm>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "node/base/bytes.h"

namespace shequ::reconcile {

inline constexpr size_t kIdSize = 32;
inline constexpr uint64_t kInfinity = std::numeric_limits<uint64_t>::max();
inline constexpr uint8_t kProtocolVersion = 0x61;  // "V1"

// Range modes on the wire.
enum class Mode : uint64_t { kSkip = 0, kFingerprint = 1, kIdList = 2 };

struct Item {
  uint64_t timestamp = 0;
  Id32 id{};

  friend bool operator==(const Item&, const Item&) = default;
  friend std::strong_ordering operator<=>(const Item& a, const Item& b) {
    if (auto c = a.timestamp <=> b.timestamp; c != 0) return c;
    return a.id <=> b.id;  // lexicographic, byte by byte
  }
};

// `point` holds the bound's position (prefix followed by zero bytes); `prefix_len` (0..32) is how
// many id bytes go on the wire. Items compare against `point` only.
struct Bound {
  Item point;
  uint8_t prefix_len = 0;

  static Bound Infinity() { return Bound{Item{kInfinity, {}}, 0}; }
  // The bound that sits exactly at an item (all 32 id bytes sent).
  static Bound AtItem(const Item& item) { return Bound{item, kIdSize}; }
};

// The shortest bound b with prev < b <= curr. REQUIRES: prev < curr.
inline Bound MinimalBound(const Item& prev, const Item& curr) {
  if (prev.timestamp != curr.timestamp) return Bound{Item{curr.timestamp, {}}, 0};
  size_t shared = 0;
  while (shared < kIdSize && prev.id[shared] == curr.id[shared]) ++shared;
  Bound b{Item{curr.timestamp, {}}, static_cast<uint8_t>(std::min(shared + 1, kIdSize))};
  std::copy_n(curr.id.begin(), b.prefix_len, b.point.id.begin());
  return b;
}

}  // namespace shequ::reconcile
