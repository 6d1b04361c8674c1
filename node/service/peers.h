// What a node remembers about each peer it has had sessions with: the `peers` database
// (docs/STORAGE.md). The session daemon writes these records; the usage report reads them to
// tell which local changes no peer has confirmed yet.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "node/base/bytes.h"
#include "node/base/status.h"
#include "node/service/node.h"

namespace shequ::service {

struct PeerRecord {
  std::string name;
  uint64_t last_contact = 0, last_sync = 0;  // ms
  uint64_t changes_sent = 0, changes_received = 0, rejected = 0;
  uint64_t bytes_sent = 0, bytes_received = 0;
  uint64_t sessions = 0, syncs = 0;
  // Local log position (crdt::Replica::LogEnd) everything up to which the peer has, for the
  // communities the two share: the position when the last completed sync began.
  uint64_t log_synced = 0;
  std::string last_error;
  Bytes Encode() const;
  static Result<PeerRecord> Decode(ByteView b);
};

// Every peer record, by peer node id.
Result<std::vector<std::pair<Id16, PeerRecord>>> ReadPeers(Node& node, const store::Txn& txn);
// The same in a read transaction of its own.
Result<std::vector<std::pair<Id16, PeerRecord>>> ReadPeers(Node& node);

}  // namespace shequ::service
