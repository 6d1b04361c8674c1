// Fingerprints of known sets; expected values computed independently (Python hashlib and int).
#include "replication/reconcile/fingerprint.h"

#include <doctest/doctest.h>

#include "replication/reconcile/vector_storage.h"

namespace shequ::reconcile {
namespace {

std::string FingerprintHex(const std::vector<Id32>& ids) {
  IdSum sum;
  for (const Id32& id : ids) sum.Add(id);
  return Hex(sum.Finish(ids.size()).value());
}

Id32 Filled(uint8_t byte) {
  Id32 id;
  id.fill(byte);
  return id;
}

TEST_CASE("fingerprint of the empty set") {
  CHECK(FingerprintHex({}) == "7f9c9e31ac8256ca2f258583df262dbc");
}

TEST_CASE("fingerprint of one id") {
  Id32 id;
  for (size_t i = 0; i < 32; ++i) id[i] = static_cast<uint8_t>(i);
  CHECK(FingerprintHex({id}) == "8b44d96f214304bc15fe5ccb132bd5d5");
}

TEST_CASE("sums are little-endian mod 2^256, carrying across bytes and limbs") {
  Id32 one{};
  one[0] = 1;
  // 1 + (2^256 - 1) wraps to 0; the count (2) still differs from the empty set's.
  CHECK(FingerprintHex({one, Filled(0xff)}) == "58cc2f44d3a27866874701fbad573da9");

  Id32 low_limb_full{};
  std::fill_n(low_limb_full.begin(), 8, 0xff);
  IdSum sum;
  sum.Add(low_limb_full);
  sum.Add(one);
  CHECK(Hex(sum.Bytes()) == "0000000000000000010000000000000000000000000000000000000000000000");
  CHECK(Hex(sum.Finish(2).value()) == "fe77277fdc1349df808b365582fa9199");

  sum.Subtract(one);
  sum.Subtract(low_limb_full);
  CHECK(sum == IdSum());
  sum.Subtract(one);  // -1 = 2^256 - 1
  CHECK(sum.Bytes() == Filled(0xff));
}

TEST_CASE("count goes in as a multi-byte varint") {
  std::vector<Id32> ids;
  for (int i = 1; i <= 200; ++i) ids.push_back(Filled(static_cast<uint8_t>(i)));
  CHECK(FingerprintHex(ids) == "1a0e57bff587c6a07939268d1f38e9a2");

  VectorStorage storage;
  for (size_t i = 0; i < ids.size(); ++i) REQUIRE(storage.Insert(1000 - i, ids[i]).ok());
  REQUIRE(storage.Seal().ok());
  CHECK(Hex(storage.RangeFingerprint(0, 200).value()) == "1a0e57bff587c6a07939268d1f38e9a2");
}

}  // namespace
}  // namespace shequ::reconcile
