// A change: one save of one entity, a list of field writes, signed by the node that made it
// (DESIGN section 3). Immutable and content-addressed: id = digest of the canonical body.
#pragma once

#include <string>
#include <vector>

#include "node/base/bytes.h"
#include "node/base/status.h"
#include "node/crypto/crypto.h"
#include "node/model/reference.h"

namespace shequ::crdt {

enum class Tool : uint8_t { kCard = 0, kPlatform = 1, kTerminal = 2 };
inline constexpr Tool kAllTools[] = {Tool::kCard, Tool::kPlatform, Tool::kTerminal};
std::string_view ToolName(Tool t);   // card, platform, terminal
std::string_view ToolLabel(Tool t);  // 登记卡, 平台, 终端
std::optional<Tool> ParseTool(std::string_view s);

enum class ValueKind : uint8_t { kText = 0, kAbsent = 1, kSealed = 2 };

struct Write {
  std::string field;
  ValueKind kind = ValueKind::kText;
  std::string value;  // text, or sealed bytes
  std::vector<Id32> prev;
};

struct Note {
  std::string field, code, message;
};

struct ChangeBody {
  std::string community;  // 12 digits
  Id16 entity{};
  model::EntityKind kind = model::EntityKind::kPerson;
  uint64_t hlc = 0;
  Id16 origin{};   // signer's node id
  std::string op;  // operator
  Tool tool = Tool::kPlatform;
  std::string device;
  std::vector<Write> writes;
  std::vector<Note> warnings;
  Bytes keys;  // key block of the sealed writes (replication/crdt/seal.h), empty when none
};

struct Change {
  ChangeBody body;
  Id32 id{};
  Bytes encoded;    // canonical body
  Bytes signature;  // over SigningMessage("shequ/change/v1", id)
};

// Limits a well-formed change respects; larger ones are refused when decoding.
inline constexpr size_t kMaxChangeBytes = 256 << 10;
inline constexpr size_t kMaxWrites = 128;
inline constexpr size_t kMaxPrev = 64;
inline constexpr size_t kMaxValueBytes = 64 << 10;
inline constexpr size_t kMaxKeyBlockBytes = 16 << 10;

// Encodes the body canonically, computes the id with the suite's digest and signs it.
Result<Change> SignChange(ChangeBody body, const crypto::SigningKey& key);
// The same in two steps, so that a batch can be folded first and signed on every core after:
// PrepareChange fills everything but the signature; SignPrepared adds it.
Result<Change> PrepareChange(ChangeBody body, crypto::Suite suite);
Status SignPrepared(Change& change, const crypto::SigningKey& key);

// The stored and transmitted form: 0x02, varint body words, varint packed length, the body
// packed with Cap'n Proto's packing, varint signature length, signature. A record also
// re-encodes to exactly itself (the packing of a given body is unique).
Bytes EncodeRecord(const Change& c);
// Decodes a record eagerly (limits, canonical body, well-formed fields) and computes its id.
// Does not check the signature or any authority: see Verifier.
Result<Change> DecodeRecord(ByteView record, crypto::Suite suite);

// What a sender needs to know of a stored record to route it, read without the checks and the
// digest DecodeRecord does (the record is the node's own, verified when it arrived).
struct RecordHeader {
  std::string community;
  Id16 origin{};
  model::EntityKind kind = model::EntityKind::kPerson;
  uint64_t hlc = 0;
};
Result<RecordHeader> PeekRecord(ByteView record);

// The message a change signature covers.
Bytes ChangeSigningMessage(const Id32& id);

}  // namespace shequ::crdt
