// Key layouts of the replica's databases (documented in docs/STORAGE.md). Fixed-width parts
// come first so that prefixes select a community, an entity kind or an entity.
#pragma once

#include <string_view>

#include "node/base/bytes.h"
#include "node/model/reference.h"

namespace shequ::crdt {

inline constexpr size_t kCommunityLen = 12;
inline constexpr size_t kEntityKeyLen = kCommunityLen + 1 + 16;  // community | kind | entity

struct EntityRef {
  std::string community;
  model::EntityKind kind = model::EntityKind::kPerson;
  Id16 entity{};
  auto operator<=>(const EntityRef&) const = default;
};

Bytes EntityKey(const EntityRef& e);
// Parses the first kEntityKeyLen bytes of a key.
bool ParseEntityKey(ByteView key, EntityRef* out);
// community | kind | entity | field
Bytes StateKey(const EntityRef& e, std::string_view field);
// The field part of a state key.
std::string_view StateKeyField(ByteView key);
// state key | 0x00 | change id
Bytes SupersededKey(const EntityRef& e, std::string_view field, const Id32& id);
// community | hlc (8, big-endian) | id
Bytes ScopeKey(std::string_view community, uint64_t hlc, const Id32& id);
// entity key | hlc | id
Bytes ByEntityKey(const EntityRef& e, uint64_t hlc, const Id32& id);
// community | household entity  (idx_members key), and community | entity (index values)
Bytes CommunityEntity(std::string_view community, const Id16& entity);

}  // namespace shequ::crdt
