#include "node/crypto/seal.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <algorithm>
#include <memory>

#include "node/crypto/crypto.h"

namespace shequ::crypto {

namespace {

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

struct KdfFree {
  void operator()(EVP_KDF* k) const { EVP_KDF_free(k); }
};
struct KdfCtxFree {
  void operator()(EVP_KDF_CTX* k) const { EVP_KDF_CTX_free(k); }
};

Result<Bytes> Derive(const char* name, OSSL_PARAM* params, size_t length, std::string_view what) {
  std::unique_ptr<EVP_KDF, KdfFree> kdf(EVP_KDF_fetch(nullptr, name, nullptr));
  if (!kdf) return OpenSslError(std::string(what) + ": fetch " + name);
  std::unique_ptr<EVP_KDF_CTX, KdfCtxFree> ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) return OpenSslError(what);
  Bytes out(length);
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) return OpenSslError(what);
  return out;
}

// OSSL_PARAM octet strings take non-const pointers; the buffers are only read.
void* Mutable(const void* p) { return const_cast<void*>(p); }

// Fetched once (see DigestOf in crypto.cpp), one cipher context per thread.
const EVP_CIPHER* Aes256Gcm() {
  static EVP_CIPHER* const c = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return c ? c : EVP_aes_256_gcm();
}
EVP_CIPHER_CTX* ThreadCipherCtx() {
  thread_local CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (ctx) EVP_CIPHER_CTX_reset(ctx.get());
  return ctx.get();
}
const EVP_MD* Sha256Md() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md ? md : EVP_sha256();
}

}  // namespace

Result<Bytes> AeadSealWithNonce(ByteView key, ByteView nonce, ByteView plaintext, ByteView aad) {
  if (key.size() != kAeadKeyBytes) return Status::Invalid("AES-256-GCM needs a 32-byte key");
  if (nonce.size() != kAeadNonceBytes) return Status::Invalid("AES-GCM nonce is 12 bytes");
  EVP_CIPHER_CTX* ctx = ThreadCipherCtx();
  Bytes out(kAeadNonceBytes + plaintext.size() + kAeadTagBytes);
  std::copy(nonce.begin(), nonce.end(), out.begin());
  int len = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx, Aes256Gcm(), nullptr, key.data(), nonce.data()) != 1 ||
      (!aad.empty() &&
       EVP_EncryptUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1) ||
      EVP_EncryptUpdate(ctx, out.data() + kAeadNonceBytes, &len, plaintext.data(),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx, out.data() + kAeadNonceBytes + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, kAeadTagBytes,
                          out.data() + kAeadNonceBytes + plaintext.size()) != 1)
    return OpenSslError("AES-256-GCM seal");
  return out;
}

Result<Bytes> AeadSeal(ByteView key, ByteView plaintext, ByteView aad) {
  auto nonce = RandomArray<kAeadNonceBytes>();
  return AeadSealWithNonce(key, ByteView(nonce.data(), nonce.size()), plaintext, aad);
}

Result<Bytes> AeadOpen(ByteView key, ByteView sealed, ByteView aad) {
  if (key.size() != kAeadKeyBytes) return Status::Invalid("AES-256-GCM needs a 32-byte key");
  if (sealed.size() < kAeadOverhead)
    return Status::Corruption("sealed value of " + std::to_string(sealed.size()) +
                              " bytes is shorter than a nonce and a tag");
  size_t n = sealed.size() - kAeadOverhead;
  const uint8_t* nonce = sealed.data();
  const uint8_t* ct = sealed.data() + kAeadNonceBytes;
  Bytes tag(ct + n, ct + n + kAeadTagBytes);
  EVP_CIPHER_CTX* ctx = ThreadCipherCtx();
  Bytes out(n);
  int len = 0;
  if (!ctx || EVP_DecryptInit_ex(ctx, Aes256Gcm(), nullptr, key.data(), nonce) != 1 ||
      (!aad.empty() &&
       EVP_DecryptUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1) ||
      EVP_DecryptUpdate(ctx, out.data(), &len, ct, static_cast<int>(n)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, kAeadTagBytes, tag.data()) != 1)
    return OpenSslError("AES-256-GCM open");
  if (EVP_DecryptFinal_ex(ctx, out.data() + len, &len) != 1) {
    ERR_clear_error();
    return Status::Corruption("sealed value does not authenticate (wrong key or damaged bytes)");
  }
  return out;
}

