#include "devices/id_frame.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "node/base/text.h"

namespace shequ::devices {

namespace {

std::string HexByte(uint8_t b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", b);
  return buf;
}

bool IsPreamble(ByteView b) {
  return b.size() >= 5 && std::equal(b.begin(), b.begin() + 5, kIdPreamble);
}

uint32_t GetLE32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}
void PutLE(Bytes& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

}  // namespace

uint8_t IdChecksum(ByteView length_and_body) {
  uint8_t x = 0;
  for (uint8_t b : length_and_body) x ^= b;
  return x;
}

Bytes EncodeIdFrame(ByteView body) {
  Bytes f(kIdPreamble, kIdPreamble + 5);
  PutBE16(f, static_cast<uint16_t>(body.size() + 1));
  Append(f, body);
  f.push_back(IdChecksum(ByteView(f).subspan(5)));
  return f;
}

IdFrameScan ScanIdFrame(ByteView buffer) {
  IdFrameScan s;
  // Drop bytes that cannot begin a preamble (keep a partial preamble at the end).
  size_t skip = 0;
  while (skip < buffer.size()) {
    size_t n = std::min<size_t>(5, buffer.size() - skip);
    if (std::memcmp(buffer.data() + skip, kIdPreamble, n) == 0) break;
    ++skip;
  }
  if (skip > 0) {
    s.kind = IdFrameScan::kSkip;
    s.size = skip;
    return s;
  }
  if (buffer.size() < kIdHeaderLen) return s;  // kNeedMore
  size_t len = static_cast<size_t>(buffer[5]) << 8 | buffer[6];
  if (len == 0 || len > kIdMaxLength) {
    s.kind = IdFrameScan::kBadLength;
    s.size = kIdHeaderLen;
    return s;
  }
  if (buffer.size() < kIdHeaderLen + len) return s;
  s.kind = IdFrameScan::kFrame;
  s.size = kIdHeaderLen + len;
  return s;
}

Result<Bytes> DecodeIdFrame(ByteView frame) {
  if (frame.size() < kIdHeaderLen + 1)
    return Status::Corruption("reader frame of " + std::to_string(frame.size()) +
                              " bytes is shorter than a header and a checksum");
  if (!IsPreamble(frame)) return Status::Corruption("reader frame does not start AA AA AA 96 69");
  size_t len = static_cast<size_t>(frame[5]) << 8 | frame[6];
  if (len == 0 || len > kIdMaxLength)
    return Status::Corruption("reader frame length " + std::to_string(len) + " out of range");
  if (frame.size() != kIdHeaderLen + len)
    return Status::Corruption("reader frame length field says " + std::to_string(len) +
                              " bytes follow, but " + std::to_string(frame.size() - kIdHeaderLen) +
                              " do");
  uint8_t want = IdChecksum(frame.subspan(5, len + 1));  // length bytes + body
  uint8_t got = frame.back();
  if (want != got)
    return Status::Corruption("reader frame checksum is " + HexByte(got) + ", expected " +
                              HexByte(want));
  return Bytes(frame.begin() + kIdHeaderLen, frame.end() - 1);
}

Bytes EncodeIdRequest(const IdRequest& r) {
  Bytes body = {r.command, r.parameter};
  Append(body, r.data);
  return EncodeIdFrame(body);
}

Result<IdRequest> ParseIdRequest(ByteView body) {
  if (body.size() < 2)
    return Status::Corruption("request body of " + std::to_string(body.size()) +
                              " bytes has no command and parameter");
  IdRequest r;
  r.command = body[0];
  r.parameter = body[1];
  r.data.assign(body.begin() + 2, body.end());
  return r;
}

Bytes EncodeIdResponse(const IdResponse& r) {
  Bytes body = {r.sw1, r.sw2, r.sw3};
  Append(body, r.data);
  return EncodeIdFrame(body);
}

Result<IdResponse> ParseIdResponse(ByteView body) {
  if (body.size() < 3)
    return Status::Corruption("response body of " + std::to_string(body.size()) +
                              " bytes has no SW1 SW2 SW3");
  IdResponse r;
  r.sw1 = body[0];
  r.sw2 = body[1];
  r.sw3 = body[2];
  r.data.assign(body.begin() + 3, body.end());
  return r;
}

std::string Sw3Meaning(uint8_t code) {
  switch (code) {
    case sw3::kSuccess:
      return "success (操作成功)";
    case sw3::kCardFound:
      return "card found (寻找证/卡成功)";
    case sw3::kNoCard:
      return "no card on the reader (寻找证/卡失败，无卡)";
    case sw3::kSelectFailed:
      return "selecting the card failed (选取证/卡失败)";
    case sw3::kChecksumError:
      return "the reader received a frame with a bad checksum (校验和错)";
    case sw3::kLengthError:
      return "the reader received a frame with a bad length (长度错)";
    case sw3::kCommandError:
      return "the reader does not know the command (命令错误)";
    case sw3::kReadFailed:
      return "reading the card failed, was it lifted? (读证/卡操作失败)";
    case sw3::kNoContent:
      return "the card has no such content (证/卡中此项无内容)";
  }
  return "unknown status " + HexByte(code);
}

Status Sw3Error(uint8_t code, std::string_view during) {
  std::string m = std::string(during) + ": " + Sw3Meaning(code) + " [SW3 " + HexByte(code) + "]";
  switch (code) {
    case sw3::kNoCard:
    case sw3::kNoContent:
      return Status::NotFound(std::move(m));
    case sw3::kSelectFailed:
    case sw3::kReadFailed:
    case sw3::kChecksumError:
    case sw3::kLengthError:
      return Status::Unavailable(std::move(m));
    default:
      return Status::Internal(std::move(m));
  }
}

Result<IdBaseMessage> ParseBaseMessage(ByteView data) {
  if (data.size() < 4)
    return Status::Corruption("read response of " + std::to_string(data.size()) +
                              " data bytes has no text and photo lengths");
  size_t text_len = static_cast<size_t>(data[0]) << 8 | data[1];
  size_t photo_len = static_cast<size_t>(data[2]) << 8 | data[3];
  if (text_len != kIdTextLen)
    return Status::Corruption("text block of " + std::to_string(text_len) + " bytes, expected " +
                              std::to_string(kIdTextLen));
  if (photo_len > kIdPhotoLen)
    return Status::Corruption("photo of " + std::to_string(photo_len) + " bytes, at most " +
                              std::to_string(kIdPhotoLen) + " expected");
  if (data.size() != 4 + text_len + photo_len)
    return Status::Corruption("read response has " + std::to_string(data.size()) +
                              " data bytes, the lengths announce " +
                              std::to_string(4 + text_len + photo_len));
  IdBaseMessage m;
  m.text.assign(data.begin() + 4, data.begin() + 4 + static_cast<long>(text_len));
  m.photo.assign(data.begin() + 4 + static_cast<long>(text_len), data.end());
  return m;
}

Bytes EncodeBaseMessage(const IdBaseMessage& m) {
  Bytes d;
  PutBE16(d, static_cast<uint16_t>(m.text.size()));
  PutBE16(d, static_cast<uint16_t>(m.photo.size()));
  Append(d, m.text);
  Append(d, m.photo);
  return d;
}

Result<std::string> FormatSamId(ByteView d) {
  if (d.size() != 16)
    return Status::Corruption("SAM id of " + std::to_string(d.size()) + " bytes, expected 16");
  unsigned a = d[0] | d[1] << 8, b = d[2] | d[3] << 8;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%02u.%02u-%08u-%010u-%010u", a, b, GetLE32(&d[4]), GetLE32(&d[8]),
                GetLE32(&d[12]));
  return std::string(buf);
}

Result<Bytes> ParseSamId(std::string_view text) {
  // NN.NN-NNNNNNNN-NNNNNNNNNN-NNNNNNNNNN
  auto bad = [&] {
    return Status::Invalid("SAM id " + Quote(text) +
                           " is not of the form 05.01-20240315-0000123456-0000098765");
  };
  std::vector<std::string_view> dash = Split(text, '-');
  if (dash.size() != 4) return bad();
  std::vector<std::string_view> dot = Split(dash[0], '.');
  if (dot.size() != 2) return bad();
  std::string_view parts[5] = {dot[0], dot[1], dash[1], dash[2], dash[3]};
  const size_t widths[5] = {2, 2, 8, 10, 10};
  const uint64_t limits[5] = {0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF};
  Bytes out;
  for (int i = 0; i < 5; ++i) {
    if (parts[i].size() != widths[i] || !AllDigits(parts[i])) return bad();
    uint64_t v = 0;
    for (char c : parts[i]) v = v * 10 + static_cast<uint64_t>(c - '0');
    if (v > limits[i]) return bad();
    PutLE(out, v, i < 2 ? 2 : 4);
  }
  return out;
}

}  // namespace shequ::devices
