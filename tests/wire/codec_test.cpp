// The wire codec: round trips of every message, the limits, and hostile frames (truncated,
// oversized, garbage, forged pointers, nesting and amplification bombs), all refused cleanly.
#include "replication/wire/codec.h"

#include <doctest/doctest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace shequ::wire {
namespace {

SessionId Session(uint8_t seed) {
  SessionId s{};
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<uint8_t>(seed * 31 + i);
  return s;
}

Bytes Filled(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + i * 7);
  return b;
}

// Bytes that do not compress, so that a batch of them travels listed, not packed.
Bytes Noise(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

Id32 IdOf(uint8_t seed) {
  Id32 id{};
  for (size_t i = 0; i < id.size(); ++i) id[i] = static_cast<uint8_t>(seed ^ (i * 13));
  return id;
}

// One message of every type, with non-default values in every field.
std::vector<Message> EveryMessage() {
  std::vector<Message> out;
  auto add = [&](Body b) { out.push_back(Message{Session(static_cast<uint8_t>(out.size())), b}); };
  add(Hello{1, Filled(300, 1), {"15", "1503", "150302001002"}, 0x0123456789abcdefULL, true});
  add(Accept{1, Filled(280, 2), {"150302"}, 42, false});
  add(Busy{30000});
  add(Certificates{{Filled(300, 3), Filled(310, 4)}, {Filled(176, 9)}});
  add(Reconcile{"150302001002", Bytes{0x61, 0x00, 0x01, 0x02}});
  add(ChangeRequest{{IdOf(1), IdOf(2), IdOf(3)}});
  add(ChangeBatch{7, {Filled(200, 5), Filled(1, 6), Filled(4097, 7)}, true});
  add(Ack{7, 2, 1, 0});
  add(Push{{Filled(250, 8)}});
  add(SyncDone{10, 12});
  add(Error{ErrorCode::kOutOfScope, "community 150302001002 is outside 1504 — 范围外"});
  add(Ping{99});
  add(Pong{99});
  return out;
}

Bytes MustEncode(const Message& m) {
  auto r = Encode(m);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  return *r;
}

// Decoding must fail cleanly with one of the two codes a hostile frame may earn.
void ExpectRefused(ByteView frame, const char* what) {
  auto r = Decode(frame);
  CHECK_MESSAGE(!r.ok(), what);
  if (!r.ok()) {
    Code c = r.status().code();
    CHECK_MESSAGE((c == Code::kCorruption || c == Code::kResourceExhausted),
                  what << ": " << r.status().ToString());
  }
}

TEST_CASE("every message type round trips, and re-encoding gives the same bytes") {
  auto all = EveryMessage();
  REQUIRE(all.size() == std::variant_size_v<Body>);
  for (size_t i = 0; i < all.size(); ++i) {
    CHECK(all[i].body.index() == i);
    Bytes frame = MustEncode(all[i]);
    CHECK(frame.size() % 8 == 0);
    auto back = Decode(frame);
    REQUIRE_MESSAGE(back.ok(), MessageName(all[i].body) << ": " << back.status().ToString());
    CHECK_MESSAGE(*back == all[i], MessageName(all[i].body));
    CHECK(MustEncode(*back) == frame);
  }
}

TEST_CASE("empty lists and default values round trip") {
  for (Body b : {Body(Certificates{}), Body(ChangeRequest{}), Body(ChangeBatch{}), Body(Push{}),
                 Body(Error{ErrorCode::kInternal, ""}), Body(Busy{}), Body(Ack{})}) {
    Message m{Session(9), b};
    auto back = Decode(MustEncode(m));
    REQUIRE(back.ok());
    CHECK(*back == m);
  }
}

TEST_CASE("names") {
  CHECK(MessageName(Body(ChangeBatch{})) == "change_batch");
  CHECK(MessageName(Body(Pong{})) == "pong");
  CHECK(ErrorCodeName(ErrorCode::kProtocolVersion) == "protocol_version");
  CHECK(StatusOf(Error{ErrorCode::kBusy, "later"}).code() == Code::kUnavailable);
  CHECK(StatusOf(Error{ErrorCode::kRevoked, ""}).code() == Code::kPermissionDenied);
}

TEST_CASE("a full batch fits in a frame; one byte more is refused") {
  // 8192 records of 128 bytes: exactly kMaxBatchBytes, the worst case for framing overhead
  // (incompressible, so listed: packing would only shrink the frame).
  ChangeBatch batch;
  batch.seq = 1;
  for (size_t i = 0; i < kMaxBatchRecords; ++i) batch.records.push_back(Noise(128, i));
  Message m{Session(1), batch};
  Bytes frame = MustEncode(m);
  CHECK(frame.size() <= kMaxFrameBytes);
  auto back = Decode(frame);
  REQUIRE_MESSAGE(back.ok(), back.status().ToString());
  CHECK(*back == m);

  std::get<ChangeBatch>(m.body).records.back().push_back(0);
  auto over = Encode(m);
  CHECK(over.status().code() == Code::kResourceExhausted);

  // Few large records: three of the largest and the rest of the megabyte.
  ChangeBatch big;
  for (int i = 0; i < 3; ++i) big.records.push_back(Noise(kMaxRecordBytes, i));
  big.records.push_back(Noise(kMaxBatchBytes - 3 * kMaxRecordBytes, 9));
  auto frame2 = Encode(Message{Session(2), big});
  REQUIRE(frame2.ok());
  CHECK(Decode(*frame2).ok());
  big.records.push_back(Filled(1, 1));
  CHECK(Encode(Message{Session(2), big}).status().code() == Code::kResourceExhausted);
}

TEST_CASE("encode refuses what a peer would refuse") {
  auto code = [](Body b) { return Encode(Message{Session(1), std::move(b)}).status().code(); };
  CHECK(code(Reconcile{"15030200100", Bytes{0x61}}) == Code::kInvalidArgument);   // 11 digits
  CHECK(code(Reconcile{"15030200100x", Bytes{0x61}}) == Code::kInvalidArgument);  // not digits
  CHECK(code(Reconcile{"150302001002", Bytes{}}) == Code::kInvalidArgument);      // empty
  CHECK(code(Reconcile{"150302001002", Bytes(kMaxReconcileBytes + 1, 0x61)}) ==
        Code::kResourceExhausted);
  CHECK(code(Hello{1, Filled(10, 1), {"15a"}, 0, false}) == Code::kInvalidArgument);
  CHECK(code(Hello{1, Filled(10, 1), {""}, 0, false}) == Code::kInvalidArgument);
  CHECK(code(Hello{1, Filled(10, 1), {"1503020010021"}, 0, false}) == Code::kInvalidArgument);
  CHECK(code(Hello{0, Filled(10, 1), {}, 0, false}) == Code::kInvalidArgument);
  CHECK(code(Hello{1, Bytes{}, {}, 0, false}) == Code::kInvalidArgument);
  CHECK(code(Hello{1, Filled(kMaxCertificateBytes + 1, 1), {}, 0, false}) ==
        Code::kResourceExhausted);
  CHECK(code(Hello{1, Filled(10, 1), std::vector<std::string>(kMaxScopes + 1, "15"), 0, false}) ==
        Code::kResourceExhausted);
  CHECK(code(Certificates{std::vector<Bytes>(kMaxCertificates + 1, Filled(10, 1)), {}}) ==
        Code::kResourceExhausted);
  CHECK(code(Certificates{{}, std::vector<Bytes>(kMaxRevocations + 1, Filled(10, 1))}) ==
        Code::kResourceExhausted);
  CHECK(code(Certificates{{}, {Filled(kMaxRevocationBytes + 1, 1)}}) == Code::kResourceExhausted);
  CHECK(code(Certificates{{}, {Bytes{}}}) == Code::kInvalidArgument);
  // The largest trust-set message, every certificate and revocation at its limit, fits a frame.
  CHECK(code(Certificates{std::vector<Bytes>(kMaxCertificates, Filled(kMaxCertificateBytes, 1)),
                          std::vector<Bytes>(kMaxRevocations, Filled(kMaxRevocationBytes, 2))}) ==
        Code::kOk);
  CHECK(code(ChangeRequest{std::vector<Id32>(kMaxRequestIds + 1)}) == Code::kResourceExhausted);
  CHECK(code(ChangeRequest{std::vector<Id32>(kMaxRequestIds)}) == Code::kOk);
  CHECK(code(Push{{Bytes{}}}) == Code::kInvalidArgument);
  CHECK(code(Push{{Filled(kMaxRecordBytes + 1, 1)}}) == Code::kResourceExhausted);
  CHECK(code(Push{std::vector<Bytes>(kMaxBatchRecords + 1, Bytes{1})}) == Code::kResourceExhausted);
  CHECK(code(Ack{1, uint32_t(kMaxBatchRecords), 1, 0}) == Code::kInvalidArgument);
  CHECK(code(Error{static_cast<ErrorCode>(200), "x"}) == Code::kInvalidArgument);
  CHECK(code(Error{ErrorCode::kInternal, std::string("\xff\xfe", 2)}) == Code::kInvalidArgument);
  CHECK(code(Error{ErrorCode::kInternal, std::string("a\0b", 3)}) == Code::kInvalidArgument);
  CHECK(code(Error{ErrorCode::kInternal, std::string(kMaxErrorText + 1, 'x')}) ==
        Code::kResourceExhausted);
}

TEST_CASE("empty, short, unaligned, truncated and trailing frames are refused") {
  ExpectRefused({}, "empty");
  ExpectRefused(Bytes(8, 0), "one zero word");
  ExpectRefused(Bytes(7, 0), "7 bytes");
  for (const Message& m : EveryMessage()) {
    Bytes frame = MustEncode(m);
    for (size_t n = 0; n < frame.size(); n += (n < 64 ? 1 : 7)) {
      ExpectRefused(ByteView(frame.data(), n), "truncated");
    }
    Bytes trailing = frame;
    trailing.insert(trailing.end(), 8, 0);
    ExpectRefused(trailing, "trailing word");
  }
}

TEST_CASE("a frame over the limit is refused before it is read") {
  Bytes huge(kMaxFrameBytes + 8, 0);
  auto r = Decode(huge);
  CHECK(r.status().code() == Code::kResourceExhausted);
}

TEST_CASE("seeded garbage and mutated frames never crash, and what decodes is stable") {
  std::mt19937_64 rng(20240611);
  auto frames = EveryMessage();
  std::vector<Bytes> valid;
  for (const Message& m : frames) valid.push_back(MustEncode(m));
  int decoded = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    Bytes f;
    if (iter % 4 == 0) {
      f.resize((rng() % 64) * 8);
      for (auto& b : f) b = static_cast<uint8_t>(rng());
    } else {
      f = valid[rng() % valid.size()];
      int flips = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < flips; ++k) f[rng() % f.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
    }
    auto m = Decode(f);
    if (!m.ok()) {
      Code c = m.status().code();
      REQUIRE_MESSAGE((c == Code::kCorruption || c == Code::kResourceExhausted),
                      m.status().ToString());
      continue;
    }
    ++decoded;
    auto again = Encode(*m);
    REQUIRE_MESSAGE(again.ok(), again.status().ToString());
    auto m2 = Decode(*again);
    REQUIRE(m2.ok());
    CHECK(*m2 == *m);
  }
  CHECK(decoded > 100);  // mutations of data bytes still decode: the stability check ran
}

