// libFuzzer target: arbitrary bytes as a wire frame. Anything may be refused, nothing may crash,
// hang or leak; a frame that decodes must re-encode, and the re-encoding must decode to the same
// message and encode to the same bytes (decode -> encode -> decode is stable).
#include <cstddef>
#include <cstdint>

#include "replication/wire/codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace wire = shequ::wire;
  auto message = wire::Decode(shequ::ByteView(data, size));
  if (!message.ok()) {
    auto code = message.status().code();
    if (code != shequ::Code::kCorruption && code != shequ::Code::kResourceExhausted)
      __builtin_trap();
    return 0;
  }
  auto frame = wire::Encode(*message);
  if (!frame.ok()) __builtin_trap();
  auto again = wire::Decode(*frame);
  if (!again.ok() || !(*again == *message)) __builtin_trap();
  auto frame2 = wire::Encode(*again);
  if (!frame2.ok() || *frame2 != *frame) __builtin_trap();
  return 0;
}
