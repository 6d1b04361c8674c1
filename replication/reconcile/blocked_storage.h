// Storage whose range fingerprints cost O(blocks + 2 x block size) item reads instead of O(range).
//
// Fingerprint sums form a group mod 2^256, so a BlockIndex keeps, for runs ("blocks") of about
// block_size consecutive items, their count, id sum and first item. The sum of a range is then
// the cached sums of the whole blocks inside it plus the edge blocks' partial sums; an edge is read
// directly or as the block sum minus its complement, whichever reads fewer items (at most
// block_size each). Lower-bound searches bisect the cached first items, then one block.
//
// The index does not know where items live: it reads them through an ItemSource (items by rank),
// so the same logic serves the in-memory SortedItemVector here and a persistent backend (LMDB)
// that implements ItemSource and tells the index about every insert and erase. Blocks hold 1 to
// 2 x block_size items: inserts split a full block (one read of it), erases merge small
// neighbours (no reads). Neither the index nor the storage is thread-safe.
#pragma once

#include <cstddef>
#include <vector>

#include "replication/reconcile/storage.h"

namespace shequ::reconcile {

// A sorted sequence of unique items, addressed by rank.
class ItemSource {
 public:
  virtual ~ItemSource() = default;
  virtual size_t size() const = 0;
  // REQUIRES: index < size().
  virtual Result<Item> ItemAt(size_t index) = 0;
  // Calls fn for the items [begin, end) until it returns false. The default calls ItemAt for each;
  // a backend with cursors should do better.
  virtual Status Scan(size_t begin, size_t end, const Storage::ItemFn& fn);
};

// The in-memory ItemSource.
class SortedItemVector final : public ItemSource {
 public:
  // The rank the item now has. kAlreadyExists if present, kInvalidArgument for kInfinity.
  Result<size_t> Insert(const Item& item);
  // The rank the item had. kNotFound if absent.
  Result<size_t> Erase(const Item& item);

  size_t size() const override { return items_.size(); }
  Result<Item> ItemAt(size_t index) override;
  Status Scan(size_t begin, size_t end, const Storage::ItemFn& fn) override;

 private:
  std::vector<Item> items_;
};

class BlockIndex {
 public:
  static constexpr size_t kDefaultBlockSize = 64;

  // REQUIRES: block_size >= 2.
  explicit BlockIndex(size_t block_size = kDefaultBlockSize);

  // Forgets everything and indexes `source` from scratch: reads every item once.
  Status Build(ItemSource& source);
  // A block as a persistent backend keeps it: its first item, item count and id sum.
  struct StoredBlock {
    Item first;
    size_t count = 0;
    IdSum sum;
  };
  // Forgets everything and takes the blocks a backend persisted (in order, each non-empty):
  // reads no item at all.
  Status Load(const std::vector<StoredBlock>& blocks);
  // Call right after `item` was inserted into the source at rank `index`.
  Status OnInsert(ItemSource& source, size_t index, const Item& item);
  // Call right after `item` was erased from the source; it had rank `index`.
  Status OnErase(ItemSource& source, size_t index, const Item& item);

  // The sum of the ids [begin, end). Reads at most 2 x block_size items.
  Result<IdSum> RangeSum(ItemSource& source, size_t begin, size_t end);
  // The rank of the first item not less than `point` (item_count() if none). Reads at most
  // log2(2 x block_size) + 1 items.
  Result<size_t> LowerBound(ItemSource& source, const Item& point);

  // Where rank `index` lives: the first item of its block and the offset from it. A backend
  // without rank lookups (LMDB) implements ItemAt by seeking to that item and stepping `offset`
  // entries (fewer than 2 x block_size). REQUIRES: index < item_count().
  struct Location {
    Item block_first;
    size_t offset = 0;
  };
  Location Locate(size_t index) const {
    const size_t b = BlockOf(index);
    return Location{blocks_[b].first, index - starts_[b]};
  }

  size_t item_count() const { return starts_.back(); }
  size_t block_count() const { return blocks_.size(); }
  size_t block_size() const { return block_size_; }

  // Recomputes everything from the source and compares (tests, repair tools).
  Status Verify(ItemSource& source);

 private:
  struct Block {
    size_t count = 0;
    IdSum sum;
    Item first;
  };

  // The block holding rank `index`. REQUIRES: index < item_count().
  size_t BlockOf(size_t index) const;
  Result<IdSum> PartialSum(ItemSource& source, size_t block, size_t lo, size_t hi);
  Status CheckInSync(const ItemSource& source) const;
  Status Split(ItemSource& source, size_t block);
  void MergeWithNext(size_t block);

  size_t block_size_;
  std::vector<Block> blocks_;
  std::vector<size_t> starts_{0};  // starts_[b]: rank of block b's first item; back(): total
};

// A Storage over an ItemSource and its BlockIndex (both borrowed; they must stay in step).
class BlockedStorage final : public Storage {
 public:
  BlockedStorage(ItemSource& source, BlockIndex& index) : source_(source), index_(index) {}

  size_t size() const override { return source_.size(); }
  Result<Item> GetItem(size_t index) override;
  Status Iterate(size_t begin, size_t end, const ItemFn& fn) override;
  Result<size_t> FindLowerBound(size_t begin, size_t end, const Bound& bound) override;
  Result<Fingerprint> RangeFingerprint(size_t begin, size_t end) override;

 private:
  ItemSource& source_;
  BlockIndex& index_;
};

// Items in memory with a block index kept up to date on every insert and erase.
class InMemoryBlockedSet {
 public:
  explicit InMemoryBlockedSet(size_t block_size = BlockIndex::kDefaultBlockSize)
      : index_(block_size) {}
  InMemoryBlockedSet(const InMemoryBlockedSet&) = delete;
  InMemoryBlockedSet& operator=(const InMemoryBlockedSet&) = delete;

  Status Insert(uint64_t timestamp, const Id32& id);
  Status Erase(uint64_t timestamp, const Id32& id);

  Storage& storage() { return storage_; }
  BlockIndex& index() { return index_; }
  SortedItemVector& items() { return items_; }

 private:
  SortedItemVector items_;
  BlockIndex index_;
  BlockedStorage storage_{items_, index_};
};

}  // namespace shequ::reconcile
