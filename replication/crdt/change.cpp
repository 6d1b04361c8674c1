#include "replication/crdt/change.h"

#include <capnp/serialize-packed.h>
#include <kj/io.h>

#include <algorithm>
#include <cstring>

#include "node/base/text.h"
#include "node/schema/capnp_io.h"
#include "node/schema/shequ.capnp.h"
#include "node/trust/certificate.h"

namespace shequ::crdt {

std::string_view ToolName(Tool t) {
  switch (t) {
    case Tool::kCard:
      return "card";
    case Tool::kPlatform:
      return "platform";
    case Tool::kTerminal:
      return "terminal";
  }
  return "?";
}

std::string_view ToolLabel(Tool t) {
  switch (t) {
    case Tool::kCard:
      return "登记卡";
    case Tool::kPlatform:
      return "平台";
    case Tool::kTerminal:
      return "终端";
  }
  return "?";
}

std::optional<Tool> ParseTool(std::string_view s) {
  for (Tool t : kAllTools)
    if (ToolName(t) == s) return t;
  return std::nullopt;
}

Bytes ChangeSigningMessage(const Id32& id) { return trust::SigningMessage("shequ/change/v1", id); }

static Result<Bytes> EncodeBody(const ChangeBody& c) {
  return schema::BuildCanonical<schema::ChangeBody>("change", [&](schema::ChangeBody::Builder b) {
    b.setVersion(1);
    b.setCommunity(c.community);
    b.setEntity(schema::DataOf(c.entity));
    b.setKind(static_cast<uint8_t>(c.kind));
    b.setHlc(c.hlc);
    b.setOrigin(schema::DataOf(c.origin));
    b.setOperator(c.op);
    b.setTool(static_cast<schema::Tool>(c.tool));
    b.setDevice(c.device);
    auto writes = b.initWrites(static_cast<unsigned>(c.writes.size()));
    for (unsigned i = 0; i < c.writes.size(); ++i) {
      const Write& w = c.writes[i];
      auto wb = writes[i];
      wb.setField(w.field);
      switch (w.kind) {
        case ValueKind::kText:
          wb.getValue().setText(w.value);
          break;
        case ValueKind::kAbsent:
          wb.getValue().setAbsent();
          break;
        case ValueKind::kSealed:
          wb.getValue().setSealed(schema::DataOf(AsBytes(w.value)));
          break;
      }
      auto prev = wb.initPrev(static_cast<unsigned>(w.prev.size()));
      for (unsigned k = 0; k < w.prev.size(); ++k) prev.set(k, schema::DataOf(w.prev[k]));
    }
    auto notes = b.initWarnings(static_cast<unsigned>(c.warnings.size()));
    for (unsigned i = 0; i < c.warnings.size(); ++i) {
      notes[i].setField(c.warnings[i].field);
      notes[i].setCode(c.warnings[i].code);
      notes[i].setMessage(c.warnings[i].message);
    }
    if (!c.keys.empty()) b.setKeys(schema::DataOf(c.keys));
  });
}

Result<Change> PrepareChange(ChangeBody body, crypto::Suite suite) {
  Change c;
  // Canonical order inside a change: writes by field, prev ids sorted and unique.
  std::sort(body.writes.begin(), body.writes.end(),
            [](const Write& a, const Write& b) { return a.field < b.field; });
  for (Write& w : body.writes) {
    std::sort(w.prev.begin(), w.prev.end());
    w.prev.erase(std::unique(w.prev.begin(), w.prev.end()), w.prev.end());
  }
  ASSIGN_OR_RETURN(c.encoded, EncodeBody(body));
  if (c.encoded.size() > kMaxChangeBytes) return Status::Invalid("change too large");
  c.id = crypto::Digest(suite, c.encoded);
  c.body = std::move(body);
  return c;
}

Status SignPrepared(Change& c, const crypto::SigningKey& key) {
  ASSIGN_OR_RETURN(c.signature, key.Sign(ChangeSigningMessage(c.id)));
  return Status::Ok();
}

Result<Change> SignChange(ChangeBody body, const crypto::SigningKey& key) {
  ASSIGN_OR_RETURN(Change c, PrepareChange(std::move(body), key.suite()));
  RETURN_IF_ERROR(SignPrepared(c, key));
  return c;
}

namespace {

// Cap'n Proto packing (zero bytes run-length coded) of the canonical body's words: about 40%
// smaller on disk and on the wire; the id and the signature stay over the canonical bytes.
Bytes Pack(const Bytes& canonical) {
  std::vector<capnp::word> words(canonical.size() / 8);
  std::memcpy(words.data(), canonical.data(), words.size() * 8);
  kj::VectorOutputStream out(canonical.size() + 64);
  {
    capnp::_::PackedOutputStream packed(out);
    packed.write(words.data(), words.size() * 8);
  }
  auto bytes = out.getArray();
  return Bytes(bytes.begin(), bytes.end());
}

Result<Bytes> Unpack(ByteView packed, size_t words) {
  std::vector<capnp::word> out(words);
  try {
    kj::ArrayInputStream in(kj::arrayPtr(packed.data(), packed.size()));
    capnp::_::PackedInputStream unpacked(in);
    unpacked.read(out.data(), words * 8);
    if (in.tryGetReadBuffer().size() != 0)
      return Status::Corruption("change record: bytes left after the packed body");
  } catch (const kj::Exception& e) {
    return Status::Corruption(std::string("change record: bad packing: ") +
                              e.getDescription().cStr());
  }
  const auto* b = reinterpret_cast<const uint8_t*>(out.data());
  return Bytes(b, b + words * 8);
}

}  // namespace

Bytes EncodeRecord(const Change& c) {
  Bytes packed = Pack(c.encoded);
  Bytes out;
  out.reserve(packed.size() + c.signature.size() + 12);
  out.push_back(2);
  PutVarint(out, c.encoded.size() / 8);
  PutVarint(out, packed.size());
  Append(out, packed);
  PutVarint(out, c.signature.size());
  Append(out, c.signature);
  return out;
}

Result<Change> DecodeRecord(ByteView record, crypto::Suite suite) {
  if (record.size() > kMaxChangeBytes + 128) return Status::Exhausted("change record too large");
  ByteReader r(record);
  uint8_t version = 0;
  ByteView packed, sig;
  uint64_t words = 0, plen = 0, slen = 0;
  if (!r.Byte(&version) || version != 2) return Status::Corruption("not a change record (version)");
  if (!r.Varint(&words) || words == 0 || words > kMaxChangeBytes / 8 || !r.Varint(&plen) ||
      plen > r.remaining() || !r.Fixed(static_cast<size_t>(plen), &packed) || !r.Varint(&slen) ||
      slen > 128 || !r.Fixed(static_cast<size_t>(slen), &sig) || !r.done())
    return Status::Corruption("change record is truncated or has trailing bytes");
  ASSIGN_OR_RETURN(Bytes body, Unpack(packed, static_cast<size_t>(words)));
  // Packing admits several encodings of the same words; only ours is accepted, so that a record
  // has one form and any altered byte is refused.
  Bytes repacked = Pack(body);
  if (!std::equal(repacked.begin(), repacked.end(), packed.begin(), packed.end()))
    return Status::Corruption("change record: packing is not in its canonical form");
  Change c;
  c.encoded = body;
  c.signature.assign(sig.begin(), sig.end());
  schema::ReadLimits limits;
  limits.max_bytes = kMaxChangeBytes;
  limits.traversal_words = kMaxChangeBytes / 8 * 2;
  limits.canonical_segment = true;
  ChangeBody& out = c.body;
  RETURN_IF_ERROR(schema::ReadFlat<schema::ChangeBody>(
      body, limits, "change", [&](schema::ChangeBody::Reader b) -> Status {
        if (b.getVersion() != 1)
          return Status::Corruption("change version " + std::to_string(b.getVersion()));
        out.community = schema::StringOf(b.getCommunity());
        if (out.community.size() != 12 || !AllDigits(out.community))
          return Status::Corruption("change community " + Quote(out.community) +
                                    " is not a 12-digit code");
        auto entity = b.getEntity();
        auto origin = b.getOrigin();
        if (entity.size() != 16 || origin.size() != 16)
          return Status::Corruption("change entity or origin is not 16 bytes");
        std::copy(entity.begin(), entity.end(), out.entity.begin());
        std::copy(origin.begin(), origin.end(), out.origin.begin());
        uint8_t kind = b.getKind();
        bool known = false;
        for (model::EntityKind k : model::kAllEntityKinds) known |= static_cast<uint8_t>(k) == kind;
        if (!known)
          return Status::Corruption("change has unknown entity kind " + std::to_string(kind));
        out.kind = static_cast<model::EntityKind>(kind);
        out.hlc = b.getHlc();
        out.op = schema::StringOf(b.getOperator());
        auto tool = static_cast<uint16_t>(b.getTool());
        if (tool > 2) return Status::Corruption("change has unknown tool " + std::to_string(tool));
        out.tool = static_cast<Tool>(tool);
        out.device = schema::StringOf(b.getDevice());
        auto writes = b.getWrites();
        if (writes.size() == 0 || writes.size() > kMaxWrites)
          return Status::Corruption("change has " + std::to_string(writes.size()) + " writes");
        for (auto w : writes) {
          Write ow;
          ow.field = schema::StringOf(w.getField());
          if (ow.field.empty() || ow.field.size() > 64) return Status::Corruption("bad field name");
          auto v = w.getValue();
          switch (v.which()) {
            case schema::Write::Value::TEXT:
              ow.kind = ValueKind::kText;
              ow.value = schema::StringOf(v.getText());
              if (!IsValidUtf8(ow.value))
                return Status::Corruption("value of " + ow.field + " is not UTF-8");
              break;
            case schema::Write::Value::ABSENT:
              ow.kind = ValueKind::kAbsent;
              break;
            case schema::Write::Value::SEALED: {
              ow.kind = ValueKind::kSealed;
              auto d = v.getSealed();
              ow.value.assign(reinterpret_cast<const char*>(d.begin()), d.size());
              break;
            }
            default:
              return Status::Corruption("write of " + ow.field + " has an unknown value kind");
          }
          if (ow.value.size() > kMaxValueBytes)
            return Status::Corruption("value of " + ow.field + " too large");
          auto prev = w.getPrev();
          if (prev.size() > kMaxPrev) return Status::Corruption("too many prev ids");
          for (auto p : prev) {
            if (p.size() != 32) return Status::Corruption("prev id is not 32 bytes");
            Id32 id;
            std::copy(p.begin(), p.end(), id.begin());
            if (!ow.prev.empty() && !(ow.prev.back() < id))
              return Status::Corruption("prev ids not sorted and unique");
            ow.prev.push_back(id);
          }
          if (!out.writes.empty() && !(out.writes.back().field < ow.field))
            return Status::Corruption("writes not sorted by field, or a field written twice");
          out.writes.push_back(std::move(ow));
        }
        auto notes = b.getWarnings();
        if (notes.size() > 256) return Status::Corruption("too many warnings");
        for (auto n : notes)
          out.warnings.push_back({schema::StringOf(n.getField()), schema::StringOf(n.getCode()),
                                  schema::StringOf(n.getMessage())});
        bool sealed = false;
        for (const Write& w : out.writes) sealed |= w.kind == ValueKind::kSealed;
        auto keys = b.getKeys();
        if (keys.size() > kMaxKeyBlockBytes) return Status::Corruption("key block too large");
        if (sealed != (keys.size() > 0))
          return Status::Corruption(sealed ? "change has sealed writes but no key block"
                                           : "change has a key block but no sealed write");
        out.keys.assign(keys.begin(), keys.end());
        return Status::Ok();
      }));
  c.id = crypto::Digest(suite, c.encoded);
  return c;
}

Result<RecordHeader> PeekRecord(ByteView record) {
  ByteReader r(record);
  uint8_t version = 0;
  ByteView packed;
  uint64_t words = 0, plen = 0;
  if (!r.Byte(&version) || version != 2 || !r.Varint(&words) || words == 0 ||
      words > kMaxChangeBytes / 8 || !r.Varint(&plen) || plen > r.remaining() ||
      !r.Fixed(static_cast<size_t>(plen), &packed))
    return Status::Corruption("change record header");
  ASSIGN_OR_RETURN(Bytes body, Unpack(packed, static_cast<size_t>(words)));
  RecordHeader h;
  schema::ReadLimits limits;
  limits.max_bytes = kMaxChangeBytes;
  limits.traversal_words = kMaxChangeBytes / 8 * 2;
  limits.canonical_segment = false;
  // A canonical body has no segment table: read it as the single segment it is.
  std::vector<capnp::word> seg(body.size() / 8);
  std::memcpy(seg.data(), body.data(), seg.size() * 8);
  try {
    kj::ArrayPtr<const capnp::word> segment(seg.data(), seg.size());
    capnp::ReaderOptions opts;
    opts.traversalLimitInWords = limits.traversal_words;
    capnp::SegmentArrayMessageReader reader(kj::arrayPtr(&segment, 1), opts);
    auto b = reader.getRoot<schema::ChangeBody>();
    h.community = schema::StringOf(b.getCommunity());
    auto origin = b.getOrigin();
    if (origin.size() != 16) return Status::Corruption("change origin");
    std::copy(origin.begin(), origin.end(), h.origin.begin());
    h.kind = static_cast<model::EntityKind>(b.getKind());
    h.hlc = b.getHlc();
  } catch (const kj::Exception& e) {
    return Status::Corruption(std::string("change record: ") + e.getDescription().cStr());
  }
  return h;
}

}  // namespace shequ::crdt
