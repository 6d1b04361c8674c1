#include "node/model/validate.h"

#include <algorithm>
#include <map>
#include <set>

#include "node/base/bytes.h"
#include "node/base/text.h"
#include "node/model/id_number.h"

namespace shequ::model {

namespace {

constexpr int kDefaultTextLimit = 100;
constexpr size_t kMaxFingerprintChars = 64 * 1024;
constexpr std::string_view kWarningCodes[] = {
    "no_head",          "many_heads",  "cert_mismatch",  "allowance_under_80",
    "spouse_under_age", "child_older", "parent_younger", "id_old_address"};

std::string_view BlockOf(const FieldDef& f) {
  switch (f.entity) {
    case EntityKind::kHousehold:
      return f.key == "card_no" || f.key == "community" ? "card" : "household";
    case EntityKind::kPerson:
      return "member";
    default:
      return EntityKindName(f.entity);  // visit, transfer, ...: a block of its own
  }
}

Problem MakeProblem(std::string_view block, std::string_view field, std::string code,
                    std::string message) {
  Problem p;
  p.severity = SeverityOf(code);
  p.block = std::string(block);
  p.field = std::string(field);
  p.code = std::move(code);
  p.message = std::move(message);
  return p;
}

Problem FieldProblem(const FieldDef& f, std::string code, std::string message) {
  return MakeProblem(BlockOf(f), f.key, std::move(code), std::move(message));
}

std::string_view Get(const FieldValues* record, std::string_view key) {
  if (!record) return {};
  auto it = record->find(key);
  return it == record->end() ? std::string_view() : std::string_view(it->second);
}

bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

bool HasControl(std::string_view s) {
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return true;
  }
  return false;
}

std::string Chars(int n) { return std::to_string(n) + "个字"; }

// --- names ---------------------------------------------------------------------------------

bool IsCjk(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x2FA1F) || c == 0x3007;
}
bool IsLatinLetter(char32_t c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7);
}
// Middle dots that input methods and ID readers produce instead of U+00B7.
bool IsDotLookalike(char32_t c) {
  return c == 0x2022 || c == 0x2027 || c == 0x30FB || c == 0xFF65 || c == 0x22C5 || c == 0x2219;
}

// Normalises look-alike dots to "·" and returns "" or the reason the name is refused.
std::string CheckName(std::string_view value, std::string* normalized) {
  std::vector<char32_t> cps;
  DecodeUtf8(value, &cps);
  for (char32_t& c : cps) {
    if (IsDotLookalike(c)) c = 0xB7;
  }
  for (size_t i = 0; i < cps.size(); ++i) {
    char32_t c = cps[i];
    if (IsCjk(c) || IsLatinLetter(c)) continue;
    std::string ch;
    AppendUtf8(ch, c);
    bool first = i == 0, last = i + 1 == cps.size();
    if (c == 0xB7) {
      if (first || last || cps[i - 1] == 0xB7 || cps[i + 1] == 0xB7 || cps[i - 1] == ' ' ||
          cps[i + 1] == ' ') {
        return "姓名中的间隔号«·»只能写在两个字之间";
      }
      continue;
    }
    if (c == ' ') {
      if (!first && !last && IsLatinLetter(cps[i - 1]) && IsLatinLetter(cps[i + 1])) continue;
      return "姓名中的空格只能用在外文姓名的两个字母之间";
    }
    if (c >= '0' && c <= '9') return "姓名中不能有数字«" + ch + "»";
    if (c == '.' || c == 0xFF0E || c == 0x3002 || c == '-' || c == 0x2014) {
      return "姓名中不能有«" + ch + "»；少数民族或外国人姓名的间隔号请用«·»";
    }
    return "姓名中不能有«" + ch + "»（只能是汉字、外文字母、外文名中的空格和间隔号«·»）";
  }
  normalized->clear();
  for (char32_t c : cps) AppendUtf8(*normalized, c);
  return "";
}

// --- values by type ------------------------------------------------------------------------

std::string CodeHint(const CodeTable& table, std::string_view v) {
  if (table.Contains("0" + std::string(v))) {
    return "；是否应为«0" + std::string(v) + "»（" +
           std::string(table.Label("0" + std::string(v))) + "）？";
  }
  for (const CodeTable::Entry& e : table.entries()) {
    if (e.label == v || (!v.empty() && StartsWith(e.label, v) && Utf8Length(v) >= 2)) {
      return "；应填代码«" + e.code + "»（" + e.label + "），而不是名称";
    }
  }
  return "";
}

