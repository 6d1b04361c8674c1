// The 256-byte text block of a second-generation ID card and of the documents the same readers
// read: UTF-16LE, fixed fields padded with spaces; the character at byte 248 tells the document
// type. Layouts and their sources: docs/DEVICES.md, "Text block layouts".
//
//   居民身份证 (flag ' ')          name 0/30, gender 30/2, ethnicity 32/4, birth 36/16,
//                                  address 52/70, ID number 122/36, authority 158/30,
//                                  valid from 188/16, valid to 204/16, reserved 220/36
//   港澳台居民居住证 (flag 'J')     as above, but 32/4 reserved (no ethnicity); pass number 220/18,
//                                  issue count 238/4, reserved 242/6, flag 248/2, reserved 250/6
//   外国人永久居留身份证 2017 ('I')  English name 0/120, gender 120/2, permit number 122/30,
//                                  nationality 152/6, Chinese name 158/30, valid from 188/16,
//                                  valid to 204/16, birth 220/16, version 236/4,
//                                  authority code 240/8, flag 248/2, reserved 250/6
//   外国人永久居留身份证 2023 ('Y')  Chinese name 0/30, gender 30/2, renewals 32/4, birth 36/16,
//                                  English name 52/70, permit number 122/36, reserved 158/30,
//                                  valid from 188/16, valid to 204/16, English name (cont.)
//                                  220/22, nationality 242/6, flag 248/2, previous-number link
//                                  250/6
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "node/base/bytes.h"
#include "node/base/status.h"
#include "node/base/time.h"
#include "node/model/card.h"
#include "node/model/reference.h"

namespace shequ::devices {

enum class IdDocKind {
  kResidentId,   // 居民身份证
  kHmtPermit,    // 港澳台居民居住证 ('J')
  kForeign2017,  // 外国人永久居留身份证, 2017 edition ('I')
  kForeign2023,  // 外国人永久居留身份证, 2023 edition ('Y')
};
std::string_view IdDocKindName(IdDocKind k);   // resident_id, hmt_permit, foreign_2017, ...
std::string_view IdDocKindLabel(IdDocKind k);  // 居民身份证, ...
std::optional<IdDocKind> ParseIdDocKind(std::string_view name);
// The card's doc_type code: 1, 2 or 3.
std::string_view DocTypeCode(IdDocKind k);

// Every field the layouts hold, as text with trailing spaces and NULs trimmed. Fields a layout
// does not have stay empty.
struct IdCardText {
  IdDocKind kind = IdDocKind::kResidentId;
  std::string name;           // Chinese name (for foreigners: the Chinese name, often empty)
  std::string english_name;   // foreigners; 2023: both parts joined
  std::string gender;         // GB/T 2261.1 code: 1 male, 2 female
  std::string ethnicity;      // GB 3304 code, 2 digits (居民身份证 only)
  std::string birth;          // YYYYMMDD
  std::string address;        // 居民身份证: the registered (hukou) address; permits: residence
  std::string id_number;      // citizen ID number, permit number
  std::string authority;      // 签发机关; 2017 foreign card: 当次申请受理机关代码
  std::string valid_from;     // YYYYMMDD
  std::string valid_to;       // YYYYMMDD, or 长期 (no expiry)
  std::string nationality;    // foreigners: ISO 3166-1 alpha-3 (GB/T 2659)
  std::string pass_number;    // 港澳台: 通行证号码
  std::string issue_count;    // 港澳台: 签发次数; 2023 foreign card: 换证次数
  std::string card_version;   // 2017 foreign card: 证件版本号
  std::string previous_link;  // 2023 foreign card: 既往版本证件号码关联项

  bool operator==(const IdCardText&) const = default;
};

// Decodes a text block. Invalid UTF-16 (a lone surrogate) becomes U+FFFD, which validation then
// reports; an unknown type flag at byte 248 is Corruption.
Result<IdCardText> DecodeIdText(ByteView block);
// The block a card with these fields holds (space padded; a value too long for its slot is cut),
// for the simulator and tests.
Bytes EncodeIdText(const IdCardText& t);

// UTF-16LE helpers (exposed for tests and the fuzz target).
std::string Utf16LeToUtf8(ByteView b);
Bytes Utf8ToUtf16Le(std::string_view s);

// A card read, interpreted: the registration card fields it fills (doc_type, name, gender,
// ethnicity, birth_date, id_number, hukou_address), what the model's validation says about them,
// and whether the card has expired.
struct IdCardRead {
  IdCardText text;
  Bytes photo;  // raw, as stored on the card (its decoder is licensed: we keep the bytes)
  std::string sam_id;
  model::FieldValues fields;
  std::vector<model::Problem> problems;  // member-level problems of the mapped fields only
  std::optional<Date> valid_to;          // nullopt: 长期 or unreadable
  bool expired = false;                  // valid_to before `today`
  bool has_errors() const;
};

// The card fields a read fills. Foreigners' name: the Chinese name when the card has one, else
// the English name with commas turned into spaces. hukou_address only from a 居民身份证 (a
// permit's address is where the holder lives on the mainland, not a hukou).
model::FieldValues CardFieldsOf(const IdCardText& t);

// Maps, validates (model::CheckCard on a one-member card, keeping the member's problems with the
// mapped fields other than "missing") and checks the expiry against `today`.
IdCardRead InterpretIdCard(IdCardText text, Bytes photo, const model::Reference& ref, Date today);

}  // namespace shequ::devices
