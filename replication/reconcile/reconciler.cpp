#include "replication/reconcile/reconciler.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "replication/reconcile/varint.h"

namespace shequ::reconcile {
namespace {

constexpr uint64_t kBuckets = 16;

void PutMode(Bytes& out, Mode mode) { PutVarint(out, static_cast<uint64_t>(mode)); }

std::string HexByte(uint8_t b) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "0x%02x", b);
  return buf;
}

// The ids of an IdList range, for the initiator's have/need.
class TheirIds {
 public:
  explicit TheirIds(ByteView packed) {
    in_order_.resize(packed.size() / kIdSize);
    for (size_t i = 0; i < in_order_.size(); ++i) {
      std::copy_n(packed.begin() + static_cast<ptrdiff_t>(i * kIdSize), kIdSize,
                  in_order_[i].begin());
    }
    sorted_ = in_order_;
    std::sort(sorted_.begin(), sorted_.end());
    sorted_.erase(std::unique(sorted_.begin(), sorted_.end()), sorted_.end());
    matched_.assign(sorted_.size(), false);
  }

  // True if they listed `id` and it was not matched before; marks it as present on both sides.
  // (An id that we hold under two timestamps matches once, as in the reference.)
  bool Match(const Id32& id) {
    auto it = std::lower_bound(sorted_.begin(), sorted_.end(), id);
    if (it == sorted_.end() || *it != id) return false;
    const size_t i = static_cast<size_t>(it - sorted_.begin());
    if (matched_[i]) return false;
    matched_[i] = true;
    return true;
  }

  // Listed ids never matched, once each, in message order.
  void AppendUnmatched(std::vector<Id32>& out) {
    for (const Id32& id : in_order_) {
      size_t i = static_cast<size_t>(std::lower_bound(sorted_.begin(), sorted_.end(), id) -
                                     sorted_.begin());
      if (!matched_[i]) {
        matched_[i] = true;  // emit duplicates once
        out.push_back(id);
      }
    }
  }

 private:
  std::vector<Id32> in_order_;
  std::vector<Id32> sorted_;
  std::vector<bool> matched_;
};

}  // namespace

Result<Reconciler> Reconciler::Create(Storage& storage, uint64_t frame_size_limit) {
  if (frame_size_limit != 0 && frame_size_limit < kMinFrameSizeLimit) {
    return Status::Invalid("frame size limit " + std::to_string(frame_size_limit) +
                           " is below the minimum of 4096");
  }
  return Reconciler(storage, frame_size_limit);
}

Result<Bytes> Reconciler::Initiate() {
  if (initiator_) return Status::Invalid("reconciliation already initiated");
  initiator_ = true;
  Bytes out{kProtocolVersion};
  BoundWriter bounds;
  RETURN_IF_ERROR(SplitRange(0, storage_->size(), Bound::Infinity(), bounds, out));
  return out;
}

Result<std::optional<Bytes>> Reconciler::Reconcile(ByteView reply, std::vector<Id32>* have,
                                                   std::vector<Id32>* need) {
  if (!initiator_) return Status::Invalid("a responder has no have/need ids");
  if (have == nullptr || need == nullptr) return Status::Invalid("have and need are required");
  std::vector<Id32> new_have, new_need;
  ASSIGN_OR_RETURN(Bytes out, ProcessMessage(reply, new_have, new_need));
  have->insert(have->end(), new_have.begin(), new_have.end());
  need->insert(need->end(), new_need.begin(), new_need.end());
  if (out.size() == 1) return std::optional<Bytes>();
  return std::optional<Bytes>(std::move(out));
}

Result<Bytes> Reconciler::Reconcile(ByteView query) {
  if (initiator_) return Status::Invalid("an initiator must collect have/need ids");
  std::vector<Id32> unused_have, unused_need;
  return ProcessMessage(query, unused_have, unused_need);
}

