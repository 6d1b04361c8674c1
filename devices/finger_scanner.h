// Fingerprint capture: the scanner interface, our framed serial protocol (docs/DEVICES.md,
// "Scanner protocol") and its driver. Scanners differ by vendor; the ones we deploy sit behind a
// small adapter that speaks this protocol, and the simulator speaks it too.
//
//   'F' 'P' | type (1) | payload length (2, big-endian) | payload | CRC-16 (2, big-endian)
//
// The CRC is CRC-16/CCITT-FALSE (polynomial 0x1021, initial 0xFFFF) over type, length and
// payload. Host types: 0x01 INFO (no payload), 0x02 CAPTURE (finger position (1), timeout in
// tenths of a second (2)). Scanner types: 0x81 INFO (serial, model, firmware separated by 0x1F),
// 0x82 TEMPLATE (an ISO/IEC 19794-2:2005 record), 0xEE ERROR (code (1), UTF-8 message).
//
// Thread safety: one thread per scanner.
#pragma once

#include <memory>
#include <string>

#include "devices/fmr.h"
#include "devices/serial_port.h"
#include "node/base/bytes.h"
#include "node/base/status.h"

namespace shequ::devices {

struct ScannerInfo {
  std::string serial, model, firmware;
};

class FingerScanner {
 public:
  virtual ~FingerScanner() = default;
  virtual Result<ScannerInfo> Info() = 0;
  // One capture of the finger at ISO position `finger_position` (0 unknown, 1 right thumb ...),
  // waiting up to `timeout_ms` for a finger; the record bytes as the scanner sent them (already
  // checked by ParseFmr).
  virtual Result<Bytes> Capture(uint8_t finger_position, int timeout_ms) = 0;
};

// --- protocol, bytes only
inline constexpr uint8_t kFpMagic[2] = {'F', 'P'};
inline constexpr size_t kFpMaxPayload = 16384;
namespace fptype {
inline constexpr uint8_t kInfo = 0x01;
inline constexpr uint8_t kCapture = 0x02;
inline constexpr uint8_t kInfoReply = 0x81;
inline constexpr uint8_t kTemplate = 0x82;
inline constexpr uint8_t kError = 0xEE;
}  // namespace fptype
namespace fperr {
inline constexpr uint8_t kNoFinger = 0x01;     // no finger within the timeout
inline constexpr uint8_t kPoorQuality = 0x02;  // too few minutiae or a smeared image
inline constexpr uint8_t kBadFrame = 0x03;     // CRC or length wrong
inline constexpr uint8_t kUnknownType = 0x04;
inline constexpr uint8_t kSensorFault = 0x05;
}  // namespace fperr

uint16_t Crc16Ccitt(ByteView b);

struct FpFrame {
  uint8_t type = 0;
  Bytes payload;
};
Bytes EncodeFpFrame(const FpFrame& f);

struct FpScan {
  enum Kind { kNeedMore, kFrame, kSkip, kBadLength };
  Kind kind = kNeedMore;
  size_t size = 0;
};
// Like ScanIdFrame: what the start of a receive buffer holds.
FpScan ScanFpFrame(ByteView buffer);
// One complete frame (CRC checked).
Result<FpFrame> DecodeFpFrame(ByteView frame);
// The Status for an ERROR payload: no finger, poor quality, bad frame, sensor fault ->
// Unavailable (try again); unknown type and unknown codes (named in hex) -> Internal.
Status FpError(ByteView payload, std::string_view during);

// --- the driver for a scanner speaking the protocol on a serial line
class SerialFingerScanner : public FingerScanner {
 public:
  struct Options {
    int baud = 115200;
    int timeout_ms = 2000;  // for INFO; CAPTURE waits its own timeout plus this
  };
  static Result<std::unique_ptr<SerialFingerScanner>> Open(const std::string& path,
                                                           Options options);
  static Result<std::unique_ptr<SerialFingerScanner>> Open(const std::string& path) {
    return Open(path, Options{});
  }

  Result<ScannerInfo> Info() override;
  Result<Bytes> Capture(uint8_t finger_position, int timeout_ms) override;

  // One request and its reply frame, whatever its type.
  Result<FpFrame> Transact(const FpFrame& request, int timeout_ms);

 private:
  SerialFingerScanner(SerialPort port, Options o) : port_(std::move(port)), options_(o) {}
  SerialPort port_;
  Options options_;
};

}  // namespace shequ::devices
