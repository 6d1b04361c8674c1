// A range-based set reconciliation session (Negentropy protocol V1), bytes in, bytes out: no I/O.
//
// The initiator (client) calls Initiate() once, sends the message, and feeds every reply to
// Reconcile(reply, &have, &need), which appends the ids it has that the peer lacks (have) and the
// ids the peer has that it lacks (need) and returns the next message to send, or nullopt when the
// sets are reconciled. The responder (server) answers every message with Reconcile(query).
//
// Messages, the splitting rule and the frame size handling follow the reference implementation
// (hoytech/negentropy, cpp/negentropy.h) exactly, so that the bytes match other implementations;
// tests/reconcile/nip77_conformance_test.cpp checks them against nostr-tools.
//
// Malformed input is a returned Status (kCorruption), never a crash or an exception. The work per
// message is O(size + ranges in the message x log size) storage reads, less with BlockedStorage.
// The storage must not change during a session. Not thread-safe; one session per thread at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "node/base/bytes.h"
#include "node/base/status.h"
#include "replication/reconcile/message.h"
#include "replication/reconcile/storage.h"

namespace shequ::reconcile {

// Outgoing messages are kept under frame_size_limit bytes (0 means unlimited): a session that
// would go over stops early and asks the peer to fingerprint the rest, which costs extra rounds.
// Non-zero limits start at 4096, as in the reference.
inline constexpr uint64_t kMinFrameSizeLimit = 4096;

class Reconciler {
 public:
  // `storage` must outlive the reconciler. kInvalidArgument for 0 < frame_size_limit < 4096.
  static Result<Reconciler> Create(Storage& storage, uint64_t frame_size_limit = 0);

  // Initiator: the first message. kInvalidArgument if called twice or after Reconcile(query).
  Result<Bytes> Initiate();

  // Initiator: processes a reply. nullopt when done. `have` and `need` get ids appended (only when
  // the call succeeds); they hold 32-byte ids, in storage order (have) and message order (need).
  Result<std::optional<Bytes>> Reconcile(ByteView reply, std::vector<Id32>* have,
                                         std::vector<Id32>* need);

  // Responder: the reply to a query. A query in an unsupported protocol version gets the one-byte
  // message 0x61 (the version we speak) as the spec requires.
  Result<Bytes> Reconcile(ByteView query);

  // Makes this session an initiator without sending Initiate()'s message (e.g. when resuming).
  void SetInitiator() { initiator_ = true; }
  bool initiator() const { return initiator_; }
  uint64_t frame_size_limit() const { return frame_size_limit_; }

 private:
  Reconciler(Storage& storage, uint64_t frame_size_limit)
      : storage_(&storage), frame_size_limit_(frame_size_limit) {}

  Result<Bytes> ProcessMessage(ByteView message, std::vector<Id32>& have, std::vector<Id32>& need);
  // Appends the ranges that describe the items [lower, upper), ending at upper_bound: all their
  // ids if fewer than 32, otherwise 16 fingerprinted buckets of (nearly) equal size.
  Status SplitRange(size_t lower, size_t upper, const Bound& upper_bound, BoundWriter& bounds,
                    Bytes& out);
  bool ExceedsFrameLimit(size_t n) const {
    return frame_size_limit_ != 0 && n > frame_size_limit_ - 200;
  }

  Storage* storage_;  // not owned
  uint64_t frame_size_limit_;
  bool initiator_ = false;
};

}  // namespace shequ::reconcile
