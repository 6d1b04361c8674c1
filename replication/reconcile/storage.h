// What a reconciliation session needs from the set it reconciles: a sorted, indexable sequence of
// items that does not change during the session. Indexes are ranks in the sort order, 0..size().
//
// Every call that reads items returns a Status, so a persistent backend can report I/O failure or
// corruption. A session calls these from one thread; implementations need no locking of their own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "node/base/status.h"
#include "replication/reconcile/fingerprint.h"
#include "replication/reconcile/item.h"

namespace shequ::reconcile {

class Storage {
 public:
  // Return false to stop the iteration early.
  using ItemFn = std::function<bool(const Item& item, size_t index)>;

  virtual ~Storage() = default;

  virtual size_t size() const = 0;
  // REQUIRES: index < size(), otherwise kInvalidArgument.
  virtual Result<Item> GetItem(size_t index) = 0;
  // Calls fn for the items [begin, end) in order. REQUIRES: begin <= end <= size().
  virtual Status Iterate(size_t begin, size_t end, const ItemFn& fn) = 0;
  // The first index in [begin, end) whose item is not less than bound.point, or end if none.
  virtual Result<size_t> FindLowerBound(size_t begin, size_t end, const Bound& bound) = 0;
  // The fingerprint of the items [begin, end).
  virtual Result<Fingerprint> RangeFingerprint(size_t begin, size_t end) = 0;
};

// A checked range for implementations.
inline Status CheckRange(size_t begin, size_t end, size_t size) {
  if (begin > end || end > size) {
    return Status::Invalid("bad item range [" + std::to_string(begin) + ", " + std::to_string(end) +
                           ") of " + std::to_string(size));
  }
  return Status::Ok();
}

}  // namespace shequ::reconcile
