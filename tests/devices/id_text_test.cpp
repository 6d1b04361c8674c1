// Text blocks built by hand (UTF-16 code units written at the documented offsets, not by our
// encoder), decoded for each document type; then mapped onto card fields and validated.
#include "devices/id_text.h"

#include <doctest/doctest.h>

#include <string>

#include "node/model/id_number.h"

using namespace shequ;
using namespace shequ::devices;

namespace {

const model::Reference& Ref() {
  static const model::Reference* ref = [] {
    auto r = model::Reference::Load();
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    return new model::Reference(std::move(r).value());
  }();
  return *ref;
}

const Date kToday{2026, 11, 26};

// A block of spaces (20 00) with `flag` at byte 248.
Bytes Blank(char16_t flag = u' ') {
  Bytes b(256, 0);
  for (size_t i = 0; i < 256; i += 2) b[i] = 0x20;
  b[248] = static_cast<uint8_t>(flag);
  b[249] = static_cast<uint8_t>(flag >> 8);
  return b;
}

// Writes UTF-16 code units at a byte offset, low byte first.
void At(Bytes& b, size_t offset, std::u16string_view s) {
  for (char16_t c : s) {
    b[offset++] = static_cast<uint8_t>(c);
    b[offset++] = static_cast<uint8_t>(c >> 8);
  }
}

}  // namespace

TEST_CASE("UTF-16LE: 张伟 is 20 5F 1F 4F; surrogate pairs decode; a lone surrogate is U+FFFD") {
  CHECK(Utf16LeToUtf8(Bytes{0x20, 0x5F, 0x1F, 0x4F}) == "张伟");
  CHECK(Utf8ToUtf16Le("张伟") == (Bytes{0x20, 0x5F, 0x1F, 0x4F}));
  // U+20BB7 (𠮷, in some names) is D842 DFB7.
  CHECK(Utf16LeToUtf8(Bytes{0x42, 0xD8, 0xB7, 0xDF}) == "\xF0\xA0\xAE\xB7");
  CHECK(Utf8ToUtf16Le("\xF0\xA0\xAE\xB7") == (Bytes{0x42, 0xD8, 0xB7, 0xDF}));
  CHECK(Utf16LeToUtf8(Bytes{0x42, 0xD8, 0x41, 0x00}) ==
        "\xEF\xBF\xBD"
        "A");
  CHECK(Utf16LeToUtf8(Bytes{0x41}) == "");  // an odd byte is no code unit
}

TEST_CASE("居民身份证 layout: offsets, trailing spaces and NULs trimmed") {
  Bytes b = Blank();
  At(b, 0, u"张伟");
  At(b, 30, u"1");
  At(b, 32, u"01");
  At(b, 36, u"19800101");
  At(b, 52, u"内蒙古自治区乌海市海勃湾区凤凰岭街道和平社区3栋2单元401号");
  At(b, 122, u"150302198001010015");
  At(b, 158, u"乌海市公安局海勃湾分局");
  At(b, 188, u"20150310");
  At(b, 204, u"20350310");
  // NUL padding after the address instead of spaces (some cards do this).
  for (size_t i = 52 + 2 * 33; i < 122; ++i) b[i] = 0;
  auto t = DecodeIdText(b);
  REQUIRE(t.ok());
  CHECK(t->kind == IdDocKind::kResidentId);
  CHECK(t->name == "张伟");
  CHECK(t->gender == "1");
  CHECK(t->ethnicity == "01");
  CHECK(t->birth == "19800101");
  CHECK(t->address == "内蒙古自治区乌海市海勃湾区凤凰岭街道和平社区3栋2单元401号");
  CHECK(t->id_number == "150302198001010015");
  CHECK(t->authority == "乌海市公安局海勃湾分局");
  CHECK(t->valid_from == "20150310");
  CHECK(t->valid_to == "20350310");
  CHECK(t->english_name.empty());
  CHECK(t->pass_number.empty());

  IdCardRead r = InterpretIdCard(*t, Bytes(1024, 7), Ref(), kToday);
  CHECK(r.fields == model::FieldValues{{"doc_type", "1"},
                                       {"name", "张伟"},
                                       {"gender", "1"},
                                       {"ethnicity", "01"},
                                       {"birth_date", "1980-01-01"},
                                       {"id_number", "150302198001010015"},
                                       {"hukou_address", t->address}});
  CHECK(r.problems.empty());
  CHECK_FALSE(r.expired);
  CHECK(r.photo.size() == 1024);
  // Our encoder writes the same block (spaces where the hand-built one has NULs aside).
  Bytes enc = EncodeIdText(*t);
  auto again = DecodeIdText(enc);
  REQUIRE(again.ok());
  CHECK(*again == *t);
}

