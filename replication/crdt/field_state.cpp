#include "replication/crdt/field_state.h"

#include <algorithm>

#include "replication/crdt/seal.h"

namespace shequ::crdt {

bool Head::Before(const Head& o) const {
  if (rank != o.rank) return rank > o.rank;
  if (hlc != o.hlc) return hlc > o.hlc;
  return id > o.id;
}

// Sealed values are equal when their tokens are (replication/crdt/seal.h); ciphertexts of one
// value differ, since every seal draws a fresh nonce.
static bool SameValue(const Head& a, const Head& b) {
  if (a.kind != b.kind) return false;
  if (a.kind == ValueKind::kSealed) {
    auto ta = TokenOf(a.value), tb = TokenOf(b.value);
    if (ta && tb) return *ta == *tb;
  }
  return a.value == b.value;
}

std::vector<const Head*> FieldState::siblings() const {
  std::vector<const Head*> out;
  if (heads.empty()) return out;
  const Head& w = heads.front();
  for (size_t i = 1; i < heads.size() && heads[i].rank == w.rank; ++i) {
    if (SameValue(heads[i], w)) continue;
    bool dup = false;
    for (const Head* h : out) dup |= SameValue(*h, heads[i]);
    if (!dup) out.push_back(&heads[i]);
  }
  return out;
}

std::vector<const Head*> FieldState::proposals() const {
  std::vector<const Head*> out;
  if (heads.empty()) return out;
  const Head& w = heads.front();
  for (const Head& h : heads)
    if (h.rank < w.rank && !SameValue(h, w)) out.push_back(&h);
  return out;
}

// Entity records carry each change that wrote them once — id, hlc and tool in a table — and
// the fields refer to it by index: a change writes many fields of an entity, and its 32-byte id
// would otherwise be repeated in every one (about 60% of the record).
namespace {
struct ChangeRef {
  uint64_t hlc;
  Tool tool;
};
}  // namespace

Bytes EncodeEntityState(const EntityState& s) {
  std::map<Id32, ChangeRef> table;
  for (const auto& [key, field] : s) {
    for (const Head& h : field.heads) table.emplace(h.id, ChangeRef{h.hlc, h.tool});
    for (size_t t = 0; t < 3; ++t)
      if (field.by_tool[t])
        table.emplace(field.by_tool[t]->id, ChangeRef{field.by_tool[t]->hlc, static_cast<Tool>(t)});
  }
  std::map<Id32, size_t> index;
  Bytes out;
  out.reserve(48 * table.size() + 48 * s.size());
  out.push_back(2);  // format version
  PutVarint(out, table.size());
  for (const auto& [id, ref] : table) {
    index.emplace(id, index.size());
    Append(out, id);
    PutVarint(out, ref.hlc);
    out.push_back(static_cast<uint8_t>(ref.tool));
  }
  PutVarint(out, s.size());
  for (const auto& [key, field] : s) {
    PutString(out, key);
    PutVarint(out, field.heads.size());
    for (const Head& h : field.heads) {
      PutVarint(out, index.at(h.id));
      out.push_back(h.rank);
      out.push_back(static_cast<uint8_t>(h.kind));
      PutString(out, h.value);
    }
    uint8_t mask = 0;
    for (size_t t = 0; t < 3; ++t)
      if (field.by_tool[t]) mask |= static_cast<uint8_t>(1u << t);
    out.push_back(mask);
    for (size_t t = 0; t < 3; ++t) {
      if (!field.by_tool[t]) continue;
      const ToolValue& v = *field.by_tool[t];
      bool is_head = false;
      for (const Head& h : field.heads) is_head |= h.id == v.id;
      PutVarint(out, index.at(v.id) * 2 + (is_head ? 1 : 0));  // low bit: the value is that head's
      if (!is_head) {
        out.push_back(static_cast<uint8_t>(v.kind));
        PutString(out, v.value);
      }
    }
  }
  return out;
}

Result<EntityState> DecodeEntityState(ByteView b) {
  ByteReader r(b);
  uint8_t version = 0;
  uint64_t nc = 0, nf = 0;
  if (!r.Byte(&version) || version != 2 || !r.Varint(&nc) || nc > 65536)
    return Status::Corruption("entity state header");
  struct Entry {
    Id32 id;
    uint64_t hlc;
    Tool tool;
  };
  std::vector<Entry> table;
  table.reserve(static_cast<size_t>(nc));
  for (uint64_t i = 0; i < nc; ++i) {
    Entry e;
    ByteView id;
    uint8_t tool = 0;
    if (!r.Fixed(32, &id) || !r.Varint(&e.hlc) || !r.Byte(&tool) || tool > 2)
      return Status::Corruption("entity state change table");
    std::copy(id.begin(), id.end(), e.id.begin());
    if (!table.empty() && !(table.back().id < e.id))
      return Status::Corruption("entity state change table order");
    e.tool = static_cast<Tool>(tool);
    table.push_back(e);
  }
  if (!r.Varint(&nf) || nf > 512) return Status::Corruption("entity state field count");
  EntityState s;
  std::string_view prev;
  for (uint64_t i = 0; i < nf; ++i) {
    std::string_view key;
    uint64_t nh = 0;
    if (!r.String(&key) || key.empty() || (i > 0 && !(prev < key)) || !r.Varint(&nh) || nh > 4096)
      return Status::Corruption("entity state field " + std::to_string(i));
    prev = key;
    FieldState fs;
    for (uint64_t k = 0; k < nh; ++k) {
      uint64_t ix = 0;
      uint8_t rank = 0, kind = 0;
      std::string_view value;
      if (!r.Varint(&ix) || ix >= table.size() || !r.Byte(&rank) || !r.Byte(&kind) || kind > 2 ||
          !r.String(&value))
        return Status::Corruption("entity state head");
      const Entry& e = table[static_cast<size_t>(ix)];
      fs.heads.push_back(
          Head{e.id, e.hlc, rank, e.tool, static_cast<ValueKind>(kind), std::string(value)});
    }
    uint8_t mask = 0;
    if (!r.Byte(&mask) || mask > 7) return Status::Corruption("entity state tool mask");
    for (size_t t = 0; t < 3; ++t) {
      if (!(mask & (1u << t))) continue;
      uint64_t ref = 0;
      if (!r.Varint(&ref) || ref / 2 >= table.size())
        return Status::Corruption("entity state tool value");
      const Entry& e = table[static_cast<size_t>(ref / 2)];
      if (ref & 1) {
        const Head* head = nullptr;
        for (const Head& h : fs.heads)
          if (h.id == e.id) head = &h;
        if (!head) return Status::Corruption("entity state tool value names no head");
        fs.by_tool[t] = ToolValue{e.id, e.hlc, head->kind, head->value};
      } else {
        uint8_t kind = 0;
        std::string_view value;
        if (!r.Byte(&kind) || kind > 2 || !r.String(&value))
          return Status::Corruption("entity state tool value");
        for (const Head& h : fs.heads)
          if (h.id == e.id) return Status::Corruption("entity state repeats a head in full");
        fs.by_tool[t] = ToolValue{e.id, e.hlc, static_cast<ValueKind>(kind), std::string(value)};
      }
    }
    s.emplace(std::string(key), std::move(fs));
  }
  if (!r.done()) return Status::Corruption("entity state has trailing bytes");
  return s;
}

}  // namespace shequ::crdt
