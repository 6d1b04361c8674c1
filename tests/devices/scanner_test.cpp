// The scanner protocol's frames, and the real scanner driver against the pty simulator.
#include <doctest/doctest.h>

#include "devices/finger_scanner.h"
#include "devices/finger_sim.h"
#include "devices/matcher.h"

using namespace shequ;
using namespace shequ::devices;

namespace {

std::unique_ptr<FingerScannerSimulator> StartSim(std::vector<uint64_t> fingers,
                                                 std::string serial = "FP-TEST-42") {
  FingerScannerSimulator::Options o;
  o.serial = std::move(serial);
  o.fingers = std::move(fingers);
  o.seed = 3;
  auto sim = FingerScannerSimulator::Create(o);
  REQUIRE_MESSAGE(sim.ok(), sim.status().ToString());
  (*sim)->Start();
  return std::move(sim).value();
}

SerialFingerScanner::Options Generous() {
  SerialFingerScanner::Options o;
  o.timeout_ms = 5000;
  return o;
}

}  // namespace

TEST_CASE("scanner frames: CRC-16/CCITT-FALSE and a hand-built INFO request") {
  CHECK(Crc16Ccitt(AsBytes("123456789")) == 0x29B1);  // the algorithm's check value
  FpFrame info;
  info.type = fptype::kInfo;
  Bytes want = {'F', 'P', 0x01, 0x00, 0x00};
  uint16_t crc = Crc16Ccitt(ByteView(want).subspan(2));
  want.push_back(static_cast<uint8_t>(crc >> 8));
  want.push_back(static_cast<uint8_t>(crc));
  CHECK(EncodeFpFrame(info) == want);
  auto back = DecodeFpFrame(want);
  REQUIRE(back.ok());
  CHECK(back->type == fptype::kInfo);
  want.back() ^= 1;
  CHECK(DecodeFpFrame(want).status().code() == Code::kCorruption);
  CHECK(ScanFpFrame(Bytes{'x', 'F'}).kind == FpScan::kSkip);
  CHECK(ScanFpFrame(Bytes{'F', 'P', 2, 0xFF, 0xFF}).kind == FpScan::kBadLength);
  CHECK(FpError(Bytes{0x01}, "capturing").code() == Code::kUnavailable);
  CHECK(FpError(Bytes{0x04}, "capturing").code() == Code::kInternal);
  Status odd = FpError(Bytes{0x77, 'h', 'i'}, "capturing");
  CHECK(odd.code() == Code::kInternal);
  CHECK(odd.message().find("unknown scanner error 0x77") != std::string::npos);
  CHECK(odd.message().find("hi") != std::string::npos);
}

TEST_CASE("the driver asks the simulated scanner who it is and captures fingers") {
  auto sim = StartSim({5, 5, 6, 0});
  auto scanner = SerialFingerScanner::Open(sim->port(), Generous());
  REQUIRE_MESSAGE(scanner.ok(), scanner.status().ToString());
  auto info = (*scanner)->Info();
  REQUIRE_MESSAGE(info.ok(), info.status().ToString());
  CHECK(info->serial == "FP-TEST-42");
  CHECK(!info->model.empty());

  auto first = (*scanner)->Capture(2, 5000);
  REQUIRE_MESSAGE(first.ok(), first.status().ToString());
  auto second = (*scanner)->Capture(2, 5000);
  REQUIRE(second.ok());
  auto other = (*scanner)->Capture(2, 5000);
  REQUIRE(other.ok());
  auto a = ParseFmr(*first), b = ParseFmr(*second), c = ParseFmr(*other);
  REQUIRE((a.ok() && b.ok() && c.ok()));
  CHECK(a->views.at(0).finger_position == 2);
  CHECK(*first != *second);  // two captures of one finger are never the same bytes
  CHECK(MatchRecords(*a, *b).match);
  CHECK_FALSE(MatchRecords(*a, *c).match);

  auto none = (*scanner)->Capture(2, 5000);  // finger id 0: nobody touches the sensor
  CHECK(none.status().code() == Code::kUnavailable);
  CHECK(none.status().message().find("no finger") != std::string::npos);
  CHECK(sim->captures() == 4);
}

TEST_CASE("damaged and unknown requests get the scanner's errors") {
  auto sim = StartSim({1});
  auto scanner = SerialFingerScanner::Open(sim->port(), Generous());
  REQUIRE(scanner.ok());
  FpFrame unknown;
  unknown.type = 0x33;
  auto r = (*scanner)->Transact(unknown, 5000);
  REQUIRE(r.ok());
  CHECK(r->type == fptype::kError);
  CHECK(FpError(r->payload, "x").code() == Code::kInternal);
  FpFrame bad_capture;
  bad_capture.type = fptype::kCapture;  // without its 3 payload bytes
  r = (*scanner)->Transact(bad_capture, 5000);
  REQUIRE(r.ok());
  CHECK(r->type == fptype::kError);
  CHECK(r->payload.at(0) == fperr::kBadFrame);
  // A frame with a broken CRC, written raw.
  auto port = SerialPort::Open(sim->port());
  REQUIRE(port.ok());
  Bytes frame = EncodeFpFrame(FpFrame{fptype::kInfo, {}});
  frame.back() ^= 0xFF;
  REQUIRE(port->Write(frame, 5000).ok());
  Bytes rx;
  uint8_t buf[256];
  for (int i = 0; i < 50 && ScanFpFrame(rx).kind != FpScan::kFrame; ++i) {
    auto n = port->Read(buf, sizeof buf, 5000);
    REQUIRE(n.ok());
    rx.insert(rx.end(), buf, buf + *n);
  }
  auto reply = DecodeFpFrame(ByteView(rx).first(ScanFpFrame(rx).size));
  REQUIRE(reply.ok());
  CHECK(reply->type == fptype::kError);
  CHECK(reply->payload.at(0) == fperr::kBadFrame);
}

TEST_CASE("a silent scanner times out") {
  auto pty = PseudoTerminal::Open();
  REQUIRE(pty.ok());
  SerialFingerScanner::Options o;
  o.timeout_ms = 300;
  auto scanner = SerialFingerScanner::Open(pty->slave_path(), o);
  REQUIRE(scanner.ok());
  auto info = (*scanner)->Info();
  CHECK(info.status().code() == Code::kUnavailable);
  CHECK(info.status().message().find("no answer from the scanner") != std::string::npos);
}
