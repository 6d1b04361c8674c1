#include "replication/reconcile/message.h"

#include <algorithm>

namespace shequ::reconcile {

void BoundWriter::Put(Bytes& out, const Bound& bound) {
  const uint64_t ts = bound.point.timestamp;
  if (ts == kInfinity) {
    PutVarint(out, 0);
  } else {
    // Unsigned arithmetic on purpose: bounds go out in ascending order, so the difference is
    // never negative for our own ranges; the reference wraps the same way otherwise.
    PutVarint(out, ts - last_timestamp_ + 1);
  }
  last_timestamp_ = ts;
  PutVarint(out, bound.prefix_len);
  out.insert(out.end(), bound.point.id.begin(), bound.point.id.begin() + bound.prefix_len);
}

Result<Bound> BoundReader::Read(WireReader& in) {
  ASSIGN_OR_RETURN(uint64_t encoded, in.Varint());
  uint64_t ts = encoded == 0 ? kInfinity : encoded - 1;
  ts += last_timestamp_;
  if (ts < last_timestamp_) ts = kInfinity;  // saturate
  last_timestamp_ = ts;

  ASSIGN_OR_RETURN(uint64_t len, in.Varint());
  if (len > kIdSize) {
    return Status::Corruption("bound id prefix of " + std::to_string(len) + " bytes (max 32)");
  }
  ASSIGN_OR_RETURN(ByteView prefix, in.Take(len));
  Bound b;
  b.point.timestamp = ts;
  b.prefix_len = static_cast<uint8_t>(len);
  std::copy(prefix.begin(), prefix.end(), b.point.id.begin());
  return b;
}

Result<WireMessage> ParseMessage(ByteView message) {
  WireReader in(message);
  WireMessage out;
  ASSIGN_OR_RETURN(out.version, in.Byte());
  if (out.version != kProtocolVersion) {
    if (out.version < 0x60 || out.version > 0x6f) {
      return Status::Corruption("not a Negentropy message (version byte " +
                                std::to_string(out.version) + ")");
    }
    return out;
  }
  BoundReader bounds;
  while (!in.done()) {
    WireRange r;
    ASSIGN_OR_RETURN(r.upper, bounds.Read(in));
    ASSIGN_OR_RETURN(uint64_t mode, in.Varint());
    if (mode == static_cast<uint64_t>(Mode::kSkip)) {
      r.mode = Mode::kSkip;
    } else if (mode == static_cast<uint64_t>(Mode::kFingerprint)) {
      r.mode = Mode::kFingerprint;
      ASSIGN_OR_RETURN(ByteView fp, in.Take(kFingerprintSize));
      std::copy(fp.begin(), fp.end(), r.fingerprint.begin());
    } else if (mode == static_cast<uint64_t>(Mode::kIdList)) {
      r.mode = Mode::kIdList;
      ASSIGN_OR_RETURN(uint64_t count, in.Varint());
      if (count > in.remaining() / kIdSize)
        return Status::Corruption("id list longer than message");
      r.ids.resize(static_cast<size_t>(count));
      for (Id32& id : r.ids) {
        ASSIGN_OR_RETURN(ByteView b, in.Take(kIdSize));
        std::copy(b.begin(), b.end(), id.begin());
      }
    } else {
      return Status::Corruption("unknown range mode " + std::to_string(mode));
    }
    out.ranges.push_back(std::move(r));
  }
  return out;
}

Bytes SerializeMessage(const WireMessage& message) {
  Bytes out{message.version};
  if (message.version != kProtocolVersion) return out;
  BoundWriter bounds;
  for (const WireRange& r : message.ranges) {
    bounds.Put(out, r.upper);
    PutVarint(out, static_cast<uint64_t>(r.mode));
    if (r.mode == Mode::kFingerprint) {
      Append(out, r.fingerprint);
    } else if (r.mode == Mode::kIdList) {
      PutVarint(out, r.ids.size());
      for (const Id32& id : r.ids) Append(out, id);
    }
  }
  return out;
}

std::string DescribeMessage(ByteView message) {
  auto parsed = ParseMessage(message);
  if (!parsed.ok()) return "<" + parsed.status().ToString() + ">";
  std::string s = "version " + std::to_string(parsed->version) + "\n";
  for (const WireRange& r : parsed->ranges) {
    static const char* const kModes[] = {"Skip", "Fingerprint", "IdList"};
    s += kModes[static_cast<size_t>(r.mode)];
    s += "(";
    if (r.upper.point.timestamp == kInfinity) {
      s += "inf";
    } else {
      s += "ts=" + std::to_string(r.upper.point.timestamp);
    }
    if (r.upper.prefix_len > 0) {
      s += " prefix=" + Hex(ByteView(r.upper.point.id.data(), r.upper.prefix_len));
    }
    s += ")";
    if (r.mode == Mode::kFingerprint) s += " " + Hex(r.fingerprint);
    if (r.mode == Mode::kIdList) s += " " + std::to_string(r.ids.size()) + " ids";
    s += "\n";
  }
  return s;
}

}  // namespace shequ::reconcile
