#include "node/crypto/crypto.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>

namespace shequ::crypto {
namespace {

// GB/T 32918 default user ID; OpenSSL 3.0 defaults to an empty one, so we always set it.
constexpr char kSm2Id[] = "1234567812345678";

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct PkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter>;

// Fetched once: the legacy EVP_sha256() getters make every use fetch the implementation again
// under the provider store's lock, which showed in profiles of sealing and signing.
const EVP_MD* DigestOf(Suite s) {
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  static EVP_MD* const sm3 = EVP_MD_fetch(nullptr, "SM3", nullptr);
  const EVP_MD* md = s == Suite::kSm2 ? sm3 : sha256;
  return md ? md : (s == Suite::kSm2 ? EVP_sm3() : EVP_sha256());
}

// SM2 needs a pkey context carrying the distinguishing ID attached to the digest context.
Status InitSm2(EVP_MD_CTX* mctx, EVP_PKEY* pkey, bool sign) {
  PkeyCtx pctx(EVP_PKEY_CTX_new(pkey, nullptr));
  if (!pctx) return OpenSslError("SM2 context");
  if (EVP_PKEY_CTX_set1_id(pctx.get(), kSm2Id, sizeof kSm2Id - 1) <= 0)
    return OpenSslError("SM2 distinguishing ID");
  EVP_MD_CTX_set_pkey_ctx(mctx, pctx.get());
  int rc = sign ? EVP_DigestSignInit(mctx, nullptr, EVP_sm3(), nullptr, pkey)
                : EVP_DigestVerifyInit(mctx, nullptr, EVP_sm3(), nullptr, pkey);
  // The MD context borrows pctx; we free it after use by keeping ownership here and detaching.
  if (rc <= 0) {
    EVP_MD_CTX_set_pkey_ctx(mctx, nullptr);
    return OpenSslError(sign ? "SM2 sign init" : "SM2 verify init");
  }
  (void)pctx.release();  // freed below via EVP_MD_CTX_get_pkey_ctx
  return Status::Ok();
}

void FreeSm2PkeyCtx(EVP_MD_CTX* mctx) {
  EVP_PKEY_CTX* p = EVP_MD_CTX_get_pkey_ctx(mctx);
  EVP_MD_CTX_set_pkey_ctx(mctx, nullptr);
  EVP_PKEY_CTX_free(p);
}

Result<Bytes> RawPublic(Suite suite, EVP_PKEY* pkey) {
  if (suite == Suite::kEd25519) {
    Bytes out(32);
    size_t len = out.size();
    if (EVP_PKEY_get_raw_public_key(pkey, out.data(), &len) != 1 || len != 32)
      return OpenSslError("Ed25519 public key");
    return out;
  }
  Bytes out(65);
  size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, out.data(), out.size(),
                                      &len) != 1 ||
      len != 65)
    return OpenSslError("SM2 public key");
  return out;
}

EVP_PKEY* Sm2FromParts(ByteView pub, const BIGNUM* priv) {
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  if (!bld) return nullptr;
  OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "SM2", 0);
  OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub.data(), pub.size());
  if (priv) OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv);
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  OSSL_PARAM_BLD_free(bld);
  if (!params) return nullptr;
  EVP_PKEY* pkey = nullptr;
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "SM2", nullptr));
  if (ctx && EVP_PKEY_fromdata_init(ctx.get()) == 1) {
    EVP_PKEY_fromdata(ctx.get(), &pkey, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params);
  }
  OSSL_PARAM_free(params);
  return pkey;
}

}  // namespace

std::string_view SuiteName(Suite s) { return s == Suite::kSm2 ? "sm2" : "ed25519"; }

std::optional<Suite> ParseSuite(std::string_view s) {
  if (s == "ed25519") return Suite::kEd25519;
  if (s == "sm2") return Suite::kSm2;
  return std::nullopt;
}

Status OpenSslError(std::string_view what) {
  std::string m(what);
  bool first = true;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    m += first ? ": " : "; ";
    m += buf;
    first = false;
  }
  if (first) m += ": OpenSSL reported a failure without detail";
  return Status::Internal(m);
}

Id32 Sha256(ByteView data) { return Digest(Suite::kEd25519, data); }