std::optional<Problem> CheckCode(const FieldDef& f, std::string_view v) {
  if (!f.codes || f.codes->Contains(v)) return std::nullopt;
  return FieldProblem(
      f, "bad_code",
      f.label + "«" + std::string(v) + "»不是代码表中的代码" + CodeHint(*f.codes, v));
}

// Returns the phone in canonical form, or "" if it is not one.
std::string NormalizePhone(std::string_view v) {
  std::string s;
  for (char c : v) {
    if (c != ' ') s.push_back(c);
  }
  if (s.size() == 11 && s[0] == '1' && s[1] >= '3' && s[1] <= '9' && AllDigits(s)) return s;
  std::string local;
  if (s.size() == 12 && StartsWith(s, "0473-")) local = s.substr(5);
  if (s.size() == 11 && StartsWith(s, "0473")) local = s.substr(4);
  if (local.size() == 7 && AllDigits(local) && local[0] >= '2') return "0473-" + local;
  return "";
}

std::string IdErrorCode(IdError e) {
  switch (e) {
    case IdError::kLength:
      return "id_length";
    case IdError::kCharacters:
      return "id_chars";
    case IdError::kBirthDate:
      return "id_date";
    case IdError::kCheckChar:
      return "id_check";
    case IdError::kNotConvertible:
      return "id_not_convertible";
    case IdError::kNone:
      break;
  }
  return "";
}

FieldCheck CheckIdNumber(const FieldDef& f, std::string_view v, std::string_view doc_type) {
  FieldCheck out;
  out.value = Upper(v);
  if (doc_type == "9") {
    out.problem = FieldProblem(f, "id_not_allowed",
                               "证件类型为“无证件”（9），不应填写证件号码；有证件请改证件类型");
    return out;
  }
  if (doc_type == "2") {  // 港澳台居民居住证: GB 11643 structure, address 810000/820000/830000
    if (out.value.size() != 18) {
      out.problem = FieldProblem(
          f, "id_length",
          "港澳台居民居住证号码应为18位，实为" + std::to_string(std::max(0, Utf8Length(v))) + "位");
      return out;
    }
    IdParse p = ParseCitizenId(out.value);
    if (p.error != IdError::kNone) {
      out.problem = FieldProblem(f, IdErrorCode(p.error), p.detail);
      return out;
    }
    if (p.id.address != "810000" && p.id.address != "820000" && p.id.address != "830000") {
      out.problem = FieldProblem(
          f, "id_region",
          "港澳台居民居住证号码前6位应为810000（香港）、820000（澳门）或830000（台湾），实为" +
              p.id.address);
    }
    out.value = p.id.number;
    return out;
  }
  if (doc_type == "3") {  // 外国人永久居留身份证
    const std::string& s = out.value;
    if (s.size() == 15) {  // 2017: 3-letter nationality code + 12 digits
      bool ok = AllDigits(std::string_view(s).substr(3));
      for (int i = 0; i < 3; ++i) ok = ok && s[i] >= 'A' && s[i] <= 'Z';
      if (ok) return out;
    } else if (s.size() == 18 && s[0] == '9') {  // 2023: starts with 9, GB 11643 check
      IdParse p = ParseCitizenId(s);
      if (p.error != IdError::kNone && p.error != IdError::kCharacters) {
        out.problem = FieldProblem(f, IdErrorCode(p.error), p.detail);
        return out;
      }
      if (p.error == IdError::kNone) {
        out.value = p.id.number;
        return out;
      }
    }
    out.problem = FieldProblem(
        f, "id_format",
        "外国人永久居留身份证号码应为15位（3个大写字母加12位数字，2017版）或以9开头的18位"
        "（2023版），实为" +
            Quote(v));
    return out;
  }
  // 居民身份证 (doc_type 1, or not yet chosen). Unknown doc types are reported on doc_type.
  if (!doc_type.empty() && doc_type != "1") return out;
  IdParse p = ParseCitizenId(out.value);
  if (p.error != IdError::kNone) {
    out.problem = FieldProblem(f, IdErrorCode(p.error), p.detail);
    return out;
  }
  out.value = p.id.number;
  return out;
}

bool ValidCertFormat(std::string_view s) {
  if (s.size() != 20 && s.size() != 22) return false;
  for (size_t i = 0; i < 17; ++i) {
    if (!IsAsciiDigit(s[i])) return false;
  }
  if (!IsAsciiDigit(s[17]) && s[17] != 'X') return false;
  if (s[18] < '1' || s[18] > '7' || s[19] < '1' || s[19] > '4') return false;
  if (s.size() == 22 && (s[20] != 'B' || s[21] < '1' || s[21] > '9')) return false;
  return true;
}

