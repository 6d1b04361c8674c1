// Frames of the second-generation ID card reader protocol (the SAM-V serial protocol of the
// 居民身份证阅读机具), bytes in, bytes out: no I/O here (docs/DEVICES.md, "Reader protocol").
//
//   AA AA AA 96 69 | length (2, big-endian) | body (length - 1 bytes) | XOR checksum
//
// The checksum is the XOR of the two length bytes and every body byte. A host request's body is
// command, parameter, data; a reader response's body is SW1 SW2 SW3, data. SW3 is the status.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "node/base/bytes.h"
#include "node/base/status.h"

namespace shequ::devices {

inline constexpr uint8_t kIdPreamble[5] = {0xAA, 0xAA, 0xAA, 0x96, 0x69};
inline constexpr size_t kIdHeaderLen = 7;  // preamble + length
// The longest frame we accept (a 30 10 read with fingerprints is 2321 bytes).
inline constexpr size_t kIdMaxLength = 4096;

// Commands (command, parameter).
namespace idcmd {
inline constexpr uint8_t kSamReset[2] = {0x10, 0xFF};
inline constexpr uint8_t kSamStatus[2] = {0x11, 0xFF};
inline constexpr uint8_t kSamId[2] = {0x12, 0xFF};
inline constexpr uint8_t kFindCard[2] = {0x20, 0x01};
inline constexpr uint8_t kSelectCard[2] = {0x20, 0x02};
inline constexpr uint8_t kReadBase[2] = {0x30, 0x01};
}  // namespace idcmd

// SW3 status bytes.
namespace sw3 {
inline constexpr uint8_t kSuccess = 0x90;
inline constexpr uint8_t kCardFound = 0x9F;
inline constexpr uint8_t kNoCard = 0x80;
inline constexpr uint8_t kSelectFailed = 0x81;
inline constexpr uint8_t kChecksumError = 0x10;
inline constexpr uint8_t kLengthError = 0x11;
inline constexpr uint8_t kCommandError = 0x21;
inline constexpr uint8_t kReadFailed = 0x41;
inline constexpr uint8_t kNoContent = 0x91;
}  // namespace sw3

// XOR of the length bytes and the body: what the last byte of a frame must be.
uint8_t IdChecksum(ByteView length_and_body);

// A whole frame around `body`. REQUIRES: body.size() + 1 <= kIdMaxLength.
Bytes EncodeIdFrame(ByteView body);

// The body of one complete frame (exactly one, nothing after it); Corruption names what is
// wrong (preamble, length, checksum).
Result<Bytes> DecodeIdFrame(ByteView frame);

// Looks for a frame at the start of a receive buffer.
struct IdFrameScan {
  enum Kind {
    kNeedMore,  // a frame may start here; read more bytes
    kFrame,     // buffer[0, size) is a complete frame (checksum not yet checked)
    kSkip,      // buffer[0, size) cannot start a frame: drop it and scan again
    kBadLength  // a preamble with a length that no frame may have (0 or > kIdMaxLength)
  };
  Kind kind = kNeedMore;
  size_t size = 0;
};
IdFrameScan ScanIdFrame(ByteView buffer);

struct IdRequest {
  uint8_t command = 0, parameter = 0;
  Bytes data;
};
Bytes EncodeIdRequest(const IdRequest& r);
// From a frame body (at least command and parameter).
Result<IdRequest> ParseIdRequest(ByteView body);

struct IdResponse {
  uint8_t sw1 = 0, sw2 = 0, sw3 = 0;
  Bytes data;
};
Bytes EncodeIdResponse(const IdResponse& r);
// From a frame body (at least SW1 SW2 SW3).
Result<IdResponse> ParseIdResponse(ByteView body);

// What SW3 means, in English and Chinese: "no card on the reader (无卡)"; unknown codes are named
// with their hex, "unknown status 0x5A".
std::string Sw3Meaning(uint8_t sw3);
// The Status a non-success SW3 maps to, naming the command that got it:
//   0x80 no card, 0x91 no content                              -> NotFound
//   0x81 select failed, 0x41 read failed (card lifted), 0x10/0x11 the reader saw a damaged
//   request                                                     -> Unavailable (retry)
//   0x21 command error, unknown codes                           -> Internal
Status Sw3Error(uint8_t sw3, std::string_view during);

// The response to 30 01: text and photo lengths (big-endian), the 256-byte text block, the photo.
// Byte offsets in the whole frame: text length at 10, photo length at 12, text at 14, photo at 270.
inline constexpr size_t kIdTextLen = 256;
inline constexpr size_t kIdPhotoLen = 1024;
struct IdBaseMessage {
  Bytes text;   // kIdTextLen bytes, UTF-16LE
  Bytes photo;  // up to kIdPhotoLen bytes, as stored on the card (licensed format; not decoded)
};
Result<IdBaseMessage> ParseBaseMessage(ByteView data);
Bytes EncodeBaseMessage(const IdBaseMessage& m);

// The SAM id (12 FF response data, 16 bytes): "05.01-20240315-0000123456-0000098765", from two
// little-endian 16-bit numbers and three little-endian 32-bit numbers. Vendors format it slightly
// differently; this is the most common form (docs/DEVICES.md).
Result<std::string> FormatSamId(ByteView data);
// The inverse, for the simulator.
Result<Bytes> ParseSamId(std::string_view text);

}  // namespace shequ::devices