Id32 Digest(Suite suite, ByteView data) {
  Id32 out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, DigestOf(suite), nullptr) != 1 ||
      len != 32) {
    std::fprintf(stderr, "fatal: %s\n", OpenSslError("digest").ToString().c_str());
    std::abort();
  }
  return out;
}

struct Hasher::Impl {
  MdCtx ctx{EVP_MD_CTX_new()};
};

Hasher::Hasher(Suite suite) : impl_(std::make_unique<Impl>()) {
  if (!impl_->ctx || EVP_DigestInit_ex(impl_->ctx.get(), DigestOf(suite), nullptr) != 1) {
    std::fprintf(stderr, "fatal: %s\n", OpenSslError("digest init").ToString().c_str());
    std::abort();
  }
}
Hasher::~Hasher() = default;
void Hasher::Update(ByteView data) { EVP_DigestUpdate(impl_->ctx.get(), data.data(), data.size()); }
Id32 Hasher::Finish() {
  Id32 out{};
  unsigned int len = 0;
  EVP_DigestFinal_ex(impl_->ctx.get(), out.data(), &len);
  return out;
}

void RandomBytes(uint8_t* out, size_t n) {
  if (RAND_bytes(out, static_cast<int>(n)) != 1) {
    std::fprintf(stderr, "fatal: %s\n", OpenSslError("random bytes").ToString().c_str());
    std::abort();
  }
}

// ---- PublicKey

PublicKey::PublicKey(PublicKey&& o) noexcept
    : suite_(o.suite_), raw_(std::move(o.raw_)), pkey_(o.pkey_) {
  o.pkey_ = nullptr;
}
PublicKey& PublicKey::operator=(PublicKey&& o) noexcept {
  if (this != &o) {
    EVP_PKEY_free(pkey_);
    suite_ = o.suite_;
    raw_ = std::move(o.raw_);
    pkey_ = o.pkey_;
    o.pkey_ = nullptr;
  }
  return *this;
}
PublicKey::~PublicKey() { EVP_PKEY_free(pkey_); }

Result<PublicKey> PublicKey::FromRaw(Suite suite, ByteView raw) {
  PublicKey k;
  k.suite_ = suite;
  k.raw_.assign(raw.begin(), raw.end());
  if (suite == Suite::kEd25519) {
    if (raw.size() != 32) return Status::Invalid("an Ed25519 public key has 32 bytes");
    k.pkey_ = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, raw.data(), raw.size());
  } else {
    if (raw.size() != 65 || raw[0] != 4)
      return Status::Invalid("an SM2 public key is a 65-byte uncompressed point");
    k.pkey_ = Sm2FromParts(raw, nullptr);
  }
  if (!k.pkey_) return OpenSslError("public key");
  return k;
}

bool PublicKey::Verify(ByteView message, ByteView signature) const {
  MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx) return false;
  bool ok;
  if (suite_ == Suite::kEd25519) {
    if (signature.size() != 64) return false;
    ok = EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey_) == 1 &&
         EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(),
                          message.size()) == 1;
  } else {
    if (signature.empty() || signature.size() > 80) return false;
    if (!InitSm2(ctx.get(), pkey_, false).ok()) {
      ERR_clear_error();
      return false;
    }
    ok = EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(),
                          message.size()) == 1;
    FreeSm2PkeyCtx(ctx.get());
  }
  ERR_clear_error();  // a bad signature is an answer, not an error to report later
  return ok;
}

// ---- SigningKey

SigningKey::SigningKey(SigningKey&& o) noexcept
    : suite_(o.suite_), public_raw_(std::move(o.public_raw_)), pkey_(o.pkey_) {
  o.pkey_ = nullptr;
}
SigningKey& SigningKey::operator=(SigningKey&& o) noexcept {
  if (this != &o) {
    EVP_PKEY_free(pkey_);
    suite_ = o.suite_;
    public_raw_ = std::move(o.public_raw_);
    pkey_ = o.pkey_;
    o.pkey_ = nullptr;
  }
  return *this;
}
SigningKey::~SigningKey() { EVP_PKEY_free(pkey_); }

Result<SigningKey> SigningKey::Generate(Suite suite) {
  SigningKey k;
  k.suite_ = suite;
  PkeyCtx ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, suite == Suite::kSm2 ? "SM2" : "ED25519", nullptr));
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &k.pkey_) != 1)
    return OpenSslError("key generation");
  ASSIGN_OR_RETURN(k.public_raw_, RawPublic(suite, k.pkey_));
  return k;
}

