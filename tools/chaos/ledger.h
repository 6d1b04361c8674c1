// The acknowledged writes of a chaos run, and what the harness reads of a node's replica to find
// and check them. Replicas are opened read-only (LMDB allows readers in other processes while a
// daemon writes), briefly, for each question.
//
// A write is acknowledged when its command said so: `person set` exited 0 and printed its change
// id; `card import --json` reported the card `stored` or `updated` (each card is durable once
// reported, even if the command then fails on a later card). The changes of an import are the
// ones its node signed and stored while it ran: the harness runs one editor per node at a time
// and reads the node's arrival log before and after.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "node/base/bytes.h"
#include "node/base/status.h"

namespace shequ::chaos {

struct Ack {
  Id32 change{};
  std::string community;
  int origin = -1;   // node index
  std::string what;  // "t-heping-1 person set name=王伟 (person 12)"
};

// The local arrival log position of a replica (0 when empty).
Result<uint64_t> LogEnd(const std::string& node_dir);
// Changes stored after log position `after` that node `origin_hex` signed, leaving out the
// terminal reports and access events that daemons and refused commands write themselves.
struct Stored {
  Id32 id{};
  std::string community;
};
Result<std::vector<Stored>> OwnChangesSince(const std::string& node_dir, uint64_t after,
                                            const Id16& origin);
// Which of `ids` the replica does not hold.
Result<std::vector<Id32>> MissingChanges(const std::string& node_dir, const std::vector<Id32>& ids);
// The replica's security log of refused changes, counted by code, with one reason per code.
struct Rejections {
  std::map<std::string, size_t> by_code;
  std::map<std::string, std::string> example;
  size_t total() const;
};
Result<Rejections> ReadRejections(const std::string& node_dir);
// The node id in a node directory's certificate.
Result<Id16> NodeIdOf(const std::string& node_dir);

}  // namespace shequ::chaos
