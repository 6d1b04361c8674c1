#include "devices/fmr.h"

#include <algorithm>
#include <string>

namespace shequ::devices {

namespace {

constexpr uint8_t kMagic[8] = {'F', 'M', 'R', 0, ' ', '2', '0', 0};

// Bounds-checked big-endian reads; a failed read sticks.
class Reader {
 public:
  explicit Reader(ByteView b) : b_(b) {}
  bool U8(uint8_t* v) {
    if (!Need(1)) return false;
    *v = b_[pos_++];
    return true;
  }
  bool U16(uint16_t* v) {
    if (!Need(2)) return false;
    *v = static_cast<uint16_t>(b_[pos_] << 8 | b_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool U32(uint32_t* v) {
    if (!Need(4)) return false;
    *v = static_cast<uint32_t>(b_[pos_]) << 24 | static_cast<uint32_t>(b_[pos_ + 1]) << 16 |
         static_cast<uint32_t>(b_[pos_ + 2]) << 8 | b_[pos_ + 3];
    pos_ += 4;
    return true;
  }
  bool Take(size_t n, ByteView* out) {
    if (!Need(n)) return false;
    *out = b_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  size_t pos() const { return pos_; }
  size_t remaining() const { return b_.size() - pos_; }

 private:
  bool Need(size_t n) { return remaining() >= n; }
  ByteView b_;
  size_t pos_ = 0;
};

Status Short(std::string_view what, size_t at) {
  return Status::Corruption("minutiae record ends inside " + std::string(what) + " at byte " +
                            std::to_string(at));
}

void PutU32(Bytes& out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

}  // namespace

Result<FmrRecord> ParseFmr(ByteView bytes) {
  if (bytes.size() < kFmrHeaderLen)
    return Status::Corruption("minutiae record of " + std::to_string(bytes.size()) +
                              " bytes is shorter than its 24-byte header");
  if (!std::equal(kMagic, kMagic + 4, bytes.begin()))
    return Status::Corruption("not a finger minutiae record (no \"FMR\\0\")");
  if (!std::equal(kMagic + 4, kMagic + 8, bytes.begin() + 4))
    return Status::Corruption("minutiae record version is not \" 20\\0\" (ISO/IEC 19794-2:2005)");
  Reader r(bytes.subspan(8));
  FmrRecord rec;
  uint32_t length = 0;
  uint16_t cert_type = 0;
  uint8_t views = 0;
  r.U32(&length);
  r.U16(&cert_type);
  r.U16(&rec.width);
  r.U16(&rec.height);
  r.U16(&rec.x_resolution);
  r.U16(&rec.y_resolution);
  r.U8(&views);
  r.U8(&rec.reserved);
  if (length != bytes.size())
    return Status::Corruption("minutiae record length field says " + std::to_string(length) +
                              " bytes, the record has " + std::to_string(bytes.size()));
  rec.equipment_certification = static_cast<uint8_t>(cert_type >> 12);
  rec.device_type = cert_type & 0x0FFF;
  for (unsigned v = 0; v < views; ++v) {
    FmrView view;
    uint8_t view_impression = 0, count = 0;
    size_t at = 8 + r.pos();
    if (!r.U8(&view.finger_position) || !r.U8(&view_impression) || !r.U8(&view.quality) ||
        !r.U8(&count))
      return Short("the header of finger view " + std::to_string(v + 1), at);
    view.view_number = view_impression >> 4;
    view.impression_type = view_impression & 0x0F;
    if (r.remaining() < size_t{count} * 6)
      return Short("the minutiae of finger view " + std::to_string(v + 1), 8 + r.pos());
    view.minutiae.resize(count);
    for (FmrMinutia& m : view.minutiae) {
      uint16_t tx = 0, ry = 0;
      r.U16(&tx);
      r.U16(&ry);
      r.U8(&m.angle);
      r.U8(&m.quality);
      m.type = static_cast<MinutiaType>(tx >> 14);
      m.x = tx & 0x3FFF;
      m.y_reserved = static_cast<uint8_t>(ry >> 14);
      m.y = ry & 0x3FFF;
    }
    uint16_t ext_len = 0;
    if (!r.U16(&ext_len))
      return Short("the extended data length of finger view " + std::to_string(v + 1), 8 + r.pos());
    ByteView ext;
    if (!r.Take(ext_len, &ext))
      return Short("the extended data of finger view " + std::to_string(v + 1), 8 + r.pos());
    view.extended.assign(ext.begin(), ext.end());
    rec.views.push_back(std::move(view));
  }
  if (r.remaining() != 0)
    return Status::Corruption(std::to_string(r.remaining()) +
                              " bytes follow the last finger view of the minutiae record");
  return rec;
}

Status CheckFmr(const FmrRecord& r) {
  if (r.equipment_certification > 0x0F || r.device_type > 0x0FFF)
    return Status::Invalid("capture equipment fields out of range");
  if (r.views.size() > 255) return Status::Invalid("more than 255 finger views");
  for (const FmrView& v : r.views) {
    if (v.view_number > 0x0F || v.impression_type > 0x0F)
      return Status::Invalid("view number or impression type above 15");
    if (v.minutiae.size() > 255) return Status::Invalid("more than 255 minutiae in a view");
    if (v.extended.size() > 0xFFFF) return Status::Invalid("extended data of 64 KiB or more");
    for (const FmrMinutia& m : v.minutiae) {
      if (m.x > 0x3FFF || m.y > 0x3FFF) return Status::Invalid("minutia coordinate >= 16384");
      if (static_cast<uint8_t>(m.type) > 3 || m.y_reserved > 3)
        return Status::Invalid("minutia type or reserved bits out of range");
    }
  }
  return Status::Ok();
}

Bytes WriteFmr(const FmrRecord& r) {
  Bytes out(kMagic, kMagic + 8);
  PutU32(out, 0);  // length, patched below
  PutBE16(out, static_cast<uint16_t>(r.equipment_certification << 12 | r.device_type));
  PutBE16(out, r.width);
  PutBE16(out, r.height);
  PutBE16(out, r.x_resolution);
  PutBE16(out, r.y_resolution);
  out.push_back(static_cast<uint8_t>(r.views.size()));
  out.push_back(r.reserved);
  for (const FmrView& v : r.views) {
    out.push_back(v.finger_position);
    out.push_back(static_cast<uint8_t>(v.view_number << 4 | v.impression_type));
    out.push_back(v.quality);
    out.push_back(static_cast<uint8_t>(v.minutiae.size()));
    for (const FmrMinutia& m : v.minutiae) {
      PutBE16(out, static_cast<uint16_t>(static_cast<unsigned>(m.type) << 14 | m.x));
      PutBE16(out, static_cast<uint16_t>(m.y_reserved << 14 | m.y));
      out.push_back(m.angle);
      out.push_back(m.quality);
    }
    PutBE16(out, static_cast<uint16_t>(v.extended.size()));
    Append(out, v.extended);
  }
  uint32_t len = static_cast<uint32_t>(out.size());
  for (int i = 0; i < 4; ++i) out[8 + i] = static_cast<uint8_t>(len >> (8 * (3 - i)));
  return out;
}

}  // namespace shequ::devices
