#include "replication/reconcile/vector_storage.h"

#include <algorithm>

namespace shequ::reconcile {

Status VectorStorage::Insert(uint64_t timestamp, const Id32& id) {
  if (sealed_) return Status::Invalid("storage already sealed");
  if (timestamp == kInfinity) return Status::Invalid("timestamp 2^64-1 is reserved");
  items_.push_back(Item{timestamp, id});
  return Status::Ok();
}

Status VectorStorage::Seal() {
  if (sealed_) return Status::Invalid("storage already sealed");
  std::sort(items_.begin(), items_.end());
  if (std::adjacent_find(items_.begin(), items_.end()) != items_.end()) {
    return Status::Invalid("duplicate item");
  }
  sealed_ = true;
  return Status::Ok();
}

Status VectorStorage::CheckSealed() const {
  return sealed_ ? Status::Ok() : Status::Invalid("storage not sealed");
}

Result<Item> VectorStorage::GetItem(size_t index) {
  RETURN_IF_ERROR(CheckSealed());
  if (index >= items_.size()) return Status::Invalid("item index out of range");
  return items_[index];
}

Status VectorStorage::Iterate(size_t begin, size_t end, const ItemFn& fn) {
  RETURN_IF_ERROR(CheckSealed());
  RETURN_IF_ERROR(CheckRange(begin, end, items_.size()));
  for (size_t i = begin; i < end; ++i) {
    if (!fn(items_[i], i)) break;
  }
  return Status::Ok();
}

Result<size_t> VectorStorage::FindLowerBound(size_t begin, size_t end, const Bound& bound) {
  RETURN_IF_ERROR(CheckSealed());
  RETURN_IF_ERROR(CheckRange(begin, end, items_.size()));
  auto first = items_.begin() + static_cast<ptrdiff_t>(begin);
  auto last = items_.begin() + static_cast<ptrdiff_t>(end);
  return static_cast<size_t>(std::lower_bound(first, last, bound.point) - items_.begin());
}

Result<Fingerprint> VectorStorage::RangeFingerprint(size_t begin, size_t end) {
  RETURN_IF_ERROR(CheckSealed());
  RETURN_IF_ERROR(CheckRange(begin, end, items_.size()));
  IdSum sum;
  for (size_t i = begin; i < end; ++i) sum.Add(items_[i].id);
  return sum.Finish(end - begin);
}

}  // namespace shequ::reconcile
