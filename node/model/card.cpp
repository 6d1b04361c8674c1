#include "node/model/card.h"

#include <algorithm>
#include <new>
#include <nlohmann/json.hpp>
#include <set>

#include "node/base/text.h"

namespace shequ::model {

namespace {

using Json = nlohmann::json;

// CARD.md's keys, in catalog order (tests/model/card_test.cpp checks them against catalog.csv).
constexpr std::string_view kTopKeys[] = {"card_no", "community", "household", "members", "visit"};
constexpr std::string_view kHouseholdKeys[] = {"address", "household_type", "hukou_type",
                                               "housing", "phone",          "grid"};
constexpr std::string_view kMemberKeys[] = {"name",
                                            "former_name",
                                            "gender",
                                            "ethnicity",
                                            "birth_date",
                                            "doc_type",
                                            "id_number",
                                            "relationship",
                                            "residence_status",
                                            "hukou_address",
                                            "person_category",
                                            "status",
                                            "marital",
                                            "children_count",
                                            "birth_permit",
                                            "family_doctor",
                                            "chronic_disease",
                                            "education",
                                            "occupation",
                                            "employment",
                                            "pension_insurance",
                                            "medical_insurance",
                                            "political",
                                            "phone",
                                            "disability_category",
                                            "disability_grade",
                                            "disability_cert",
                                            "dibao",
                                            "tekun",
                                            "youfu",
                                            "elderly_allowance",
                                            "migrant_origin",
                                            "migrant_since",
                                            "residence_permit",
                                            "fingerprint"};
constexpr std::string_view kVisitKeys[] = {"date", "result", "collector"};

// Fields whose JSON value may be something other than a string.
constexpr std::string_view kIntKeys[] = {"children_count"};
constexpr std::string_view kListKeys[] = {"chronic_disease"};

template <size_t N>
bool In(const std::string_view (&keys)[N], std::string_view key) {
  return std::find(std::begin(keys), std::end(keys), key) != std::end(keys);
}

enum class ValueKind { kText, kInt, kList };

ValueKind KindOf(std::string_view key) {
  if (In(kIntKeys, key)) return ValueKind::kInt;
  if (In(kListKeys, key)) return ValueKind::kList;
  return ValueKind::kText;
}

std::string_view JsonTypeName(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::object:
      return "对象";
    case Json::value_t::array:
      return "数组";
    case Json::value_t::string:
      return "字符串";
    case Json::value_t::boolean:
      return "布尔值";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "整数";
    case Json::value_t::number_float:
      return "小数";
    default:
      return "其他类型";
  }
}

// Where a key belongs when it is not in the block it was found in (for a helpful message).
std::string OtherBlockHint(std::string_view block, std::string_view key) {
  struct Where {
    std::string_view block, label;
  };
  const Where kWhere[] = {{"card", "登记卡顶层"},
                          {"household", "household（户）"},
                          {"member", "members（成员）"},
                          {"visit", "visit（走访）"}};
  for (const Where& w : kWhere) {
    if (w.block == block) continue;
    for (std::string_view k : CardKeys(w.block)) {
      if (k == key) return std::string("；该项应写在") + std::string(w.label) + "中";
    }
  }
  // A different spelling of a known key ("ID_Number", "idnumber")?
  auto fold = [](std::string_view s) {
    std::string out;
    for (char c : s) {
      if (c == '_' || c == '-' || c == ' ') continue;
      out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
    }
    return out;
  };
  std::string folded = fold(key);
  for (std::string_view k : CardKeys(block)) {
    if (fold(k) == folded) return "；是否应为«" + std::string(k) + "»？";
  }
  return "";
}

class CardReader {
 public:
  explicit CardReader(ParsedCard* out) : out_(out) {}