std::optional<Problem> CheckFingerprint(const FieldDef& f, std::string* value) {
  std::string compact;
  for (char c : *value) {
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') compact.push_back(c);
  }
  *value = compact;
  if (compact.size() > kMaxFingerprintChars) {
    return FieldProblem(f, "bad_fingerprint", "指纹数据过大（超过64K字符）");
  }
  Result<Bytes> raw = Unbase64(compact);
  if (!raw.ok()) return FieldProblem(f, "bad_fingerprint", "指纹不是有效的base64数据");
  static const uint8_t kMagic[8] = {'F', 'M', 'R', 0, ' ', '2', '0', 0};
  if (raw->size() < 8 || !std::equal(kMagic, kMagic + 8, raw->begin())) {
    return FieldProblem(f, "bad_fingerprint",
                        "指纹不是ISO/IEC 19794-2格式的记录（应以“FMR”和版本“ 20”开头）");
  }
  return std::nullopt;
}

// The value (already trimmed, not empty) checked and normalised by its field type.
FieldCheck CheckValue(const FieldDef& f, std::string_view v, const ValidationContext& ctx,
                      const FieldValues* record) {
  FieldCheck out;
  out.value = std::string(v);
  if (!IsValidUtf8(v)) {
    out.problem = FieldProblem(f, "bad_text", f.label + "含有无效的字符编码（不是UTF-8）");
    return out;
  }
  if (HasControl(v) && f.type != FieldType::kFingerprint) {
    out.problem = FieldProblem(f, "bad_text", f.label + "中不能有换行、制表符等控制字符");
    return out;
  }
  int chars = Utf8Length(v);
  switch (f.type) {
    case FieldType::kText: {
      if (f.key == "card_no") {
        bool ok = chars <= (f.limit ? f.limit : 32);
        for (char c : v) {
          ok = ok &&
               ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || IsAsciiDigit(c) || c == '-');
        }
        if (!ok) {
          out.problem = FieldProblem(
              f, "bad_card_no",
              "登记卡编号只能由字母、数字和“-”组成，最多32位（如HBW-2026-000123），实为" +
                  Quote(v));
        }
        break;
      }
      int limit = f.limit ? f.limit : kDefaultTextLimit;
      if (chars > limit) {
        out.problem =
            FieldProblem(f, "too_long", f.label + "最多" + Chars(limit) + "，实为" + Chars(chars));
      }
      break;
    }
    case FieldType::kName: {
      int limit = f.limit ? f.limit : 30;
      if (chars > limit) {
        out.problem =
            FieldProblem(f, "too_long", f.label + "最多" + Chars(limit) + "，实为" + Chars(chars));
        break;
      }
      std::string normalized;
      std::string why = CheckName(v, &normalized);
      if (!why.empty()) {
        out.problem = FieldProblem(f, "bad_name", why);
      } else {
        out.value = std::move(normalized);
      }
      break;
    }
    case FieldType::kCommunity:
    case FieldType::kDivision: {
      if (v.size() != 12 || !AllDigits(v)) {
        out.problem =
            FieldProblem(f, "bad_community", "所属社区应为12位统计用区划代码，实为" + Quote(v));
        break;
      }
      const Divisions& div = ctx.ref->divisions();
      const Division* d = div.Find(v);
      if (!d) {
        out.problem = FieldProblem(f, "unknown_community",
                                   "区划代码" + std::string(v) + "不在乌海市区划代码表中");
      } else if (d->dummy) {
        out.problem = FieldProblem(f, "virtual_community",
                                   std::string(v) + "（" + d->name +
                                       "）是虚拟单位，不能登记住户，请填写实际居住的社区或村");
      } else if (!div.IsResidentUnit(v)) {
        out.problem = FieldProblem(f, "not_community",
                                   std::string(v) + "（" + d->name +
                                       "）是区或街道（镇）的代码，请填写具体的社区（居委会）或村");
      }
      break;
    }
    case FieldType::kCode:
      out.problem = CheckCode(f, v);
      break;
    case FieldType::kList: {
      std::string s(v);
      for (std::string_view sep : {"，", "、", ";", "；"}) {
        for (size_t p = s.find(sep); p != std::string::npos; p = s.find(sep)) {
          s.replace(p, sep.size(), ",");
        }
      }
      std::set<std::string> codes;
      for (std::string_view part : Split(s, ',')) {
        part = Trim(part);
        if (part.empty()) continue;
        if (f.codes && !f.codes->Contains(part)) {
          out.problem = FieldProblem(f, "bad_code",
                                     f.label + "中的«" + std::string(part) + "»不是代码表中的代码" +
                                         CodeHint(*f.codes, part));
          return out;
        }
        codes.insert(std::string(part));
      }
      std::string joined;
      for (const std::string& c : codes) {
        if (!joined.empty()) joined += ',';
        joined += c;
      }
      out.value = joined;
      break;
    }
    case FieldType::kDate: {
      auto d = Date::Parse(v);
      if (!d) {
        out.problem = FieldProblem(
            f, "bad_date", f.label + Quote(v) + "不是有效日期（格式为YYYY-MM-DD，如1980-01-31）");
      } else if (*d > ctx.today) {
        out.problem = FieldProblem(f, "future_date",
                                   f.label + std::string(v) + "晚于今天" + ctx.today.ToString());
      } else if (f.key == "birth_date" && d->year < 1900) {
        out.problem =
            FieldProblem(f, "date_too_early", f.label + std::string(v) + "早于1900年，请核对");
      }
      break;
    }
    case FieldType::kInt: {
      std::string_view digits = v;
      bool negative = !digits.empty() && digits[0] == '-';
      if (negative) digits.remove_prefix(1);
      if (!AllDigits(digits)) {
        out.problem = FieldProblem(f, "bad_int", f.label + "应为整数，实为" + Quote(v));
        break;
      }
      size_t nz = digits.find_first_not_of('0');
      digits = nz == std::string_view::npos ? "0" : digits.substr(nz);
      int limit = f.limit ? f.limit : 1000000;
      if (digits.size() > 9 || negative || std::stoi(std::string(digits)) > limit) {
        if (!(negative && digits == "0")) {
          out.problem = FieldProblem(
              f, "out_of_range",
              f.label + "应在0到" + std::to_string(limit) + "之间，实为" + std::string(v));
          break;
        }
      }
      out.value = std::string(digits);
      break;
    }
    case FieldType::kPhone: {
      std::string phone = NormalizePhone(v);
      if (phone.empty()) {
        out.problem = FieldProblem(
            f, "bad_phone",
            f.label + "应为11位手机号码（1开头）或本地固定电话0473-NNNNNNN，实为" + Quote(v));
      } else {
        out.value = phone;
      }
      break;
    }
    case FieldType::kIdNumber: {
      std::string_view doc_type = record ? Get(record, "doc_type") : std::string_view("1");
      return CheckIdNumber(f, v, Trim(doc_type));
    }
    case FieldType::kDisabilityCert: {
      out.value = Upper(v);
      if (!ValidCertFormat(out.value)) {
        out.problem =
            FieldProblem(f, "bad_cert",
                         "残疾人证号应为18位身份证号码加1位残疾类别（1-7）和1位残疾等级（1-4），"
                         "换发的证末尾另加B1至B9，实为" +
                             Quote(v));
      }
      break;
    }
    case FieldType::kOrigin: {
      bool digits_only = true;
      for (char c : v) digits_only = digits_only && IsAsciiDigit(c);
      if (digits_only) {
        if (v.size() != 6 || !AddressCodeLooksCurrent(ctx.ref->divisions(), v)) {
          out.problem = FieldProblem(
              f, "bad_origin",
              f.label + "填数字时应为6位县级区划代码（如640202），也可以填地名，实为" + Quote(v));
        }
        break;
      }
      int limit = f.limit ? f.limit : kDefaultTextLimit;
      if (chars > limit) {
        out.problem =
            FieldProblem(f, "too_long", f.label + "最多" + Chars(limit) + "，实为" + Chars(chars));
      }
      break;
    }
    case FieldType::kFingerprint:
      out.problem = CheckFingerprint(f, &out.value);
      break;
    case FieldType::kRef:
      break;  // never on the card
  }
  return out;
}

