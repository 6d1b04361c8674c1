// Reader frames against hand-built byte vectors: the protocol's bytes, not our encoder's opinion.
#include "devices/id_frame.h"

#include <doctest/doctest.h>

using namespace shequ;
using namespace shequ::devices;

namespace {

Bytes B(std::initializer_list<int> v) {
  Bytes b;
  for (int x : v) b.push_back(static_cast<uint8_t>(x));
  return b;
}

}  // namespace

TEST_CASE("the find-card request is AA AA AA 96 69 00 03 20 01 22") {
  const Bytes want = B({0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x20, 0x01, 0x22});
  IdRequest r;
  r.command = 0x20;
  r.parameter = 0x01;
  CHECK(EncodeIdRequest(r) == want);
  auto body = DecodeIdFrame(want);
  REQUIRE(body.ok());
  CHECK(*body == B({0x20, 0x01}));
  auto req = ParseIdRequest(*body);
  REQUIRE(req.ok());
  CHECK(req->command == 0x20);
  CHECK(req->parameter == 0x01);
  CHECK(req->data.empty());
  // Select and read, by the same rule.
  r.parameter = 0x02;
  CHECK(EncodeIdRequest(r) == B({0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x20, 0x02, 0x21}));
  r.command = 0x30;
  r.parameter = 0x01;
  CHECK(EncodeIdRequest(r) == B({0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x30, 0x01, 0x32}));
}

TEST_CASE("a hand-built card-found response decodes") {
  // SW1 SW2 SW3 = 00 00 9F and four data bytes; checksum 00^08^00^00^9F^00^00^00^00 = 97.
  const Bytes frame =
      B({0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x08, 0x00, 0x00, 0x9F, 0, 0, 0, 0, 0x97});
  auto body = DecodeIdFrame(frame);
  REQUIRE(body.ok());
  auto r = ParseIdResponse(*body);
  REQUIRE(r.ok());
  CHECK(r->sw3 == 0x9F);
  CHECK(r->data == Bytes(4, 0));
  CHECK(EncodeIdResponse(*r) == frame);
}

TEST_CASE("damaged frames are refused with the reason") {
  const Bytes good = B({0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x20, 0x01, 0x22});
  Bytes bad_sum = good;
  bad_sum.back() = 0x23;
  auto r = DecodeIdFrame(bad_sum);
  CHECK(r.status().code() == Code::kCorruption);
  CHECK(r.status().message().find("checksum is 0x23, expected 0x22") != std::string::npos);
  Bytes bad_pre = good;
  bad_pre[3] = 0x97;
  CHECK(DecodeIdFrame(bad_pre).status().message().find("AA AA AA 96 69") != std::string::npos);
  Bytes longer = good;
  longer.push_back(0);
  CHECK(DecodeIdFrame(longer).status().code() == Code::kCorruption);
  CHECK(DecodeIdFrame(ByteView(good).first(9)).status().code() == Code::kCorruption);
  CHECK(DecodeIdFrame(Bytes{}).status().code() == Code::kCorruption);
  Bytes zero_len = B({0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x00, 0x00});
  CHECK(DecodeIdFrame(zero_len).status().message().find("out of range") != std::string::npos);
}

TEST_CASE("the frame scanner skips noise, waits for more, and finds frame boundaries") {
  const Bytes frame = B({0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x20, 0x01, 0x22});
  Bytes stream = B({0x00, 0xFF, 0xAA, 0x13});
  Append(stream, frame);
  IdFrameScan s = ScanIdFrame(stream);
  CHECK(s.kind == IdFrameScan::kSkip);
  CHECK(s.size == 4);  // "AA 13" cannot start a preamble
  stream.erase(stream.begin(), stream.begin() + 4);
  s = ScanIdFrame(stream);
  CHECK(s.kind == IdFrameScan::kFrame);
  CHECK(s.size == frame.size());
  // A partial preamble at the end is kept; an unfinished frame needs more.
  CHECK(ScanIdFrame(B({0xAA, 0xAA})).kind == IdFrameScan::kNeedMore);
  CHECK(ScanIdFrame(ByteView(frame).first(8)).kind == IdFrameScan::kNeedMore);
  CHECK(ScanIdFrame(B({0xAA, 0xAA, 0xAA, 0x96, 0x69, 0xFF, 0xFF})).kind == IdFrameScan::kBadLength);
}