  void Read(const Json& v) {
    if (!v.is_object()) {
      Add(-1, "card", "", "bad_type", "登记卡应为JSON对象，实为" + std::string(JsonTypeName(v)));
      return;
    }
    Card& card = out_->card;
    for (const auto& [key, value] : v.items()) {
      if (key == "card_no" || key == "community") {
        ReadScalar(-1, "card", key, value, ValueKind::kText,
                   key == "card_no" ? &card.card_no : &card.community);
      } else if (key == "household") {
        if (value.is_null()) continue;
        if (!value.is_object()) {
          Add(-1, "household", "", "bad_type",
              "household（户）应为JSON对象，实为" + std::string(JsonTypeName(value)));
          continue;
        }
        ReadBlock(-1, "household", value, &card.household);
      } else if (key == "members") {
        if (value.is_null()) continue;
        if (!value.is_array()) {
          Add(-1, "member", "", "bad_type",
              "members（成员）应为JSON数组，实为" + std::string(JsonTypeName(value)));
          continue;
        }
        for (const Json& m : value) {
          int index = static_cast<int>(card.members.size());
          card.members.emplace_back();
          if (!m.is_object()) {
            Add(index, "member", "", "bad_type",
                "第" + std::to_string(index + 1) + "位成员应为JSON对象，实为" +
                    std::string(JsonTypeName(m)));
            continue;
          }
          ReadBlock(index, "member", m, &card.members.back());
        }
      } else if (key == "visit") {
        if (value.is_null()) continue;
        if (!value.is_object()) {
          Add(-1, "visit", "", "bad_type",
              "visit（走访）应为JSON对象，实为" + std::string(JsonTypeName(value)));
          continue;
        }
        card.has_visit = true;
        ReadBlock(-1, "visit", value, &card.visit);
      } else {
        Add(-1, "card", key, "unknown_key",
            "登记卡没有«" + key + "»这一项，该值未读入" + OtherBlockHint("card", key));
      }
    }
  }

  void Add(int member, std::string block, std::string field, std::string code,
           std::string message) {
    Problem p;
    p.member = member;
    p.block = std::move(block);
    p.field = std::move(field);
    p.code = std::move(code);
    p.message = std::move(message);
    out_->problems.push_back(std::move(p));
  }

 private:
  void ReadBlock(int member, std::string_view block, const Json& obj, FieldValues* out) {
    std::span<const std::string_view> keys = CardKeys(block);
    for (const auto& [key, value] : obj.items()) {
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
        std::string_view what = block == "member" ? "成员" : block == "visit" ? "走访" : "户";
        Add(member, std::string(block), key, "unknown_key",
            "登记卡的" + std::string(what) + "信息中没有«" + key + "»这一项，该值未读入" +
                OtherBlockHint(block, key));
        continue;
      }
      std::string text;
      if (ReadScalar(member, std::string(block), key, value, KindOf(key), &text)) {
        (*out)[key] = std::move(text);
      }
    }
  }

  // Converts a JSON value to the card's text form; false when it is absent or unusable.
  bool ReadScalar(int member, const std::string& block, const std::string& key, const Json& v,
                  ValueKind kind, std::string* out) {
    switch (v.type()) {
      case Json::value_t::null:
        return false;
      case Json::value_t::string:
        *out = v.get_ref<const std::string&>();
        return true;
      case Json::value_t::number_integer:
      case Json::value_t::number_unsigned:
        *out = v.dump();
        if (kind != ValueKind::kInt) {
          Add(member, block, key, "bad_type",
              "«" + key + "»的值应为字符串（代码要加引号，如\"" + *out + "\"），实为整数" + *out);
        }
        return true;
      case Json::value_t::array:
        if (kind == ValueKind::kList) {
          std::string joined;
          for (const Json& e : v) {
            if (!e.is_string()) {
              Add(member, block, key, "bad_type",
                  "«" + key + "»的数组元素应为字符串，实为" + std::string(JsonTypeName(e)));
              return false;
            }
            if (!joined.empty()) joined += ',';
            joined += e.get_ref<const std::string&>();
          }
          *out = std::move(joined);
          return true;
        }
        break;
      default:
        break;
    }
    std::string want = kind == ValueKind::kInt    ? "整数或字符串"
                       : kind == ValueKind::kList ? "字符串或字符串数组"
                                                  : "字符串";
    Add(member, block, key, "bad_type",
        "«" + key + "»的值应为" + want + "，实为" + std::string(JsonTypeName(v)) + "，该值未读入");
    return false;
  }

  ParsedCard* out_;
};

// Nesting depth outside strings; the parser recurses, so deep input is refused before parsing.
// Also refuses NUL bytes, which nlohmann's lexer takes for the end of input (it would silently
// ignore whatever follows one).
Status CheckDepth(std::string_view text, size_t base_offset) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) {
        return Status::Invalid("JSON嵌套超过" + std::to_string(kMaxJsonDepth) + "层（第" +
                               std::to_string(base_offset + i + 1) + "字节处），拒绝读入");
      }
    } else if (c == ']' || c == '}') {
      --depth;
    } else if (c == '\0') {
      return Status::Invalid("JSON语法错误：第" + std::to_string(base_offset + i + 1) +
                             "字节处有空字节（NUL）");
    }
  }
  return Status::Ok();
}

// A key given twice in one object, with where it was.
struct DuplicateKey {
  size_t card = 0;
  int member = -1;
  std::string block, key;
};