bool Required(const FieldDef& f, const FieldValues* record, std::optional<int> age) {
  const Requirement& r = f.required;
  switch (r.kind) {
    case Requirement::kNever:
      return false;
    case Requirement::kAlways:
      return true;
    case Requirement::kMinAge:
      return age && *age >= r.min_age;
    case Requirement::kUnlessEquals:
      return record && Get(record, r.other) != r.value;
    case Requirement::kIfFilled:
      return record && !Get(record, r.other).empty();
    case Requirement::kIfEquals:
      return record && Get(record, r.other) == r.value;
  }
  return false;
}

std::string MissingMessage(const FieldDef& f, const ValidationContext& ctx) {
  const Requirement& r = f.required;
  std::string label = f.label;
  auto other_label = [&]() {
    const FieldDef* o = ctx.ref ? ctx.ref->catalog().Find(f.entity, r.other) : nullptr;
    return o ? o->label : r.other;
  };
  switch (r.kind) {
    case Requirement::kMinAge:
      return "年满" + std::to_string(r.min_age) + "周岁须填写" + label;
    case Requirement::kUnlessEquals:
      return "须填写" + label + "（" + other_label() + "为" + r.value + "时除外）";
    case Requirement::kIfFilled:
      return "填写了" + other_label() + "时须填写" + label;
    case Requirement::kIfEquals:
      return other_label() + "为" + r.value + "时须填写" + label;
    default:
      return "缺少必填项：" + label;
  }
}

