// libFuzzer target: arbitrary bytes as the 256-byte text block of an ID card (or a permit) and
// as UTF-16LE text. Decoding may refuse a block (unknown type flag); nothing may crash, the text
// must be valid UTF-8, and a decoded block must re-encode to a block that decodes the same.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "devices/id_text.h"
#include "node/base/text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shequ::devices;
  shequ::ByteView in(data, size);
  std::string s = Utf16LeToUtf8(in);
  if (!shequ::IsValidUtf8(s)) std::abort();
  if (size < 256) return 0;
  auto t = DecodeIdText(in.first(256));
  if (!t.ok()) return 0;
  for (const std::string* f : {&t->name, &t->english_name, &t->address, &t->id_number})
    if (!shequ::IsValidUtf8(*f)) std::abort();
  auto again = DecodeIdText(EncodeIdText(*t));
  if (!again.ok() || again->kind != t->kind) std::abort();
  (void)CardFieldsOf(*t);
  return 0;
}
