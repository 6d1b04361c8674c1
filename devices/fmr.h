// ISO/IEC 19794-2:2005 finger minutiae records (docs/DEVICES.md, "Minutiae records"). Parsing is
// strict: every length is checked against the bytes there are, the record length field must equal
// the record's size, nothing may follow the last view; every field that is not decoded into a
// number is kept, so that WriteFmr(ParseFmr(b)) == b for every record ParseFmr accepts.
//
// Record (all multi-byte numbers big-endian):
//   header, 24 bytes: "FMR\0", " 20\0", record length (4), capture equipment certification
//     (4 bits) + capture device type (12 bits), image width (2), image height (2),
//     x resolution (2), y resolution (2) in pixels per cm, number of finger views (1), reserved (1)
//   per view: finger position (1), view number (4 bits) + impression type (4 bits),
//     finger quality (1), number of minutiae (1), then 6 bytes per minutia:
//       type (2 bits) + x (14 bits), reserved (2 bits) + y (14 bits), angle (1, units of
//       360/256 degrees), quality (1)
//     and the extended data block: its length (2), then that many bytes (kept raw).
#pragma once

#include <cstdint>
#include <vector>

#include "node/base/bytes.h"
#include "node/base/status.h"

namespace shequ::devices {

inline constexpr size_t kFmrHeaderLen = 24;

enum class MinutiaType : uint8_t { kOther = 0, kRidgeEnding = 1, kBifurcation = 2, kReserved = 3 };

struct FmrMinutia {
  MinutiaType type = MinutiaType::kRidgeEnding;
  uint16_t x = 0, y = 0;   // pixels, < 2^14
  uint8_t angle = 0;       // units of 1.40625 degrees, counter-clockwise from the x axis
  uint8_t quality = 0;     // 0 = not reported, 1..100
  uint8_t y_reserved = 0;  // the 2 reserved bits above y (0 in conforming records)
  double AngleDegrees() const { return angle * (360.0 / 256.0); }
  bool operator==(const FmrMinutia&) const = default;
};

struct FmrView {
  uint8_t finger_position = 0;  // 0 unknown, 1 right thumb ... 10 left little
  uint8_t view_number = 0;      // 4 bits
  uint8_t impression_type = 0;  // 4 bits: 0 live-scan plain, 1 live-scan rolled, ...
  uint8_t quality = 0;
  std::vector<FmrMinutia> minutiae;
  Bytes extended;  // extended data block (without its 2-byte length), raw
  bool operator==(const FmrView&) const = default;
};

struct FmrRecord {
  uint8_t equipment_certification = 0;  // 4 bits
  uint16_t device_type = 0;             // 12 bits
  uint16_t width = 0, height = 0;
  uint16_t x_resolution = 197, y_resolution = 197;  // pixels per cm (197 = 500 dpi)
  uint8_t reserved = 0;
  std::vector<FmrView> views;
  bool operator==(const FmrRecord&) const = default;
};

Result<FmrRecord> ParseFmr(ByteView bytes);
// REQUIRES: values fit their bit fields (x, y < 2^14, view number and impression < 16, at most
// 255 views and 255 minutiae per view, extended blocks < 64 KiB); see CheckFmr.
Bytes WriteFmr(const FmrRecord& r);
// InvalidArgument when WriteFmr's requirements do not hold.
Status CheckFmr(const FmrRecord& r);

}  // namespace shequ::devices