Result<SigningKey> SigningKey::FromPrivate(Suite suite, ByteView priv) {
  SigningKey k;
  k.suite_ = suite;
  if (priv.size() != 32) return Status::Invalid("a private key has 32 bytes");
  if (suite == Suite::kEd25519) {
    k.pkey_ = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, priv.data(), priv.size());
    if (!k.pkey_) return OpenSslError("Ed25519 private key");
  } else {
    // Derive the public point from the scalar: build a private-only key, then ask for pub.
    BIGNUM* d = BN_bin2bn(priv.data(), static_cast<int>(priv.size()), nullptr);
    if (!d) return OpenSslError("SM2 private scalar");
    EC_GROUP* group = EC_GROUP_new_by_curve_name(NID_sm2);
    EC_POINT* pub = group ? EC_POINT_new(group) : nullptr;
    Bytes pub_raw(65);
    bool ok = pub && EC_POINT_mul(group, pub, d, nullptr, nullptr, nullptr) == 1 &&
              EC_POINT_point2oct(group, pub, POINT_CONVERSION_UNCOMPRESSED, pub_raw.data(),
                                 pub_raw.size(), nullptr) == 65;
    if (ok) k.pkey_ = Sm2FromParts(pub_raw, d);
    EC_POINT_free(pub);
    EC_GROUP_free(group);
    BN_clear_free(d);
    if (!ok || !k.pkey_) return OpenSslError("SM2 private key");
  }
  ASSIGN_OR_RETURN(k.public_raw_, RawPublic(suite, k.pkey_));
  return k;
}

Result<Bytes> SigningKey::private_raw() const {
  if (suite_ == Suite::kEd25519) {
    Bytes out(32);
    size_t len = out.size();
    if (EVP_PKEY_get_raw_private_key(pkey_, out.data(), &len) != 1 || len != 32)
      return OpenSslError("Ed25519 private key");
    return out;
  }
  BIGNUM* d = nullptr;
  if (EVP_PKEY_get_bn_param(pkey_, OSSL_PKEY_PARAM_PRIV_KEY, &d) != 1)
    return OpenSslError("SM2 private key");
  Bytes out(32);
  int n = BN_bn2binpad(d, out.data(), 32);
  BN_clear_free(d);
  if (n != 32) return OpenSslError("SM2 private key encoding");
  return out;
}

Result<Bytes> SigningKey::Sign(ByteView message) const {
  MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx) return OpenSslError("sign context");
  Bytes sig(suite_ == Suite::kEd25519 ? 64 : 80);
  size_t len = sig.size();
  if (suite_ == Suite::kEd25519) {
    if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey_) != 1 ||
        EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) != 1)
      return OpenSslError("Ed25519 sign");
  } else {
    RETURN_IF_ERROR(InitSm2(ctx.get(), pkey_, true));
    int rc = EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size());
    FreeSm2PkeyCtx(ctx.get());
    if (rc != 1) return OpenSslError("SM2 sign");
  }
  sig.resize(len);
  return sig;
}

Result<DhKeyPair> GenerateX25519() {
  PkeyCtx ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, nullptr));
  EVP_PKEY* pkey = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &pkey) != 1)
    return OpenSslError("X25519 key generation");
  DhKeyPair kp{Bytes(32), Bytes(32)};
  size_t pl = 32, sl = 32;
  bool ok = EVP_PKEY_get_raw_public_key(pkey, kp.public_key.data(), &pl) == 1 &&
            EVP_PKEY_get_raw_private_key(pkey, kp.private_key.data(), &sl) == 1;
  EVP_PKEY_free(pkey);
  if (!ok) return OpenSslError("X25519 key export");
  return kp;
}

Result<Bytes> X25519Public(ByteView private_key) {
  if (private_key.size() != 32) return Status::Invalid("an X25519 private key has 32 bytes");
  EVP_PKEY* pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, private_key.data(),
                                                private_key.size());
  if (!pkey) return OpenSslError("X25519 private key");
  Bytes pub(32);
  size_t len = 32;
  bool ok = EVP_PKEY_get_raw_public_key(pkey, pub.data(), &len) == 1;
  EVP_PKEY_free(pkey);
  if (!ok) return OpenSslError("X25519 public key");
  return pub;
}

}  // namespace shequ::crypto