TEST_CASE("港澳台居民居住证 layout (flag J): pass number and issue count, no ethnicity") {
  Bytes b = Blank(u'J');
  At(b, 0, u"陈家豪");
  At(b, 30, u"1");
  At(b, 32, u"99");  // reserved on a permit: not an ethnicity
  At(b, 36, u"19920315");
  At(b, 52, u"内蒙古自治区乌海市海勃湾区滨河街道黄河东街18号");
  At(b, 122, u"810000199203150036");
  At(b, 158, u"乌海市公安局海勃湾分局");
  At(b, 188, u"20230601");
  At(b, 204, u"20280601");
  At(b, 220, u"H01234567");
  At(b, 238, u"01");
  auto t = DecodeIdText(b);
  REQUIRE(t.ok());
  CHECK(t->kind == IdDocKind::kHmtPermit);
  CHECK(t->name == "陈家豪");
  CHECK(t->ethnicity.empty());
  CHECK(t->id_number == "810000199203150036");
  CHECK(t->pass_number == "H01234567");
  CHECK(t->issue_count == "01");
  IdCardRead r = InterpretIdCard(*t, {}, Ref(), kToday);
  CHECK(r.fields.at("doc_type") == "2");
  CHECK(r.fields.count("ethnicity") == 0);
  CHECK(r.fields.count("hukou_address") == 0);  // where they live, not a hukou
  CHECK(r.problems.empty());
  CHECK(*DecodeIdText(EncodeIdText(*t)) == *t);
}

TEST_CASE("外国人永久居留身份证 2017 layout (flag I)") {
  Bytes b = Blank(u'I');
  At(b, 0, u"SMITH, JOHN WILLIAM");
  At(b, 120, u"1");
  At(b, 122, u"USA150080010101");
  At(b, 152, u"USA");
  At(b, 158, u"史密斯");
  At(b, 188, u"20180601");
  At(b, 204, u"20280601");
  At(b, 220, u"19800101");
  At(b, 236, u"01");
  At(b, 240, u"1500");
  auto t = DecodeIdText(b);
  REQUIRE(t.ok());
  CHECK(t->kind == IdDocKind::kForeign2017);
  CHECK(t->english_name == "SMITH, JOHN WILLIAM");
  CHECK(t->name == "史密斯");
  CHECK(t->gender == "1");
  CHECK(t->id_number == "USA150080010101");
  CHECK(t->nationality == "USA");
  CHECK(t->birth == "19800101");
  CHECK(t->card_version == "01");
  CHECK(t->authority == "1500");
  IdCardRead r = InterpretIdCard(*t, {}, Ref(), kToday);
  CHECK(r.fields.at("doc_type") == "3");
  CHECK(r.fields.at("name") == "史密斯");
  CHECK(r.fields.at("birth_date") == "1980-01-01");
  CHECK(r.problems.empty());
  CHECK(*DecodeIdText(EncodeIdText(*t)) == *t);

  // Without a Chinese name the English one is used, commas turned into spaces.
  t->name.clear();
  CHECK(CardFieldsOf(*t).at("name") == "SMITH JOHN WILLIAM");
}

