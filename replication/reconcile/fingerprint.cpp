#include "replication/reconcile/fingerprint.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <algorithm>
#include <string>

#include "replication/reconcile/varint.h"

namespace shequ::reconcile {
namespace {

std::array<uint64_t, 4> LimbsOf(const Id32& id) {
  std::array<uint64_t, 4> out{};
  for (size_t limb = 0; limb < 4; ++limb) {
    uint64_t v = 0;
    for (size_t b = 8; b-- > 0;) v = (v << 8) | id[8 * limb + b];
    out[limb] = v;
  }
  return out;
}

// Two's complement negation mod 2^256.
std::array<uint64_t, 4> Negated(const std::array<uint64_t, 4>& x) {
  std::array<uint64_t, 4> out{};
  uint64_t carry = 1;
  for (size_t i = 0; i < 4; ++i) {
    uint64_t v = ~x[i] + carry;
    carry = (carry && v == 0) ? 1 : 0;
    out[i] = v;
  }
  return out;
}

// Drains the whole OpenSSL error queue into one message.
std::string OpenSslErrors() {
  std::string msg;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!msg.empty()) msg += "; ";
    msg += buf;
  }
  return msg.empty() ? "no OpenSSL error queued" : msg;
}

}  // namespace

void IdSum::AddLimbs(const std::array<uint64_t, 4>& o) {
  uint64_t carry = 0;
  for (size_t i = 0; i < 4; ++i) {
    uint64_t a = limbs_[i];
    uint64_t s = a + o[i];
    uint64_t c1 = s < a ? 1 : 0;
    uint64_t t = s + carry;
    uint64_t c2 = t < s ? 1 : 0;
    limbs_[i] = t;
    carry = c1 | c2;
  }
}

void IdSum::Add(const Id32& id) { AddLimbs(LimbsOf(id)); }
void IdSum::Add(const IdSum& other) { AddLimbs(other.limbs_); }
void IdSum::Subtract(const Id32& id) { AddLimbs(Negated(LimbsOf(id))); }
void IdSum::Subtract(const IdSum& other) { AddLimbs(Negated(other.limbs_)); }

Id32 IdSum::Bytes() const {
  Id32 out{};
  for (size_t limb = 0; limb < 4; ++limb) {
    for (size_t b = 0; b < 8; ++b)
      out[8 * limb + b] = static_cast<uint8_t>(limbs_[limb] >> (8 * b));
  }
  return out;
}

Result<Fingerprint> IdSum::Finish(uint64_t count) const {
  shequ::Bytes input;
  Id32 sum = Bytes();
  input.assign(sum.begin(), sum.end());
  PutVarint(input, count);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &digest_len, EVP_sha256(), nullptr) != 1 ||
      digest_len < kFingerprintSize) {
    return Status::Internal("SHA-256 failed: " + OpenSslErrors());
  }
  Fingerprint fp{};
  std::copy_n(digest, kFingerprintSize, fp.begin());
  return fp;
}

IdSum IdSum::FromBytes(const Id32& bytes) {
  IdSum s;
  for (size_t limb = 0; limb < 4; ++limb) {
    uint64_t v = 0;
    for (size_t b = 0; b < 8; ++b) v |= uint64_t{bytes[limb * 8 + b]} << (8 * b);
    s.limbs_[limb] = v;
  }
  return s;
}

}  // namespace shequ::reconcile
