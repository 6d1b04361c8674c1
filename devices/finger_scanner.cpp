#include "devices/finger_scanner.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "node/base/text.h"

namespace shequ::devices {

namespace {

constexpr size_t kFpHeaderLen = 5;  // magic, type, length

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string HexByte(uint8_t b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", b);
  return buf;
}

}  // namespace

uint16_t Crc16Ccitt(ByteView b) {
  uint16_t crc = 0xFFFF;
  for (uint8_t byte : b) {
    crc ^= static_cast<uint16_t>(byte << 8);
    for (int i = 0; i < 8; ++i)
      crc = static_cast<uint16_t>(crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1);
  }
  return crc;
}

Bytes EncodeFpFrame(const FpFrame& f) {
  Bytes out = {kFpMagic[0], kFpMagic[1], f.type};
  PutBE16(out, static_cast<uint16_t>(f.payload.size()));
  Append(out, f.payload);
  PutBE16(out, Crc16Ccitt(ByteView(out).subspan(2)));
  return out;
}

FpScan ScanFpFrame(ByteView buffer) {
  FpScan s;
  size_t skip = 0;
  while (skip < buffer.size()) {
    size_t n = std::min<size_t>(2, buffer.size() - skip);
    if (std::memcmp(buffer.data() + skip, kFpMagic, n) == 0) break;
    ++skip;
  }
  if (skip > 0) {
    s.kind = FpScan::kSkip;
    s.size = skip;
    return s;
  }
  if (buffer.size() < kFpHeaderLen) return s;
  size_t len = static_cast<size_t>(buffer[3]) << 8 | buffer[4];
  if (len > kFpMaxPayload) {
    s.kind = FpScan::kBadLength;
    s.size = kFpHeaderLen;
    return s;
  }
  if (buffer.size() < kFpHeaderLen + len + 2) return s;
  s.kind = FpScan::kFrame;
  s.size = kFpHeaderLen + len + 2;
  return s;
}

Result<FpFrame> DecodeFpFrame(ByteView frame) {
  if (frame.size() < kFpHeaderLen + 2 || frame[0] != kFpMagic[0] || frame[1] != kFpMagic[1])
    return Status::Corruption("not a scanner frame");
  size_t len = static_cast<size_t>(frame[3]) << 8 | frame[4];
  if (len > kFpMaxPayload || frame.size() != kFpHeaderLen + len + 2)
    return Status::Corruption("scanner frame length " + std::to_string(len) +
                              " does not match its " + std::to_string(frame.size()) + " bytes");
  uint16_t want = Crc16Ccitt(frame.subspan(2, 3 + len));
  uint16_t got =
      static_cast<uint16_t>(frame[kFpHeaderLen + len] << 8 | frame[kFpHeaderLen + len + 1]);
  if (want != got) return Status::Corruption("scanner frame CRC mismatch");
  FpFrame f;
  f.type = frame[2];
  f.payload.assign(frame.begin() + kFpHeaderLen,
                   frame.begin() + kFpHeaderLen + static_cast<long>(len));
  return f;
}

Status FpError(ByteView payload, std::string_view during) {
  if (payload.empty())
    return Status::Internal(std::string(during) + ": scanner error without a code");
  uint8_t code = payload[0];
  std::string detail(AsChars(payload.subspan(1)));
  if (!IsValidUtf8(detail)) detail = "(message not UTF-8)";
  std::string m = std::string(during) + ": ";
  switch (code) {
    case fperr::kNoFinger:
      m += "no finger on the scanner (未检测到手指)";
      break;
    case fperr::kPoorQuality:
      m += "poor capture, place the finger again (指纹质量差)";
      break;
    case fperr::kBadFrame:
      m += "the scanner received a damaged frame";
      break;
    case fperr::kUnknownType:
      m += "the scanner does not know the command";
      break;
    case fperr::kSensorFault:
      m += "sensor fault (采集器故障)";
      break;
    default:
      m += "unknown scanner error " + HexByte(code);
      break;
  }
  if (!detail.empty()) m += " — " + detail;
  m += " [" + HexByte(code) + "]";
  switch (code) {
    case fperr::kNoFinger:
    case fperr::kPoorQuality:
    case fperr::kBadFrame:
    case fperr::kSensorFault:
      return Status::Unavailable(std::move(m));
    default:
      return Status::Internal(std::move(m));
  }
}

Result<std::unique_ptr<SerialFingerScanner>> SerialFingerScanner::Open(const std::string& path,
                                                                       Options options) {
  SerialPort::Options po;
  po.baud = options.baud;
  ASSIGN_OR_RETURN(SerialPort port, SerialPort::Open(path, po));
  return std::unique_ptr<SerialFingerScanner>(new SerialFingerScanner(std::move(port), options));
}

Result<FpFrame> SerialFingerScanner::Transact(const FpFrame& request, int timeout_ms) {
  port_.DiscardInput();
  RETURN_IF_ERROR(port_.Write(EncodeFpFrame(request), options_.timeout_ms));
  int64_t deadline = NowMs() + timeout_ms;
  Bytes rx;
  uint8_t buf[2048];
  for (;;) {
    FpScan s = ScanFpFrame(rx);
    if (s.kind == FpScan::kFrame) return DecodeFpFrame(ByteView(rx).first(s.size));
    if (s.kind == FpScan::kBadLength) return Status::Corruption("scanner sent an oversized frame");
    if (s.kind == FpScan::kSkip) {
      rx.erase(rx.begin(), rx.begin() + static_cast<long>(s.size));
      continue;
    }
    int64_t left = deadline - NowMs();
    if (left <= 0)
      return Status::Unavailable("no answer from the scanner within " + std::to_string(timeout_ms) +
                                 " ms");
    ASSIGN_OR_RETURN(size_t n, port_.Read(buf, sizeof buf, static_cast<int>(left)));
    rx.insert(rx.end(), buf, buf + n);
  }
}

Result<ScannerInfo> SerialFingerScanner::Info() {
  FpFrame req;
  req.type = fptype::kInfo;
  auto r = Transact(req, options_.timeout_ms);
  if (!r.ok()) return r.status().With("asking the scanner who it is");
  if (r->type == fptype::kError) return FpError(r->payload, "asking the scanner who it is");
  if (r->type != fptype::kInfoReply)
    return Status::Corruption("the scanner answered INFO with type " + HexByte(r->type));
  std::string text(AsChars(r->payload));
  if (!IsValidUtf8(text)) return Status::Corruption("scanner INFO is not UTF-8");
  std::vector<std::string_view> parts = Split(text, '\x1F');
  if (parts.size() != 3 || parts[0].empty())
    return Status::Corruption("scanner INFO is not serial, model and firmware");
  return ScannerInfo{std::string(parts[0]), std::string(parts[1]), std::string(parts[2])};
}

Result<Bytes> SerialFingerScanner::Capture(uint8_t finger_position, int timeout_ms) {
  FpFrame req;
  req.type = fptype::kCapture;
  req.payload.push_back(finger_position);
  PutBE16(req.payload, static_cast<uint16_t>(std::min(timeout_ms / 100, 0xFFFF)));
  std::string during = "capturing a fingerprint";
  auto r = Transact(req, timeout_ms + options_.timeout_ms);
  if (!r.ok()) return r.status().With(during);
  if (r->type == fptype::kError) return FpError(r->payload, during);
  if (r->type != fptype::kTemplate)
    return Status::Corruption("the scanner answered CAPTURE with type " + HexByte(r->type));
  auto rec = ParseFmr(r->payload);
  if (!rec.ok()) return rec.status().With("the scanner's template");
  return std::move(r->payload);
}

}  // namespace shequ::devices
