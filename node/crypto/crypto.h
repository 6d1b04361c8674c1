// Hashes, signatures and randomness over OpenSSL 3. Every OpenSSL failure is turned into a
// Status carrying the whole OpenSSL error queue; nothing here throws.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "node/base/bytes.h"
#include "node/base/status.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace shequ::crypto {

// A city chooses its suite once, at `shequ city init`.
enum class Suite : uint8_t {
  kEd25519 = 1,  // Ed25519 signatures, SHA-256 digests (default)
  kSm2 = 2,      // SM2 signatures with SM3, SM3 digests (国密)
};
std::string_view SuiteName(Suite s);
std::optional<Suite> ParseSuite(std::string_view s);

// Drains the OpenSSL error queue into one message: "what: lib:reason; lib:reason".
Status OpenSslError(std::string_view what);

Id32 Sha256(ByteView data);
// The suite's digest: SHA-256 or SM3.
Id32 Digest(Suite suite, ByteView data);

// Incremental digest.
class Hasher {
 public:
  explicit Hasher(Suite suite = Suite::kEd25519);
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;
  void Update(ByteView data);
  Id32 Finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Cryptographically random bytes (RAND_bytes); aborts the process if the RNG fails, because
// continuing with predictable keys or nonces would be worse than stopping.
void RandomBytes(uint8_t* out, size_t n);
template <size_t N>
std::array<uint8_t, N> RandomArray() {
  std::array<uint8_t, N> a;
  RandomBytes(a.data(), N);
  return a;
}

// A verifying key of either suite. Public keys travel raw: 32 bytes (Ed25519) or 65 bytes
// (SM2, uncompressed point 04||x||y).
class PublicKey {
 public:
  static Result<PublicKey> FromRaw(Suite suite, ByteView raw);
  PublicKey(PublicKey&&) noexcept;
  PublicKey& operator=(PublicKey&&) noexcept;
  ~PublicKey();

  Suite suite() const { return suite_; }
  const Bytes& raw() const { return raw_; }
  // True only for a valid signature over `message`.
  bool Verify(ByteView message, ByteView signature) const;

 private:
  PublicKey() = default;
  Suite suite_ = Suite::kEd25519;
  Bytes raw_;
  EVP_PKEY* pkey_ = nullptr;
};

class SigningKey {
 public:
  static Result<SigningKey> Generate(Suite suite);
  // From the private scalar/seed bytes as written by private_raw().
  static Result<SigningKey> FromPrivate(Suite suite, ByteView priv);
  SigningKey(SigningKey&&) noexcept;
  SigningKey& operator=(SigningKey&&) noexcept;
  ~SigningKey();

  Suite suite() const { return suite_; }
  Result<Bytes> Sign(ByteView message) const;
  const Bytes& public_raw() const { return public_raw_; }
  Result<Bytes> private_raw() const;
  Result<PublicKey> public_key() const { return PublicKey::FromRaw(suite_, public_raw_); }

 private:
  SigningKey() = default;
  Suite suite_ = Suite::kEd25519;
  Bytes public_raw_;
  EVP_PKEY* pkey_ = nullptr;
};

// X25519 key pair (raw 32-byte keys). The same keys serve as ZeroMQ CURVE keys.
struct DhKeyPair {
  Bytes public_key, private_key;
};
Result<DhKeyPair> GenerateX25519();
// Public key of a raw X25519 private key.
Result<Bytes> X25519Public(ByteView private_key);

}  // namespace shequ::crypto
