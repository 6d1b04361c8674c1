// VectorStorage and BlockedStorage: the same answers, and the blocked one reads far fewer items.
#include <doctest/doctest.h>

#include <random>

#include "replication/reconcile/blocked_storage.h"
#include "replication/reconcile/reconciler.h"
#include "replication/reconcile/vector_storage.h"
#include "tests/reconcile/test_sets.h"

namespace shequ::reconcile {
namespace {

Id32 RandomId(std::mt19937_64& rng) {
  Id32 id;
  for (auto& b : id) b = static_cast<uint8_t>(rng());
  return id;
}

TEST_CASE("VectorStorage: sealing sorts, rejects duplicates and the reserved timestamp") {
  VectorStorage s;
  Id32 a{}, b{};
  a[0] = 2;
  b[0] = 1;
  REQUIRE(s.Insert(5, a).ok());
  REQUIRE(s.Insert(5, b).ok());
  REQUIRE(s.Insert(3, a).ok());
  CHECK(s.Insert(kInfinity, a).code() == Code::kInvalidArgument);
  CHECK(s.GetItem(0).status().code() == Code::kInvalidArgument);  // not sealed
  REQUIRE(s.Seal().ok());
  CHECK(s.Insert(1, a).code() == Code::kInvalidArgument);
  CHECK(s.items()[0] == Item{3, a});
  CHECK(s.items()[1] == Item{5, b});
  CHECK(s.items()[2] == Item{5, a});
  CHECK(s.Iterate(2, 1, [](const Item&, size_t) { return true; }).code() == Code::kInvalidArgument);
  CHECK(s.RangeFingerprint(0, 4).status().code() == Code::kInvalidArgument);
  Bound at_5a{Item{5, {}}, 1};
  at_5a.point.id[0] = 2;
  CHECK(s.FindLowerBound(0, 3, at_5a).value() == 2);
  CHECK(s.FindLowerBound(0, 1, at_5a).value() == 1);  // clamped to the searched range
  CHECK(s.FindLowerBound(0, 3, Bound::Infinity()).value() == 3);

  VectorStorage dup;
  REQUIRE(dup.Insert(5, a).ok());
  REQUIRE(dup.Insert(5, a).ok());
  CHECK(dup.Seal().code() == Code::kInvalidArgument);
}

TEST_CASE("BlockedStorage answers like VectorStorage through inserts and erases") {
  for (uint64_t seed : {1, 2, 3}) {
    CAPTURE(seed);
    std::mt19937_64 rng(seed);
    for (size_t block_size : {2, 3, 8, 64}) {
      CAPTURE(block_size);
      InMemoryBlockedSet set(block_size);
      std::vector<Item> reference;
      for (int step = 0; step < 1500; ++step) {
        bool erase = !reference.empty() && rng() % 4 == 0;
        if (erase) {
          Item victim = reference[rng() % reference.size()];
          REQUIRE(set.Erase(victim.timestamp, victim.id).ok());
          reference.erase(std::find(reference.begin(), reference.end(), victim));
        } else {
          Item item{rng() % 50, RandomId(rng)};  // few timestamps: ids decide the order
          REQUIRE(set.Insert(item.timestamp, item.id).ok());
          reference.push_back(item);
        }
        if (step % 100 != 99) continue;
        REQUIRE(set.index().Verify(set.items()).ok());
        VectorStorage vec;
        for (const Item& item : reference) REQUIRE(vec.Insert(item.timestamp, item.id).ok());
        REQUIRE(vec.Seal().ok());
        Storage& blocked = set.storage();
        REQUIRE(blocked.size() == vec.size());
        for (int q = 0; q < 50; ++q) {
          size_t i = rng() % (vec.size() + 1), j = rng() % (vec.size() + 1);
          if (i > j) std::swap(i, j);
          CHECK(blocked.RangeFingerprint(i, j).value() == vec.RangeFingerprint(i, j).value());
          Bound bound{Item{rng() % 52, RandomId(rng)}, static_cast<uint8_t>(rng() % 33)};
          std::fill(bound.point.id.begin() + bound.prefix_len, bound.point.id.end(), 0);
          CHECK(blocked.FindLowerBound(i, j, bound).value() ==
                vec.FindLowerBound(i, j, bound).value());
          if (i < vec.size()) {
            CHECK(blocked.GetItem(i).value() == vec.GetItem(i).value());
            BlockIndex::Location loc = set.index().Locate(i);
            size_t first =
                vec.FindLowerBound(0, vec.size(), Bound::AtItem(loc.block_first)).value();
            CHECK(first + loc.offset == i);
            CHECK(loc.offset < 2 * block_size);
          }
        }
      }
    }
  }
}

TEST_CASE("BlockIndex refuses to answer for a source it has not seen change") {
  SortedItemVector items;
  BlockIndex index(4);
  REQUIRE(index.Build(items).ok());
  REQUIRE(items.Insert(Item{1, {}}).ok());  // index not told
  CHECK(index.RangeSum(items, 0, 1).status().code() == Code::kInternal);
  CHECK(index.Verify(items).code() == Code::kInternal);
}

// Counts every item read from the wrapped source.
class CountingSource final : public ItemSource {
 public:
  explicit CountingSource(ItemSource& inner) : inner_(inner) {}
  size_t size() const override { return inner_.size(); }
  Result<Item> ItemAt(size_t index) override {
    ++reads;
    return inner_.ItemAt(index);
  }
  Status Scan(size_t begin, size_t end, const Storage::ItemFn& fn) override {
    return inner_.Scan(begin, end, [&](const Item& item, size_t i) {
      ++reads;
      return fn(item, i);
    });
  }
  size_t reads = 0;

