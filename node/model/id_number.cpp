#include "node/model/id_number.h"

#include "node/base/text.h"

namespace shequ::model {

namespace {

constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
constexpr char kCheckChars[] = "10X98765432";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string CharForMessage(char c) {
  if (static_cast<unsigned char>(c) >= 0x21 && static_cast<unsigned char>(c) < 0x7f) {
    return std::string(1, c);
  }
  return "非法字符";
}

}  // namespace

char IdCheckChar(std::string_view first17) {
  int sum = 0;
  for (size_t i = 0; i < 17 && i < first17.size(); ++i) sum += (first17[i] - '0') * kWeights[i];
  return kCheckChars[sum % 11];
}

IdParse ParseCitizenId(std::string_view s) {
  IdParse out;
  auto fail = [&out](IdError e, std::string detail) {
    out.error = e;
    out.detail = std::move(detail);
    return out;
  };
  if (s.size() != 18 && s.size() != 15) {
    int chars = Utf8Length(s);
    return fail(IdError::kLength,
                "证件号码应为18位（旧号码15位），实为" +
                    std::to_string(chars < 0 ? static_cast<int>(s.size()) : chars) + "位");
  }
  if (s.size() == 15) {
    for (size_t i = 0; i < 15; ++i) {
      if (!IsDigit(s[i])) {
        return fail(IdError::kCharacters, "15位证件号码只能由数字组成，第" + std::to_string(i + 1) +
                                              "位为" + CharForMessage(s[i]));
      }
    }
    std::string birth = "19" + std::string(s.substr(6, 6));
    auto date = Date::ParseCompact(birth);
    if (!date) {
      return fail(IdError::kBirthDate,
                  "证件号码第7-12位出生日期" + std::string(s.substr(6, 6)) + "不是有效日期");
    }
    int sequence = std::stoi(std::string(s.substr(12, 3)));
    // GB 11643-1989 reserved sequences 996-999 for centenarians, born in the 1800s: their
    // numbers cannot become 18-digit ones by inserting "19".
    if (sequence >= 996) {
      return fail(IdError::kNotConvertible,
                  "15位证件号码顺序码" + std::string(s.substr(12, 3)) +
                      "为百岁老人专用，出生年份不在1900年代，不能按插入“19”的规则升位");
    }
    std::string first17 = std::string(s.substr(0, 6)) + birth + std::string(s.substr(12, 3));
    out.id.number = first17 + IdCheckChar(first17);
    out.id.address = std::string(s.substr(0, 6));
    out.id.birth = *date;
    out.id.sequence = sequence;
    out.id.converted = true;
    return out;
  }
  for (size_t i = 0; i < 17; ++i) {
    if (!IsDigit(s[i])) {
      return fail(IdError::kCharacters, "证件号码前17位只能是数字，第" + std::to_string(i + 1) +
                                            "位为" + CharForMessage(s[i]));
    }
  }
  char last = s[17] == 'x' ? 'X' : s[17];
  if (!IsDigit(last) && last != 'X') {
    return fail(IdError::kCharacters,
                "证件号码第18位（校验位）只能是数字或X，实为" + CharForMessage(s[17]));
  }
  auto date = Date::ParseCompact(s.substr(6, 8));
  if (!date) {
    return fail(IdError::kBirthDate,
                "证件号码第7-14位出生日期" + std::string(s.substr(6, 8)) + "不是有效日期");
  }
  char want = IdCheckChar(s.substr(0, 17));
  if (want != last) {
    return fail(IdError::kCheckChar, std::string("证件号码校验位应为") + want + "，实为" + last +
                                         "（请核对号码是否抄错）");
  }
  out.id.number = std::string(s.substr(0, 17)) + last;
  out.id.address = std::string(s.substr(0, 6));
  out.id.birth = *date;
  out.id.sequence = std::stoi(std::string(s.substr(14, 3)));
  return out;
}

Result<std::string> Convert15To18(std::string_view s) {
  if (s.size() != 15) {
    return Status::Invalid("15位证件号码升位：号码应为15位，实为" + std::to_string(s.size()) +
                           "位");
  }
  IdParse p = ParseCitizenId(s);
  if (p.error != IdError::kNone) return Status::Invalid(p.detail);
  return p.id.number;
}

}  // namespace shequ::model
