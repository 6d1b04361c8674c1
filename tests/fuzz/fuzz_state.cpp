// libFuzzer: the stored entity-state record and the bundle chunk decoder.
#include <cstddef>
#include <cstdint>

#include "node/service/bundle.h"
#include "replication/crdt/field_state.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  shequ::ByteView in(data, size);
  auto e = shequ::crdt::DecodeEntityState(in);
  if (e.ok()) {
    // Stored records are our own, so the decoder accepts some encodings we never write (longer
    // varints); what it decodes must survive a round trip unchanged.
    for (const auto& [key, field] : *e) {
      (void)field.siblings();
      (void)field.proposals();
    }
    shequ::Bytes once = shequ::crdt::EncodeEntityState(*e);
    auto again = shequ::crdt::DecodeEntityState(once);
    if (!again.ok() || shequ::crdt::EncodeEntityState(*again) != once) __builtin_trap();
  }
  (void)shequ::service::DecodeBundleChunk(in);
  return 0;
}
