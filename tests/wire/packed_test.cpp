// Packed records (protocol version 2): a ChangeBatch or Push whose records compress travels as one
// zstd frame; what does not compress travels listed. Hostile packed content (not zstd, no stated
// size, an inflation bomb, trailing bytes, lengths that do not tile, too many records, both forms
// at once) is refused with an error that names it. The hostile frames are built with Cap'n Proto
// directly, as a peer that does not use our codec would.
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <doctest/doctest.h>
#include <zstd.h>

#include <random>
#include <string>
#include <vector>

#include "replication/wire/codec.h"
#include "replication/wire/wire.capnp.h"

namespace shequ::wire {
namespace {

namespace s = ::shequ::wire::proto;

// A record like a person's change: a repeated header, key block and field names, a varying
// (incompressible) part for the sealed values and the signature.
Bytes RecordLike(std::mt19937_64& rng, size_t i) {
  Bytes r;
  const std::string header = "community=150302001002;origin=node-7;key-block:";
  r.insert(r.end(), header.begin(), header.end());
  for (int k = 0; k < 200; ++k) r.push_back(static_cast<uint8_t>(k * 37));  // same in every one
  for (int k = 0; k < 120; ++k) r.push_back(static_cast<uint8_t>(rng()));   // sealed, signature
  r.push_back(static_cast<uint8_t>(i));
  return r;
}

Bytes Noise(std::mt19937_64& rng, size_t n) {
  Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

size_t Sum(const std::vector<Bytes>& records) {
  size_t n = 0;
  for (const Bytes& r : records) n += r.size();
  return n;
}

// A Push frame whose packed field holds `packed` and whose records list holds `listed`.
Bytes PushFrame(const Bytes& packed, const std::vector<Bytes>& listed = {}) {
  capnp::MallocMessageBuilder builder;
  auto env = builder.initRoot<s::Envelope>();
  Bytes session(16, 1);
  env.setSession(capnp::Data::Reader(session.data(), session.size()));
  auto push = env.initBody().initPush();
  push.setPacked(capnp::Data::Reader(packed.data(), packed.size()));
  if (!listed.empty()) {
    auto list = push.initRecords(static_cast<unsigned>(listed.size()));
    for (size_t i = 0; i < listed.size(); ++i)
      list.set(static_cast<unsigned>(i), capnp::Data::Reader(listed[i].data(), listed[i].size()));
  }
  auto words = capnp::messageToFlatArray(builder);
  auto bytes = words.asBytes();
  return Bytes(bytes.begin(), bytes.end());
}

Bytes Zstd(const Bytes& plain) {
  Bytes out(ZSTD_compressBound(plain.size()));
  size_t n = ZSTD_compress(out.data(), out.size(), plain.data(), plain.size(), 3);
  REQUIRE(!ZSTD_isError(n));
  out.resize(n);
  return out;
}

// The content of a packed field: each record as varint length + bytes.
Bytes Tiled(const std::vector<Bytes>& records) {
  Bytes plain;
  for (const Bytes& r : records) {
    PutVarint(plain, r.size());
    Append(plain, r);
  }
  return plain;
}

void ExpectRefused(const Bytes& frame, Code code, const std::string& words) {
  auto r = Decode(frame);
  REQUIRE_FALSE(r.ok());
  CHECK_MESSAGE(r.status().code() == code, r.status().ToString());
  CHECK_MESSAGE(r.status().message().find(words) != std::string::npos, r.status().ToString());
}

TEST_CASE("a batch of person-like records travels packed, a third of its size, and round trips") {
  std::mt19937_64 rng(11);
  ChangeBatch batch{3, {}, true};
  for (size_t i = 0; i < 2000; ++i) batch.records.push_back(RecordLike(rng, i));
  Message m{SessionId{}, batch};
  auto frame = Encode(m);
  REQUIRE(frame.ok());
  const size_t listed = Sum(batch.records);
  MESSAGE("2000 records of " << listed << " bytes in a frame of " << frame->size());
  CHECK(frame->size() * 2 < listed);
  auto back = Decode(*frame);
  REQUIRE_MESSAGE(back.ok(), back.status().ToString());
  CHECK(*back == m);
  auto again = Encode(*back);
  REQUIRE(again.ok());
  CHECK(*again == *frame);

  Message push{SessionId{}, Push{batch.records}};
  auto push_frame = Encode(push);
  REQUIRE(push_frame.ok());
  CHECK(push_frame->size() * 2 < listed);
  auto push_back = Decode(*push_frame);
  REQUIRE(push_back.ok());
  CHECK(*push_back == push);
}

TEST_CASE("incompressible and small batches travel listed") {
  std::mt19937_64 rng(12);
  ChangeBatch noise{1, {}, false};
  for (int i = 0; i < 64; ++i) noise.records.push_back(Noise(rng, 1000));
  auto frame = Encode(Message{SessionId{}, noise});
  REQUIRE(frame.ok());
  CHECK(frame->size() > Sum(noise.records));  // listed: the records plus framing
  auto back = Decode(*frame);
  REQUIRE(back.ok());
  CHECK(std::get<ChangeBatch>(back->body) == noise);

  // Under kMinPackBytes nothing is packed, however repetitive.
  Push small{{Bytes(100, 'a'), Bytes(100, 'a')}};
  auto small_frame = Encode(Message{SessionId{}, small});
  REQUIRE(small_frame.ok());
  CHECK(small_frame->size() > 200);
}

TEST_CASE("hostile packed records are refused with a reason") {
  std::mt19937_64 rng(13);
  std::vector<Bytes> records;
  for (size_t i = 0; i < 20; ++i) records.push_back(RecordLike(rng, i));
  const Bytes good = Zstd(Tiled(records));
  {  // a well-formed frame built by hand decodes: the refusals below are about what they change
    auto r = Decode(PushFrame(good));
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    CHECK(std::get<Push>(r->body).records == records);
  }
  ExpectRefused(PushFrame(Noise(rng, 300)), Code::kCorruption, "not a zstd frame");

  Bytes trailing = good;
  trailing.push_back(0);
  ExpectRefused(PushFrame(trailing), Code::kCorruption, "not exactly one zstd frame");
  Bytes twice = good;
  Append(twice, good);
  ExpectRefused(PushFrame(twice), Code::kCorruption, "not exactly one zstd frame");
  Bytes cut(good.begin(), good.end() - 5);
  auto cut_result = Decode(PushFrame(cut));
  CHECK_FALSE(cut_result.ok());
  CHECK(cut_result.status().code() == Code::kCorruption);

  // A frame made by the streaming API states no content size.
  {
    Bytes plain = Tiled(records), out(ZSTD_compressBound(plain.size()) + 64);
    ZSTD_CCtx* c = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 0);
    size_t n = ZSTD_compress2(c, out.data(), out.size(), plain.data(), plain.size());
    ZSTD_freeCCtx(c);
    REQUIRE(!ZSTD_isError(n));
    out.resize(n);
    ExpectRefused(PushFrame(out), Code::kCorruption, "do not state their size");
  }

  // A bomb: 64 MiB of zeros in a few kilobytes, refused from the stated size before inflating.
  ExpectRefused(PushFrame(Zstd(Bytes(64u << 20, 0))), Code::kResourceExhausted, "inflate to");

  // Lengths that run past the content, a zero length, too many records.
  Bytes overrun;
  PutVarint(overrun, 5000);
  Append(overrun, Bytes(600, 'x'));
  ExpectRefused(PushFrame(Zstd(overrun)), Code::kCorruption, "bad length");
  Bytes zero = Tiled(records);
  PutVarint(zero, 0);
  ExpectRefused(PushFrame(Zstd(zero)), Code::kCorruption, "empty");
  std::vector<Bytes> many(kMaxBatchRecords + 1, Bytes{7});
  ExpectRefused(PushFrame(Zstd(Tiled(many))), Code::kResourceExhausted, "packed records");

  // Both forms at once.
  ExpectRefused(PushFrame(good, {Bytes{1, 2, 3}}), Code::kCorruption, "both");
}

}  // namespace
}  // namespace shequ::wire
