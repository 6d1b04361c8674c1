// The simplest Storage: items in a sorted vector, fingerprints computed by reading every item of a
// range. Fill it with Insert(), then Seal() (which sorts and rejects duplicates); only a sealed
// storage can be reconciled, and a sealed one takes no more items.
#pragma once

#include <vector>

#include "replication/reconcile/storage.h"

namespace shequ::reconcile {

class VectorStorage final : public Storage {
 public:
  VectorStorage() = default;

  // kInvalidArgument for the reserved timestamp kInfinity or once sealed.
  Status Insert(uint64_t timestamp, const Id32& id);
  // Sorts; kInvalidArgument if an item occurs twice or if already sealed.
  Status Seal();
  bool sealed() const { return sealed_; }

  size_t size() const override { return items_.size(); }
  Result<Item> GetItem(size_t index) override;
  Status Iterate(size_t begin, size_t end, const ItemFn& fn) override;
  Result<size_t> FindLowerBound(size_t begin, size_t end, const Bound& bound) override;
  Result<Fingerprint> RangeFingerprint(size_t begin, size_t end) override;

  const std::vector<Item>& items() const { return items_; }

 private:
  Status CheckSealed() const;

  std::vector<Item> items_;
  bool sealed_ = false;
};

}  // namespace shequ::reconcile
