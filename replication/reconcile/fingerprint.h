// Range fingerprints (Negentropy V1): SHA-256 over (the sum of the ids as 256-bit little-endian
// integers mod 2^256, then the varint of the count), truncated to 16 bytes.
//
// Sums form a group, so a storage backend may cache sums of blocks of items and combine them
// (Add/Subtract) instead of reading every item of a range: see blocked_storage.h.
#pragma once

#include <array>
#include <cstdint>

#include "node/base/bytes.h"
#include "node/base/status.h"

namespace shequ::reconcile {

inline constexpr size_t kFingerprintSize = 16;
using Fingerprint = std::array<uint8_t, kFingerprintSize>;

// A 256-bit sum mod 2^256, kept as four 64-bit limbs, least significant first.
class IdSum {
 public:
  IdSum() = default;

  void Add(const Id32& id);
  void Add(const IdSum& other);
  void Subtract(const Id32& id);
  void Subtract(const IdSum& other);

  // The 32-byte little-endian form that goes into the hash.
  Id32 Bytes() const;
  // The inverse of Bytes() (persisted block sums).
  static IdSum FromBytes(const Id32& bytes);
  // SHA-256 of Bytes() || varint(count), first 16 bytes.
  Result<Fingerprint> Finish(uint64_t count) const;

  friend bool operator==(const IdSum&, const IdSum&) = default;

 private:
  void AddLimbs(const std::array<uint64_t, 4>& o);
  std::array<uint64_t, 4> limbs_{};
};

}  // namespace shequ::reconcile
