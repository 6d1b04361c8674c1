#include "replication/crdt/keys.h"

#include <algorithm>

namespace shequ::crdt {

Bytes EntityKey(const EntityRef& e) {
  Bytes k;
  k.reserve(kEntityKeyLen + 24);
  Append(k, AsBytes(e.community));
  k.push_back(static_cast<uint8_t>(e.kind));
  Append(k, e.entity);
  return k;
}

bool ParseEntityKey(ByteView key, EntityRef* out) {
  if (key.size() < kEntityKeyLen) return false;
  out->community.assign(reinterpret_cast<const char*>(key.data()), kCommunityLen);
  out->kind = static_cast<model::EntityKind>(key[kCommunityLen]);
  std::copy(key.begin() + kCommunityLen + 1, key.begin() + kEntityKeyLen, out->entity.begin());
  return true;
}

Bytes StateKey(const EntityRef& e, std::string_view field) {
  Bytes k = EntityKey(e);
  Append(k, AsBytes(field));
  return k;
}

std::string_view StateKeyField(ByteView key) {
  if (key.size() <= kEntityKeyLen) return {};
  return AsChars(key.subspan(kEntityKeyLen));
}

Bytes SupersededKey(const EntityRef& e, std::string_view field, const Id32& id) {
  Bytes k = StateKey(e, field);
  k.push_back(0);
  Append(k, id);
  return k;
}

Bytes ScopeKey(std::string_view community, uint64_t hlc, const Id32& id) {
  Bytes k;
  k.reserve(kCommunityLen + 8 + 32);
  Append(k, AsBytes(community));
  PutBE64(k, hlc);
  Append(k, id);
  return k;
}

Bytes ByEntityKey(const EntityRef& e, uint64_t hlc, const Id32& id) {
  Bytes k = EntityKey(e);
  PutBE64(k, hlc);
  Append(k, id);
  return k;
}

Bytes CommunityEntity(std::string_view community, const Id16& entity) {
  Bytes k;
  Append(k, AsBytes(community));
  Append(k, entity);
  return k;
}

}  // namespace shequ::crdt
