#include "replication/crdt/seal.h"

#include <algorithm>
#include <set>

#include "node/base/text.h"
#include "node/crypto/crypto.h"
#include "node/crypto/seal.h"

namespace shequ::crdt {

namespace {

constexpr uint8_t kKeyBlockVersion = 2;
// A writer draws new ephemeral keys, salt and group keys after this many seals.
constexpr uint64_t kSealsPerKeySet = 1 << 16;
constexpr size_t kWrappedBytes = 32 + crypto::kAeadTagBytes;
const uint8_t kZeroNonce[crypto::kAeadNonceBytes] = {};

Bytes ValueAad(const Id16& entity, model::EntityKind kind, std::string_view field) {
  Bytes aad = ToBytes("shequ/value/v1");
  aad.push_back(0);
  Append(aad, entity);
  aad.push_back(static_cast<uint8_t>(kind));
  Append(aad, AsBytes(field));
  return aad;
}

Result<Bytes> WrapKey(ByteView shared, ByteView salt, const AudienceTag& tag,
                      const GroupId& group) {
  Bytes info = ToBytes("shequ/wrap/v2");
  info.insert(info.end(), tag.begin(), tag.end());
  info.insert(info.end(), group.begin(), group.end());
  return crypto::Hkdf(shared, salt, info, 32);
}

}  // namespace

AudienceTag TagOf(std::string_view audience) {
  Bytes m = ToBytes("shequ/audience/v1");
  m.push_back(0);
  Append(m, AsBytes(audience));
  Id32 d = crypto::Sha256(m);
  AudienceTag t;
  std::copy(d.begin(), d.begin() + 8, t.begin());
  return t;
}

std::array<uint8_t, kTokenBytes> ValueToken(ByteView token_key, model::EntityKind kind,
                                            std::string_view field, std::string_view value) {
  std::array<uint8_t, kTokenBytes> t{};
  if (token_key.empty()) return t;
  Bytes m = ToBytes("shequ/token/v1");
  m.push_back(static_cast<uint8_t>(kind));
  Append(m, AsBytes(field));
  m.push_back(0);
  Append(m, AsBytes(value));
  Id32 h = crypto::HmacSha256(token_key, m);
  std::copy(h.begin(), h.begin() + kTokenBytes, t.begin());
  return t;
}

Bytes CommunityTokenKey(ByteView master, std::string_view community) {
  Bytes m = ToBytes("shequ/token-key/v1");
  m.push_back(0);
  Append(m, AsBytes(community));
  Id32 k = crypto::HmacSha256(master, m);
  return Bytes(k.begin(), k.end());
}

std::optional<std::array<uint8_t, kTokenBytes>> TokenOf(std::string_view sealed) {
  if (sealed.size() < kTokenBytes) return std::nullopt;
  std::array<uint8_t, kTokenBytes> t;
  std::copy(sealed.begin(), sealed.begin() + kTokenBytes, t.begin());
  if (std::all_of(t.begin(), t.end(), [](uint8_t b) { return b == 0; })) return std::nullopt;
  return t;
}

bool StoredEquals(ValueKind kind, std::string_view stored, std::string_view value,
                  ByteView token_key, model::EntityKind entity, std::string_view field) {
  if (kind == ValueKind::kText) return stored == value;
  if (kind != ValueKind::kSealed || token_key.empty()) return false;
  auto token = TokenOf(stored);
  return token && *token == ValueToken(token_key, entity, field, value);
}

Result<KeyBlock> ParseKeyBlock(ByteView b) {
  ByteReader r(b);
  uint8_t version = 0, ngroups = 0;
  ByteView eph, salt;
  if (!r.Byte(&version) || version != kKeyBlockVersion)
    return Status::Corruption("key block: unknown version");
  if (!r.Fixed(32, &eph) || !r.Fixed(16, &salt) || !r.Byte(&ngroups))
    return Status::Corruption("key block: truncated header");
  if (ngroups == 0 || ngroups > kMaxGroups)
    return Status::Corruption("key block: " + std::to_string(ngroups) + " groups");
  KeyBlock kb;
  kb.ephemeral.assign(eph.begin(), eph.end());
  kb.salt.assign(salt.begin(), salt.end());
  for (uint8_t g = 0; g < ngroups; ++g) {
    uint8_t n = 0;
    ByteView id;
    if (!r.Fixed(8, &id) || !r.Byte(&n) || n == 0 || n > kMaxAudiencesPerGroup)
      return Status::Corruption("key block: group " + std::to_string(g) + " audience count");
    GroupId gid;
    std::copy(id.begin(), id.end(), gid.begin());
    kb.group_ids.push_back(gid);
    std::vector<KeyBlock::Entry> entries;
    for (uint8_t i = 0; i < n; ++i) {
      ByteView tag, wrapped;
      if (!r.Fixed(8, &tag) || !r.Fixed(kWrappedBytes, &wrapped))
        return Status::Corruption("key block: truncated group " + std::to_string(g));
      KeyBlock::Entry e;
      std::copy(tag.begin(), tag.end(), e.tag.begin());
      e.wrapped.assign(wrapped.begin(), wrapped.end());
      entries.push_back(std::move(e));
    }
    kb.groups.push_back(std::move(entries));
  }
  if (!r.done()) return Status::Corruption("key block has trailing bytes");
  return kb;
}

Result<std::unique_ptr<Sealer>> Sealer::Create() {
  std::unique_ptr<Sealer> s(new Sealer());
  RETURN_IF_ERROR(s->NewKeySet());
  return s;
}

Status Sealer::NewKeySet() {
  ASSIGN_OR_RETURN(crypto::DhKeyPair kp, crypto::GenerateX25519());
  secret_ = std::move(kp.private_key);
  public_ = std::move(kp.public_key);
  auto salt = crypto::RandomArray<16>();
  salt_.assign(salt.begin(), salt.end());
  audiences_.clear();
  groups_.clear();
  seals_ = 0;
  return Status::Ok();
}

Result<const Sealer::Group*> Sealer::GroupFor(
    const std::vector<std::string>& audiences,
    const std::map<std::string, Bytes, std::less<>>& publics) {
  std::string key = Join(audiences, "\n");
  auto it = groups_.find(key);
  if (it != groups_.end()) return &it->second;
  if (audiences.empty() || audiences.size() > kMaxAudiencesPerGroup)
    return Status::Invalid("a sealed write needs 1 to 16 audiences");
  Group g;
  g.id = crypto::RandomArray<8>();
  auto k = crypto::RandomArray<32>();
  g.key.assign(k.begin(), k.end());
  g.entries.insert(g.entries.end(), g.id.begin(), g.id.end());
  g.entries.push_back(static_cast<uint8_t>(audiences.size()));
  for (const std::string& aud : audiences) {
    auto pub = publics.find(aud);
    if (pub == publics.end())
      return Status::NotFound("no public key for audience " + Quote(aud) +
                              " (the node's audience list is older than the city)");
    auto a = audiences_.find(aud);
    if (a == audiences_.end()) {
      ASSIGN_OR_RETURN(Bytes shared, crypto::X25519Shared(secret_, pub->second));
      a = audiences_.emplace(aud, Audience{std::move(shared), TagOf(aud)}).first;
    }
    const AudienceTag& tag = a->second.tag;
    ASSIGN_OR_RETURN(Bytes wk, WrapKey(a->second.shared, salt_, tag, g.id));
    ASSIGN_OR_RETURN(Bytes wrapped, crypto::AeadSealWithNonce(
                                        wk, ByteView(kZeroNonce, sizeof kZeroNonce), g.key, {}));
    g.entries.insert(g.entries.end(), tag.begin(), tag.end());
    g.entries.insert(g.entries.end(), wrapped.begin() + crypto::kAeadNonceBytes, wrapped.end());
  }
  return &groups_.emplace(std::move(key), std::move(g)).first->second;
}

Status Sealer::Seal(ChangeBody& body, const std::vector<Item>& items,
                    const std::map<std::string, Bytes, std::less<>>& publics) {
  if (items.empty()) return Status::Ok();
  std::lock_guard lock(mu_);
  if (++seals_ > kSealsPerKeySet) RETURN_IF_ERROR(NewKeySet());
  // The change's groups: one per distinct audience set, in first-use order, each with the
  // writer's current key for that set (wrapped once per key set, not per change).
  std::vector<const Group*> groups;
  std::vector<uint8_t> group_of(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    ASSIGN_OR_RETURN(const Group* g, GroupFor(items[i].audiences, publics));
    auto it = std::find(groups.begin(), groups.end(), g);
    if (it == groups.end()) {
      groups.push_back(g);
      it = groups.end() - 1;
    }
    group_of[i] = static_cast<uint8_t>(it - groups.begin());
  }
  if (groups.size() > kMaxGroups) return Status::Invalid("too many audience groups in a change");
  Bytes block;
  block.push_back(kKeyBlockVersion);
  Append(block, public_);
  Append(block, salt_);
  block.push_back(static_cast<uint8_t>(groups.size()));
  for (const Group* g : groups) Append(block, g->entries);
  for (size_t i = 0; i < items.size(); ++i) {
    Write& w = body.writes.at(items[i].write);
    if (w.kind != ValueKind::kText) return Status::Invalid("only text writes can be sealed");
    auto token = ValueToken(items[i].token_key, body.kind, w.field, w.value);
    ASSIGN_OR_RETURN(Bytes ct, crypto::AeadSeal(groups[group_of[i]]->key, AsBytes(w.value),
                                                ValueAad(body.entity, body.kind, w.field)));
    std::string sealed(reinterpret_cast<const char*>(token.data()), token.size());
    sealed.push_back(static_cast<char>(group_of[i]));
    sealed.append(reinterpret_cast<const char*>(ct.data()), ct.size());
    w.kind = ValueKind::kSealed;
    w.value = std::move(sealed);
  }
  body.keys = std::move(block);
  return Status::Ok();
}

Opener::Opener(std::map<std::string, Bytes, std::less<>> secrets) : secrets_(std::move(secrets)) {
  for (const auto& [id, secret] : secrets_) by_tag_.emplace(TagOf(id), id);
}

Result<std::optional<Bytes>> Opener::GroupKey(const Id32& change, ByteView keys, uint8_t group) {
  (void)change;
  ASSIGN_OR_RETURN(KeyBlock kb, ParseKeyBlock(keys));
  if (group >= kb.groups.size())
    return Status::Corruption("sealed value names group " + std::to_string(group) +
                              " of a key block with " + std::to_string(kb.groups.size()));
  // A writer reuses a group key for many changes: cached by its ephemeral key and group id.
  Bytes cache_key = kb.ephemeral;
  cache_key.insert(cache_key.end(), kb.group_ids[group].begin(), kb.group_ids[group].end());
  auto cached = group_keys_.find(cache_key);
  if (cached != group_keys_.end()) return cached->second;
  std::optional<Bytes> out;
  for (const KeyBlock::Entry& e : kb.groups[group]) {
    auto mine = by_tag_.find(e.tag);
    if (mine == by_tag_.end()) continue;
    auto sh = shared_.find({kb.ephemeral, e.tag});
    if (sh == shared_.end()) {
      ASSIGN_OR_RETURN(Bytes shared, crypto::X25519Shared(secrets_.at(mine->second), kb.ephemeral));
      sh = shared_.emplace(std::make_pair(kb.ephemeral, e.tag), std::move(shared)).first;
    }
    ASSIGN_OR_RETURN(Bytes wk, WrapKey(sh->second, kb.salt, e.tag, kb.group_ids[group]));
    Bytes sealed(kZeroNonce, kZeroNonce + sizeof kZeroNonce);
    Append(sealed, e.wrapped);
    auto key = crypto::AeadOpen(wk, sealed, {});
    if (!key.ok())
      return Status::Corruption("the group key wrapped for audience " + Quote(mine->second) +
                                " does not authenticate");
    out = std::move(*key);
    break;
  }
  // Only keys that opened are cached: a damaged block must not poison the others.
  if (group_keys_.size() > 4096) group_keys_.clear();
  if (out) group_keys_.emplace(std::move(cache_key), out);
  return out;
}

Result<std::optional<std::string>> Opener::Open(const Id32& change, ByteView keys,
                                                const Id16& entity, model::EntityKind kind,
                                                std::string_view field, std::string_view sealed) {
  if (sealed.size() < kTokenBytes + 1 + crypto::kAeadOverhead)
    return Status::Corruption("sealed value of " + std::string(field) + " is too short");
  uint8_t group = static_cast<uint8_t>(sealed[kTokenBytes]);
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(std::optional<Bytes> key, GroupKey(change, keys, group));
  if (!key) return std::optional<std::string>();
  auto plain = crypto::AeadOpen(*key, AsBytes(sealed.substr(kTokenBytes + 1)),
                                ValueAad(entity, kind, field));
  if (!plain.ok())
    return Status::Corruption("sealed value of " + std::string(field) + " in change " +
                              Hex(change).substr(0, 16) + " does not authenticate");
  return std::optional<std::string>(std::string(plain->begin(), plain->end()));
}

}  // namespace shequ::crdt
