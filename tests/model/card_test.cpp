#include "node/model/card.h"

#include <doctest/doctest.h>

#include <sstream>

#include "node/model/reference.h"

using namespace shequ;
using namespace shequ::model;

namespace {

const char kExample[] = R"({
  "card_no": "HBW-2026-000123",
  "community": "150302001002",
  "household": { "address": "海勃湾区凤凰岭街道和平社区3栋2单元401", "household_type": "1",
                 "hukou_type": "9", "housing": "1", "phone": "13904730001", "grid": "HP-03" },
  "members": [
    { "name": "张伟", "gender": "1", "ethnicity": "01", "birth_date": "1980-01-01",
      "doc_type": "1", "id_number": "150302198001010015", "relationship": "02",
      "residence_status": "1", "marital": "20", "education": "21", "employment": "1" }
  ],
  "visit": { "date": "2026-11-20", "result": "1", "collector": "王芳" }
})";

// Problems as one line each: "member block field code".
std::string Render(const std::vector<Problem>& problems) {
  std::string out;
  for (const Problem& p : problems) {
    if (!out.empty()) out += "; ";
    out += std::to_string(p.member) + " " + p.block + " " + p.field + " " + p.code;
  }
  return out;
}

ParsedCard ParseOne(const std::string& json) {
  auto r = ParseCards(json);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  REQUIRE(r->size() == 1);
  return (*r)[0];
}

}  // namespace

TEST_CASE("the card keys compiled into card.cpp are the catalog's, in catalog order") {
  auto ref = Reference::Load();
  REQUIRE(ref.ok());
  auto keys_of = [&](EntityKind kind, bool household_block) {
    std::vector<std::string> out;
    for (const FieldDef* f : ref->catalog().OfEntity(kind)) {
      if (f->type == FieldType::kRef) continue;
      bool top = f->key == "card_no" || f->key == "community";
      if (kind == EntityKind::kHousehold && top == household_block) continue;
      out.push_back(f->key);
    }
    return out;
  };
  auto span_strings = [](std::span<const std::string_view> s) {
    return std::vector<std::string>(s.begin(), s.end());
  };
  CHECK(span_strings(CardKeys("household")) == keys_of(EntityKind::kHousehold, true));
  CHECK(span_strings(CardKeys("member")) == keys_of(EntityKind::kPerson, false));
  CHECK(span_strings(CardKeys("visit")) == keys_of(EntityKind::kVisit, false));
  CHECK(CardKeys("card").size() == 5);
  CHECK(CardKeys("nothing").empty());
  // The value kinds card.cpp accepts from JSON follow the catalog's types (of the card's
  // entities: access events and terminal reports have counts of their own).
  for (const FieldDef& f : ref->catalog().fields()) {
    if (f.entity != EntityKind::kHousehold && f.entity != EntityKind::kPerson &&
        f.entity != EntityKind::kVisit)
      continue;
    CAPTURE(f.key);
    if (f.key == "children_count") CHECK(f.type == FieldType::kInt);
    if (f.key == "chronic_disease") CHECK(f.type == FieldType::kList);
    if (f.type == FieldType::kInt) CHECK(f.key == "children_count");
    if (f.type == FieldType::kList) CHECK(f.key == "chronic_disease");
  }
}

TEST_CASE("CARD.md's example parses into one card without problems") {
  ParsedCard pc = ParseOne(kExample);
  CHECK(pc.problems.empty());
  CHECK(pc.index == 0);
  const Card& c = pc.card;
  CHECK(c.card_no == "HBW-2026-000123");
  CHECK(c.community == "150302001002");
  CHECK(c.household.at("address") == "海勃湾区凤凰岭街道和平社区3栋2单元401");
  CHECK(c.household.size() == 6);
  REQUIRE(c.members.size() == 1);
  CHECK(c.members[0].at("id_number") == "150302198001010015");
  CHECK(c.members[0].size() == 11);
  CHECK(c.has_visit);
  CHECK(c.visit.at("collector") == "王芳");
}

