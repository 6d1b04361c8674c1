#include "node/crypto/crypto.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "node/base/file.h"

using namespace shequ;
using namespace shequ::crypto;

TEST_CASE("SHA-256 and SM3 known answers") {
  CHECK(Hex(Sha256(AsBytes("abc"))) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // GB/T 32905-2016 example 1.
  CHECK(Hex(Digest(Suite::kSm2, AsBytes("abc"))) ==
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
  Hasher h;
  h.Update(AsBytes("a"));
  h.Update(AsBytes("bc"));
  CHECK(h.Finish() == Sha256(AsBytes("abc")));
}

TEST_CASE("Ed25519 RFC 8032 test 1") {
  auto seed = Unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  auto key = SigningKey::FromPrivate(Suite::kEd25519, *seed);
  REQUIRE(key.ok());
  CHECK(Hex(key->public_raw()) ==
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  auto sig = key->Sign({});
  REQUIRE(sig.ok());
  CHECK(Hex(*sig) ==
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701c"
        "f9b46bd25bf5f0595bbe24655141438e7a100b");
  auto pub = key->public_key();
  REQUIRE(pub.ok());
  CHECK(pub->Verify({}, *sig));
  Bytes bad = *sig;
  bad[10] ^= 1;
  CHECK_FALSE(pub->Verify({}, bad));
  CHECK_FALSE(pub->Verify(AsBytes("x"), *sig));
  CHECK_FALSE(pub->Verify({}, ByteView(sig->data(), 63)));
}

TEST_CASE("keys survive a round trip through their private bytes, both suites") {
  for (Suite s : {Suite::kEd25519, Suite::kSm2}) {
    auto k = SigningKey::Generate(s);
    REQUIRE_MESSAGE(k.ok(), k.status().ToString());
    auto priv = k->private_raw();
    REQUIRE(priv.ok());
    auto k2 = SigningKey::FromPrivate(s, *priv);
    REQUIRE_MESSAGE(k2.ok(), k2.status().ToString());
    CHECK(k2->public_raw() == k->public_raw());
    auto sig = k2->Sign(AsBytes("户主 张伟"));
    REQUIRE(sig.ok());
    auto pub = PublicKey::FromRaw(s, k->public_raw());
    REQUIRE(pub.ok());
    CHECK(pub->Verify(AsBytes("户主 张伟"), *sig));
    CHECK_FALSE(pub->Verify(AsBytes("户主 张伟 "), *sig));
  }
}

TEST_CASE("malformed public keys are refused with a reason") {
  CHECK_FALSE(PublicKey::FromRaw(Suite::kEd25519, Bytes(31)).ok());
  CHECK_FALSE(PublicKey::FromRaw(Suite::kSm2, Bytes(65, 0)).ok());
  Bytes not_on_curve(65, 7);
  not_on_curve[0] = 4;
  CHECK_FALSE(PublicKey::FromRaw(Suite::kSm2, not_on_curve).ok());
}

// Interoperability: the openssl command line, with the distinguishing ID set explicitly,
// verifies our SM2 signatures and we verify its.
TEST_CASE("SM2 signatures interoperate with the openssl command line (ID 1234567812345678)") {
  char dir_template[] = "/tmp/shequ-sm2-XXXXXX";
  REQUIRE(mkdtemp(dir_template));
  std::string dir = dir_template;
  std::string key_pem = dir + "/k.pem", pub_pem = dir + "/p.pem", msg = dir + "/m",
              sig = dir + "/s";
  REQUIRE(std::system(
              ("openssl genpkey -algorithm SM2 -out " + key_pem + " 2>/dev/null").c_str()) == 0);
  REQUIRE(std::system(("openssl pkey -in " + key_pem + " -pubout -out " + pub_pem).c_str()) == 0);
  REQUIRE(WriteFileAtomic(msg, "和平社区 第3栋").ok());
  REQUIRE(std::system(("openssl pkeyutl -sign -rawin -digest sm3 -inkey " + key_pem +
                       " -pkeyopt distid:1234567812345678 -in " + msg + " -out " + sig)
                          .c_str()) == 0);
  // Extract the private scalar as hex from the text dump.
  std::string dump_file = dir + "/dump";
  REQUIRE(std::system(("openssl pkey -in " + key_pem + " -text -noout > " + dump_file).c_str()) ==
          0);
  std::string dump = *ReadFile(dump_file);
  size_t a = dump.find("priv:"), b = dump.find("pub:");
  REQUIRE(a != std::string::npos);
  std::string hex;
  for (char c : dump.substr(a + 5, b - a - 5))
    if (std::isxdigit(static_cast<unsigned char>(c))) hex += c;
  while (hex.size() > 64 && hex.substr(0, 2) == "00") hex = hex.substr(2);
  auto priv = Unhex(hex);
  REQUIRE(priv.ok());
  auto key = SigningKey::FromPrivate(Suite::kSm2, *priv);
  REQUIRE_MESSAGE(key.ok(), key.status().ToString());
  auto pub = key->public_key();
  REQUIRE(pub.ok());
  std::string their_sig = *ReadFile(sig);
  CHECK(pub->Verify(AsBytes("和平社区 第3栋"), AsBytes(their_sig)));
  // And the other way round.
  auto ours = key->Sign(AsBytes("和平社区 第3栋"));
  REQUIRE(ours.ok());
  REQUIRE(WriteFileAtomic(sig, AsChars(*ours)).ok());
  CHECK(std::system(("openssl pkeyutl -verify -rawin -digest sm3 -pubin -inkey " + pub_pem +
                     " -pkeyopt distid:1234567812345678 -in " + msg + " -sigfile " + sig +
                     " >/dev/null")
                        .c_str()) == 0);
  // A different ID must not verify: the ID is really part of the signature.
  CHECK(std::system(("openssl pkeyutl -verify -rawin -digest sm3 -pubin -inkey " + pub_pem +
                     " -pkeyopt distid:0000000000000000 -in " + msg + " -sigfile " + sig +
                     " >/dev/null 2>&1")
                        .c_str()) != 0);
  std::system(("rm -rf " + dir).c_str());
}
