// libFuzzer: signed revocations, which travel as files (`shequ trust import`), in bundles and in
// sessions' Certificates messages. Decoding never crashes; what decodes re-encodes to itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "node/trust/revocation.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  shequ::ByteView in(data, size);
  auto r = shequ::trust::DecodeRevocation(in);
  if (r.ok()) {
    auto again = r->Encode();
    if (!again.ok()) std::abort();
    auto back = shequ::trust::DecodeRevocation(*again);
    if (!back.ok() || back->body != r->body || back->signature != r->signature ||
        back->node_id != r->node_id || back->at != r->at || back->reason != r->reason)
      std::abort();
  }
  return 0;
}
