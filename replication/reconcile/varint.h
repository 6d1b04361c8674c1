// Wire primitives of Negentropy V1: varints (base 128, most significant digit first, bit 7 set on
// every byte but the last) and a bounds-checked reader over a received message.
#pragma once

#include <cstddef>
#include <cstdint>

#include "node/base/bytes.h"
#include "node/base/status.h"

namespace shequ::reconcile {

// Appends the shortest encoding of `v` (1 to 10 bytes). Not the LEB128 of node/base/bytes.h.
void PutVarint(Bytes& out, uint64_t v);
size_t VarintSize(uint64_t v);

// Reads a received message front to back. Every read checks the remaining length; a varint that
// does not fit in 64 bits is corruption (longer digit strings are accepted only while the value
// fits, as the reference decoder does for leading zero digits).
class WireReader {
 public:
  explicit WireReader(ByteView b) : b_(b) {}

  Result<uint8_t> Byte();
  Result<uint64_t> Varint();
  // A view into the message of exactly n bytes.
  Result<ByteView> Take(uint64_t n);

  bool done() const { return pos_ == b_.size(); }
  size_t remaining() const { return b_.size() - pos_; }
  size_t position() const { return pos_; }

 private:
  ByteView b_;
  size_t pos_ = 0;
};

}  // namespace shequ::reconcile