 private:
  ItemSource& inner_;
};

TEST_CASE("an in-sync check over 10,000 items reads O(blocks + 2 x block size) items a range") {
  constexpr size_t kItems = 10'000, kBlock = 64;
  testing::SetSpec spec;
  spec.seed = 7;
  spec.shared = kItems;
  spec.timestamps = testing::Timestamps::kHlc;
  testing::SetPair sets = testing::MakeSetPair(spec);

  SortedItemVector items_a, items_b;
  for (const Item& item : sets.a) REQUIRE(items_a.Insert(item).ok());
  for (const Item& item : sets.b) REQUIRE(items_b.Insert(item).ok());
  CountingSource source_a(items_a), source_b(items_b);
  BlockIndex index_a(kBlock), index_b(kBlock);
  REQUIRE(index_a.Build(source_a).ok());
  REQUIRE(index_b.Build(source_b).ok());
  CHECK(index_a.block_count() == (kItems + kBlock - 1) / kBlock);
  source_a.reads = source_b.reads = 0;

  BlockedStorage storage_a(source_a, index_a), storage_b(source_b, index_b);
  SUBCASE("one range fingerprint") {
    REQUIRE(storage_a.RangeFingerprint(1, kItems - 1).ok());
    CHECK(source_a.reads <= 2);  // two items cut from full blocks
    source_a.reads = 0;
    REQUIRE(storage_a.RangeFingerprint(kBlock / 2, kItems - kBlock / 2).ok());
    CHECK(source_a.reads <= 2 * kBlock);
  }
  SUBCASE("a whole session") {
    auto initiator = Reconciler::Create(storage_a).value();
    auto responder = Reconciler::Create(storage_b).value();
    Bytes query = initiator.Initiate().value();
    Bytes reply = responder.Reconcile(query).value();
    std::vector<Id32> have, need;
    CHECK(!initiator.Reconcile(reply, &have, &need).value().has_value());
    CHECK(have.empty());
    CHECK(need.empty());
    CHECK(reply == Bytes{kProtocolVersion});
    // 16 buckets, each: a fingerprint (<= 2 x 64 reads) plus a boundary (2 reads) on the
    // initiator, a fingerprint plus a lower bound (<= log2(128) + 1 reads) on the responder.
    MESSAGE("item reads: initiator ", source_a.reads, ", responder ", source_b.reads);
    CHECK(source_a.reads <= 16 * (2 * kBlock + 2));
    CHECK(source_b.reads <= 16 * (2 * kBlock + 8));
    CHECK(source_a.reads + source_b.reads < kItems / 2);
  }
}

}  // namespace
}  // namespace shequ::reconcile