// Age on `on` from a record's birth_date, when that is a usable date.
std::optional<int> AgeOf(const FieldValues* record, const Date& on, const Date& today) {
  auto birth = Date::Parse(Trim(Get(record, "birth_date")));
  if (!birth || *birth > today || birth->year < 1900) return std::nullopt;
  return birth->AgeOn(on);
}

// --- the whole card ------------------------------------------------------------------------

// Members recorded as moved out (2), dead (3) or cancelled duplicates (4) no longer hold their
// number in this household and are left out of head counts; an absent or invalid status counts
// as 1 (在册), the invalid one being reported on its own.
bool IsActive(const FieldValues& m) {
  auto it = m.find("status");
  return it == m.end() || (it->second != "2" && it->second != "3" && it->second != "4");
}

bool RelationshipBetween(std::string_view rel, std::string_view lo, std::string_view hi) {
  return rel.size() == 2 && AllDigits(rel) && rel >= lo && rel <= hi;
}

class CardChecker {
 public:
  CardChecker(const Card& card, const ValidationContext& ctx, CardCheck* out)
      : card_(card), ctx_(ctx), cat_(ctx.ref->catalog()), out_(out) {}

  void Run() {
    Card& n = out_->normalized;
    n.has_visit = card_.has_visit;
    // Ages are taken on the visit date when it is usable.
    on_ = ctx_.today;
    if (auto v = Date::Parse(Trim(Get(&card_.visit, "date"))); v && *v <= ctx_.today) on_ = *v;

    // Card level: card_no and community.
    FieldValues top;
    if (!Trim(card_.card_no).empty()) top["card_no"] = std::string(Trim(card_.card_no));
    if (!Trim(card_.community).empty()) top["community"] = std::string(Trim(card_.community));
    for (const char* key : {"card_no", "community"}) {
      const FieldDef* f = cat_.Find(EntityKind::kHousehold, key);
      if (!f) continue;
      std::string value;
      CheckOne(*f, -1, top, std::nullopt, &value);
      (key == std::string_view("card_no") ? n.card_no : n.community) = value;
    }

    n.household = CheckBlock(EntityKind::kHousehold, "household", -1, card_.household);
    if (card_.members.empty()) {
      Add(-1, MakeProblem("card", "members", "no_members", "登记卡上没有任何成员"));
    }
    for (size_t i = 0; i < card_.members.size(); ++i) {
      n.members.push_back(
          CheckBlock(EntityKind::kPerson, "member", static_cast<int>(i), card_.members[i]));
    }
    CheckMembersAcross();
    if (!card_.has_visit && card_.visit.empty()) {
      Add(-1,
          MakeProblem("visit", "", "missing", "缺少入户走访记录（走访日期、走访结果、采集人）"));
    } else {
      n.visit = CheckBlock(EntityKind::kVisit, "visit", -1, card_.visit);
      n.has_visit = true;
    }
  }

 private:
  struct MemberFacts {
    std::optional<Date> birth;
    std::optional<CitizenId> id;  // a valid GB 11643 number (doc_type 1 or 2)
    bool id_invalid = false;      // an id_number is present but refused
    std::string id_number;        // normalised, when valid
    std::string gender, relationship, doc_type, name;
    bool active = true;
  };

  void Add(int member, Problem p) {
    p.card_no = card_.card_no;
    p.member = member;
    out_->problems.push_back(std::move(p));
  }

  // Checks one field of a record, writing the normalised value; returns false on a problem.
  bool CheckOne(const FieldDef& f, int member, const FieldValues& trimmed, std::optional<int> age,
                std::string* value) {
    std::string_view v = Get(&trimmed, f.key);
    if (v.empty()) {
      value->clear();
      if (Required(f, &trimmed, age)) {
        Add(member, FieldProblem(f, "missing", MissingMessage(f, ctx_)));
        return false;
      }
      return true;
    }
    FieldCheck fc = CheckValue(f, v, ctx_, &trimmed);
    *value = std::move(fc.value);
    if (fc.problem) {
      Add(member, std::move(*fc.problem));
      return false;
    }
    return true;
  }

