// libFuzzer target: arbitrary bytes as what an ID card reader sends back. The frame scanner, the
// frame and response decoders and the read-response parser may refuse anything; nothing may
// crash, hang or read out of bounds, and a frame that decodes must encode back to its own bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "devices/id_frame.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shequ::devices;
  shequ::ByteView in(data, size);
  // As a receive stream: scan frame after frame, as the driver does.
  shequ::Bytes rx(in.begin(), in.end());
  while (!rx.empty()) {
    IdFrameScan s = ScanIdFrame(rx);
    if (s.kind == IdFrameScan::kNeedMore) break;
    if (s.kind == IdFrameScan::kFrame) {
      auto body = DecodeIdFrame(shequ::ByteView(rx).first(s.size));
      if (body.ok()) {
        if (EncodeIdFrame(*body) != shequ::Bytes(rx.begin(), rx.begin() + s.size)) std::abort();
        auto resp = ParseIdResponse(*body);
        if (resp.ok()) {
          (void)Sw3Error(resp->sw3, "fuzz");
          (void)FormatSamId(resp->data);
          auto m = ParseBaseMessage(resp->data);
          if (m.ok() && EncodeBaseMessage(*m) != resp->data) std::abort();
        }
        (void)ParseIdRequest(*body);
      }
    }
    rx.erase(rx.begin(), rx.begin() + static_cast<long>(s.size));
  }
  // As one frame, exactly.
  (void)DecodeIdFrame(in);
  return 0;
}
