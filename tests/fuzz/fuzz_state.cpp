// libFuzzer: the stored field-state record and the bundle chunk decoder.
#include <cstddef>
#include <cstdint>

#include "node/service/bundle.h"
#include "replication/crdt/field_state.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  shequ::ByteView in(data, size);
  auto s = shequ::crdt::DecodeFieldState(in);
  if (s.ok()) {
    shequ::Bytes again = shequ::crdt::EncodeFieldState(*s);
    if (again.size() != size || !std::equal(again.begin(), again.end(), data)) __builtin_trap();
    (void)s->siblings();
    (void)s->proposals();
  }
  (void)shequ::service::DecodeBundleChunk(in);
  return 0;
}
