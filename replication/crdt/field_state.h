// The folded state of one (entity, field) register (DESIGN section 3).
//
// heads: the writes no other stored write supersedes. A write w supersedes v when v's change id
// is in w's prev and rank(w) >= rank(v): a collector's later edit never supersedes a department's
// verified value, it stays beside it as a proposal. Heads are kept sorted by
// (rank, hlc, change id) descending; the first is the winner. Among the heads of the winner's
// rank, distinct values are siblings: for identity fields they put the entity into the review
// queue. by_tool keeps, per collection tool, its latest write (for the assessment's comparisons
// of card, platform and terminal).
//
// All of this is a function of the set of stored writes, so any order of application gives the
// same bytes.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "node/base/bytes.h"
#include "replication/crdt/change.h"

namespace shequ::crdt {

struct Head {
  Id32 id{};
  uint64_t hlc = 0;
  uint8_t rank = 0;
  Tool tool = Tool::kPlatform;
  ValueKind kind = ValueKind::kText;
  std::string value;

  // Register order: greater wins.
  bool Before(const Head& o) const;  // true if *this sorts before o (i.e. wins over o)
  bool filled() const { return kind != ValueKind::kAbsent; }
  bool operator==(const Head&) const = default;
};

struct ToolValue {
  Id32 id{};
  uint64_t hlc = 0;
  ValueKind kind = ValueKind::kText;
  std::string value;
  bool operator==(const ToolValue&) const = default;
};

struct FieldState {
  std::vector<Head> heads;
  std::array<std::optional<ToolValue>, 3> by_tool;  // indexed by Tool

  const Head* winner() const { return heads.empty() ? nullptr : &heads.front(); }
  // Heads of the winner's rank whose value differs from the winner's.
  std::vector<const Head*> siblings() const;
  // Heads of lower rank than the winner whose value differs from it: proposals for the owner.
  std::vector<const Head*> proposals() const;
  bool conflicted() const { return !siblings().empty(); }
  bool operator==(const FieldState&) const = default;
};

// The state of one entity: every field that has been written, by key. Stored as one record per
// entity, so a change costs one read and one write whatever its number of fields.
using EntityState = std::map<std::string, FieldState, std::less<>>;
Bytes EncodeEntityState(const EntityState& s);
Result<EntityState> DecodeEntityState(ByteView b);

}  // namespace shequ::crdt
