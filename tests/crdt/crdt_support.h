// Helpers for the fold tests: hand-made changes with chosen stamps and prev sets, a naive
// reference model of the register, and a printable dump of the derived databases.
#pragma once

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "node/store/store.h"
#include "replication/crdt/change.h"
#include "replication/crdt/field_state.h"
#include "replication/crdt/replica.h"

namespace shequ::testing {

inline crdt::Change Sign(const crdt::ChangeBody& body, const crypto::SigningKey& key) {
  auto c = crdt::SignChange(body, key);
  if (!c.ok()) throw std::runtime_error(c.status().ToString());
  return std::move(*c);
}

// Every entry of the databases the fold derives, one line each: equal strings, equal bytes.
inline std::string DumpDerived(store::Store& s) {
  using store::Db;
  std::string out;
  auto r = s.BeginRead();
  for (Db db : {Db::kChanges, Db::kByScope, Db::kByEntity, Db::kState, Db::kSuperseded,
                Db::kIdNumber, Db::kMembers, Db::kCard, Db::kReview}) {
    auto cur = store::Cursor::Open(*r, s.dbi(db));
    out += "db " + std::to_string(static_cast<int>(db)) + "\n";
    for (bool ok = cur->First(); ok; ok = cur->Next())
      out += Hex(cur->key()) + " = " + Hex(cur->value()) + "\n";
  }
  return out;
}

// A field state as text, one line per head and per tool, so a failed comparison reads plainly.
inline std::string Render(const crdt::FieldState& s) {
  auto line = [](const Id32& id, uint64_t hlc, crdt::ValueKind kind, const std::string& value) {
    return Hex(id).substr(0, 8) + " @" + std::to_string(hlc) + " " +
           (kind == crdt::ValueKind::kAbsent ? std::string("(cleared)") : value);
  };
  std::string out;
  for (const crdt::Head& h : s.heads)
    out += "head r" + std::to_string(h.rank) + " " + std::string(crdt::ToolName(h.tool)) + " " +
           line(h.id, h.hlc, h.kind, h.value) + "\n";
  for (size_t t = 0; t < 3; ++t)
    if (s.by_tool[t])
      out += "tool " + std::string(crdt::ToolName(static_cast<crdt::Tool>(t))) + " " +
             line(s.by_tool[t]->id, s.by_tool[t]->hlc, s.by_tool[t]->kind, s.by_tool[t]->value) +
             "\n";
  return out;
}

// The register rule written as plainly as possible, over the whole set of writes at once.
struct NaiveWrite {
  Id32 id;
  uint64_t hlc;
  uint8_t rank;
  crdt::Tool tool;
  crdt::ValueKind kind;
  std::string value;
  std::vector<Id32> prev;
};

inline crdt::FieldState NaiveFold(const std::vector<NaiveWrite>& writes) {
  crdt::FieldState s;
  for (const NaiveWrite& w : writes) {
    bool superseded = false;
    for (const NaiveWrite& v : writes)
      if (v.rank >= w.rank && std::find(v.prev.begin(), v.prev.end(), w.id) != v.prev.end())
        superseded = true;
    if (!superseded) s.heads.push_back(crdt::Head{w.id, w.hlc, w.rank, w.tool, w.kind, w.value});
    auto& tv = s.by_tool[static_cast<size_t>(w.tool)];
    if (!tv || std::make_pair(tv->hlc, tv->id) < std::make_pair(w.hlc, w.id))
      tv = crdt::ToolValue{w.id, w.hlc, w.kind, w.value};
  }
  std::sort(s.heads.begin(), s.heads.end(),
            [](const crdt::Head& a, const crdt::Head& b) { return a.Before(b); });
  return s;
}

}  // namespace shequ::testing