  FieldValues CheckBlock(EntityKind kind, std::string_view block, int member,
                         const FieldValues& values) {
    FieldValues trimmed, normalized;
    for (const auto& [key, value] : values) {
      const FieldDef* f = cat_.Find(kind, key);
      bool known = f && f->type != FieldType::kRef &&
                   !(kind == EntityKind::kHousehold && (key == "card_no" || key == "community"));
      if (!known) {
        Add(member, MakeProblem(block, key, "unknown_key",
                                "登记卡没有«" + key + "»这一项（" + std::string(block) + "）"));
        continue;
      }
      std::string_view t = Trim(value);
      if (!t.empty()) trimmed[key] = std::string(t);
    }
    std::optional<int> age;
    if (kind == EntityKind::kPerson) age = AgeOf(&trimmed, on_, ctx_.today);
    MemberFacts facts;
    for (const FieldDef* f : cat_.OfEntity(kind)) {
      if (f->type == FieldType::kRef) continue;
      if (kind == EntityKind::kHousehold && (f->key == "card_no" || f->key == "community")) {
        continue;
      }
      std::string value;
      bool ok = CheckOne(*f, member, trimmed, age, &value);
      if (!value.empty()) normalized[f->key] = value;
      if (kind != EntityKind::kPerson) continue;
      if (f->key == "birth_date" && ok && !value.empty()) facts.birth = Date::Parse(value);
      if (f->key == "id_number" && !value.empty()) {
        facts.id_invalid = !ok;
        std::string_view doc = Get(&trimmed, "doc_type");
        if (ok && (doc.empty() || doc == "1" || doc == "2")) {
          // Parsed from the input, so that a converted 15-digit number is known as one.
          IdParse p = ParseCitizenId(Upper(Get(&trimmed, "id_number")));
          if (p.error == IdError::kNone) facts.id = p.id;
        }
        if (ok) facts.id_number = value;
      }
    }
    if (kind == EntityKind::kPerson) {
      facts.gender = std::string(Get(&normalized, "gender"));
      facts.relationship = std::string(Get(&normalized, "relationship"));
      facts.doc_type = std::string(Get(&normalized, "doc_type"));
      facts.name = std::string(Get(&normalized, "name"));
      facts.active = IsActive(normalized);
      CheckMemberAcrossFields(member, normalized, facts, age);
      facts_.push_back(std::move(facts));
    }
    return normalized;
  }

  void CheckMemberAcrossFields(int member, const FieldValues& m, const MemberFacts& facts,
                               std::optional<int> age) {
    if (facts.id) {
      const CitizenId& id = *facts.id;
      // A 15-digit number names someone born in the 1900s; birth_date may say otherwise.
      if (id.converted && facts.birth && (facts.birth->year < 1900 || facts.birth->year > 1999)) {
        Add(member, MakeProblem("member", "id_number", "id_not_convertible",
                                "15位证件号码只能属于1900年代出生的人，出生日期为" +
                                    facts.birth->ToString() + "，请填写18位号码"));
      } else if (facts.birth && id.birth != *facts.birth) {
        Add(member, MakeProblem("member", "id_number", "id_birth_mismatch",
                                "证件号码中的出生日期" + id.birth.ToString() + "与出生日期" +
                                    facts.birth->ToString() + "不一致"));
      }
      if (facts.gender == "1" || facts.gender == "2") {
        bool male = facts.gender == "1";
        if (id.male() != male) {
          Add(member, MakeProblem("member", "id_number", "id_gender_mismatch",
                                  std::string("证件号码第17位（顺序码）为") +
                                      (id.male() ? "奇数，应为男性" : "偶数，应为女性") +
                                      "，但性别填的是" + (male ? "男" : "女")));
        }
      }
      if (facts.doc_type == "1" && !AddressCodeLooksCurrent(ctx_.ref->divisions(), id.address)) {
        Add(member, MakeProblem("member", "id_number", "id_old_address",
                                "证件号码前6位" + id.address +
                                    "不是现行的县级区划代码（可能是撤销或变更前的旧代码，"
                                    "号码仍然有效，请核对）"));
      }
    }
    // Disability certificate = ID number + category + grade (+ B1..B9).
    std::string_view cert = Get(&m, "disability_cert");
    if (!cert.empty() && ValidCertFormat(cert) && !facts.id_invalid) {
      std::string expected = facts.id_number + std::string(Get(&m, "disability_category")) +
                             std::string(Get(&m, "disability_grade"));
      if (expected.size() != 20 || cert.substr(0, 20) != expected) {
        Add(member,
            MakeProblem("member", "disability_cert", "cert_mismatch",
                        "残疾人证号" + std::string(cert) + "与证件号码加残疾类别、等级（" +
                            (expected.empty() ? std::string("无") : expected) + "）不一致"));
      }
    }
    if (Get(&m, "elderly_allowance") == "1" && age && *age < 80) {
      Add(member,
          MakeProblem("member", "elderly_allowance", "allowance_under_80",
                      "高龄津贴只发给年满80周岁的老人，此人" + std::to_string(*age) + "岁"));
    }
  }