TEST_CASE(
    "a hand-built 30 01 response: text length at 10, photo length at 12, text at 14, photo "
    "at 270") {
  Bytes frame =
      B({0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x05, 0x08, 0x00, 0x00, 0x90, 0x01, 0x00, 0x04, 0x00});
  for (int i = 0; i < 256; ++i) frame.push_back(static_cast<uint8_t>(i));       // text
  for (int i = 0; i < 1024; ++i) frame.push_back(static_cast<uint8_t>(i * 7));  // photo
  frame.push_back(IdChecksum(ByteView(frame).subspan(5)));
  REQUIRE(frame.size() == 1295);
  auto body = DecodeIdFrame(frame);
  REQUIRE(body.ok());
  auto r = ParseIdResponse(*body);
  REQUIRE(r.ok());
  CHECK(r->sw3 == 0x90);
  auto m = ParseBaseMessage(r->data);
  REQUIRE(m.ok());
  CHECK(m->text == Bytes(frame.begin() + 14, frame.begin() + 270));
  CHECK(m->photo == Bytes(frame.begin() + 270, frame.begin() + 1294));
  CHECK(EncodeBaseMessage(*m) == r->data);
  // Lengths that disagree with the data are refused.
  Bytes d = r->data;
  d[1] = 0xFF;  // text length 0x01FF
  CHECK(ParseBaseMessage(d).status().code() == Code::kCorruption);
  d = r->data;
  d.pop_back();
  CHECK(ParseBaseMessage(d).status().message().find("announce") != std::string::npos);
}

TEST_CASE("every SW3 code maps to a clear error") {
  struct Case {
    uint8_t sw3;
    Code code;
    const char* words;
  };
  const Case cases[] = {
      {0x80, Code::kNotFound, "no card"},
      {0x91, Code::kNotFound, "no such content"},
      {0x81, Code::kUnavailable, "selecting the card failed"},
      {0x41, Code::kUnavailable, "reading the card failed"},
      {0x10, Code::kUnavailable, "bad checksum"},
      {0x11, Code::kUnavailable, "bad length"},
      {0x21, Code::kInternal, "does not know the command"},
      {0x5A, Code::kInternal, "unknown status 0x5A"},
      {0x00, Code::kInternal, "unknown status 0x00"},
  };
  for (const Case& c : cases) {
    CAPTURE(static_cast<int>(c.sw3));
    Status st = Sw3Error(c.sw3, "finding a card (20 01)");
    CHECK(st.code() == c.code);
    CHECK(st.message().find(c.words) != std::string::npos);
    CHECK(st.message().find("finding a card (20 01)") == 0);
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02X", c.sw3);
    CHECK(st.message().find(hex) != std::string::npos);
  }
  CHECK(Sw3Meaning(0x90).find("success") != std::string::npos);
  CHECK(Sw3Meaning(0x9F).find("card found") != std::string::npos);
}

TEST_CASE("SAM ids format from their 16 bytes and back") {
  auto bytes = ParseSamId("05.01-20240315-0000123456-0000098765");
  REQUIRE(bytes.ok());
  // Little-endian: 5, 1, 20240315 = 0x0134D7BB, 123456 = 0x0001E240, 98765 = 0x000181CD.
  CHECK(*bytes == B({0x05, 0x00, 0x01, 0x00, 0xBB, 0xD7, 0x34, 0x01, 0x40, 0xE2, 0x01, 0x00, 0xCD,
                     0x81, 0x01, 0x00}));
  auto text = FormatSamId(*bytes);
  REQUIRE(text.ok());
  CHECK(*text == "05.01-20240315-0000123456-0000098765");
  CHECK(FormatSamId(Bytes(15, 0)).status().code() == Code::kCorruption);
  CHECK(!ParseSamId("05.01-2024-1-2").ok());
  CHECK(!ParseSamId("05.01-20240315-0000123456-9999999999").ok());  // above 2^32
}