// --- hand-made frames. A flat frame is a segment table (word 0: segment count - 1, size of
// segment 0 in words; more sizes for more segments) and the segments.

uint64_t Word(const Bytes& f, size_t i) {
  uint64_t w;
  std::memcpy(&w, f.data() + 8 * i, 8);
  return w;
}
void SetWord(Bytes& f, size_t i, uint64_t w) { std::memcpy(f.data() + 8 * i, &w, 8); }
Bytes Words(std::initializer_list<uint64_t> words) {
  Bytes f(words.size() * 8);
  size_t i = 0;
  for (uint64_t w : words) SetWord(f, i++, w);
  return f;
}

// Pointer encodings (Cap'n Proto encoding spec).
uint64_t StructPtr(int32_t offset, uint16_t data_words, uint16_t ptrs) {
  return (uint64_t(uint32_t(offset) << 2)) | (uint64_t(data_words) << 32) | (uint64_t(ptrs) << 48);
}
uint64_t ListPtr(int32_t offset, uint8_t elem_size, uint32_t count) {
  return 1 | (uint64_t(uint32_t(offset) << 2)) | (uint64_t(elem_size) << 32) |
         (uint64_t(count) << 35);
}
uint64_t FarPtr(bool double_far, uint32_t pad_offset, uint32_t segment) {
  return 2 | (double_far ? 4 : 0) | (uint64_t(pad_offset) << 3) | (uint64_t(segment) << 32);
}
int32_t OffsetOf(uint64_t ptr) { return static_cast<int32_t>(uint32_t(ptr)) >> 2; }

