#include "devices/finger_sim.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>

namespace shequ::devices {

namespace {

FpFrame ErrorFrame(uint8_t code, std::string_view message) {
  FpFrame f;
  f.type = fptype::kError;
  f.payload.reserve(1 + message.size());
  f.payload.push_back(code);
  f.payload.insert(f.payload.end(), message.begin(), message.end());
  return f;
}

}  // namespace

Result<std::unique_ptr<FingerScannerSimulator>> FingerScannerSimulator::Create(Options options) {
  if (options.fingers.empty()) return Status::Invalid("the scanner simulator needs fingers");
  if (options.serial.empty()) return Status::Invalid("the scanner simulator needs a serial");
  ASSIGN_OR_RETURN(PseudoTerminal pty, PseudoTerminal::Open());
  return std::unique_ptr<FingerScannerSimulator>(
      new FingerScannerSimulator(std::move(pty), std::move(options)));
}

FingerScannerSimulator::~FingerScannerSimulator() { Stop(); }

void FingerScannerSimulator::Start() {
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Serve(stop_); });
}

void FingerScannerSimulator::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void FingerScannerSimulator::SetFingers(std::vector<uint64_t> fingers) {
  std::lock_guard<std::mutex> lock(mu_);
  if (fingers.empty()) return;
  o_.fingers = std::move(fingers);
  next_ = 0;
}

Bytes FingerScannerSimulator::Answer(ByteView frame) {
  auto req = DecodeFpFrame(frame);
  if (!req.ok()) return EncodeFpFrame(ErrorFrame(fperr::kBadFrame, req.status().message()));
  if (req->type == fptype::kInfo) {
    FpFrame f;
    f.type = fptype::kInfoReply;
    std::string text = o_.serial + '\x1F' + o_.model + '\x1F' + o_.firmware;
    f.payload = ToBytes(text);
    return EncodeFpFrame(f);
  }
  if (req->type != fptype::kCapture)
    return EncodeFpFrame(ErrorFrame(fperr::kUnknownType, "unknown frame type"));
  if (req->payload.size() != 3)
    return EncodeFpFrame(ErrorFrame(fperr::kBadFrame, "CAPTURE takes 3 payload bytes"));
  uint64_t finger;
  size_t k;
  {
    std::lock_guard<std::mutex> lock(mu_);
    finger = o_.fingers[next_ % o_.fingers.size()];
    ++next_;
    k = captures_.fetch_add(1);
  }
  if (finger == 0) return EncodeFpFrame(ErrorFrame(fperr::kNoFinger, "timeout"));
  SynthOptions half = o_.synth;
  half.max_rotation_deg /= 2;
  half.max_shift /= 2;
  SeededRandom poses(o_.seed * 0x100000001B3ull + k);
  Pose pose = RandomPose(poses, half);
  SynthFinger f = MakeFinger(finger, o_.synth);
  FmrRecord rec =
      Impress(f, pose, o_.seed ^ (k * 0x9E3779B97F4A7C15ull) ^ finger, o_.synth, req->payload[0]);
  FpFrame out;
  out.type = fptype::kTemplate;
  out.payload = WriteFmr(rec);
  return EncodeFpFrame(out);
}

void FingerScannerSimulator::Serve(const std::atomic<bool>& stop) {
  Bytes rx;
  uint8_t buf[4096];
  int fd = pty_.master_fd();
  while (!stop.load()) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) {
      if (n < 0 && errno != EAGAIN && errno != EINTR && errno != EIO) return;
      if (n < 0 && errno == EIO) ::usleep(20000);
      continue;
    }
    rx.insert(rx.end(), buf, buf + n);
    for (;;) {
      FpScan s = ScanFpFrame(rx);
      if (s.kind == FpScan::kNeedMore) break;
      Bytes out;
      if (s.kind == FpScan::kBadLength)
        out = EncodeFpFrame(ErrorFrame(fperr::kBadFrame, "oversized frame"));
      else if (s.kind == FpScan::kFrame)
        out = Answer(ByteView(rx).first(s.size));
      rx.erase(rx.begin(), rx.begin() + static_cast<long>(s.size));
      if (!out.empty()) (void)WriteAll(fd, out, 2000);
    }
  }
}

}  // namespace shequ::devices