TEST_CASE("an array of cards; the index counts position in the file") {
  std::string json = std::string("[") + kExample + "," + kExample + "]";
  auto r = ParseCards(json);
  REQUIRE(r.ok());
  REQUIRE(r->size() == 2);
  CHECK((*r)[1].index == 1);
  CHECK((*r)[0].card == (*r)[1].card);
  auto empty = ParseCards(" [ ] ");
  REQUIRE(empty.ok());
  CHECK(empty->empty());
}

TEST_CASE("unknown keys at every level are problems naming the key") {
  ParsedCard pc = ParseOne(R"({"card_no":"A-1","cardno":"x","address":"y",
      "household":{"adress":"z","household_type":"1"},
      "members":[{"name":"张伟"},{"name":"李娜","ID_Number":"1","household":"abc"}],
      "visit":{"date":"2026-11-20","collecter":"王芳"}})");
  CHECK(Render(pc.problems) ==
        "-1 card address unknown_key; -1 card cardno unknown_key; "
        "-1 household adress unknown_key; 1 member ID_Number unknown_key; "
        "1 member household unknown_key; -1 visit collecter unknown_key");
  for (const Problem& p : pc.problems) {
    CHECK(p.card_no == "A-1");
    CHECK(p.severity == Severity::kError);
    CHECK(p.message.find(p.field) != std::string::npos);
  }
  // Helpful hints: where the key belongs, or the right spelling.
  CHECK(pc.problems[0].message.find("household") != std::string::npos);
  CHECK(pc.problems[3].message.find("«id_number»") != std::string::npos);
  // The misspelt values are not read into the card.
  CHECK(pc.card.household.count("adress") == 0);
  CHECK(pc.card.household.at("household_type") == "1");
  CHECK(pc.card.members[1].size() == 1);
  CHECK(pc.card.visit.size() == 1);
}

TEST_CASE("value types: strings, integers for int fields, string arrays for lists, null") {
  ParsedCard pc = ParseOne(R"({"card_no":"A-1","community":null,
      "members":[{"name":"张伟","children_count":2,"chronic_disease":["3","1"],
                  "former_name":null,"birth_permit":""}]})");
  CHECK(pc.problems.empty());
  const FieldValues& m = pc.card.members[0];
  CHECK(m.at("children_count") == "2");
  CHECK(m.at("chronic_disease") == "3,1");  // normalised (sorted) by CheckCard, not here
  CHECK(m.count("former_name") == 0);
  CHECK(m.at("birth_permit").empty());
  CHECK(pc.card.community.empty());
  CHECK_FALSE(pc.card.has_visit);
}

TEST_CASE("wrong types are bad_type problems; integers are kept as text") {
  ParsedCard pc = ParseOne(R"({"card_no":123,"community":1.5,
      "household":{"household_type":1,"phone":true},
      "members":[{"name":{"a":1},"gender":2,"children_count":2.5,"chronic_disease":[1],
                  "ethnicity":["01"]}, 7],
      "visit":{"date":false}})");
  CHECK(Render(pc.problems) ==
        "-1 card card_no bad_type; -1 card community bad_type; "
        "-1 household household_type bad_type; -1 household phone bad_type; "
        "0 member children_count bad_type; 0 member chronic_disease bad_type; "
        "0 member ethnicity bad_type; 0 member gender bad_type; 0 member name bad_type; "
        "1 member  bad_type; -1 visit date bad_type");
  CHECK(pc.card.card_no == "123");
  CHECK(pc.card.community.empty());
  CHECK(pc.card.household.at("household_type") == "1");
  CHECK(pc.card.household.count("phone") == 0);
  REQUIRE(pc.card.members.size() == 2);  // the bad member keeps its place
  CHECK(pc.card.members[0].at("gender") == "2");
  CHECK(pc.card.members[0].count("name") == 0);
  CHECK(pc.card.members[1].empty());
  CHECK(pc.card.has_visit);
  for (const Problem& p : pc.problems) CHECK(p.card_no == "123");
  // The message tells how to write a code.
  CHECK(pc.problems[2].message.find("\"1\"") != std::string::npos);

  ParsedCard blocks =
      ParseOne(R"({"card_no":"A-1","household":"x","members":{"name":"a"},"visit":[]})");
  CHECK(Render(blocks.problems) ==
        "-1 household  bad_type; -1 member  bad_type; -1 visit  bad_type");
  CHECK_FALSE(blocks.card.has_visit);

  auto arr = ParseCards(R"([{"card_no":"A-1"}, "oops", {"card_no":"A-2"}])");
  REQUIRE(arr.ok());
  REQUIRE(arr->size() == 3);
  CHECK(Render((*arr)[1].problems) == "-1 card  bad_type");
  CHECK((*arr)[2].card.card_no == "A-2");
}

