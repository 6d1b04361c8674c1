// Sessions between two of our own reconcilers on seeded random sets: they must always end with
// exactly the symmetric difference, whatever the frame size limits; malformed input is refused.
#include "replication/reconcile/reconciler.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <random>
#include <set>

#include "replication/reconcile/blocked_storage.h"
#include "replication/reconcile/vector_storage.h"
#include "tests/reconcile/test_sets.h"

namespace shequ::reconcile {
namespace {

using testing::MakeSetPair;
using testing::SetPair;
using testing::SetSpec;
using testing::Timestamps;

VectorStorage Sealed(const std::vector<Item>& items) {
  VectorStorage s;
  for (const Item& item : items) REQUIRE(s.Insert(item.timestamp, item.id).ok());
  REQUIRE(s.Seal().ok());
  return s;
}

struct Transcript {
  std::vector<Bytes> messages;  // initiator, responder, initiator, ...
  std::vector<Id32> have, need;
};

// Runs a whole session; every message must fit its sender's frame size limit.
Transcript Run(Storage& a, Storage& b, uint64_t limit_a, uint64_t limit_b) {
  Transcript t;
  auto initiator = Reconciler::Create(a, limit_a).value();
  auto responder = Reconciler::Create(b, limit_b).value();
  Bytes msg = initiator.Initiate().value();
  for (int round = 0;; ++round) {
    REQUIRE(round < 10'000);
    if (limit_a) REQUIRE(msg.size() <= limit_a);
    t.messages.push_back(msg);
    auto reply = responder.Reconcile(msg);
    REQUIRE_MESSAGE(reply.ok(), reply.status().ToString());
    if (limit_b) REQUIRE(reply->size() <= limit_b);
    t.messages.push_back(*reply);
    auto next = initiator.Reconcile(*reply, &t.have, &t.need);
    REQUIRE_MESSAGE(next.ok(), next.status().ToString());
    if (!next->has_value()) break;
    msg = std::move(**next);
  }
  return t;
}

// With a frame size limit an id can come up twice: a cut message closes with a fingerprint from
// the current range on, while the peer compares everything since the last bound it was sent, so
// ranges already settled are compared again (reference behaviour; docs/RECONCILE.md).
enum class Repeats { kNever, kAllowed };

void CheckDifference(const Transcript& t, const SetPair& sets, Repeats repeats) {
  std::set<Id32> have(t.have.begin(), t.have.end()), need(t.need.begin(), t.need.end());
  if (repeats == Repeats::kNever) {
    CHECK(have.size() == t.have.size());
    CHECK(need.size() == t.need.size());
  }
  CHECK(have == sets.only_a);
  CHECK(need == sets.only_b);
}

uint64_t SeedFromEnv(uint64_t fallback) {
  const char* s = std::getenv("SHEQU_RECONCILE_SEED");
  return s ? std::strtoull(s, nullptr, 10) : fallback;
}

TEST_CASE("sessions converge to the exact symmetric difference (seeded; SHEQU_RECONCILE_SEED)") {
  const uint64_t base_seed = SeedFromEnv(20240601);
  std::mt19937_64 rng(base_seed);
  const size_t sizes[] = {0, 1, 2, 31, 32, 33, 64, 500, 3000, 20000};
  const uint64_t limits[] = {0, 4096, 5000, 20000, 65536};
  int cases = 0;
  for (size_t total : sizes) {
    for (int variant = 0; variant < 6; ++variant) {
      SetSpec spec;
      spec.seed = rng();
      // Differences from none to all, in various proportions.
      size_t diff = variant == 0 ? 0 : variant == 1 ? total : rng() % (total + 1);
      if (variant == 2) diff = std::min<size_t>(total, 1 + rng() % 5);
      spec.shared = total - diff;
      spec.only_a = diff == 0 ? 0 : rng() % (diff + 1);
      spec.only_b = diff - spec.only_a;
      spec.timestamps = static_cast<Timestamps>(rng() % 3);
      spec.differences_at_tail = rng() % 2;
      const uint64_t limit_a = limits[rng() % 5], limit_b = limits[rng() % 5];
      CAPTURE(base_seed);
      CAPTURE(spec.ToString());
      CAPTURE(limit_a);
      CAPTURE(limit_b);
      SetPair sets = MakeSetPair(spec);

      VectorStorage a = Sealed(sets.a), b = Sealed(sets.b);
      Transcript t = Run(a, b, limit_a, limit_b);
      CheckDifference(t, sets, limit_a || limit_b ? Repeats::kAllowed : Repeats::kNever);

      // A storage with a block index must say exactly the same things.
      InMemoryBlockedSet ba(8), bb(64);
      for (const Item& item : sets.a) REQUIRE(ba.Insert(item.timestamp, item.id).ok());
      for (const Item& item : sets.b) REQUIRE(bb.Insert(item.timestamp, item.id).ok());
      Transcript tb = Run(ba.storage(), bb.storage(), limit_a, limit_b);
      CHECK(tb.messages == t.messages);
      CHECK(tb.have == t.have);
      CHECK(tb.need == t.need);
      ++cases;
    }
  }
  MESSAGE(cases, " sessions from seed ", base_seed);
}

TEST_CASE("a small frame limit costs rounds, not correctness") {
  SetSpec spec;
  spec.seed = 99;
  spec.shared = 2000;
  spec.only_a = 3000;
  spec.only_b = 3000;
  SetPair sets = MakeSetPair(spec);
  VectorStorage a = Sealed(sets.a), b = Sealed(sets.b);
  Transcript unlimited = Run(a, b, 0, 0);
  Transcript limited = Run(a, b, 4096, 4096);
  CheckDifference(unlimited, sets, Repeats::kNever);
  CheckDifference(limited, sets, Repeats::kAllowed);
  CHECK(limited.messages.size() > unlimited.messages.size());
}

TEST_CASE("initiate: fewer than 32 items go as one id list; more as 16 fingerprints") {
  SetSpec spec;
  spec.shared = 31;
  VectorStorage small = Sealed(MakeSetPair(spec).a);
  auto r = Reconciler::Create(small).value();
  Bytes msg = r.Initiate().value();
  auto parsed = ParseMessage(msg).value();
  REQUIRE(parsed.ranges.size() == 1);
  CHECK(parsed.ranges[0].mode == Mode::kIdList);
  CHECK(parsed.ranges[0].ids.size() == 31);
  CHECK(parsed.ranges[0].upper.point.timestamp == kInfinity);
  CHECK(msg.size() == 1 + 2 + 1 + 1 + 31 * 32);

  spec.shared = 32 * 16 + 5;
  VectorStorage big = Sealed(MakeSetPair(spec).a);
  auto r2 = Reconciler::Create(big).value();
  parsed = ParseMessage(r2.Initiate().value()).value();
  REQUIRE(parsed.ranges.size() == 16);
  for (const WireRange& range : parsed.ranges) CHECK(range.mode == Mode::kFingerprint);
  CHECK(parsed.ranges.back().upper.point.timestamp == kInfinity);
  // The first 5 buckets take 33 items, the rest 32: bucket 5 starts at item 5 x 33.
  Bound expected = MinimalBound(big.items()[5 * 33 - 1], big.items()[5 * 33]);
  CHECK(parsed.ranges[4].upper.point == expected.point);
  CHECK(parsed.ranges[4].upper.prefix_len == expected.prefix_len);
  CHECK(parsed.ranges[0].fingerprint == big.RangeFingerprint(0, 33).value());

  VectorStorage empty = Sealed({});
  auto r3 = Reconciler::Create(empty).value();
  CHECK(Hex(r3.Initiate().value()) == "6100000200");
}

TEST_CASE("API misuse is an error, not a crash") {
  VectorStorage s = Sealed({});
  CHECK(Reconciler::Create(s, 100).status().code() == Code::kInvalidArgument);
  CHECK(Reconciler::Create(s, 4095).status().code() == Code::kInvalidArgument);
  CHECK(Reconciler::Create(s, 4096).ok());
  auto r = Reconciler::Create(s).value();
  std::vector<Id32> have, need;
  Bytes query = Unhex("6100000200").value();
  CHECK(r.Reconcile(query, &have, &need).status().code() == Code::kInvalidArgument);
  REQUIRE(r.Initiate().ok());
  CHECK(r.Initiate().status().code() == Code::kInvalidArgument);
  CHECK(r.Reconcile(query).status().code() == Code::kInvalidArgument);
  CHECK(r.Reconcile(query, nullptr, &need).status().code() == Code::kInvalidArgument);
}

TEST_CASE("protocol versions: a responder names its own, an initiator gives up") {
  VectorStorage s = Sealed({});
  auto responder = Reconciler::Create(s).value();
  CHECK(Hex(responder.Reconcile(Unhex("62").value()).value()) == "61");
  CHECK(Hex(responder.Reconcile(Unhex("6f0000").value()).value()) == "61");
  CHECK(responder.Reconcile(Unhex("70").value()).status().code() == Code::kCorruption);
  CHECK(responder.Reconcile(Bytes{}).status().code() == Code::kCorruption);
  CHECK(Hex(responder.Reconcile(Unhex("61").value()).value()) == "61");

  auto initiator = Reconciler::Create(s).value();
  REQUIRE(initiator.Initiate().ok());
  std::vector<Id32> have, need;
  CHECK(initiator.Reconcile(Unhex("62").value(), &have, &need).status().code() ==
        Code::kInvalidArgument);
}

TEST_CASE("malformed messages are corruption; have/need stay untouched") {
  SetSpec spec;
  spec.shared = 100;
  spec.only_b = 5;
  SetPair sets = MakeSetPair(spec);
  VectorStorage a = Sealed(sets.a);
  const char* bad[] = {
      "6100",                          // bound without prefix length
      "610000",                        // no mode
      "61000003",                      // unknown mode
      "610000010102",                  // fingerprint cut short
      "6100000201",                    // id list says 1 id, has none
      "610021",                        // prefix of 33 bytes
      "6100ff",                        // prefix length varint cut short
      "6181808080808080808080800000",  // timestamp varint longer than 64 bits
      "61000002ffffffffffffffff7f",    // absurd id count
  };
  for (const char* hex : bad) {
    CAPTURE(hex);
    auto responder = Reconciler::Create(a).value();
    auto r = responder.Reconcile(Unhex(hex).value());
    CHECK(r.status().code() == Code::kCorruption);

    auto initiator = Reconciler::Create(a).value();
    REQUIRE(initiator.Initiate().ok());
    std::vector<Id32> have, need;
    auto i = initiator.Reconcile(Unhex(hex).value(), &have, &need);
    CHECK(i.status().code() == Code::kCorruption);
    CHECK(have.empty());
    CHECK(need.empty());
  }

  // A valid id list followed by garbage reports nothing.
  auto initiator = Reconciler::Create(a).value();
  REQUIRE(initiator.Initiate().ok());
  Bytes msg = Unhex("6100000201").value();
  Append(msg, sets.b[0].id);
  msg.push_back(0x05);  // a bound cut short
  std::vector<Id32> have, need;
  CHECK(!initiator.Reconcile(msg, &have, &need).ok());
  CHECK(have.empty());
  CHECK(need.empty());
}

TEST_CASE("random corruptions of real messages never crash") {
  std::mt19937_64 rng(SeedFromEnv(5));
  SetSpec spec;
  spec.seed = 11;
  spec.shared = 3000;
  spec.only_a = 40;
  spec.only_b = 40;
  spec.timestamps = Timestamps::kClustered;
  SetPair sets = MakeSetPair(spec);
  VectorStorage a = Sealed(sets.a), b = Sealed(sets.b);
  Transcript t = Run(a, b, 0, 0);
  int accepted = 0, refused = 0;
  for (int i = 0; i < 3000; ++i) {
    Bytes msg = t.messages[rng() % t.messages.size()];
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !msg.empty(); ++e) {
      size_t pos = rng() % msg.size();
      switch (rng() % 3) {
        case 0:
          msg[pos] = static_cast<uint8_t>(rng());
          break;
        case 1:
          msg.resize(pos);
          break;
        default:
          msg.insert(msg.begin() + static_cast<ptrdiff_t>(pos), static_cast<uint8_t>(rng()));
      }
    }
    auto responder = Reconciler::Create(b, rng() % 2 ? 0 : 4096).value();
    auto out = responder.Reconcile(msg);
    (out.ok() ? accepted : refused)++;
    auto initiator = Reconciler::Create(a).value();
    initiator.SetInitiator();
    std::vector<Id32> have, need;
    auto out2 = initiator.Reconcile(msg, &have, &need);
    (out2.ok() ? accepted : refused)++;
  }
  MESSAGE(accepted, " corrupted messages processed, ", refused, " refused");
  CHECK(refused > 0);
}

}  // namespace
}  // namespace shequ::reconcile
