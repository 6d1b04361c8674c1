// The persisted reconciliation index: the same fingerprints as a plain sorted vector, sessions
// that find exactly the difference, and an in-sync check that does not read every change.
#include "replication/crdt/scope_index.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "replication/crdt/keys.h"
#include "replication/reconcile/reconciler.h"
#include "replication/reconcile/vector_storage.h"
#include "tests/support/rng.h"
#include "tests/support/testbed.h"

using namespace shequ;
using namespace shequ::testing;
using reconcile::Item;

namespace {

constexpr char kC[] = "150302001002";

struct IndexedStore {
  TempDir dir;
  std::unique_ptr<store::Store> store;
  IndexedStore() {
    store::StoreOptions o;
    o.initial_map_size = 64 << 20;
    store = store::Store::Open(dir.path(), o).value();
  }
  void Insert(const std::vector<Item>& items, const std::string& community = kC) {
    Status st = store->Write([&](store::Txn& txn) -> Status {
      for (const Item& it : items) {
        RETURN_IF_ERROR(txn.Put(store->dbi(store::Db::kByScope),
                                crdt::ScopeKey(community, it.timestamp, it.id), {}));
        RETURN_IF_ERROR(crdt::ScopeIndexInsert(*store, txn, community, it.timestamp, it.id));
      }
      return Status::Ok();
    });
    REQUIRE_MESSAGE(st.ok(), st.ToString());
  }
};

std::vector<Item> RandomItems(Rng& rng, size_t n, uint64_t base) {
  std::vector<Item> items(n);
  for (Item& it : items) {
    // HLC-shaped stamps, many equal, so the id order matters too.
    it.timestamp = crdt::MakeHlc(base + rng.Next() % 5000, static_cast<uint16_t>(rng.Next() % 3));
    for (auto& b : it.id) b = static_cast<uint8_t>(rng.Next());
  }
  return items;
}

reconcile::VectorStorage Vector(const std::vector<Item>& items) {
  reconcile::VectorStorage v;
  for (const Item& it : items) REQUIRE(v.Insert(it.timestamp, it.id).ok());
  REQUIRE(v.Seal().ok());
  return v;
}

}  // namespace

TEST_CASE("the persisted index gives the fingerprints of a plain sorted vector") {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    CAPTURE(seed);
    Rng rng{seed};
    IndexedStore s;
    std::vector<Item> all = RandomItems(rng, 300 + seed * 700, 1'790'000'000'000ull);
    // Inserted in random order, in several transactions, with other communities interleaved.
    for (size_t i = 0; i < all.size(); i += 97) {
      std::vector<Item> part(all.begin() + static_cast<long>(i),
                             all.begin() + static_cast<long>(std::min(all.size(), i + 97)));
      s.Insert(part);
      s.Insert(RandomItems(rng, 5, 1'790'000'000'000ull), "150302001003");
    }
    auto r = s.store->BeginRead();
    REQUIRE(crdt::CheckScopeIndex(*s.store, *r).ok());
    auto cs = crdt::CommunityStorage::Open(*s.store, *r, kC);
    REQUIRE(cs.ok());
    auto vec = Vector(all);
    REQUIRE((*cs)->size() == vec.size());
    for (int k = 0; k < 200; ++k) {
      size_t a = rng.Next() % (vec.size() + 1), b = rng.Next() % (vec.size() + 1);
      if (a > b) std::swap(a, b);
      CHECK(*(*cs)->RangeFingerprint(a, b) == *vec.RangeFingerprint(a, b));
      if (a < vec.size()) CHECK(*(*cs)->GetItem(a) == *vec.GetItem(a));
    }
  }
}

TEST_CASE("a session over two persisted indexes finds exactly the difference") {
  Rng rng{42};
  IndexedStore a, b;
  std::vector<Item> common = RandomItems(rng, 5000, 1'790'000'000'000ull);
  std::vector<Item> only_a = RandomItems(rng, 40, 1'790'000'004'000ull);
  std::vector<Item> only_b = RandomItems(rng, 55, 1'790'000'004'000ull);
  a.Insert(common);
  a.Insert(only_a);
  b.Insert(common);
  b.Insert(only_b);
  auto ra = a.store->BeginRead();
  auto rb = b.store->BeginRead();
  auto sa = crdt::CommunityStorage::Open(*a.store, *ra, kC).value();
  auto sb = crdt::CommunityStorage::Open(*b.store, *rb, kC).value();
  auto init = reconcile::Reconciler::Create(*sa).value();
  auto resp = reconcile::Reconciler::Create(*sb).value();
  std::vector<Id32> have, need;
  Bytes msg = init.Initiate().value();
  for (int round = 0; round < 20; ++round) {
    Bytes reply = resp.Reconcile(msg).value();
    auto next = init.Reconcile(reply, &have, &need).value();
    if (!next) break;
    msg = *next;
  }
  std::set<Id32> h(have.begin(), have.end()), n(need.begin(), need.end());
  std::set<Id32> want_h, want_n;
  for (const Item& it : only_a) want_h.insert(it.id);
  for (const Item& it : only_b) want_n.insert(it.id);
  CHECK(h == want_h);
  CHECK(n == want_n);
}

TEST_CASE("an in-sync community of 10,000 changes is checked without reading 10,000 changes") {
  Rng rng{7};
  IndexedStore a, b;
  std::vector<Item> items = RandomItems(rng, 10000, 1'790'000'000'000ull);
  a.Insert(items);
  std::reverse(items.begin(), items.end());
  b.Insert(items);  // another arrival order: other block boundaries, same set
  auto ra = a.store->BeginRead();
  auto rb = b.store->BeginRead();
  auto sa = crdt::CommunityStorage::Open(*a.store, *ra, kC).value();
  auto sb = crdt::CommunityStorage::Open(*b.store, *rb, kC).value();
  auto init = reconcile::Reconciler::Create(*sa).value();
  auto resp = reconcile::Reconciler::Create(*sb).value();
  std::vector<Id32> have, need;
  Bytes msg = init.Initiate().value();
  Bytes reply = resp.Reconcile(msg).value();
  auto next = init.Reconcile(reply, &have, &need).value();
  CHECK_FALSE(next.has_value());
  CHECK(have.empty());
  CHECK(need.empty());
  MESSAGE("items read: initiator " << sa->items_read() << ", responder " << sb->items_read()
                                   << "; blocks loaded " << sa->blocks_loaded() << ", "
                                   << sb->blocks_loaded());
  // Each side reads under a tenth of the items: block sums, plus the edges of 16 buckets.
  CHECK(sa->items_read() < 1000);
  CHECK(sb->items_read() < 1000);
  CHECK(sa->blocks_loaded() < 10000 / 32);
}
