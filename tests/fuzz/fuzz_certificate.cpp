// libFuzzer: certificates and city files, which travel as files, QR text and hello messages.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "node/trust/certificate.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto c = shequ::trust::DecodeCertificate(shequ::ByteView(data, size));
  if (c.ok()) {
    (void)c->InScope("150302001002");
    (void)c->Encode();
  }
  (void)shequ::trust::City::FromText(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