TEST_CASE("a key given twice is a duplicate_key problem in its card, block and member") {
  auto r = ParseCards(R"([{"card_no":"A-1"},
      {"card_no":"A-2","card_no":"A-3","household":{"grid":"1","grid":"2"},
       "members":[{"name":"a"},{"name":"b","gender":"1","name":"c"}]}])");
  REQUIRE(r.ok());
  CHECK((*r)[0].problems.empty());
  CHECK(Render((*r)[1].problems) ==
        "-1 card card_no duplicate_key; -1 household grid duplicate_key; "
        "1 member name duplicate_key");
  CHECK((*r)[1].card.members[1].at("name") == "c");
}

TEST_CASE("whole-file refusals: syntax, top level, nesting, size, encoding") {
  CHECK_FALSE(ParseCards("").ok());
  CHECK_FALSE(ParseCards("{").ok());
  CHECK_FALSE(ParseCards(R"({"card_no":"A-1",})").ok());
  CHECK_FALSE(ParseCards("42").ok());
  CHECK_FALSE(ParseCards(R"("card")").ok());
  CHECK_FALSE(ParseCards("{} {}").ok());
  CHECK_FALSE(ParseCards("{\"card_no\":\"\xff\"}").ok());  // invalid UTF-8
  // nlohmann would stop at a NUL byte and ignore the rest.
  CHECK_FALSE(ParseCards(std::string("[{\"card_no\":\"A\"}]\0 garbage", 26)).ok());
  CHECK_FALSE(ParseCards(std::string("[{\"card_no\":\"A\"}\0]", 18)).ok());

  std::string deep(100, '[');
  deep += std::string(100, ']');
  auto r = ParseCards(deep);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("嵌套") != std::string::npos);
  // Brackets inside strings do not count.
  std::string text =
      R"({"card_no":"A-1","household":{"address":")" + std::string(200, '[') + R"("}})";
  CHECK(ParseCards(text).ok());
  // Deep nesting inside one card of an array, within the limit, is a bad_type, not a crash.
  std::string nested = "[" + std::string(60, '[') + std::string(60, ']') + "]";
  CHECK(ParseCards(nested).ok());

  std::string huge(kMaxCardFileBytes + 1, ' ');
  auto big = ParseCards(huge);
  REQUIRE_FALSE(big.ok());
  CHECK(big.status().code() == Code::kResourceExhausted);

  // A UTF-8 byte order mark is allowed.
  CHECK(ParseCards("\xEF\xBB\xBF" + std::string(kExample)).ok());
}

TEST_CASE("CardToJson round trip, compact and pretty, with awkward strings") {
  ParsedCard pc = ParseOne(kExample);
  Card c = pc.card;
  c.members.push_back({{"name", "阿依古丽·吐尔逊"},
                       {"former_name", "quote \" backslash \\ tab \t nl \n nul " +
                                           std::string(1, '\0') + " ctl \x01 end"},
                       {"chronic_disease", "1,3"},
                       {"children_count", "2"}});
  c.household["grid"] = "HP-03/\u00e9";
  for (bool pretty : {false, true}) {
    std::string json = CardToJson(c, pretty);
    CAPTURE(json);
    CHECK((json.find('\n') == std::string::npos) == !pretty);
    ParsedCard back = ParseOne(json);
    CHECK(back.problems.empty());
    CHECK(back.card == c);
  }
  // Keys come in catalog order.
  std::string json = CardToJson(pc.card);
  CHECK(json.find("\"card_no\"") < json.find("\"community\""));
  CHECK(json.find("\"community\"") < json.find("\"household\""));
  CHECK(json.find("\"address\"") < json.find("\"household_type\""));
  CHECK(json.find("\"name\"") < json.find("\"gender\""));
  CHECK(json.find("\"members\"") < json.find("\"visit\""));

  // An empty card still round-trips; a visit block is written only when there is one.
  Card empty;
  CHECK(ParseOne(CardToJson(empty)).card == empty);
  CHECK(CardToJson(empty).find("visit") == std::string::npos);
  Card visit_only;
  visit_only.has_visit = true;
  CHECK(ParseOne(CardToJson(visit_only)).card == visit_only);

  // Invalid UTF-8 is written as U+FFFD, so the output is always valid JSON.
  Card bad;
  bad.card_no = "A\xff";
  CHECK(ParseOne(CardToJson(bad)).card.card_no == "A\xEF\xBF\xBD");
}