TEST_CASE("forged pointers are refused: far pointers, out of bounds, wrong kinds, cycles") {
  ExpectRefused(Words({0x0000000100000000ULL, FarPtr(false, 0, 5)}), "far to a missing segment");
  ExpectRefused(Words({0x0000000100000000ULL, FarPtr(false, 1000, 0)}), "far out of bounds");
  ExpectRefused(Words({0x0000000200000000ULL, FarPtr(false, 1, 0), FarPtr(false, 1, 0)}),
                "far landing on a far pointer");
  ExpectRefused(Words({0x0000000200000000ULL, FarPtr(true, 1, 0), FarPtr(false, 0, 0)}),
                "double-far with a bad pad");
  ExpectRefused(Words({0x0000000100000000ULL, StructPtr(1000, 1, 1)}), "struct out of bounds");
  ExpectRefused(Words({0x0000000100000000ULL, StructPtr(-5, 1, 1)}), "negative offset");
  ExpectRefused(Words({0x0000000100000000ULL, ListPtr(0, 2, 1)}), "root is a list");
  // Root struct whose session pointer points back at the root struct itself.
  ExpectRefused(Words({0x0000000300000000ULL, StructPtr(0, 1, 2), 0, StructPtr(-2, 1, 2)}),
                "cycle");
  // Segment table claiming more segments and words than the frame holds.
  ExpectRefused(Words({0x000fffff000001ffULL, 0}), "segment table bomb");
  ExpectRefused(Words({0xffffffff00000000ULL, 0}), "2^32 segments");
}