TEST_CASE("外国人永久居留身份证 2023 layout (flag Y): the English name in two parts") {
  Bytes b = Blank(u'Y');
  At(b, 0, u"玛丽亚");
  At(b, 30, u"2");
  At(b, 32, u"00");
  At(b, 36, u"19900512");
  // 43 characters: the first 35 at 52, the other 8 at 220.
  At(b, 52, u"GONZALEZ MARTINEZ, MARIA FERNANDA A");
  At(b, 220, u"LEJANDRA");
  At(b, 122, u"915724199005120028");
  At(b, 188, u"20240301");
  At(b, 204, u"20340301");
  At(b, 242, u"ESP");
  At(b, 250, u"001");
  auto t = DecodeIdText(b);
  REQUIRE(t.ok());
  CHECK(t->kind == IdDocKind::kForeign2023);
  CHECK(t->name == "玛丽亚");
  CHECK(t->english_name == "GONZALEZ MARTINEZ, MARIA FERNANDA ALEJANDRA");
  CHECK(t->gender == "2");
  CHECK(t->issue_count == "00");
  CHECK(t->birth == "19900512");
  CHECK(t->id_number == "915724199005120028");
  CHECK(t->nationality == "ESP");
  CHECK(t->previous_link == "001");
  CHECK(t->authority.empty());
  IdCardRead r = InterpretIdCard(*t, {}, Ref(), kToday);
  CHECK(r.fields.at("doc_type") == "3");
  CHECK(r.problems.empty());
  CHECK(EncodeIdText(*t) == b);  // the encoder splits the name the same way
  // A name whose 35th character is a space keeps it across the split.
  At(b, 52, u"ABCDEFGHIJ ABCDEFGHIJ ABCDEFGHIJ A ");  // 35 characters
  At(b, 220, u"BCDE       ");
  CHECK(DecodeIdText(b)->english_name == "ABCDEFGHIJ ABCDEFGHIJ ABCDEFGHIJ A BCDE");
}

TEST_CASE("unknown type flags are refused; blocks must be 256 bytes") {
  auto r = DecodeIdText(Blank(u'Q'));
  CHECK(r.status().code() == Code::kCorruption);
  CHECK(r.status().message().find("type flag") != std::string::npos);
  CHECK(DecodeIdText(Bytes(255, 0x20)).status().code() == Code::kCorruption);
  // A NUL flag is an ID card (some readers zero the reserved area).
  Bytes b = Blank(0);
  CHECK(DecodeIdText(b)->kind == IdDocKind::kResidentId);
}

TEST_CASE("validation: a failing check character, wrong gender, expiry and 长期") {
  IdCardText t;
  t.name = "刘强";
  t.gender = "1";
  t.ethnicity = "01";
  t.birth = "19751120";
  t.id_number = "150304197511200037";  // check character should be 6
  t.valid_to = "20360901";
  IdCardRead r = InterpretIdCard(t, {}, Ref(), kToday);
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems[0].code == "id_check");
  CHECK(r.problems[0].field == "id_number");
  CHECK(r.has_errors());

  t.id_number = "150304197511200036";
  t.gender = "2";  // the number says male
  r = InterpretIdCard(t, {}, Ref(), kToday);
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems[0].code == "id_gender_mismatch");

  t.gender = "1";
  t.valid_to = "20261125";
  r = InterpretIdCard(t, {}, Ref(), kToday);
  CHECK(r.problems.empty());
  CHECK(r.expired);
  CHECK(r.valid_to == Date{2026, 11, 25});
  t.valid_to = "20261126";  // valid through today
  CHECK_FALSE(InterpretIdCard(t, {}, Ref(), kToday).expired);
  t.valid_to = "长期";
  r = InterpretIdCard(t, {}, Ref(), kToday);
  CHECK_FALSE(r.expired);
  CHECK_FALSE(r.valid_to);
  // A lower-case x is normalised as validation normalises it.
  t.id_number = "11010519491231002x";
  t.birth = "19491231";
  t.gender = "2";
  r = InterpretIdCard(t, {}, Ref(), kToday);
  CHECK(r.fields.at("id_number") == "11010519491231002X");
}