TEST_CASE("Problem::ToString") {
  Problem p;
  p.card_no = "HBW-2026-000123";
  p.member = 2;
  p.block = "member";
  p.field = "id_number";
  p.code = "id_check";
  p.message = "证件号码校验位应为X，实为5";
  CHECK(p.ToString() ==
        "card HBW-2026-000123 member 3 id_number: [id_check] 证件号码校验位应为X，实为5");
  p.member = -1;
  p.block = "household";
  p.field = "phone";
  p.code = "bad_phone";
  p.message = "m";
  CHECK(p.ToString() == "card HBW-2026-000123 household phone: [bad_phone] m");
  p.block = "card";
  p.field = "";
  p.card_no = "";
  p.code = "no_head";
  p.severity = Severity::kWarning;
  CHECK(p.ToString() == "card ?: [no_head] 警告：m");
}

TEST_CASE("ParseCardStream reads what ParseCards reads, one card at a time") {
  std::string one = kExample;
  std::string many =
      "\xEF\xBB\xBF [\n" + one + ",\n" + one + " , {\"card_no\":\"X\",\"zz\":1}, 5\n]\n";
  auto whole = ParseCards(many);
  REQUIRE(whole.ok());
  for (const std::string& text : {one, many, std::string("[]"), std::string(" [ ] \n")}) {
    std::istringstream in(text);
    std::vector<ParsedCard> got;
    Status st = ParseCardStream(in, [&](ParsedCard pc) {
      got.push_back(std::move(pc));
      return Status::Ok();
    });
    REQUIRE_MESSAGE(st.ok(), st.ToString());
    auto expected = ParseCards(text);
    REQUIRE(expected.ok());
    REQUIRE(got.size() == expected->size());
    for (size_t i = 0; i < got.size(); ++i) {
      CHECK(got[i].card == (*expected)[i].card);
      CHECK(got[i].index == (*expected)[i].index);
      CHECK(Render(got[i].problems) == Render((*expected)[i].problems));
    }
  }
  // Large input crosses the reader's chunks.
  std::string big = "[";
  for (int i = 0; i < 500; ++i) big += (i ? "," : "") + one;
  big += "]";
  std::istringstream in(big);
  size_t count = 0;
  REQUIRE(ParseCardStream(in, [&](ParsedCard pc) {
            CHECK(pc.index == count++);
            CHECK(pc.problems.empty());
            return Status::Ok();
          }).ok());
  CHECK(count == 500);

  // Errors: syntax, truncation, trailing garbage, nesting, and a callback's refusal.
  for (const char* bad : {"", "[", "[{\"a\":1}", "[{\"a\":1} {}]", "[{}] x", "42", "{\"a\":}",
                          "[{\"a\":\"unterminated}]"}) {
    CAPTURE(bad);
    std::istringstream s(bad);
    CHECK_FALSE(ParseCardStream(s, [](ParsedCard) { return Status::Ok(); }).ok());
  }
  std::string deep = "[" + std::string(100, '{') + "]";
  std::istringstream ds(deep);
  CHECK_FALSE(ParseCardStream(ds, [](ParsedCard) { return Status::Ok(); }).ok());
  std::istringstream two("[{},{}]");
  int calls = 0;
  Status st = ParseCardStream(two, [&](ParsedCard) {
    ++calls;
    return Status::Aborted("stop");
  });
  CHECK(st.code() == Code::kAborted);
  CHECK(calls == 1);
}