// Tracks the path during a callback parse to find duplicate keys (which the DOM would hide).
class DuplicateFinder {
 public:
  explicit DuplicateFinder(bool card_array_expected) : array_top_(card_array_expected) {}

  bool operator()(int /*depth*/, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start: {
        Frame f;
        f.array = event == Json::parse_event_t::array_start;
        if (!stack_.empty()) {
          Frame& parent = stack_.back();
          if (parent.array) {
            f.index = parent.next++;
          } else {
            f.key = parent.current;
          }
        }
        stack_.push_back(std::move(f));
        break;
      }
      case Json::parse_event_t::object_end:
      case Json::parse_event_t::array_end:
        if (!stack_.empty()) stack_.pop_back();
        break;
      case Json::parse_event_t::key:
        if (!stack_.empty() && parsed.is_string()) {
          Frame& f = stack_.back();
          f.current = parsed.get_ref<const std::string&>();
          if (!f.keys.insert(f.current).second) Record(f.current);
        }
        break;
      case Json::parse_event_t::value:
        if (!stack_.empty() && stack_.back().array) stack_.back().next++;
        break;
    }
    return true;
  }

  std::vector<DuplicateKey> found;

 private:
  struct Frame {
    bool array = false;
    size_t index = 0, next = 0;
    std::string key, current;
    std::set<std::string> keys;
  };

  void Record(const std::string& key) {
    DuplicateKey d;
    d.key = key;
    size_t card_frame = 0;
    if (array_top_ && !stack_.empty() && stack_[0].array) {
      if (stack_.size() < 2) return;
      card_frame = 1;
      d.card = stack_[1].index;
    }
    d.block = "card";
    if (stack_.size() > card_frame + 1) {
      const std::string& b = stack_[card_frame + 1].key;
      d.block = b == "members" ? "member" : b;
      if (b == "members" && stack_.size() > card_frame + 2) {
        d.member = static_cast<int>(stack_[card_frame + 2].index);
      }
    }
    found.push_back(std::move(d));
  }

  bool array_top_;
  std::vector<Frame> stack_;
};

std::string_view SkipBom(std::string_view s) {
  if (s.size() >= 3 && s.substr(0, 3) == "\xEF\xBB\xBF") s.remove_prefix(3);
  return s;
}

// Parses `text` (one card object, or an array when `allow_array`) into cards numbered from
// `first_index`.
Result<std::vector<ParsedCard>> ParseText(std::string_view text, size_t first_index,
                                          size_t base_offset, bool allow_array) {
  if (text.size() > kMaxCardFileBytes) {
    return Status::Exhausted("登记卡数据超过" + std::to_string(kMaxCardFileBytes >> 20) +
                             " MiB，请分批导入或使用流式读取");
  }
  RETURN_IF_ERROR(CheckDepth(text, base_offset));
  try {
    DuplicateFinder dups(allow_array);
    Json doc = Json::parse(text.begin(), text.end(), std::ref(dups), /*allow_exceptions=*/true);
    std::vector<ParsedCard> cards;
    auto read_one = [&](const Json& v) {
      ParsedCard pc;
      pc.index = first_index + cards.size();
      CardReader reader(&pc);
      reader.Read(v);
      cards.push_back(std::move(pc));
    };
    if (doc.is_array() && allow_array) {
      cards.reserve(doc.size());
      for (const Json& v : doc) read_one(v);
    } else if (doc.is_object()) {
      read_one(doc);
    } else if (!allow_array) {
      read_one(doc);  // an array element that is not an object: a card with a bad_type
    } else {
      return Status::Invalid("登记卡文件的顶层应为一张登记卡（对象）或登记卡数组，实为" +
                             std::string(JsonTypeName(doc)));
    }
    for (const DuplicateKey& d : dups.found) {
      if (d.card >= cards.size()) continue;
      CardReader reader(&cards[d.card]);
      reader.Add(d.member, d.block, d.key, "duplicate_key",
                 "«" + d.key + "»出现了不止一次，只读入了最后一个值，请删去重复的一项");
    }
    for (ParsedCard& pc : cards) {
      for (Problem& p : pc.problems) p.card_no = pc.card.card_no;
    }
    return cards;
  } catch (const Json::parse_error& e) {
    std::string where = "第" + std::to_string(base_offset + e.byte) + "字节";
    return Status::Invalid("JSON语法错误（" + where + "）：" + e.what());
  } catch (const std::bad_alloc&) {
    return Status::Exhausted("读入登记卡时内存不足");
  } catch (const std::exception& e) {
    return Status::Invalid(std::string("读入登记卡失败：") + e.what());
  }
}

