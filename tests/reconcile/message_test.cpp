// Varints, bounds and whole messages against hand-built byte vectors.
#include "replication/reconcile/message.h"

#include <doctest/doctest.h>

#include "replication/reconcile/varint.h"

namespace shequ::reconcile {
namespace {

Bytes H(std::string_view hex) { return Unhex(hex).value(); }

std::string VarintHex(uint64_t v) {
  Bytes out;
  PutVarint(out, v);
  CHECK(out.size() == VarintSize(v));
  return Hex(out);
}

TEST_CASE("varint encodes base 128, most significant digit first") {
  CHECK(VarintHex(0) == "00");
  CHECK(VarintHex(1) == "01");
  CHECK(VarintHex(127) == "7f");
  CHECK(VarintHex(128) == "8100");
  CHECK(VarintHex(255) == "817f");
  CHECK(VarintHex(300) == "822c");
  CHECK(VarintHex(16383) == "ff7f");
  CHECK(VarintHex(16384) == "818000");
  CHECK(VarintHex(uint64_t{1} << 32) == "9080808000");
  CHECK(VarintHex(~uint64_t{0}) == "81ffffffffffffffff7f");
}

TEST_CASE("varint decodes and rejects truncation and overflow") {
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{127}, uint64_t{128}, uint64_t{1} << 35,
                     ~uint64_t{0} - 1, ~uint64_t{0}}) {
    Bytes b;
    PutVarint(b, v);
    WireReader in(b);
    auto r = in.Varint();
    REQUIRE(r.ok());
    CHECK(*r == v);
    CHECK(in.done());
  }
  Bytes leading_zero_digits = H("808001");  // not minimal, but it fits: accepted like the reference
  CHECK(WireReader(leading_zero_digits).Varint().value() == 1);
  Bytes truncated = H("8180");
  CHECK(WireReader(truncated).Varint().status().code() == Code::kCorruption);
  Bytes too_big = H("82808080808080808000");  // 2^64
  CHECK(WireReader(too_big).Varint().status().code() == Code::kCorruption);
  Bytes empty;
  CHECK(WireReader(empty).Byte().status().code() == Code::kCorruption);
  CHECK(WireReader(empty).Take(1).status().code() == Code::kCorruption);
}

Bound MakeBound(uint64_t ts, std::string_view prefix_hex) {
  Bound b;
  b.point.timestamp = ts;
  Bytes p = H(prefix_hex);
  b.prefix_len = static_cast<uint8_t>(p.size());
  std::copy(p.begin(), p.end(), b.point.id.begin());
  return b;
}

TEST_CASE("bounds: delta-encoded timestamps, 0 for infinity, id prefixes") {
  BoundWriter w;
  Bytes out;
  w.Put(out, MakeBound(10, ""));       // 1 + 10
  w.Put(out, MakeBound(10, "ab"));     // 1 + 0, prefix ab
  w.Put(out, MakeBound(200, "0102"));  // 1 + 190 = 191 = 0x81 0x3f
  w.Put(out, Bound::Infinity());       // 0
  CHECK(Hex(out) ==
        "0b00"
        "0101ab"
        "813f020102"
        "0000");

  WireReader in(out);
  BoundReader r;
  Bound b1 = r.Read(in).value(), b2 = r.Read(in).value(), b3 = r.Read(in).value(),
        b4 = r.Read(in).value();
  CHECK(in.done());
  CHECK(b1.point.timestamp == 10);
  CHECK(b1.prefix_len == 0);
  CHECK(b2.point.timestamp == 10);
  CHECK(b2.prefix_len == 1);
  CHECK(b2.point.id[0] == 0xab);
  CHECK(b2.point.id[1] == 0);
  CHECK(b3.point.timestamp == 200);
  CHECK(Hex(ByteView(b3.point.id.data(), 3)) == "010200");
  CHECK(b4.point.timestamp == kInfinity);
}

TEST_CASE("bounds: timestamps saturate at infinity; long prefixes are corruption") {
  Bytes msg;
  PutVarint(msg, 6);  // ts 5
  msg.push_back(0);
  PutVarint(msg, ~uint64_t{0});  // delta 2^64 - 2: past the end
  msg.push_back(0);
  WireReader in(msg);
  BoundReader r;
  CHECK(r.Read(in).value().point.timestamp == 5);
  CHECK(r.Read(in).value().point.timestamp == kInfinity);

  Bytes long_prefix = H("0121");  // prefix length 33
  long_prefix.resize(2 + 33);
  WireReader in2(long_prefix);
  CHECK(BoundReader().Read(in2).status().code() == Code::kCorruption);
  Bytes short_prefix = H("0103aabb");  // says 3 bytes, has 2
  WireReader in3(short_prefix);
  CHECK(BoundReader().Read(in3).status().code() == Code::kCorruption);
}

TEST_CASE("minimal bound: timestamp alone, or the shortest separating id prefix") {
  Item a{5, {}}, b{7, {}};
  a.id.fill(0x11);
  b.id.fill(0x11);
  Bound m = MinimalBound(a, b);
  CHECK(m.point.timestamp == 7);
  CHECK(m.prefix_len == 0);

  Item c{7, b.id};
  c.id[2] = 0x12;  // shares 2 bytes with b
  m = MinimalBound(b, c);
  CHECK(m.prefix_len == 3);
  CHECK(Hex(ByteView(m.point.id.data(), 4)) == "11111200");
  CHECK(b < m.point);
  CHECK(!(c < m.point));

  Item d = c;
  d.id[31] = 0x12;  // shares 31 bytes with c
  m = MinimalBound(c, d);
  CHECK(m.prefix_len == 32);
  CHECK(m.point == d);
}

TEST_CASE("messages parse, serialize back and describe themselves") {
  // 0x61 | Fingerprint to ts 3 | Skip to ts 3 prefix aa | IdList to infinity with one id
  Bytes id(32, 0x42);
  Bytes msg =
      H("61"
        "0400"
        "01"
        "000102030405060708090a0b0c0d0e0f"
        "0101aa"
        "00"
        "0000"
        "0201");
  Append(msg, id);
  auto parsed = ParseMessage(msg);
  REQUIRE(parsed.ok());
  REQUIRE(parsed->ranges.size() == 3);
  CHECK(parsed->ranges[0].mode == Mode::kFingerprint);
  CHECK(parsed->ranges[1].mode == Mode::kSkip);
  CHECK(parsed->ranges[2].mode == Mode::kIdList);
  CHECK(parsed->ranges[2].ids.size() == 1);
  CHECK(SerializeMessage(*parsed) == msg);
  CHECK(DescribeMessage(msg) ==
        "version 97\n"
        "Fingerprint(ts=3) 000102030405060708090a0b0c0d0e0f\n"
        "Skip(ts=3 prefix=aa)\n"
        "IdList(inf) 1 ids\n");

  CHECK(ParseMessage(H("62")).value().ranges.empty());
  CHECK(ParseMessage(H("00")).status().code() == Code::kCorruption);
  CHECK(ParseMessage(H("610000")).status().code() == Code::kCorruption);        // no mode
  CHECK(ParseMessage(H("61000003")).status().code() == Code::kCorruption);      // mode 3
  CHECK(ParseMessage(H("6100000205")).status().code() == Code::kCorruption);    // 5 ids, none there
  CHECK(ParseMessage(H("61000001aabb")).status().code() == Code::kCorruption);  // short fingerprint
}

}  // namespace
}  // namespace shequ::reconcile
