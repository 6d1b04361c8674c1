// The physical limit of receiving changes: OpenSSL Ed25519 verifications per second on one core,
// in the tightest loop the EVP API allows (one context reused, one key). The replication
// benchmarks measure it in the same run as what they set against it (docs/BENCHMARKS.md).
#pragma once

#include <openssl/evp.h>

#include <chrono>
#include <cstdlib>

#include "node/crypto/crypto.h"

namespace shequ::bench {

// `n` verifications timed; aborts if OpenSSL refuses its own signature.
inline double VerifyRate(size_t n) {
  auto key = crypto::SigningKey::Generate(crypto::Suite::kEd25519);
  if (!key.ok()) std::abort();
  Bytes msg(48, 3);
  auto sig = key->Sign(msg);
  if (!sig.ok()) std::abort();
  EVP_PKEY* pkey =
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, key->public_raw().data(), 32);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  auto t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < n; ++i) {
    EVP_MD_CTX_reset(ctx);
    if (EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, pkey) != 1 ||
        EVP_DigestVerify(ctx, sig->data(), sig->size(), msg.data(), msg.size()) != 1)
      std::abort();
  }
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - t0;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);
  return static_cast<double>(n) / took.count();
}

}  // namespace shequ::bench
