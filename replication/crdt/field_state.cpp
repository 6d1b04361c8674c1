#include "replication/crdt/field_state.h"

#include <algorithm>

namespace shequ::crdt {

namespace {
// A tool entry byte below this is the index of the head it repeats; this value means the entry
// follows in full.
constexpr uint8_t kInlineToolValue = 0x7f;
}  // namespace

bool Head::Before(const Head& o) const {
  if (rank != o.rank) return rank > o.rank;
  if (hlc != o.hlc) return hlc > o.hlc;
  return id > o.id;
}

static bool SameValue(const Head& a, const Head& b) {
  return a.kind == b.kind && a.value == b.value;
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

Bytes EncodeFieldState(const FieldState& s) {
  Bytes out;
  out.push_back(1);  // format version
  PutVarint(out, s.heads.size());
  for (const Head& h : s.heads) {
    Append(out, h.id);
    PutVarint(out, h.hlc);
    out.push_back(h.rank);
    out.push_back(static_cast<uint8_t>(h.tool));
    out.push_back(static_cast<uint8_t>(h.kind));
    PutString(out, h.value);
  }
  uint8_t mask = 0;
  for (size_t t = 0; t < 3; ++t)
    if (s.by_tool[t]) mask |= static_cast<uint8_t>(1u << t);
  out.push_back(mask);
  for (size_t t = 0; t < 3; ++t) {
    if (!s.by_tool[t]) continue;
    const ToolValue& v = *s.by_tool[t];
    // Usually a tool's latest write is one of the heads: refer to it instead of repeating it.
    size_t head = 0;
    while (head < s.heads.size() && head < kInlineToolValue && s.heads[head].id != v.id) ++head;
    if (head < s.heads.size() && head < kInlineToolValue) {
      out.push_back(static_cast<uint8_t>(head));
      continue;
    }
    out.push_back(kInlineToolValue);
    Append(out, v.id);
    PutVarint(out, v.hlc);
    out.push_back(static_cast<uint8_t>(v.kind));
    PutString(out, v.value);
  }
  return out;
}

Result<FieldState> DecodeFieldState(ByteView b) {
  ByteReader r(b);
  FieldState s;
  uint8_t version = 0;
  uint64_t n = 0;
  if (!r.Byte(&version) || version != 1 || !r.Varint(&n) || n > 4096)
    return Status::Corruption("field state header");
  auto read_id = [&](Id32* id) {
    ByteView v;
    if (!r.Fixed(32, &v)) return false;
    std::copy(v.begin(), v.end(), id->begin());
    return true;
  };
  for (uint64_t i = 0; i < n; ++i) {
    Head h;
    uint8_t tool = 0, kind = 0;
    std::string_view value;
    if (!read_id(&h.id) || !r.Varint(&h.hlc) || !r.Byte(&h.rank) || !r.Byte(&tool) ||
        !r.Byte(&kind) || !r.String(&value) || tool > 2 || kind > 2)
      return Status::Corruption("field state head " + std::to_string(i));
    h.tool = static_cast<Tool>(tool);
    h.kind = static_cast<ValueKind>(kind);
    h.value = std::string(value);
    s.heads.push_back(std::move(h));
  }
  uint8_t mask = 0;
  if (!r.Byte(&mask) || mask > 7) return Status::Corruption("field state tool mask");
  for (size_t t = 0; t < 3; ++t) {
    if (!(mask & (1u << t))) continue;
    uint8_t ref = 0;
    if (!r.Byte(&ref) || ref > kInlineToolValue)
      return Status::Corruption("field state tool reference");
    if (ref < kInlineToolValue) {
      if (ref >= s.heads.size())
        return Status::Corruption("field state tool reference past the heads");
      const Head& h = s.heads[ref];
      for (size_t i = 0; i < ref; ++i)
        if (s.heads[i].id == h.id) return Status::Corruption("field state repeats a head");
      s.by_tool[t] = ToolValue{h.id, h.hlc, h.kind, h.value};
      continue;
    }
    ToolValue v;
    uint8_t kind = 0;
    std::string_view value;
    if (!read_id(&v.id) || !r.Varint(&v.hlc) || !r.Byte(&kind) || kind > 2 || !r.String(&value))
      return Status::Corruption("field state tool value");
    v.kind = static_cast<ValueKind>(kind);
    v.value = std::string(value);
    for (size_t i = 0; i < s.heads.size() && i < kInlineToolValue; ++i)
      if (s.heads[i].id == v.id) return Status::Corruption("field state repeats a head in full");
    s.by_tool[t] = std::move(v);
  }
  if (!r.done()) return Status::Corruption("field state has trailing bytes");
  return s;
}

Bytes EncodeEntityState(const EntityState& s) {
  Bytes out;
  out.reserve(64 * s.size());
  out.push_back(1);  // format version
  PutVarint(out, s.size());
  for (const auto& [key, field] : s) {
    PutString(out, key);
    Bytes f = EncodeFieldState(field);
    PutVarint(out, f.size());
    Append(out, f);
  }
  return out;
}

Result<EntityState> DecodeEntityState(ByteView b) {
  ByteReader r(b);
  uint8_t version = 0;
  uint64_t n = 0;
  if (!r.Byte(&version) || version != 1 || !r.Varint(&n) || n > 512)
    return Status::Corruption("entity state header");
  EntityState s;
  std::string_view prev;
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view key;
    uint64_t len = 0;
    ByteView f;
    if (!r.String(&key) || key.empty() || (i > 0 && !(prev < key)) || !r.Varint(&len) ||
        len > r.remaining() || !r.Fixed(static_cast<size_t>(len), &f))
      return Status::Corruption("entity state field " + std::to_string(i));
    ASSIGN_OR_RETURN(FieldState fs, DecodeFieldState(f));
    s.emplace(std::string(key), std::move(fs));
    prev = key;
  }
  if (!r.done()) return Status::Corruption("entity state has trailing bytes");
  return s;
}

}  // namespace shequ::crdt
