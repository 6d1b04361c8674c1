// Byte strings, hex, little helpers for fixed-width and varint encodings.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "node/base/status.h"

namespace shequ {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;
using Id32 = std::array<uint8_t, 32>;  // SHA-256 / SM3 digests, change ids
using Id16 = std::array<uint8_t, 16>;  // entity ids, node ids

inline ByteView AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsChars(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
inline Bytes ToBytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

std::string Hex(ByteView b);
Result<Bytes> Unhex(std::string_view hex);
template <size_t N>
Result<std::array<uint8_t, N>> UnhexFixed(std::string_view hex) {
  if (hex.size() != 2 * N) {
    return Status::Invalid("expected " + std::to_string(2 * N) + " hex digits, got " +
                           std::to_string(hex.size()));
  }
  ASSIGN_OR_RETURN(Bytes b, Unhex(hex));
  std::array<uint8_t, N> out{};
  std::memcpy(out.data(), b.data(), N);
  return out;
}

std::string Base64(ByteView b);
Result<Bytes> Unbase64(std::string_view text);

// Big-endian fixed width (keys sort as numbers).
inline void PutBE64(Bytes& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
inline uint64_t GetBE64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}
inline void PutBE16(Bytes& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

// LEB128 unsigned varint (7 bits a byte, low first) for our own record encodings.
void PutVarint(Bytes& out, uint64_t v);
void PutString(Bytes& out, std::string_view s);  // varint length + bytes
inline void Append(Bytes& out, ByteView b) { out.insert(out.end(), b.begin(), b.end()); }

// Reads what the Put* functions wrote; every read is bounds-checked and a failure sticks.
class ByteReader {
 public:
  explicit ByteReader(ByteView b) : b_(b) {}
  bool Varint(uint64_t* v);
  bool String(std::string_view* s);
  bool Fixed(size_t n, ByteView* out);
  bool Byte(uint8_t* v);
  bool done() const { return pos_ == b_.size(); }
  bool failed() const { return failed_; }
  size_t remaining() const { return b_.size() - pos_; }

 private:
  ByteView b_;
  size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace shequ
