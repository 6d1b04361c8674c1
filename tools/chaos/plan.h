// What a chaos run does, decided from its seed before it starts: the city (nodes, who dials
// whom, clock offsets, transport faults) and the timeline of events (edits, conflicting edits,
// partitions, the village's flapping link, kill -9 and restarts). Execution only adapts the
// timing (an edit waits while its node's previous editor runs), never a decision, so a seed
// replays the same run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "replication/transport/faults.h"

namespace shequ::gen {
class Rng;
}

namespace shequ::chaos {

inline constexpr int64_t kHourMs = 3'600'000;
inline constexpr int64_t kDayMs = 24 * kHourMs;
// Clock offsets stay within this many days either way (certificates are back-dated to cover
// them, see Options::backdate).
inline constexpr int64_t kMaxOffsetDays = 3;

struct Options {
  uint64_t seed = 1;
  int duration_s = 150;  // the chaos phase; setup, healing and checks come on top
  std::string shequ;     // the binary
  std::string keep;      // run in this directory and keep it
  int communities = 3;   // 1 to 3; the third is a village with an intermittent link
  int terminals = 2;     // the first community's; the others get one less (at least one)
  int districts = 2;     // 1 or 2 (with 2 the village belongs to the second)
  bool department = true;
  int persons = 30;               // base population per community
  double edit_every_s = 5;        // mean time between edits of one collecting node
  double partition_every_s = 10;  // mean time between new partitions
  double kill_every_s = 15;       // mean time between kill -9 of a daemon
  int converge_timeout_s = 120;
  bool loopback = false;  // force the loopback network with the relay
  bool faults = true;     // transport fault injection (loss, duplication, delay) on some daemons
  bool clock_offsets = true;
  // Certificates issued valid from before the largest clock lag (a node whose clock is days
  // behind would otherwise find every certificate "not yet valid"); false: issued as `node init`
  // does (valid from a day ago), and such a node's writes and sessions are refused.
  bool backdate = true;
  bool verbose = false;
};

enum class NodeKind { kHub, kDistrict, kCommunity, kVillage, kTerminal, kDepartment };

struct NodeSpec {
  std::string name;
  NodeKind kind = NodeKind::kCommunity;
  std::string cli_kind;    // for `node init --kind`
  std::string scope;       // division-code prefix
  std::string department;  // slug, departments only
  std::string community;   // collecting nodes: the community they write
  bool listens = false;
  std::vector<int> dials;  // indexes of the nodes it dials
  bool collects() const { return !community.empty(); }
  bool village() const { return kind == NodeKind::kVillage; }
  // Plan
  int64_t clock_offset_ms = 0;
  transport::FaultConfig faults;
};

struct Topology {
  std::vector<NodeSpec> nodes;
  std::vector<std::string> communities;    // 12-digit codes, in order
  int village = -1;                        // index of the village node, or -1
  std::vector<std::pair<int, int>> links;  // (dialer, listener)

  int Find(const std::string& name) const;
  // Whether node i holds community c (its scope is a prefix of c).
  bool Covers(int i, const std::string& community) const;
  // The collecting nodes of a community.
  std::vector<int> Collectors(const std::string& community) const;
};

enum class EventKind {
  kPersonSet,    // node edits field of person (community, index) to value
  kCards,        // node imports `count` new persons on generated cards (seed)
  kRecollect,    // a terminal imports a card of the base population again (tool terminal)
  kConflict,     // node and other edit the same field of one person at once, differently
  kIsolate,      // node's link down for duration
  kCut,          // node and other cannot reach each other for duration
  kVillageDown,  // the village's link goes down for duration (its intermittent link)
  kKill,         // kill -9 of node's daemon, restarted after duration
};

struct Event {
  int64_t at_ms = 0;
  EventKind kind = EventKind::kPersonSet;
  int node = -1, other = -1;
  std::string community;
  int person = -1;  // index into the community's base population
  std::string field, value, value2;
  uint64_t seed = 0;
  int count = 0;                // kCards: persons; kRecollect: base card index
  int64_t duration_ms = 0;      // partitions and kills
  int64_t kill_editor_ms = -1;  // kCards: kill -9 the editor this long after it starts
  int64_t kill_after_ms = -1;   // kKill: when the node's editor started this long ago (with_edit)
  int64_t new_offset_ms = 0;    // kKill: the clock offset after the restart (a jump)
};

struct Plan {
  Topology topology;
  std::vector<Event> events;  // by time
};

std::string KindName(NodeKind k);
std::string EventName(EventKind k);
Plan MakePlan(const Options& options);
// A clock offset as the plan draws it: 0, minutes to hours, or hours to days, either way.
int64_t DrawOffset(gen::Rng& rng);

}  // namespace shequ::chaos
