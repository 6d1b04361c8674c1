#include "replication/reconcile/blocked_storage.h"

#include <algorithm>
#include <string>

namespace shequ::reconcile {

Status ItemSource::Scan(size_t begin, size_t end, const Storage::ItemFn& fn) {
  RETURN_IF_ERROR(CheckRange(begin, end, size()));
  for (size_t i = begin; i < end; ++i) {
    ASSIGN_OR_RETURN(Item item, ItemAt(i));
    if (!fn(item, i)) break;
  }
  return Status::Ok();
}

// ---- SortedItemVector

Result<size_t> SortedItemVector::Insert(const Item& item) {
  if (item.timestamp == kInfinity) return Status::Invalid("timestamp 2^64-1 is reserved");
  auto it = std::lower_bound(items_.begin(), items_.end(), item);
  if (it != items_.end() && *it == item) return Status::Exists("item already present");
  size_t rank = static_cast<size_t>(it - items_.begin());
  items_.insert(it, item);
  return rank;
}

Result<size_t> SortedItemVector::Erase(const Item& item) {
  auto it = std::lower_bound(items_.begin(), items_.end(), item);
  if (it == items_.end() || *it != item) return Status::NotFound("item not present");
  size_t rank = static_cast<size_t>(it - items_.begin());
  items_.erase(it);
  return rank;
}

Result<Item> SortedItemVector::ItemAt(size_t index) {
  if (index >= items_.size()) return Status::Invalid("item index out of range");
  return items_[index];
}

Status SortedItemVector::Scan(size_t begin, size_t end, const Storage::ItemFn& fn) {
  RETURN_IF_ERROR(CheckRange(begin, end, items_.size()));
  for (size_t i = begin; i < end; ++i) {
    if (!fn(items_[i], i)) break;
  }
  return Status::Ok();
}

// ---- BlockIndex

BlockIndex::BlockIndex(size_t block_size) : block_size_(std::max<size_t>(block_size, 2)) {}

Status BlockIndex::Build(ItemSource& source) {
  blocks_.clear();
  starts_.assign(1, 0);
  return source.Scan(0, source.size(), [&](const Item& item, size_t) {
    if (blocks_.empty() || blocks_.back().count == block_size_) {
      blocks_.push_back(Block{0, IdSum(), item});
      starts_.push_back(starts_.back());
    }
    blocks_.back().count++;
    blocks_.back().sum.Add(item.id);
    starts_.back()++;
    return true;
  });
}

Status BlockIndex::Load(const std::vector<StoredBlock>& blocks) {
  blocks_.clear();
  starts_.assign(1, 0);
  for (const StoredBlock& b : blocks) {
    if (b.count == 0) return Status::Corruption("an empty block in a persisted block index");
    if (!blocks_.empty() && !(blocks_.back().first < b.first))
      return Status::Corruption("persisted blocks out of order");
    blocks_.push_back(Block{b.count, b.sum, b.first});
    starts_.push_back(starts_.back() + b.count);
  }
  return Status::Ok();
}

size_t BlockIndex::BlockOf(size_t index) const {
  // The last block whose start is <= index.
  auto it = std::upper_bound(starts_.begin(), starts_.end() - 1, index);
  return static_cast<size_t>(it - starts_.begin()) - 1;
}

Status BlockIndex::CheckInSync(const ItemSource& source) const {
  if (source.size() != item_count()) {
    return Status::Internal("block index covers " + std::to_string(item_count()) +
                            " items, source has " + std::to_string(source.size()));
  }
  return Status::Ok();
}

Status BlockIndex::OnInsert(ItemSource& source, size_t index, const Item& item) {
  if (index > item_count()) return Status::Invalid("insert position past the end");
  if (blocks_.empty()) {
    blocks_.push_back(Block{0, IdSum(), item});
    starts_.push_back(0);
  }
  const size_t b = index == item_count() ? blocks_.size() - 1 : BlockOf(index);
  Block& block = blocks_[b];
  if (index == starts_[b]) block.first = item;
  block.count++;
  block.sum.Add(item.id);
  for (size_t i = b + 1; i < starts_.size(); ++i) starts_[i]++;
  RETURN_IF_ERROR(CheckInSync(source));
  if (block.count > 2 * block_size_) return Split(source, b);
  return Status::Ok();
}

Status BlockIndex::Split(ItemSource& source, size_t b) {
  const size_t start = starts_[b];
  const size_t left_count = blocks_[b].count / 2;
  Block right{blocks_[b].count - left_count, blocks_[b].sum, Item{}};
  IdSum left_sum;
  RETURN_IF_ERROR(source.Scan(start, start + blocks_[b].count, [&](const Item& item, size_t i) {
    if (i < start + left_count) {
      left_sum.Add(item.id);
    } else if (i == start + left_count) {
      right.first = item;
    }
    return i < start + left_count;  // stop once the right block's first item is read
  }));
  right.sum.Subtract(left_sum);
  blocks_[b].count = left_count;
  blocks_[b].sum = left_sum;
  blocks_.insert(blocks_.begin() + static_cast<ptrdiff_t>(b + 1), right);
  starts_.insert(starts_.begin() + static_cast<ptrdiff_t>(b + 1), start + left_count);
  return Status::Ok();
}

Status BlockIndex::OnErase(ItemSource& source, size_t index, const Item& item) {
  if (index >= item_count()) return Status::Invalid("erase position past the end");
  const size_t b = BlockOf(index);
  Block& block = blocks_[b];
  block.count--;
  block.sum.Subtract(item.id);
  for (size_t i = b + 1; i < starts_.size(); ++i) starts_[i]--;
  RETURN_IF_ERROR(CheckInSync(source));
  if (block.count == 0) {
    blocks_.erase(blocks_.begin() + static_cast<ptrdiff_t>(b));
    starts_.erase(starts_.begin() + static_cast<ptrdiff_t>(b + 1));
    return Status::Ok();
  }
  if (index == starts_[b]) {
    ASSIGN_OR_RETURN(block.first, source.ItemAt(index));
  }
  // Keep blocks from shrinking to nothing: merge a small block into a neighbour that has room.
  if (block.count < block_size_ / 2) {
    if (b + 1 < blocks_.size() && block.count + blocks_[b + 1].count <= 2 * block_size_) {
      MergeWithNext(b);
    } else if (b > 0 && blocks_[b - 1].count + block.count <= 2 * block_size_) {
      MergeWithNext(b - 1);
    }
  }
  return Status::Ok();
}

void BlockIndex::MergeWithNext(size_t b) {
  blocks_[b].count += blocks_[b + 1].count;
  blocks_[b].sum.Add(blocks_[b + 1].sum);
  blocks_.erase(blocks_.begin() + static_cast<ptrdiff_t>(b + 1));
  starts_.erase(starts_.begin() + static_cast<ptrdiff_t>(b + 1));
}

Result<IdSum> BlockIndex::PartialSum(ItemSource& source, size_t b, size_t lo, size_t hi) {
  const size_t start = starts_[b], end = starts_[b + 1];
  if (lo == start && hi == end) return blocks_[b].sum;
  IdSum sum;
  auto add = [&](const Item& item, size_t) {
    sum.Add(item.id);
    return true;
  };
  const size_t inside = hi - lo;
  if (inside <= (end - start) - inside) {
    RETURN_IF_ERROR(source.Scan(lo, hi, add));
    return sum;
  }
  RETURN_IF_ERROR(source.Scan(start, lo, add));
  RETURN_IF_ERROR(source.Scan(hi, end, add));
  IdSum out = blocks_[b].sum;
  out.Subtract(sum);
  return out;
}

Result<IdSum> BlockIndex::RangeSum(ItemSource& source, size_t begin, size_t end) {
  RETURN_IF_ERROR(CheckInSync(source));
  RETURN_IF_ERROR(CheckRange(begin, end, item_count()));
  if (begin == end) return IdSum();
  const size_t first = BlockOf(begin), last = BlockOf(end - 1);
  if (first == last) return PartialSum(source, first, begin, end);
  ASSIGN_OR_RETURN(IdSum sum, PartialSum(source, first, begin, starts_[first + 1]));
  for (size_t b = first + 1; b < last; ++b) sum.Add(blocks_[b].sum);
  ASSIGN_OR_RETURN(IdSum tail, PartialSum(source, last, starts_[last], end));
  sum.Add(tail);
  return sum;
}

Result<size_t> BlockIndex::LowerBound(ItemSource& source, const Item& point) {
  RETURN_IF_ERROR(CheckInSync(source));
  // Blocks whose first item is below `point`: the answer is past the first of them all.
  auto it = std::partition_point(blocks_.begin(), blocks_.end(),
                                 [&](const Block& blk) { return blk.first < point; });
  const size_t k = static_cast<size_t>(it - blocks_.begin());
  if (k == 0) return size_t{0};
  // Within block k-1, items (start, end) may still be below `point`.
  size_t lo = starts_[k - 1] + 1, hi = starts_[k];
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    ASSIGN_OR_RETURN(Item item, source.ItemAt(mid));
    if (item < point) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

Status BlockIndex::Verify(ItemSource& source) {
  RETURN_IF_ERROR(CheckInSync(source));
  for (size_t b = 0; b < blocks_.size(); ++b) {
    if (starts_[b + 1] - starts_[b] != blocks_[b].count || blocks_[b].count == 0) {
      return Status::Corruption("block " + std::to_string(b) + " has a bad count");
    }
    IdSum sum;
    RETURN_IF_ERROR(source.Scan(starts_[b], starts_[b + 1], [&](const Item& item, size_t) {
      sum.Add(item.id);
      return true;
    }));
    ASSIGN_OR_RETURN(Item first, source.ItemAt(starts_[b]));
    if (!(sum == blocks_[b].sum) || !(first == blocks_[b].first)) {
      return Status::Corruption("block " + std::to_string(b) + " is out of date");
    }
  }
  return Status::Ok();
}

// ---- BlockedStorage

Result<Item> BlockedStorage::GetItem(size_t index) {
  if (index >= source_.size()) return Status::Invalid("item index out of range");
  return source_.ItemAt(index);
}

Status BlockedStorage::Iterate(size_t begin, size_t end, const ItemFn& fn) {
  return source_.Scan(begin, end, fn);
}

Result<size_t> BlockedStorage::FindLowerBound(size_t begin, size_t end, const Bound& bound) {
  RETURN_IF_ERROR(CheckRange(begin, end, source_.size()));
  ASSIGN_OR_RETURN(size_t global, index_.LowerBound(source_, bound.point));
  return std::clamp(global, begin, end);
}

Result<Fingerprint> BlockedStorage::RangeFingerprint(size_t begin, size_t end) {
  ASSIGN_OR_RETURN(IdSum sum, index_.RangeSum(source_, begin, end));
  return sum.Finish(end - begin);
}

// ---- InMemoryBlockedSet

Status InMemoryBlockedSet::Insert(uint64_t timestamp, const Id32& id) {
  Item item{timestamp, id};
  ASSIGN_OR_RETURN(size_t rank, items_.Insert(item));
  return index_.OnInsert(items_, rank, item);
}

Status InMemoryBlockedSet::Erase(uint64_t timestamp, const Id32& id) {
  Item item{timestamp, id};
  ASSIGN_OR_RETURN(size_t rank, items_.Erase(item));
  return index_.OnErase(items_, rank, item);
}

}  // namespace shequ::reconcile
