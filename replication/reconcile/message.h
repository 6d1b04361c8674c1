// Negentropy V1 messages (docs/RECONCILE.md has the grammar):
//
//   Message := 0x61 Range*        Range := Bound Mode(Varint) Payload
//   Bound   := Varint(encoded timestamp) Varint(prefix length) prefix-bytes
//
// A bound's timestamp goes on the wire as 0 for infinity, otherwise as 1 + the difference from the
// previous bound's timestamp in the same message (the first is relative to 0). BoundWriter and
// BoundReader carry that state; use a fresh pair for every message.
#pragma once

#include <string>
#include <vector>

#include "node/base/bytes.h"
#include "node/base/status.h"
#include "replication/reconcile/fingerprint.h"
#include "replication/reconcile/item.h"
#include "replication/reconcile/varint.h"

namespace shequ::reconcile {

class BoundWriter {
 public:
  void Put(Bytes& out, const Bound& bound);

 private:
  uint64_t last_timestamp_ = 0;
};

class BoundReader {
 public:
  // A delta that would pass 2^64 - 1 saturates to infinity, as in the reference implementation.
  // kCorruption for a prefix longer than 32 bytes or a truncated bound.
  Result<Bound> Read(WireReader& in);

 private:
  uint64_t last_timestamp_ = 0;
};

// One decoded range, for tests, tools and diagnostics; sessions decode as they go instead.
struct WireRange {
  Bound upper;
  Mode mode = Mode::kSkip;
  Fingerprint fingerprint{};  // kFingerprint
  std::vector<Id32> ids;      // kIdList
};

struct WireMessage {
  uint8_t version = kProtocolVersion;
  std::vector<WireRange> ranges;
};

// Decodes a whole message. A version byte other than 0x61 yields only `version` (a server's
// "use this version" answer); kCorruption for anything malformed.
Result<WireMessage> ParseMessage(ByteView message);
Bytes SerializeMessage(const WireMessage& message);

// One line per range, e.g. "Fingerprint(ts=17 prefix=ab) 5f3e..." or "IdList(inf) 3 ids";
// "<error>" if the message does not parse.
std::string DescribeMessage(ByteView message);

}  // namespace shequ::reconcile
