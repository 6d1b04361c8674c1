// libFuzzer target: arbitrary bytes as an ISO/IEC 19794-2:2005 finger minutiae record. Parsing
// may refuse anything; an accepted record must write back byte for byte, and matching it against
// itself must not crash.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "devices/fmr.h"
#include "devices/matcher.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shequ::devices;
  shequ::ByteView in(data, size);
  auto r = ParseFmr(in);
  if (!r.ok()) return 0;
  if (!CheckFmr(*r).ok()) std::abort();
  shequ::Bytes out = WriteFmr(*r);
  if (out.size() != size || !std::equal(out.begin(), out.end(), data)) std::abort();
  if (size <= 4096) (void)MatchRecords(*r, *r);
  return 0;
}