  void CheckMembersAcross() {
    // Same ID number twice on the card; registered in another household.
    std::map<std::string, size_t> first_with;
    for (size_t i = 0; i < facts_.size(); ++i) {
      const MemberFacts& f = facts_[i];
      if (!f.active || f.id_number.empty()) continue;
      int member = static_cast<int>(i);
      auto [it, inserted] = first_with.emplace(f.id_number, i);
      if (!inserted) {
        Add(member, MakeProblem("member", "id_number", "duplicate_id",
                                "证件号码与第" + std::to_string(it->second + 1) + "位成员（" +
                                    facts_[it->second].name + "）相同"));
        continue;
      }
      if (!ctx_.find_person) continue;
      std::optional<RegisteredPerson> hit = ctx_.find_person(f.id_number);
      if (!hit || (!ctx_.household.empty() && hit->household == ctx_.household)) continue;
      std::string where = hit->community;
      if (const Division* d = ctx_.ref->divisions().Find(hit->community)) {
        where += "（" + d->name + "）";
      }
      Add(member,
          MakeProblem("member", "id_number", "registered_elsewhere",
                      "证件号码已登记在另一户：登记卡" +
                          (hit->card_no.empty() ? std::string("（无编号）") : hit->card_no) +
                          "，所属社区" + where + "，姓名" + hit->name +
                          "。此人如已搬入本户，请办理迁移（从原户迁入），不要重复登记"));
    }

    // Household composition: heads, spouses, children and parents (active members only).
    std::vector<size_t> heads, spouses;
    for (size_t i = 0; i < facts_.size(); ++i) {
      if (!facts_[i].active) continue;
      if (facts_[i].relationship == "02") heads.push_back(i);
      const std::string& r = facts_[i].relationship;
      if (r == "10" || r == "11" || r == "12") spouses.push_back(i);
    }
    bool family = Get(&out_->normalized.household, "household_type") == "1";
    if (family && !card_.members.empty()) {
      if (heads.empty()) {
        Add(-1, MakeProblem("member", "relationship", "no_head",
                            "家庭户应有一名户主（与户主关系填02），本户没有"));
      } else if (heads.size() > 1) {
        for (size_t k = 1; k < heads.size(); ++k) {
          Add(static_cast<int>(heads[k]),
              MakeProblem(
                  "member", "relationship", "many_heads",
                  "家庭户只能有一名户主，第" + std::to_string(heads[0] + 1) + "位成员已是户主"));
        }
      }
    }
    // Legal marriage age: spouses, and the head when there is a spouse.
    std::vector<size_t> married = spouses;
    if (!spouses.empty() && !heads.empty()) married.push_back(heads[0]);
    std::sort(married.begin(), married.end());
    for (size_t i : married) {
      const MemberFacts& f = facts_[i];
      if (!f.birth || (f.gender != "1" && f.gender != "2")) continue;
      int min_age = f.gender == "1" ? 22 : 20;
      int age = f.birth->AgeOn(on_);
      if (age < min_age) {
        Add(static_cast<int>(i),
            MakeProblem("member", "birth_date", "spouse_under_age",
                        std::string("已婚") + (f.gender == "1" ? "男性" : "女性") + "应年满" +
                            std::to_string(min_age) + "周岁（法定婚龄），此人" +
                            std::to_string(age) + "岁"));
      }
    }
    // Children younger than the head and the head's spouse; parents older than the head.
    if (heads.empty()) return;
    const MemberFacts& head = facts_[heads[0]];
    const MemberFacts* spouse = spouses.empty() ? nullptr : &facts_[spouses[0]];
    for (size_t i = 0; i < facts_.size(); ++i) {
      const MemberFacts& f = facts_[i];
      if (!f.active || !f.birth) continue;
      if (RelationshipBetween(f.relationship, "20", "39")) {
        const MemberFacts* older_than = nullptr;
        if (head.birth && *f.birth < *head.birth) {
          older_than = &head;
        } else if (spouse && spouse->birth && *f.birth < *spouse->birth) {
          older_than = spouse;
        }
        if (older_than) {
          Add(static_cast<int>(i),
              MakeProblem("member", "birth_date", "child_older",
                          "与户主关系为子女（" + f.relationship + "），出生日期" +
                              f.birth->ToString() + "却早于" +
                              (older_than == &head ? "户主" : "户主的配偶") + older_than->name +
                              "（" + older_than->birth->ToString() + "）"));
        }
      } else if (RelationshipBetween(f.relationship, "50", "59") && head.birth &&
                 *f.birth > *head.birth) {
        Add(static_cast<int>(i),
            MakeProblem("member", "birth_date", "parent_younger",
                        "与户主关系为父母（" + f.relationship + "），出生日期" +
                            f.birth->ToString() + "却晚于户主" + head.name + "（" +
                            head.birth->ToString() + "）"));
      }
    }
  }

