// Sealed values (DESIGN section 7): personal and sensitive values travel and rest as ciphertext
// that only their audience can open. An audience is a role's X25519 key ("c:<community>" for
// the community's own nodes, "d:<department slug>" for an owning department, "basic" for the
// masked identity basics departments and the hub may show); its secret is held by the nodes
// whose grants let them read, wrapped under their operators' passphrases (node/service/keyring.h).
//
// A change that seals writes carries one key block (ChangeBody.keys):
//   version 2 (1 byte) | ephemeral X25519 public key (32) | salt (16) | group count (1) |
//   per group: group id (8) | audience count (1) | per audience: tag (8) | wrapped key (48)
// The writes of one group share a random 32-byte group key; it is wrapped for each audience of
// the group with AES-256-GCM under HKDF-SHA256(X25519(ephemeral, audience), salt,
// "shequ/wrap/v2" | tag | group id) — a key used once, so the wrap's nonce is zero. A writer
// keeps its ephemeral key, salt and one group key per audience set for 65,536 seals (values
// still get fresh random nonces), so a change costs AES and HMAC only. A sealed
// write's value is token (16) | group (1) | nonce (12) | ciphertext | tag (16), its associated
// data the entity, kind and field, so a sealed value cannot be moved to another field.
//
// The token is HMAC-SHA256(the community's token key, kind | field | value), cut to 16 bytes:
// equal values have equal tokens, so the fold finds siblings, the index finds an ID number and
// the hub compares the three tools' values without opening anything. Token keys are per
// community: a node relaying a neighbour's changes cannot test guesses against them.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "node/base/bytes.h"
#include "node/base/status.h"
#include "replication/crdt/change.h"

namespace shequ::crdt {

inline constexpr size_t kTokenBytes = 16;
inline constexpr size_t kMaxGroups = 16;
inline constexpr size_t kMaxAudiencesPerGroup = 16;
using AudienceTag = std::array<uint8_t, 8>;
using GroupId = std::array<uint8_t, 8>;
AudienceTag TagOf(std::string_view audience);

// 16-byte equality token of a value (empty key: all zero, "no token").
std::array<uint8_t, kTokenBytes> ValueToken(ByteView token_key, model::EntityKind kind,
                                            std::string_view field, std::string_view value);
// A community's token key, derived from the city's token master.
Bytes CommunityTokenKey(ByteView master, std::string_view community);
// The token of a sealed write's value (its first 16 bytes).
std::optional<std::array<uint8_t, kTokenBytes>> TokenOf(std::string_view sealed);

// Whether a stored value (text, or sealed carrying a token) equals `value`. A sealed value
// without a token, or no token key, never compares equal.
bool StoredEquals(ValueKind kind, std::string_view stored, std::string_view value,
                  ByteView token_key, model::EntityKind entity, std::string_view field);

struct KeyBlock {
  Bytes ephemeral;  // 32
  Bytes salt;       // 16
  struct Entry {
    AudienceTag tag{};
    Bytes wrapped;  // 48
  };
  std::vector<GroupId> group_ids;
  std::vector<std::vector<Entry>> groups;
};
// Parses a key block with every limit checked (fuzzed: tests/fuzz/fuzz_keyblock.cpp).
Result<KeyBlock> ParseKeyBlock(ByteView b);

// The writer's side: one ephemeral key per process (never stored), the X25519 results per
// audience cached, so a change costs HKDF and AES only.
class Sealer {
 public:
  static Result<std::unique_ptr<Sealer>> Create();

  struct Item {
    size_t write;                        // index into body.writes (a text write)
    std::vector<std::string> audiences;  // sorted audience ids
    Bytes token_key;                     // the community's token key, or empty
  };
  // Replaces the items' text values by sealed ones and fills body.keys. `publics` maps each
  // audience id named in items to its X25519 public key.
  Status Seal(ChangeBody& body, const std::vector<Item>& items,
              const std::map<std::string, Bytes, std::less<>>& publics);

 private:
  Sealer() = default;
  struct Group {
    GroupId id{};
    Bytes key;      // the group key
    Bytes entries;  // id | count | (tag | wrapped) per audience, as the key block carries them
  };
  Status NewKeySet();
  Result<const Group*> GroupFor(const std::vector<std::string>& audiences,
                                const std::map<std::string, Bytes, std::less<>>& publics);

  std::mutex mu_;
  Bytes secret_, public_, salt_;
  uint64_t seals_ = 0;
  struct Audience {
    Bytes shared;  // X25519(ephemeral, audience)
    AudienceTag tag;
  };
  std::map<std::string, Audience, std::less<>> audiences_;
  std::map<std::string, Group, std::less<>> groups_;  // by audience set
};

// The reader's side: the audience secrets a node holds; caches opened group keys per change.
class Opener {
 public:
  explicit Opener(std::map<std::string, Bytes, std::less<>> secrets);

  bool Holds(std::string_view audience) const { return secrets_.count(audience) > 0; }
  // The plaintext of a sealed write of `change` (id and key block), or nullopt when none of
  // this node's audiences may open it. Corruption when the bytes do not authenticate.
  Result<std::optional<std::string>> Open(const Id32& change, ByteView keys, const Id16& entity,
                                          model::EntityKind kind, std::string_view field,
                                          std::string_view sealed);

 private:
  Result<std::optional<Bytes>> GroupKey(const Id32& change, ByteView keys, uint8_t group);

  std::map<std::string, Bytes, std::less<>> secrets_;
  std::map<AudienceTag, std::string> by_tag_;
  std::mutex mu_;
  std::map<Bytes, std::optional<Bytes>> group_keys_;  // ephemeral | group id -> key
  std::map<std::pair<Bytes, AudienceTag>, Bytes> shared_;
};

}  // namespace shequ::crdt
