#include "node/base/bytes.h"

namespace shequ {

std::string Hex(ByteView b) {
  static const char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(b.size() * 2);
  for (uint8_t c : b) {
    s.push_back(kDigits[c >> 4]);
    s.push_back(kDigits[c & 15]);
  }
  return s;
}

static int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<Bytes> Unhex(std::string_view hex) {
  if (hex.size() % 2 != 0) return Status::Invalid("odd number of hex digits");
  Bytes out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = HexValue(hex[2 * i]), lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return Status::Invalid("not a hex digit at position " + std::to_string(2 * i));
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

static const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string Base64(ByteView b) {
  std::string s;
  s.reserve((b.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= b.size(); i += 3) {
    uint32_t v = uint32_t(b[i]) << 16 | uint32_t(b[i + 1]) << 8 | b[i + 2];
    for (int k = 3; k >= 0; --k) s.push_back(kB64[(v >> (6 * k)) & 63]);
  }
  if (size_t rest = b.size() - i) {
    uint32_t v = uint32_t(b[i]) << 16 | (rest == 2 ? uint32_t(b[i + 1]) << 8 : 0);
    s.push_back(kB64[(v >> 18) & 63]);
    s.push_back(kB64[(v >> 12) & 63]);
    s.push_back(rest == 2 ? kB64[(v >> 6) & 63] : '=');
    s.push_back('=');
  }
  return s;
}

Result<Bytes> Unbase64(std::string_view text) {
  if (text.size() % 4 != 0) return Status::Invalid("base64 length is not a multiple of 4");
  Bytes out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    uint32_t v = 0;
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      char c = text[i + k];
      int d;
      if (c == '=' && i + 4 == text.size() && k >= 2) {
        d = 0;
        ++pad;
      } else {
        if (pad) return Status::Invalid("base64 padding in the middle");
        const char* p = c ? std::strchr(kB64, c) : nullptr;
        if (!p)
          return Status::Invalid("not a base64 character at position " + std::to_string(i + k));
        d = static_cast<int>(p - kB64);
      }
      v = v << 6 | static_cast<uint32_t>(d);
    }
    out.push_back(static_cast<uint8_t>(v >> 16));
    if (pad < 2) out.push_back(static_cast<uint8_t>(v >> 8));
    if (pad < 1) out.push_back(static_cast<uint8_t>(v));
  }
  return out;
}

void PutVarint(Bytes& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<uint8_t>(v));
}

void PutString(Bytes& out, std::string_view s) {
  PutVarint(out, s.size());
  Append(out, AsBytes(s));
}

bool ByteReader::Varint(uint64_t* v) {
  if (failed_) return false;
  uint64_t r = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos_ >= b_.size()) break;
    uint8_t c = b_[pos_++];
    r |= uint64_t(c & 0x7f) << shift;
    if (!(c & 0x80)) {
      *v = r;
      return true;
    }
  }
  failed_ = true;
  return false;
}

bool ByteReader::Fixed(size_t n, ByteView* out) {
  if (failed_ || n > remaining()) return !(failed_ = true);
  *out = b_.subspan(pos_, n);
  pos_ += n;
  return true;
}

bool ByteReader::String(std::string_view* s) {
  uint64_t n;
  ByteView b;
  if (!Varint(&n) || n > remaining() || !Fixed(static_cast<size_t>(n), &b))
    return !(failed_ = true);
  *s = AsChars(b);
  return true;
}

bool ByteReader::Byte(uint8_t* v) {
  ByteView b;
  if (!Fixed(1, &b)) return false;
  *v = b[0];
  return true;
}

}  // namespace shequ
