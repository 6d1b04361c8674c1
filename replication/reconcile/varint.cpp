#include "replication/reconcile/varint.h"

#include <string>

namespace shequ::reconcile {

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >>= 7) ++n;
  return n;
}

void PutVarint(Bytes& out, uint64_t v) {
  for (size_t i = VarintSize(v); i-- > 0;) {
    uint8_t digit = static_cast<uint8_t>((v >> (7 * i)) & 0x7f);
    out.push_back(i == 0 ? digit : static_cast<uint8_t>(digit | 0x80));
  }
}

Result<uint8_t> WireReader::Byte() {
  if (pos_ >= b_.size()) return Status::Corruption("message ends prematurely");
  return b_[pos_++];
}

Result<uint64_t> WireReader::Varint() {
  uint64_t v = 0;
  while (true) {
    if (pos_ >= b_.size()) return Status::Corruption("message ends inside a varint");
    uint8_t c = b_[pos_++];
    if (v >> 57) return Status::Corruption("varint does not fit in 64 bits");
    v = (v << 7) | (c & 0x7f);
    if (!(c & 0x80)) return v;
  }
}

Result<ByteView> WireReader::Take(uint64_t n) {
  if (n > remaining()) {
    return Status::Corruption("message ends prematurely: need " + std::to_string(n) +
                              " bytes, have " + std::to_string(remaining()));
  }
  ByteView out = b_.subspan(pos_, static_cast<size_t>(n));
  pos_ += static_cast<size_t>(n);
  return out;
}

}  // namespace shequ::reconcile
