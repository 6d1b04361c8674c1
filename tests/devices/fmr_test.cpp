// ISO/IEC 19794-2:2005 records: a hand-built record field by field, byte-identical round trips,
// and strict refusal of everything that does not add up.
#include "devices/fmr.h"

#include <doctest/doctest.h>

#include "devices/synth_finger.h"

using namespace shequ;
using namespace shequ::devices;

namespace {

Bytes B(std::initializer_list<int> v) {
  Bytes b;
  for (int x : v) b.push_back(static_cast<uint8_t>(x));
  return b;
}

// Two views: a right index finger with two minutiae and a 6-byte extended block, and a view of an
// unknown finger with no minutiae.
Bytes HandBuilt() {
  Bytes b = B({'F',  'M',  'R',  0,    ' ',  '2',
               '0',  0,    0x00, 0x00, 0x00, 0x00,  // record length, set below
               0x10, 0x2A,                          // certification 1, device type 0x02A
               0x01, 0x90, 0x01, 0xF4,              // 400 x 500
               0x00, 0xC5, 0x00, 0xC5,              // 197 x 197 pixels per cm
               0x02, 0x00});                        // two views, reserved
  Append(b, B({0x02, 0x10, 0x50, 0x02}));  // right index, view 1, live-scan plain, quality 80, 2
  Append(b, B({0x40, 0x64, 0x00, 0xC8, 0x40, 0x3C}));  // ending (01) x 100, y 200, 90 deg, q 60
  Append(b, B({0x81, 0x2C, 0xC1, 0x90, 0xC0, 0x00}));  // bifurcation x 300, y 400 with reserved
                                                       // bits 11, 270 deg, quality 0
  Append(b, B({0x00, 0x06, 0x01, 0x01, 0x00, 0x06, 0xAB, 0xCD}));  // extended block, 6 bytes
  Append(b, B({0x00, 0x01, 0x00, 0x00, 0x00, 0x00}));  // unknown finger, view 0, no minutiae
  b[11] = static_cast<uint8_t>(b.size());
  return b;
}

}  // namespace

TEST_CASE("a hand-built record parses field by field and writes back byte-identical") {
  Bytes b = HandBuilt();
  auto r = ParseFmr(b);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  CHECK(r->equipment_certification == 1);
  CHECK(r->device_type == 0x02A);
  CHECK(r->width == 400);
  CHECK(r->height == 500);
  CHECK(r->x_resolution == 197);
  REQUIRE(r->views.size() == 2);
  const FmrView& v = r->views[0];
  CHECK(v.finger_position == 2);
  CHECK(v.view_number == 1);
  CHECK(v.impression_type == 0);
  CHECK(v.quality == 80);
  REQUIRE(v.minutiae.size() == 2);
  CHECK(v.minutiae[0].type == MinutiaType::kRidgeEnding);
  CHECK(v.minutiae[0].x == 100);
  CHECK(v.minutiae[0].y == 200);
  CHECK(v.minutiae[0].AngleDegrees() == doctest::Approx(90.0));
  CHECK(v.minutiae[0].quality == 60);
  CHECK(v.minutiae[1].type == MinutiaType::kBifurcation);
  CHECK(v.minutiae[1].x == 300);
  CHECK(v.minutiae[1].y == 400);
  CHECK(v.minutiae[1].y_reserved == 3);
  CHECK(v.minutiae[1].AngleDegrees() == doctest::Approx(270.0));
  CHECK(v.extended == B({0x01, 0x01, 0x00, 0x06, 0xAB, 0xCD}));
  CHECK(r->views[1].minutiae.empty());
  CHECK(r->views[1].impression_type == 1);
  CHECK(CheckFmr(*r).ok());
  CHECK(WriteFmr(*r) == b);
}

TEST_CASE("synthetic captures round trip byte-identical") {
  SynthOptions o;
  for (uint64_t f = 1; f <= 20; ++f) {
    FmrRecord rec = Impress(MakeFinger(f, o), Pose{12, -5, 9}, f * 31, o, 7);
    Bytes b = WriteFmr(rec);
    auto back = ParseFmr(b);
    REQUIRE(back.ok());
    CHECK(*back == rec);
    CHECK(WriteFmr(*back) == b);
  }
}

TEST_CASE("strict bounds: every truncation and every lie about lengths is refused") {
  const Bytes b = HandBuilt();
  for (size_t n = 0; n < b.size(); ++n) {
    CAPTURE(n);
    Bytes cut(b.begin(), b.begin() + static_cast<long>(n));
    if (n >= 12) cut[11] = static_cast<uint8_t>(n);  // even with a length field that agrees
    CHECK(ParseFmr(cut).status().code() == Code::kCorruption);
  }
  Bytes trailing = b;
  trailing.push_back(0);
  trailing[11] = static_cast<uint8_t>(trailing.size());
  CHECK(ParseFmr(trailing).status().message().find("follow the last finger view") !=
        std::string::npos);
  Bytes wrong_len = b;
  wrong_len[11] ^= 1;
  CHECK(ParseFmr(wrong_len).status().message().find("length field") != std::string::npos);
  Bytes too_many = b;
  too_many[24 + 3] = 3;  // the first view claims 3 minutiae
  CHECK(ParseFmr(too_many).status().code() == Code::kCorruption);
  Bytes views = b;
  views[22] = 3;  // three views
  CHECK(ParseFmr(views).status().message().find("finger view 3") != std::string::npos);
  Bytes magic = b;
  magic[2] = 'X';
  CHECK(ParseFmr(magic).status().message().find("FMR") != std::string::npos);
  Bytes version = b;
  version[5] = '3';  // " 30": the 2011 edition is a different format
  CHECK(ParseFmr(version).status().message().find("2005") != std::string::npos);
}

TEST_CASE("CheckFmr refuses values that do not fit their bit fields") {
  FmrRecord r;
  r.width = 10;
  r.views.resize(1);
  r.views[0].minutiae.resize(1);
  CHECK(CheckFmr(r).ok());
  r.views[0].minutiae[0].x = 0x4000;
  CHECK(!CheckFmr(r).ok());
  r.views[0].minutiae[0].x = 1;
  r.views[0].view_number = 16;
  CHECK(!CheckFmr(r).ok());
  r.views[0].view_number = 0;
  r.views[0].minutiae.resize(256);
  CHECK(!CheckFmr(r).ok());
}