// Word index, in the frame, of pointer 0 of the struct the envelope's union holds.
size_t BodyPointers(const Bytes& f) {
  REQUIRE((Word(f, 0) & 0xffffffff) == 0);  // one segment
  uint64_t root = Word(f, 1);
  size_t env = 2 + OffsetOf(root);
  size_t env_data = (root >> 32) & 0xffff;
  size_t body_ptr = env + env_data + 1;  // pointer 0 is the session, 1 the union's struct
  uint64_t body = Word(f, body_ptr);
  size_t body_struct = body_ptr + 1 + OffsetOf(body);
  return body_struct + ((body >> 32) & 0xffff);
}

// Appends a chain of `depth` structs with one pointer each and returns the first one's index.
size_t AppendChain(Bytes& f, size_t depth) {
  size_t first = f.size() / 8;
  f.resize(f.size() + depth * 8, 0);
  for (size_t i = 0; i + 1 < depth; ++i) SetWord(f, first + i, StructPtr(0, 0, 1));
  SetWord(f, 0, uint64_t(f.size() / 8 - 1) << 32);
  return first;
}

TEST_CASE("deep nesting is refused") {
  // Root -> struct -> struct -> ... 2000 deep, each with one pointer.
  const size_t depth = 2000;
  Bytes f((depth + 2) * 8, 0);
  SetWord(f, 0, uint64_t(depth + 1) << 32);
  for (size_t i = 1; i <= depth; ++i) SetWord(f, i, StructPtr(0, 0, 1));
  ExpectRefused(f, "nested structs");
  // A Hello whose certificate and whose scope list are chains of structs.
  for (size_t slot : {size_t{0}, size_t{1}}) {
    Bytes h = MustEncode(Message{Session(1), Hello{1, Filled(8, 1), {"15"}, 1, false}});
    size_t ptr = BodyPointers(h) + slot;
    size_t chain = AppendChain(h, depth);
    SetWord(h, ptr, StructPtr(int32_t(chain - ptr - 1), 0, 1));
    ExpectRefused(h, "nested structs in a hello");
  }
}

