// The reconciliation index of a replica: for every community, its changes in (hlc, id) order
// (the `by_scope` database) are cut into blocks of about 64 whose item count and id sum are kept
// in `scope_blocks`, updated in the same transaction as each new change. A reconciliation session
// then loads a community's blocks (n/64 records) instead of its n items, and computes a range
// fingerprint from block sums plus at most two partial blocks (docs/RECONCILE.md): checking an
// in-sync community of 10,000 changes reads about 160 block records and a few hundred items.
//
// The block layout depends on the order changes arrived in, so it is not part of the state
// compared by `shequ verify`; verify checks its invariant instead (CheckScopeIndex).
#pragma once

#include <memory>
#include <string>

#include "node/store/store.h"
#include "replication/reconcile/blocked_storage.h"

namespace shequ::crdt {

inline constexpr size_t kScopeBlockSize = 64;

// Records a change just put into by_scope. REQUIRES: txn is a write transaction of `store`.
Status ScopeIndexInsert(store::Store& store, store::Txn& txn, std::string_view community,
                        uint64_t hlc, const Id32& id);
// Forgets a change just deleted from by_scope (a revoked node's change being removed): its
// block loses one item (a block left empty goes; a block whose first item it was starts at the
// next item). REQUIRES: a write transaction of `store`; the item is no longer in by_scope.
Status ScopeIndexRemove(store::Store& store, store::Txn& txn, std::string_view community,
                        uint64_t hlc, const Id32& id);

// A reconciliation Storage over one community's changes as seen by `txn`, which must stay open
// (and unchanged) while the storage is used.
class CommunityStorage final : public reconcile::Storage {
 public:
  static Result<std::unique_ptr<CommunityStorage>> Open(store::Store& store, const store::Txn& txn,
                                                        std::string_view community);

  size_t size() const override { return storage_.size(); }
  Result<reconcile::Item> GetItem(size_t index) override { return storage_.GetItem(index); }
  Status Iterate(size_t begin, size_t end, const ItemFn& fn) override {
    return storage_.Iterate(begin, end, fn);
  }
  Result<size_t> FindLowerBound(size_t begin, size_t end, const reconcile::Bound& bound) override {
    return storage_.FindLowerBound(begin, end, bound);
  }
  Result<reconcile::Fingerprint> RangeFingerprint(size_t begin, size_t end) override {
    return storage_.RangeFingerprint(begin, end);
  }
  // Items read from by_scope so far (tests measure the cost of a session with it).
  size_t items_read() const { return source_.reads; }
  size_t blocks_loaded() const { return blocks_loaded_; }

 private:
  struct Source final : reconcile::ItemSource {
    store::Store* store = nullptr;
    const store::Txn* txn = nullptr;
    std::string community;
    reconcile::BlockIndex* index = nullptr;
    size_t count = 0;
    size_t reads = 0;
    size_t size() const override { return count; }
    Result<reconcile::Item> ItemAt(size_t index) override;
    Status Scan(size_t begin, size_t end, const reconcile::Storage::ItemFn& fn) override;
  };
  CommunityStorage() : storage_(source_, index_) {}

  Source source_;
  reconcile::BlockIndex index_{kScopeBlockSize};
  reconcile::BlockedStorage storage_;
  size_t blocks_loaded_ = 0;
};

// Every block's count and sum equal what its items add up to, and blocks cover by_scope exactly.
Status CheckScopeIndex(store::Store& store, const store::Txn& txn);

}  // namespace shequ::crdt