Result<Bytes> Reconciler::ProcessMessage(ByteView message, std::vector<Id32>& have,
                                         std::vector<Id32>& need) {
  WireReader in(message);
  BoundReader bounds_in;
  BoundWriter bounds_out;
  Bytes full{kProtocolVersion};

  ASSIGN_OR_RETURN(uint8_t version, in.Byte());
  if (version < 0x60 || version > 0x6f) {
    return Status::Corruption("not a Negentropy message: version byte " + HexByte(version));
  }
  if (version != kProtocolVersion) {
    if (initiator_) {
      return Status::Invalid("peer asks for unsupported Negentropy protocol version " +
                             HexByte(version));
    }
    return full;  // tells the initiator which version we speak
  }

  const size_t size = storage_->size();
  Bound prev_bound;
  size_t prev_index = 0;
  bool skip = false;  // a Skip up to prev_bound is owed before the next non-Skip range

  while (!in.done()) {
    Bytes o;
    auto flush_skip = [&] {
      if (!skip) return;
      skip = false;
      bounds_out.Put(o, prev_bound);
      PutMode(o, Mode::kSkip);
    };

    ASSIGN_OR_RETURN(Bound curr_bound, bounds_in.Read(in));
    ASSIGN_OR_RETURN(uint64_t mode, in.Varint());

    const size_t lower = prev_index;
    ASSIGN_OR_RETURN(size_t upper, storage_->FindLowerBound(prev_index, size, curr_bound));

    if (mode == static_cast<uint64_t>(Mode::kSkip)) {
      skip = true;
    } else if (mode == static_cast<uint64_t>(Mode::kFingerprint)) {
      ASSIGN_OR_RETURN(ByteView theirs, in.Take(kFingerprintSize));
      ASSIGN_OR_RETURN(Fingerprint ours, storage_->RangeFingerprint(lower, upper));
      if (!std::equal(ours.begin(), ours.end(), theirs.begin())) {
        flush_skip();
        RETURN_IF_ERROR(SplitRange(lower, upper, curr_bound, bounds_out, o));
      } else {
        skip = true;
      }
    } else if (mode == static_cast<uint64_t>(Mode::kIdList)) {
      ASSIGN_OR_RETURN(uint64_t count, in.Varint());
      if (count > in.remaining() / kIdSize) {
        return Status::Corruption("id list of " + std::to_string(count) +
                                  " ids is longer than the message");
      }
      ASSIGN_OR_RETURN(ByteView packed, in.Take(count * kIdSize));

      if (initiator_) {
        TheirIds theirs(packed);
        RETURN_IF_ERROR(storage_->Iterate(lower, upper, [&](const Item& item, size_t) {
          if (!theirs.Match(item.id)) have.push_back(item.id);
          return true;
        }));
        theirs.AppendUnmatched(need);
        skip = true;
      } else {
        // Answer with our own ids of the range, cut short (at an exact item bound) if the frame
        // would overflow; the rest is then covered by the closing fingerprint below.
        flush_skip();
        Bytes response_ids;
        uint64_t num_response_ids = 0;
        Bound end_bound = curr_bound;
        RETURN_IF_ERROR(storage_->Iterate(lower, upper, [&](const Item& item, size_t index) {
          if (ExceedsFrameLimit(full.size() + response_ids.size())) {
            end_bound = Bound::AtItem(item);
            upper = index;
            return false;
          }
          Append(response_ids, item.id);
          ++num_response_ids;
          return true;
        }));
        bounds_out.Put(o, end_bound);
        PutMode(o, Mode::kIdList);
        PutVarint(o, num_response_ids);
        Append(o, response_ids);
        Append(full, o);
        o.clear();
      }
    } else {
      return Status::Corruption("unknown range mode " + std::to_string(mode));
    }

    if (ExceedsFrameLimit(full.size() + o.size())) {
      // Stop here and ask the peer to compare everything from `upper` on with one fingerprint.
      ASSIGN_OR_RETURN(Fingerprint rest, storage_->RangeFingerprint(upper, size));
      bounds_out.Put(full, Bound::Infinity());
      PutMode(full, Mode::kFingerprint);
      Append(full, rest);
      break;
    }
    Append(full, o);

    prev_index = upper;
    prev_bound = curr_bound;
  }
  return full;
}

Status Reconciler::SplitRange(size_t lower, size_t upper, const Bound& upper_bound,
                              BoundWriter& bounds, Bytes& out) {
  const uint64_t num = upper - lower;
  if (num < 2 * kBuckets) {
    bounds.Put(out, upper_bound);
    PutMode(out, Mode::kIdList);
    PutVarint(out, num);
    return storage_->Iterate(lower, upper, [&](const Item& item, size_t) {
      Append(out, item.id);
      return true;
    });
  }

  const uint64_t per_bucket = num / kBuckets;
  const uint64_t with_extra = num % kBuckets;  // the first buckets take one more item
  size_t curr = lower;
  for (uint64_t i = 0; i < kBuckets; ++i) {
    const size_t bucket_size = static_cast<size_t>(per_bucket + (i < with_extra ? 1 : 0));
    ASSIGN_OR_RETURN(Fingerprint fp, storage_->RangeFingerprint(curr, curr + bucket_size));
    curr += bucket_size;
    Bound next = upper_bound;
    if (curr != upper) {
      ASSIGN_OR_RETURN(Item prev_item, storage_->GetItem(curr - 1));
      ASSIGN_OR_RETURN(Item curr_item, storage_->GetItem(curr));
      next = MinimalBound(prev_item, curr_item);
    }
    bounds.Put(out, next);
    PutMode(out, Mode::kFingerprint);
    Append(out, fp);
  }
  return Status::Ok();
}

}  // namespace shequ::reconcile
