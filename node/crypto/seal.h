// Symmetric sealing and key derivation over OpenSSL 3 (DESIGN sections 4 and 7): AES-256-GCM
// with random 96-bit nonces and 16-byte tags, HKDF-SHA256 and scrypt through EVP_KDF,
// HMAC-SHA256, and X25519 key agreement. Nothing here throws; failures are Status.
#pragma once

#include <cstdint>
#include <string_view>

#include "node/base/bytes.h"
#include "node/base/status.h"

namespace shequ::crypto {

inline constexpr size_t kAeadKeyBytes = 32;
inline constexpr size_t kAeadNonceBytes = 12;
inline constexpr size_t kAeadTagBytes = 16;
inline constexpr size_t kAeadOverhead = kAeadNonceBytes + kAeadTagBytes;

// AES-256-GCM with a fresh random nonce: returns nonce || ciphertext || tag.
Result<Bytes> AeadSeal(ByteView key, ByteView plaintext, ByteView aad);
// The same with a caller's nonce (only for keys used exactly once).
Result<Bytes> AeadSealWithNonce(ByteView key, ByteView nonce, ByteView plaintext, ByteView aad);
// Opens nonce || ciphertext || tag. A wrong key, a changed byte or other `aad` all give
// Corruption("... does not authenticate") — GCM cannot tell them apart.
Result<Bytes> AeadOpen(ByteView key, ByteView sealed, ByteView aad);

// HKDF-SHA256 (RFC 5869), extract and expand.
Result<Bytes> Hkdf(ByteView ikm, ByteView salt, ByteView info, size_t length);
// HMAC-SHA256.
Id32 HmacSha256(ByteView key, ByteView data);

// scrypt (RFC 7914) through EVP_KDF "SCRYPT". n must be a power of two > 1.
struct ScryptParams {
  uint64_t n = 1u << 15;  // 32 MiB with r = 8: about 0.1 s here
  uint32_t r = 8;
  uint32_t p = 1;
};
Result<Bytes> Scrypt(std::string_view passphrase, ByteView salt, const ScryptParams& params,
                     size_t length = 32);

// X25519 shared secret of our private key and their public key (both raw, 32 bytes). Refuses
// an all-zero result (a low-order public key).
Result<Bytes> X25519Shared(ByteView private_key, ByteView public_key);

}  // namespace shequ::crypto