  const Card& card_;
  const ValidationContext& ctx_;
  const Catalog& cat_;
  CardCheck* out_;
  Date on_;
  std::vector<MemberFacts> facts_;
};

}  // namespace

std::string_view WarningText(std::string_view code) {
  static const std::pair<std::string_view, std::string_view> kTexts[] = {
      {"no_head", "家庭户没有户主"},
      {"many_heads", "家庭户有多名户主"},
      {"cert_mismatch", "残疾人证号与证件号码、残疾类别、等级不一致"},
      {"allowance_under_80", "领取高龄津贴但未满80周岁"},
      {"spouse_under_age", "已婚成员未到法定婚龄"},
      {"child_older", "子女的出生日期早于户主或其配偶"},
      {"parent_younger", "父母的出生日期晚于户主"},
      {"id_old_address", "证件号码前6位不是现行区划代码"}};
  for (const auto& [c, t] : kTexts)
    if (c == code) return t;
  return "需核对";
}

Severity SeverityOf(std::string_view code) {
  for (std::string_view w : kWarningCodes) {
    if (w == code) return Severity::kWarning;
  }
  return Severity::kError;
}

// The reference data holds Wuhai's divisions only, so this is a plausibility test outside Wuhai:
// a real province prefix and no "00" where a prefecture or county belongs. Abolished codes of
// other provinces (152701 东胜市, 320102 玄武区 ...) pass; abolished Wuhai codes (150301) do not.
bool AddressCodeLooksCurrent(const Divisions& divisions, std::string_view code6) {
  if (code6.size() != 6 || !AllDigits(code6)) return false;
  if (StartsWith(code6, "1503")) return divisions.IsCurrentCounty(code6);
  int province = (code6[0] - '0') * 10 + (code6[1] - '0');
  static const int kProvinces[] = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34,
                                   35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
                                   53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83};
  if (std::find(std::begin(kProvinces), std::end(kProvinces), province) == std::end(kProvinces)) {
    return false;
  }
  if (province >= 71) return code6.substr(2) == "0000";
  return code6.substr(2, 2) != "00" && code6.substr(4, 2) != "00";
}

bool CardCheck::ok() const { return errors() == 0; }

size_t CardCheck::errors() const {
  return static_cast<size_t>(std::count_if(problems.begin(), problems.end(), [](const Problem& p) {
    return p.severity == Severity::kError;
  }));
}

size_t CardCheck::warnings() const { return problems.size() - errors(); }

CardCheck CheckCard(const Card& card, const ValidationContext& ctx) {
  CardCheck out;
  CardChecker(card, ctx, &out).Run();
  return out;
}

FieldCheck CheckField(const FieldDef& field, std::string_view value, const ValidationContext& ctx,
                      const FieldValues* record) {
  std::string_view v = Trim(value);
  if (v.empty()) {
    FieldCheck out;
    std::optional<int> age;
    if (record) age = AgeOf(record, ctx.today, ctx.today);
    bool required =
        record ? Required(field, record, age) : field.required.kind == Requirement::kAlways;
    if (required) out.problem = FieldProblem(field, "missing", MissingMessage(field, ctx));
    return out;
  }
  if (!record && field.type == FieldType::kIdNumber) {
    static const FieldValues kCitizen = {{"doc_type", "1"}};
    return CheckValue(field, v, ctx, &kCitizen);
  }
  return CheckValue(field, v, ctx, record);
}

}  // namespace shequ::model