// HMAC (RFC 2104) over the fetched SHA-256, and HKDF (RFC 5869) on top of it: OpenSSL's HMAC()
// and EVP_KDF "HKDF" fetch their implementations on every call, which cost more than the
// hashing itself for the short inputs sealing feeds them. Checked against RFC 4231 and 5869.
Id32 HmacSha256(ByteView key, ByteView data) {
  constexpr size_t kBlock = 64;
  uint8_t k0[kBlock] = {};
  if (key.size() > kBlock) {
    Id32 hk = Sha256(key);
    std::copy(hk.begin(), hk.end(), k0);
  } else {
    std::copy(key.begin(), key.end(), k0);
  }
  uint8_t pad[kBlock];
  thread_local std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                           EVP_MD_CTX_free);
  Id32 inner{}, out{};
  unsigned len = 0;
  for (size_t i = 0; i < kBlock; ++i) pad[i] = k0[i] ^ 0x36;
  EVP_DigestInit_ex(ctx.get(), Sha256Md(), nullptr);
  EVP_DigestUpdate(ctx.get(), pad, kBlock);
  EVP_DigestUpdate(ctx.get(), data.data(), data.size());
  EVP_DigestFinal_ex(ctx.get(), inner.data(), &len);
  for (size_t i = 0; i < kBlock; ++i) pad[i] = k0[i] ^ 0x5c;
  EVP_DigestInit_ex(ctx.get(), Sha256Md(), nullptr);
  EVP_DigestUpdate(ctx.get(), pad, kBlock);
  EVP_DigestUpdate(ctx.get(), inner.data(), inner.size());
  EVP_DigestFinal_ex(ctx.get(), out.data(), &len);
  return out;
}

Result<Bytes> Hkdf(ByteView ikm, ByteView salt, ByteView info, size_t length) {
  if (length > 255 * 32) return Status::Invalid("HKDF-SHA256 output is at most 8160 bytes");
  Bytes zero_salt(32, 0);
  Id32 prk = HmacSha256(salt.empty() ? ByteView(zero_salt) : salt, ikm);
  Bytes out, block;
  for (uint8_t i = 1; out.size() < length; ++i) {
    Bytes m = block;
    Append(m, info);
    m.push_back(i);
    Id32 t = HmacSha256(prk, m);
    block.assign(t.begin(), t.end());
    Append(out, block);
  }
  out.resize(length);
  return out;
}

Result<Bytes> Scrypt(std::string_view passphrase, ByteView salt, const ScryptParams& p,
                     size_t length) {
  if (p.n < 2 || (p.n & (p.n - 1)) != 0) return Status::Invalid("scrypt N must be a power of 2");
  uint64_t n = p.n;
  uint32_t r = p.r, par = p.p;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, Mutable(passphrase.data()),
                                        passphrase.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, Mutable(salt.data()), salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &par),
      OSSL_PARAM_construct_end()};
  return Derive("SCRYPT", params, length, "scrypt");
}

Result<Bytes> X25519Shared(ByteView private_key, ByteView public_key) {
  if (private_key.size() != 32 || public_key.size() != 32)
    return Status::Invalid("X25519 keys are 32 bytes");
  EVP_PKEY* priv = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, private_key.data(), 32);
  EVP_PKEY* pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, public_key.data(), 32);
  Bytes out(32);
  size_t len = 32;
  EVP_PKEY_CTX* ctx = priv && pub ? EVP_PKEY_CTX_new(priv, nullptr) : nullptr;
  bool ok = ctx && EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_derive_set_peer(ctx, pub) == 1 &&
            EVP_PKEY_derive(ctx, out.data(), &len) == 1 && len == 32;
  EVP_PKEY_CTX_free(ctx);
  EVP_PKEY_free(priv);
  EVP_PKEY_free(pub);
  if (!ok) return OpenSslError("X25519 key agreement");
  if (std::all_of(out.begin(), out.end(), [](uint8_t b) { return b == 0; }))
    return Status::Invalid("X25519 public key of low order");
  return out;
}

}  // namespace shequ::crypto
