// libFuzzer: the change record decoder (every byte a peer or a bundle can send us).
#include <cstddef>
#include <cstdint>

#include "replication/crdt/change.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  shequ::ByteView in(data, size);
  for (auto suite : {shequ::crypto::Suite::kEd25519, shequ::crypto::Suite::kSm2}) {
    auto c = shequ::crdt::DecodeRecord(in, suite);
    if (c.ok()) {
      // What decodes re-encodes to the same record.
      shequ::Bytes again = shequ::crdt::EncodeRecord(*c);
      if (again.size() != size || !std::equal(again.begin(), again.end(), data)) __builtin_trap();
    }
  }
  return 0;
}