// JSON writing: every value is a string.
void AppendJsonString(std::string& out, std::string_view s) {
  out.push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        default:
          if (c < 0x20) {
            static const char kHex[] = "0123456789abcdef";
            out += "\\u00";
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 15]);
          } else {
            out.push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    size_t len = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 1;
    if (len > 1 && i + len <= s.size() && IsValidUtf8(s.substr(i, len))) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    }
  }
  out.push_back('"');
}

class JsonWriter {
 public:
  JsonWriter(std::string& out, bool pretty) : out_(out), pretty_(pretty) {}

  void Open(char c) {
    out_.push_back(c);
    ++depth_;
    first_ = true;
  }
  void Close(char c) {
    --depth_;
    if (!first_) Newline();
    out_.push_back(c);
    first_ = false;
  }
  void Key(std::string_view key) {
    Separator();
    AppendJsonString(out_, key);
    out_ += pretty_ ? ": " : ":";
  }
  void Element() { Separator(); }
  void Value(std::string_view v) { AppendJsonString(out_, v); }
  void Block(const FieldValues& values, std::span<const std::string_view> order) {
    Open('{');
    for (std::string_view k : order) {
      auto it = values.find(k);
      if (it == values.end()) continue;
      Key(k);
      Value(it->second);
    }
    for (const auto& [k, v] : values) {
      if (std::find(order.begin(), order.end(), k) != order.end()) continue;
      Key(k);
      Value(v);
    }
    Close('}');
  }

 private:
  void Separator() {
    if (!first_) out_.push_back(',');
    first_ = false;
    Newline();
  }
  void Newline() {
    if (!pretty_) return;
    out_.push_back('\n');
    out_.append(2 * static_cast<size_t>(depth_), ' ');
  }

  std::string& out_;
  bool pretty_;
  int depth_ = 0;
  bool first_ = true;
};

}  // namespace

std::span<const std::string_view> CardKeys(std::string_view block) {
  if (block == "card") return kTopKeys;
  if (block == "household") return kHouseholdKeys;
  if (block == "member") return kMemberKeys;
  if (block == "visit") return kVisitKeys;
  return {};
}

std::string Problem::ToString() const {
  std::string out = "card " + (card_no.empty() ? std::string("?") : card_no);
  if (member >= 0) {
    out += " member " + std::to_string(member + 1);
  } else if (block == "household" || block == "visit") {
    out += " " + block;
  }
  if (!field.empty()) out += " " + field;
  out += ": [" + code + "] ";
  if (severity == Severity::kWarning) out += "警告：";
  out += message;
  return out;
}

Result<std::vector<ParsedCard>> ParseCards(std::string_view json) {
  return ParseText(SkipBom(json), 0, 0, /*allow_array=*/true);
}

