// Published test vectors for the sealing primitives (RFC 5869, 4231, 7914, 7748; the GCM spec's
// AES-256 cases 13 and 14), and the failures a damaged or misplaced value must give.
#include "node/crypto/seal.h"

#include <doctest/doctest.h>

namespace shequ::crypto {
namespace {

Bytes H(std::string_view hex) { return *Unhex(hex); }

TEST_CASE("HKDF-SHA256: RFC 5869 test case 1") {
  Bytes okm =
      *Hkdf(Bytes(22, 0x0b), H("000102030405060708090a0b0c"), H("f0f1f2f3f4f5f6f7f8f9"), 42);
  CHECK(Hex(okm) ==
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

TEST_CASE("HMAC-SHA256: RFC 4231 test case 2") {
  CHECK(Hex(HmacSha256(AsBytes("Jefe"), AsBytes("what do ya want for nothing?"))) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("scrypt through EVP_KDF: RFC 7914 (N=1024, r=8, p=16)") {
  ScryptParams p{1024, 8, 16};
  Bytes dk = *Scrypt("password", AsBytes("NaCl"), p, 64);
  CHECK(Hex(dk) ==
        "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff10927"
        "9d9830dac727afb94a83ee6d8360cbdfa2cc0640");
  CHECK(!Scrypt("x", AsBytes("s"), ScryptParams{1000, 8, 1}).ok());  // N not a power of two
}

TEST_CASE("X25519: RFC 7748 section 6.1; a low-order key is refused") {
  Bytes alice = H("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  Bytes bob_pub = H("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  CHECK(Hex(*X25519Shared(alice, bob_pub)) ==
        "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  CHECK(!X25519Shared(alice, Bytes(32, 0)).ok());
}

TEST_CASE("AES-256-GCM: GCM spec test cases 13 and 14") {
  Bytes key(32, 0), nonce(12, 0);
  Bytes empty = *AeadSealWithNonce(key, nonce, {}, {});
  CHECK(Hex(ByteView(empty).subspan(12)) == "530f8afbc74536b9a963b4f1c4cb738b");
  Bytes one = *AeadSealWithNonce(key, nonce, Bytes(16, 0), {});
  CHECK(Hex(ByteView(one).subspan(12)) ==
        "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919");
  CHECK(*AeadOpen(key, one, {}) == Bytes(16, 0));
}

TEST_CASE("AES-256-GCM: random nonces; any changed byte, key or associated data fails") {
  Bytes key(32, 7);
  Bytes a = *AeadSeal(key, AsBytes("150302198001010015"), AsBytes("id_number"));
  Bytes b = *AeadSeal(key, AsBytes("150302198001010015"), AsBytes("id_number"));
  CHECK(a.size() == 12 + 18 + 16);
  CHECK(a != b);  // fresh nonce each time
  CHECK(ToBytes("150302198001010015") == *AeadOpen(key, a, AsBytes("id_number")));
  for (size_t i = 0; i < a.size(); ++i) {
    Bytes bad = a;
    bad[i] ^= 0x01;
    auto r = AeadOpen(key, bad, AsBytes("id_number"));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kCorruption);
  }
  CHECK_FALSE(AeadOpen(Bytes(32, 8), a, AsBytes("id_number")).ok());
  CHECK_FALSE(AeadOpen(key, a, AsBytes("name")).ok());
  CHECK_FALSE(AeadOpen(key, Bytes(10, 0), {}).ok());
  CHECK_FALSE(AeadSeal(Bytes(16, 0), {}, {}).ok());
}

}  // namespace
}  // namespace shequ::crypto
