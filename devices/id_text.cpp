#include "devices/id_text.h"

#include <algorithm>
#include <set>

#include "node/base/text.h"
#include "node/model/validate.h"

namespace shequ::devices {

namespace {

// One fixed-width field of a layout.
struct Slot {
  size_t offset = 0, length = 0;  // length 0: the layout has no such field
};

constexpr size_t kFlagOffset = 248;

// The slots of each layout, in the order of IdCardText's members (unused slots are {0, 0}).
struct Layout {
  Slot name{}, english_name{}, english_name_more{}, gender{}, ethnicity{}, birth{}, address{},
      id_number{}, authority{}, valid_from{}, valid_to{}, nationality{}, pass_number{},
      issue_count{}, card_version{}, previous_link{};
};

constexpr Layout kResidentLayout = {
    .name = {0, 30},
    .gender = {30, 2},
    .ethnicity = {32, 4},
    .birth = {36, 16},
    .address = {52, 70},
    .id_number = {122, 36},
    .authority = {158, 30},
    .valid_from = {188, 16},
    .valid_to = {204, 16},
};

constexpr Layout kHmtLayout = {
    .name = {0, 30},
    .gender = {30, 2},
    .birth = {36, 16},
    .address = {52, 70},
    .id_number = {122, 36},
    .authority = {158, 30},
    .valid_from = {188, 16},
    .valid_to = {204, 16},
    .pass_number = {220, 18},
    .issue_count = {238, 4},
};

constexpr Layout kForeign2017Layout = {
    .name = {158, 30},
    .english_name = {0, 120},
    .gender = {120, 2},
    .birth = {220, 16},
    .id_number = {122, 30},
    .authority = {240, 8},
    .valid_from = {188, 16},
    .valid_to = {204, 16},
    .nationality = {152, 6},
    .card_version = {236, 4},
};

constexpr Layout kForeign2023Layout = {
    .name = {0, 30},
    .english_name = {52, 70},
    .english_name_more = {220, 22},
    .gender = {30, 2},
    .birth = {36, 16},
    .id_number = {122, 36},
    .valid_from = {188, 16},
    .valid_to = {204, 16},
    .nationality = {242, 6},
    .issue_count = {32, 4},
    .previous_link = {250, 6},
};

const Layout& LayoutOf(IdDocKind k) {
  switch (k) {
    case IdDocKind::kResidentId:
      return kResidentLayout;
    case IdDocKind::kHmtPermit:
      return kHmtLayout;
    case IdDocKind::kForeign2017:
      return kForeign2017Layout;
    case IdDocKind::kForeign2023:
      return kForeign2023Layout;
  }
  return kResidentLayout;
}

char16_t FlagOf(IdDocKind k) {
  switch (k) {
    case IdDocKind::kResidentId:
      return u' ';
    case IdDocKind::kHmtPermit:
      return u'J';
    case IdDocKind::kForeign2017:
      return u'I';
    case IdDocKind::kForeign2023:
      return u'Y';
  }
  return u' ';
}

std::string Field(ByteView block, Slot s) {
  if (s.length == 0) return {};
  std::string v = Utf16LeToUtf8(block.subspan(s.offset, s.length));
  while (!v.empty() && (v.back() == ' ' || v.back() == '\0')) v.pop_back();
  return v;
}

void Put(Bytes& block, Slot s, std::string_view value) {
  if (s.length == 0) return;
  Bytes u = Utf8ToUtf16Le(value);
  // Cut at a whole code unit pair boundary; pad with spaces.
  size_t n = std::min(u.size(), s.length) & ~size_t{1};
  std::copy(u.begin(), u.begin() + static_cast<long>(n), block.begin() + s.offset);
  for (size_t i = n; i < s.length; i += 2) {
    block[s.offset + i] = ' ';
    block[s.offset + i + 1] = 0;
  }
}

}  // namespace

std::string_view IdDocKindName(IdDocKind k) {
  switch (k) {
    case IdDocKind::kResidentId:
      return "resident_id";
    case IdDocKind::kHmtPermit:
      return "hmt_permit";
    case IdDocKind::kForeign2017:
      return "foreign_2017";
    case IdDocKind::kForeign2023:
      return "foreign_2023";
  }
  return "?";
}

std::string_view IdDocKindLabel(IdDocKind k) {
  switch (k) {
    case IdDocKind::kResidentId:
      return "居民身份证";
    case IdDocKind::kHmtPermit:
      return "港澳台居民居住证";
    case IdDocKind::kForeign2017:
      return "外国人永久居留身份证（2017版）";
    case IdDocKind::kForeign2023:
      return "外国人永久居留身份证（2023版）";
  }
  return "?";
}

std::optional<IdDocKind> ParseIdDocKind(std::string_view name) {
  for (IdDocKind k : {IdDocKind::kResidentId, IdDocKind::kHmtPermit, IdDocKind::kForeign2017,
                      IdDocKind::kForeign2023})
    if (name == IdDocKindName(k)) return k;
  return std::nullopt;
}

std::string_view DocTypeCode(IdDocKind k) {
  switch (k) {
    case IdDocKind::kResidentId:
      return "1";
    case IdDocKind::kHmtPermit:
      return "2";
    case IdDocKind::kForeign2017:
    case IdDocKind::kForeign2023:
      return "3";
  }
  return "9";
}

std::string Utf16LeToUtf8(ByteView b) {
  std::string out;
  size_t n = b.size() / 2;
  for (size_t i = 0; i < n; ++i) {
    char32_t u = static_cast<char32_t>(b[2 * i] | b[2 * i + 1] << 8);
    if (u >= 0xD800 && u <= 0xDBFF && i + 1 < n) {
      char32_t lo = static_cast<char32_t>(b[2 * i + 2] | b[2 * i + 3] << 8);
      if (lo >= 0xDC00 && lo <= 0xDFFF) {
        AppendUtf8(out, 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
        ++i;
        continue;
      }
    }
    if (u >= 0xD800 && u <= 0xDFFF) u = 0xFFFD;  // a lone surrogate
    AppendUtf8(out, u);
  }
  return out;
}

Bytes Utf8ToUtf16Le(std::string_view s) {
  std::vector<char32_t> cps;
  if (!DecodeUtf8(s, &cps)) cps.assign(1, 0xFFFD);
  Bytes out;
  auto unit = [&](uint32_t u) {
    out.push_back(static_cast<uint8_t>(u));
    out.push_back(static_cast<uint8_t>(u >> 8));
  };
  for (char32_t c : cps) {
    if (c >= 0x10000) {
      unit(0xD800 + ((c - 0x10000) >> 10));
      unit(0xDC00 + ((c - 0x10000) & 0x3FF));
    } else {
      unit(c);
    }
  }
  return out;
}

Result<IdCardText> DecodeIdText(ByteView block) {
  if (block.size() != 256)
    return Status::Corruption("text block of " + std::to_string(block.size()) +
                              " bytes, expected 256");
  char16_t flag = static_cast<char16_t>(block[kFlagOffset] | block[kFlagOffset + 1] << 8);
  IdCardText t;
  switch (flag) {
    case u' ':
    case 0:
      t.kind = IdDocKind::kResidentId;
      break;
    case u'J':
      t.kind = IdDocKind::kHmtPermit;
      break;
    case u'I':
      t.kind = IdDocKind::kForeign2017;
      break;
    case u'Y':
      t.kind = IdDocKind::kForeign2023;
      break;
    default: {
      std::string shown = Utf16LeToUtf8(block.subspan(kFlagOffset, 2));
      return Status::Corruption("unknown document type flag " + Quote(shown) + " (0x" +
                                Hex(block.subspan(kFlagOffset, 2)) + ") at byte 248");
    }
  }
  const Layout& l = LayoutOf(t.kind);
  t.name = Field(block, l.name);
  t.english_name = Field(block, l.english_name);
  if (l.english_name_more.length) {
    std::string more = Field(block, l.english_name_more);
    // The 2023 card splits the English name after its 35th character; the first part is padded
    // only when the name is shorter, so the parts join without a separator.
    if (!more.empty()) {
      std::string first =
          Utf16LeToUtf8(block.subspan(l.english_name.offset, l.english_name.length));
      first.erase(std::remove(first.begin(), first.end(), '\0'), first.end());
      t.english_name = first + more;
    }
  }
  t.gender = Field(block, l.gender);
  t.ethnicity = Field(block, l.ethnicity);
  t.birth = Field(block, l.birth);
  t.address = Field(block, l.address);
  t.id_number = Field(block, l.id_number);
  t.authority = Field(block, l.authority);
  t.valid_from = Field(block, l.valid_from);
  t.valid_to = Field(block, l.valid_to);
  t.nationality = Field(block, l.nationality);
  t.pass_number = Field(block, l.pass_number);
  t.issue_count = Field(block, l.issue_count);
  t.card_version = Field(block, l.card_version);
  t.previous_link = Field(block, l.previous_link);
  return t;
}

Bytes EncodeIdText(const IdCardText& t) {
  Bytes block(256, 0);
  for (size_t i = 0; i < block.size(); i += 2) block[i] = ' ';
  const Layout& l = LayoutOf(t.kind);
  Put(block, l.name, t.name);
  if (l.english_name_more.length) {
    // First 35 characters in the first slot, the rest (up to 11) in the second.
    size_t first = l.english_name.length / 2;
    std::string head = Utf8Prefix(t.english_name, first);
    Put(block, l.english_name, head);
    Put(block, l.english_name_more, std::string_view(t.english_name).substr(head.size()));
  } else {
    Put(block, l.english_name, t.english_name);
  }
  Put(block, l.gender, t.gender);
  Put(block, l.ethnicity, t.ethnicity);
  Put(block, l.birth, t.birth);
  Put(block, l.address, t.address);
  Put(block, l.id_number, t.id_number);
  Put(block, l.authority, t.authority);
  Put(block, l.valid_from, t.valid_from);
  Put(block, l.valid_to, t.valid_to);
  Put(block, l.nationality, t.nationality);
  Put(block, l.pass_number, t.pass_number);
  Put(block, l.issue_count, t.issue_count);
  Put(block, l.card_version, t.card_version);
  Put(block, l.previous_link, t.previous_link);
  char16_t flag = FlagOf(t.kind);
  block[kFlagOffset] = static_cast<uint8_t>(flag);
  block[kFlagOffset + 1] = static_cast<uint8_t>(flag >> 8);
  return block;
}

bool IdCardRead::has_errors() const {
  for (const model::Problem& p : problems)
    if (p.severity == model::Severity::kError) return true;
  return false;
}

model::FieldValues CardFieldsOf(const IdCardText& t) {
  model::FieldValues f;
  auto set = [&](const char* key, std::string v) {
    if (!v.empty()) f[key] = std::move(v);
  };
  f["doc_type"] = std::string(DocTypeCode(t.kind));
  std::string name = t.name;
  if (name.empty()) {
    // "SMITH, JOHN" -> "SMITH JOHN": the card's name field allows letters and inner spaces.
    std::string en;
    for (char c : t.english_name) {
      char d = c == ',' ? ' ' : c;
      if (d == ' ' && (en.empty() || en.back() == ' ')) continue;
      en.push_back(d);
    }
    while (!en.empty() && en.back() == ' ') en.pop_back();
    name = en;
  }
  set("name", name);
  set("gender", t.gender);
  if (t.kind == IdDocKind::kResidentId) set("ethnicity", t.ethnicity);
  std::optional<Date> birth = Date::ParseCompact(t.birth);
  set("birth_date", birth ? birth->ToString() : t.birth);
  set("id_number", t.id_number);
  if (t.kind == IdDocKind::kResidentId) set("hukou_address", t.address);
  return f;
}

IdCardRead InterpretIdCard(IdCardText text, Bytes photo, const model::Reference& ref, Date today) {
  IdCardRead r;
  r.text = std::move(text);
  r.photo = std::move(photo);
  r.fields = CardFieldsOf(r.text);
  // Validate as one member of a card; household, visit and card-level findings are not about
  // the read, and fields a card reader cannot supply are not "missing".
  model::Card card;
  card.members.push_back(r.fields);
  model::ValidationContext ctx;
  ctx.ref = &ref;
  ctx.today = today;
  model::CardCheck check = model::CheckCard(card, ctx);
  for (model::Problem& p : check.problems) {
    if (p.member != 0 || p.code == "missing" || !r.fields.count(p.field)) continue;
    r.problems.push_back(std::move(p));
  }
  if (check.normalized.members.size() == 1) {
    // Keep the normalised values (upper-case X and the like) where validation produced them.
    for (auto& [k, v] : r.fields) {
      auto it = check.normalized.members[0].find(k);
      if (it != check.normalized.members[0].end()) v = it->second;
    }
  }
  r.valid_to = Date::ParseCompact(r.text.valid_to);
  r.expired = r.valid_to && *r.valid_to < today;
  return r;
}

}  // namespace shequ::devices