Status ParseCardStream(std::istream& in, const std::function<Status(ParsedCard)>& fn) {
  // Reads one top-level value at a time: the array's brackets are handled here, each element is
  // cut out by bracket matching outside strings and parsed by ParseText.
  constexpr size_t kChunk = 1 << 16;
  std::string buf;
  size_t pos = 0;       // read position in buf
  size_t consumed = 0;  // bytes dropped from the front of buf (for offsets in messages)
  bool eof = false;
  auto fill = [&]() -> bool {
    if (eof) return false;
    if (pos > kChunk) {
      buf.erase(0, pos);
      consumed += pos;
      pos = 0;
    }
    size_t old = buf.size();
    buf.resize(old + kChunk);
    in.read(buf.data() + old, static_cast<std::streamsize>(kChunk));
    buf.resize(old + static_cast<size_t>(in.gcount()));
    if (buf.size() == old) eof = true;
    return buf.size() > old;
  };
  auto skip_ws = [&]() {
    for (;;) {
      while (pos < buf.size() &&
             (buf[pos] == ' ' || buf[pos] == '\n' || buf[pos] == '\r' || buf[pos] == '\t')) {
        ++pos;
      }
      if (pos < buf.size() || !fill()) return;
    }
  };
  // Cuts out one JSON value starting at pos (an object, array or scalar) and returns its end.
  auto value_end = [&](size_t* end) -> Status {
    int depth = 0;
    bool in_string = false, escape = false;
    size_t i = pos;
    for (;;) {
      for (; i < buf.size(); ++i) {
        char c = buf[i];
        if (i - pos > kMaxCardFileBytes) {
          return Status::Exhausted("一张登记卡超过" + std::to_string(kMaxCardFileBytes >> 20) +
                                   " MiB（第" + std::to_string(consumed + pos + 1) + "字节起）");
        }
        if (in_string) {
          if (escape) {
            escape = false;
          } else if (c == '\\') {
            escape = true;
          } else if (c == '"') {
            in_string = false;
            if (depth == 0) {
              *end = i + 1;
              return Status::Ok();
            }
          }
          continue;
        }
        if (c == '"') {
          in_string = true;
        } else if (c == '{' || c == '[') {
          if (++depth > kMaxJsonDepth) {
            return Status::Invalid("JSON嵌套超过" + std::to_string(kMaxJsonDepth) + "层（第" +
                                   std::to_string(consumed + i + 1) + "字节处），拒绝读入");
          }
        } else if (c == '}' || c == ']') {
          if (depth == 0) {  // end of a scalar inside the array
            *end = i;
            return Status::Ok();
          }
          if (--depth == 0) {
            *end = i + 1;
            return Status::Ok();
          }
        } else if (depth == 0 && (c == ',' || c == ' ' || c == '\n' || c == '\r' || c == '\t')) {
          *end = i;
          return Status::Ok();
        }
      }
      size_t offset = i - pos;
      if (!fill()) {
        if (depth == 0 && !in_string && i > pos) {
          *end = i;
          return Status::Ok();
        }
        return Status::Invalid("JSON语法错误：文件在第" + std::to_string(consumed + i) +
                               "字节处意外结束");
      }
      i = pos + offset;  // fill() may have moved the data
    }
  };

  try {
    fill();
    if (buf.size() >= 3 && buf.compare(0, 3, "\xEF\xBB\xBF") == 0) pos = 3;
    skip_ws();
    if (pos >= buf.size()) return Status::Invalid("登记卡文件为空");
    bool array = buf[pos] == '[';
    size_t index = 0;
    if (array) {
      ++pos;
      skip_ws();
      if (pos < buf.size() && buf[pos] == ']') {
        ++pos;
      } else {
        for (;;) {
          skip_ws();
          if (pos >= buf.size()) return Status::Invalid("JSON语法错误：数组没有结束");
          size_t end = 0;
          RETURN_IF_ERROR(value_end(&end));
          ASSIGN_OR_RETURN(std::vector<ParsedCard> one,
                           ParseText(std::string_view(buf).substr(pos, end - pos), index,
                                     consumed + pos, /*allow_array=*/false));
          pos = end;
          for (ParsedCard& pc : one) RETURN_IF_ERROR(fn(std::move(pc)));
          ++index;
          skip_ws();
          if (pos >= buf.size()) return Status::Invalid("JSON语法错误：数组没有结束");
          if (buf[pos] == ']') {
            ++pos;
            break;
          }
          if (buf[pos] != ',') {
            return Status::Invalid("JSON语法错误：第" + std::to_string(consumed + pos + 1) +
                                   "字节处应为逗号或]");
          }
          ++pos;
        }
      }
    } else if (buf[pos] == '{') {
      size_t end = 0;
      RETURN_IF_ERROR(value_end(&end));
      ASSIGN_OR_RETURN(std::vector<ParsedCard> one,
                       ParseText(std::string_view(buf).substr(pos, end - pos), 0, consumed + pos,
                                 /*allow_array=*/false));
      pos = end;
      for (ParsedCard& pc : one) RETURN_IF_ERROR(fn(std::move(pc)));
    } else {
      return Status::Invalid("登记卡文件的顶层应为一张登记卡（对象）或登记卡数组");
    }
    skip_ws();
    if (pos < buf.size()) {
      return Status::Invalid("JSON语法错误：第" + std::to_string(consumed + pos + 1) +
                             "字节处有多余的内容");
    }
    if (in.bad()) return Status::Unavailable("读取登记卡文件失败");
    return Status::Ok();
  } catch (const std::bad_alloc&) {
    return Status::Exhausted("读入登记卡时内存不足");
  } catch (const std::exception& e) {
    return Status::Internal(std::string("读入登记卡失败：") + e.what());
  }
}

std::string CardToJson(const Card& card, bool pretty) {
  std::string out;
  out.reserve(512 + 400 * card.members.size());
  JsonWriter w(out, pretty);
  w.Open('{');
  if (!card.card_no.empty()) {
    w.Key("card_no");
    w.Value(card.card_no);
  }
  if (!card.community.empty()) {
    w.Key("community");
    w.Value(card.community);
  }
  w.Key("household");
  w.Block(card.household, kHouseholdKeys);
  w.Key("members");
  w.Open('[');
  for (const FieldValues& m : card.members) {
    w.Element();
    w.Block(m, kMemberKeys);
  }
  w.Close(']');
  if (card.has_visit || !card.visit.empty()) {
    w.Key("visit");
    w.Block(card.visit, kVisitKeys);
  }
  w.Close('}');
  return out;
}

}  // namespace shequ::model