TEST_CASE("list amplification is refused: aliased records, huge counts of empty elements") {
  // Eight 64 KiB records; then point every element at the first blob and cut the other seven:
  // a 64 KiB frame that would read as 512 KiB. (Listed records: noise does not pack.)
  Push push;
  for (int i = 0; i < 8; ++i) push.records.push_back(Noise(64 << 10, i));
  Bytes f = MustEncode(Message{Session(3), push});
  REQUIRE(Decode(f).ok());
  size_t list_ptr = BodyPointers(f);
  uint64_t lp = Word(f, list_ptr);
  REQUIRE((lp & 3) == 1);
  size_t list = list_ptr + 1 + OffsetOf(lp);
  size_t blob0 = list + 1 + OffsetOf(Word(f, list));
  size_t blob_words = (64 << 10) / 8;
  for (size_t i = 1; i < 8; ++i) {
    uint64_t p = Word(f, list + i);
    int32_t off = int32_t(blob0) - int32_t(list + i + 1);
    SetWord(f, list + i, (p & ~uint64_t{0xfffffffc}) | (uint64_t(uint32_t(off) << 2)));
  }
  f.resize((blob0 + blob_words) * 8);
  SetWord(f, 0, uint64_t(blob0 + blob_words - 1) << 32);
  ExpectRefused(f, "aliased records");

  // The records pointer claims 2^29 - 1 zero-sized structs (an inline-composite list whose tag
  // counts elements but whose body takes no words).
  Bytes g = MustEncode(Message{Session(4), Push{{Filled(64, 1)}}});
  size_t lp2 = BodyPointers(g);
  size_t tag = lp2 + 1 + OffsetOf(Word(g, lp2));
  SetWord(g, lp2, 1 | (uint64_t(uint32_t(tag - lp2 - 1) << 2)) | (uint64_t(7) << 32));
  SetWord(g, tag, StructPtr((1 << 29) - 1, 0, 0));
  ExpectRefused(g, "zero-sized element bomb");
}

TEST_CASE("unknown message types and wrong-sized session ids are refused") {
  // A Ping and a Pong with the same token and session differ only in the union's discriminant.
  Bytes ping = MustEncode(Message{Session(5), Ping{77}});
  Bytes pong = MustEncode(Message{Session(5), Pong{77}});
  REQUIRE(ping.size() == pong.size());
  std::vector<size_t> diff;
  for (size_t i = 0; i < ping.size(); ++i)
    if (ping[i] != pong[i]) diff.push_back(i);
  REQUIRE(diff.size() == 1);
  Bytes unknown = ping;
  unknown[diff[0]] = 99;
  auto r = Decode(unknown);
  CHECK(r.status().code() == Code::kCorruption);
  CHECK(r.status().message().find("unknown message type") != std::string::npos);

  // A session id of 8 bytes: shorten the session pointer's element count from 16 to 8.
  Bytes s = ping;
  uint64_t root = Word(s, 1);
  size_t env = 2 + OffsetOf(root);
  size_t session_ptr = env + ((root >> 32) & 0xffff);
  uint64_t sp = Word(s, session_ptr);
  REQUIRE((sp >> 35) == 16);
  SetWord(s, session_ptr, (sp & ((uint64_t{1} << 35) - 1)) | (uint64_t{8} << 35));
  auto r2 = Decode(s);
  CHECK(r2.status().code() == Code::kCorruption);
  CHECK(r2.status().message().find("session") != std::string::npos);
}

TEST_CASE("seeded random valid messages round trip") {
  std::mt19937_64 rng(7);
  auto bytes = [&](size_t max) {
    Bytes b(1 + rng() % max);
    for (auto& x : b) x = static_cast<uint8_t>(rng());
    return b;
  };
  auto digits = [&](size_t n) {
    std::string s;
    for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>('0' + rng() % 10));
    return s;
  };
  for (int iter = 0; iter < 2000; ++iter) {
    Message m;
    for (auto& b : m.session) b = static_cast<uint8_t>(rng());
    switch (rng() % 6) {
      case 0: {
        Hello h{static_cast<uint16_t>(1 + rng() % 3), bytes(500), {}, rng(), bool(rng() & 1)};
        for (size_t i = rng() % 5; i > 0; --i) h.scopes.push_back(digits(1 + rng() % 12));
        m.body = h;
        break;
      }
      case 1:
        m.body = Reconcile{digits(12), bytes(3000)};
        break;
      case 2: {
        ChangeRequest c;
        for (size_t i = rng() % 50; i > 0; --i) {
          Id32 id;
          for (auto& x : id) x = static_cast<uint8_t>(rng());
          c.ids.push_back(id);
        }
        m.body = c;
        break;
      }
      case 3: {
        ChangeBatch b{rng(), {}, bool(rng() & 1)};
        for (size_t i = rng() % 20; i > 0; --i) b.records.push_back(bytes(2000));
        m.body = b;
        break;
      }
      case 4:
        m.body = Ack{rng(), uint32_t(rng() % 100), uint32_t(rng() % 100), 3};
        break;
      default:
        m.body = Error{static_cast<ErrorCode>(rng() % 9), digits(rng() % 40)};
        break;
    }
    Bytes f = MustEncode(m);
    auto back = Decode(f);
    REQUIRE_MESSAGE(back.ok(), back.status().ToString());
    CHECK(*back == m);
  }
}

}  // namespace
}  // namespace shequ::wire
