#include "node/model/validate.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <functional>

#include "node/base/bytes.h"
#include "node/base/text.h"
#include "node/model/id_number.h"

using namespace shequ;
using namespace shequ::model;

namespace {

const Date kToday{2026, 11, 26};

const Reference& Ref() {
  static const Reference* ref = [] {
    auto r = Reference::Load();
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    return new Reference(std::move(r).value());
  }();
  return *ref;
}

ValidationContext Ctx() {
  ValidationContext ctx;
  ctx.ref = &Ref();
  ctx.today = kToday;
  return ctx;
}

// An 18-digit citizen ID with the right check character.
std::string MakeId(const std::string& address, const std::string& birth8, const std::string& seq3) {
  std::string first17 = address + birth8 + seq3;
  return first17 + IdCheckChar(first17);
}

// The same number with a different (wrong) check character.
std::string WrongCheck(std::string id) {
  id.back() = id.back() == '0' ? '1' : '0';
  return id;
}

std::string Compact(const std::string& date) {
  return date.substr(0, 4) + date.substr(5, 2) + date.substr(8, 2);
}

// A realistic family of four; it passes with no problems at all.
Card ValidCard() {
  Card c;
  c.card_no = "HBW-2026-000123";
  c.community = "150302001002";
  c.household = {{"address", "海勃湾区凤凰岭街道和平社区3栋2单元401"},
                 {"household_type", "1"},
                 {"hukou_type", "9"},
                 {"housing", "1"},
                 {"phone", "13904730001"},
                 {"grid", "HP-03"}};
  c.members.push_back({{"name", "张伟"},
                       {"gender", "1"},
                       {"ethnicity", "01"},
                       {"birth_date", "1980-01-01"},
                       {"doc_type", "1"},
                       {"id_number", MakeId("150302", "19800101", "001")},
                       {"relationship", "02"},
                       {"residence_status", "1"},
                       {"marital", "20"},
                       {"education", "21"},
                       {"employment", "1"},
                       {"political", "01"},
                       {"phone", "13904730001"},
                       {"pension_insurance", "1"},
                       {"medical_insurance", "1"}});
  c.members.push_back({{"name", "李娜"},
                       {"gender", "2"},
                       {"ethnicity", "02"},
                       {"birth_date", "1982-05-12"},
                       {"doc_type", "1"},
                       {"id_number", MakeId("150303", "19820512", "002")},
                       {"relationship", "12"},
                       {"residence_status", "1"},
                       {"marital", "20"},
                       {"children_count", "1"},
                       {"education", "31"},
                       {"employment", "2"},
                       {"chronic_disease", "1"}});
  c.members.push_back({{"name", "张子涵"},
                       {"gender", "2"},
                       {"ethnicity", "02"},
                       {"birth_date", "2012-03-04"},
                       {"doc_type", "1"},
                       {"id_number", MakeId("150302", "20120304", "024")},
                       {"relationship", "31"},
                       {"residence_status", "1"},
                       {"education", "80"},
                       {"employment", "6"}});
  c.members.push_back({{"name", "王秀英"},
                       {"gender", "2"},
                       {"ethnicity", "01"},
                       {"birth_date", "1940-08-15"},
                       {"doc_type", "1"},
                       {"id_number", MakeId("150302", "19400815", "002")},
                       {"relationship", "52"},
                       {"residence_status", "1"},
                       {"marital", "30"},
                       {"education", "00"},
                       {"employment", "5"},
                       {"elderly_allowance", "1"},
                       {"family_doctor", "1"}});
  c.visit = {{"date", "2026-11-20"}, {"result", "1"}, {"collector", "王芳"}};
  c.has_visit = true;
  return c;
}

// Changes a member's birth date and keeps the ID number consistent with it.
void SetBirth(Card& c, size_t m, const std::string& date) {
  std::string& id = c.members[m]["id_number"];
  c.members[m]["birth_date"] = date;
  id = MakeId(id.substr(0, 6), Compact(date), id.substr(14, 3));
}

// Problems as one string: "m2 id_number id_check; household address missing".
std::string Render(const std::vector<Problem>& problems) {
  std::string out;
  for (const Problem& p : problems) {
    if (!out.empty()) out += "; ";
    out += (p.member >= 0 ? "m" + std::to_string(p.member) : p.block) + " " +
           (p.field.empty() ? "-" : p.field) + " " + p.code;
  }
  return out;
}

std::string Check(const Card& c, const ValidationContext& ctx = Ctx()) {
  CardCheck r = CheckCard(c, ctx);
  for (const Problem& p : r.problems) {
    CHECK(p.card_no == c.card_no);
    CHECK(p.severity == SeverityOf(p.code));
    CHECK_FALSE(p.message.empty());
  }
  return Render(r.problems);
}

struct Mutation {
  const char* what;
  std::function<void(Card&)> change;
  const char* expected;
};

void RunAll(const std::vector<Mutation>& mutations) {
  for (const Mutation& m : mutations) {
    CAPTURE(m.what);
    Card c = ValidCard();
    m.change(c);
    CHECK(Check(c) == m.expected);
  }
}

}  // namespace

TEST_CASE("a valid card passes with no problems and normalises to itself") {
  Card c = ValidCard();
  CardCheck r = CheckCard(c, Ctx());
  CHECK(Render(r.problems) == "");
  CHECK(r.ok());
  CHECK(r.errors() == 0);
  CHECK(r.warnings() == 0);
  CHECK(r.normalized == c);
}

TEST_CASE("card level: card_no and community") {
  RunAll({
      {"no card_no", [](Card& c) { c.card_no = ""; }, "card card_no missing"},
      {"space in card_no", [](Card& c) { c.card_no = "HBW 2026"; }, "card card_no bad_card_no"},
      {"card_no too long", [](Card& c) { c.card_no = std::string(33, 'A'); },
       "card card_no bad_card_no"},
      {"card_no of 32", [](Card& c) { c.card_no = std::string(32, 'A'); }, ""},
      {"no community", [](Card& c) { c.community = ""; }, "card community missing"},
      {"11 digits", [](Card& c) { c.community = "15030200100"; }, "card community bad_community"},
      {"letters", [](Card& c) { c.community = "15030200100A"; }, "card community bad_community"},
      {"unknown", [](Card& c) { c.community = "150302001099"; },
       "card community unknown_community"},
      {"virtual", [](Card& c) { c.community = "150302400498"; },
       "card community virtual_community"},
      {"subdistrict", [](Card& c) { c.community = "150302001000"; },
       "card community not_community"},
      {"district", [](Card& c) { c.community = "150303000000"; }, "card community not_community"},
      {"a village", [](Card& c) { c.community = "150303104234"; }, ""},
  });
}

TEST_CASE("household fields") {
  RunAll({
      {"no address", [](Card& c) { c.household.erase("address"); }, "household address missing"},
      {"blank address", [](Card& c) { c.household["address"] = "   "; },
       "household address missing"},
      {"address of 101 characters",
       [](Card& c) {
         std::string s;
         for (int i = 0; i < 101; ++i) s += "字";
         c.household["address"] = s;
       },
       "household address too_long"},
      {"address of 100 characters",
       [](Card& c) {
         std::string s;
         for (int i = 0; i < 100; ++i) s += "字";
         c.household["address"] = s;
       },
       ""},
      {"line break", [](Card& c) { c.household["address"] = "3栋\n2单元"; },
       "household address bad_text"},
      {"invalid UTF-8", [](Card& c) { c.household["address"] = "3栋\xff"; },
       "household address bad_text"},
      {"no household_type", [](Card& c) { c.household.erase("household_type"); },
       "household household_type missing"},
      {"household_type 3", [](Card& c) { c.household["household_type"] = "3"; },
       "household household_type bad_code"},
      {"hukou_type 10", [](Card& c) { c.household["hukou_type"] = "10"; },
       "household hukou_type bad_code"},
      {"no hukou_type", [](Card& c) { c.household.erase("hukou_type"); }, ""},
      {"housing 5", [](Card& c) { c.household["housing"] = "5"; }, "household housing bad_code"},
      {"short mobile", [](Card& c) { c.household["phone"] = "1390473000"; },
       "household phone bad_phone"},
      {"mobile 12", [](Card& c) { c.household["phone"] = "12904730001"; },
       "household phone bad_phone"},
      {"other city", [](Card& c) { c.household["phone"] = "0471-2345678"; },
       "household phone bad_phone"},
      {"landline", [](Card& c) { c.household["phone"] = "0473-2345678"; }, ""},
      {"grid of 33", [](Card& c) { c.household["grid"] = std::string(33, 'G'); },
       "household grid too_long"},
      {"unknown key", [](Card& c) { c.household["floor"] = "3"; }, "household floor unknown_key"},
      {"card_no inside household", [](Card& c) { c.household["card_no"] = "X"; },
       "household card_no unknown_key"},
  });
}

TEST_CASE("visit block") {
  RunAll({
      {"no visit",
       [](Card& c) {
         c.visit.clear();
         c.has_visit = false;
       },
       "visit - missing"},
      {"empty visit", [](Card& c) { c.visit.clear(); },
       "visit date missing; visit result missing; visit collector missing"},
      {"future visit", [](Card& c) { c.visit["date"] = "2026-11-27"; }, "visit date future_date"},
      {"visit today", [](Card& c) { c.visit["date"] = "2026-11-26"; }, ""},
      {"bad visit date", [](Card& c) { c.visit["date"] = "2026-02-30"; }, "visit date bad_date"},
      {"result 4", [](Card& c) { c.visit["result"] = "4"; }, "visit result bad_code"},
      {"no collector", [](Card& c) { c.visit.erase("collector"); }, "visit collector missing"},
      {"unknown key", [](Card& c) { c.visit["household"] = "ab"; }, "visit household unknown_key"},
      {"no members", [](Card& c) { c.members.clear(); }, "card members no_members"},
  });
}

TEST_CASE("member fields, one by one") {
  auto chars = [](int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += "张";
    return s;
  };
  RunAll({
      {"no name", [](Card& c) { c.members[0].erase("name"); }, "m0 name missing"},
      {"digit in name", [](Card& c) { c.members[0]["name"] = "张3"; }, "m0 name bad_name"},
      {"space in a Chinese name", [](Card& c) { c.members[0]["name"] = "张 伟"; },
       "m0 name bad_name"},
      {"leading dot", [](Card& c) { c.members[0]["name"] = "·伟"; }, "m0 name bad_name"},
      {"trailing dot", [](Card& c) { c.members[0]["name"] = "伟·"; }, "m0 name bad_name"},
      {"full stop", [](Card& c) { c.members[0]["name"] = "张.伟"; }, "m0 name bad_name"},
      {"comma", [](Card& c) { c.members[0]["name"] = "张，伟"; }, "m0 name bad_name"},
      {"minority name", [](Card& c) { c.members[0]["name"] = "买买提·艾力"; }, ""},
      {"foreign name", [](Card& c) { c.members[0]["name"] = "Anna Maria Schmidt"; }, ""},
      {"one character", [](Card& c) { c.members[0]["name"] = "伟"; }, ""},
      {"30 characters", [&](Card& c) { c.members[0]["name"] = chars(30); }, ""},
      {"31 characters", [&](Card& c) { c.members[0]["name"] = chars(31); }, "m0 name too_long"},
      {"former_name too long", [&](Card& c) { c.members[0]["former_name"] = chars(31); },
       "m0 former_name too_long"},
      {"gender 3", [](Card& c) { c.members[1]["gender"] = "3"; }, "m1 gender bad_code"},
      {"no gender", [](Card& c) { c.members[1].erase("gender"); }, "m1 gender missing"},
      {"gender 9 is not checked against the ID", [](Card& c) { c.members[0]["gender"] = "9"; }, ""},
      {"ethnicity 1", [](Card& c) { c.members[0]["ethnicity"] = "1"; }, "m0 ethnicity bad_code"},
      {"ethnicity by name", [](Card& c) { c.members[0]["ethnicity"] = "汉族"; },
       "m0 ethnicity bad_code"},
      {"no ethnicity", [](Card& c) { c.members[0].erase("ethnicity"); }, "m0 ethnicity missing"},
      {"no birth_date", [](Card& c) { c.members[0].erase("birth_date"); }, "m0 birth_date missing"},
      {"30 February", [](Card& c) { c.members[0]["birth_date"] = "1980-02-30"; },
       "m0 birth_date bad_date"},
      {"slashes", [](Card& c) { c.members[0]["birth_date"] = "1980/01/01"; },
       "m0 birth_date bad_date"},
      {"born tomorrow", [](Card& c) { c.members[0]["birth_date"] = "2026-11-27"; },
       "m0 birth_date future_date"},
      {"born 1899", [](Card& c) { c.members[3]["birth_date"] = "1899-12-31"; },
       "m3 birth_date date_too_early"},
      {"no doc_type", [](Card& c) { c.members[0].erase("doc_type"); }, "m0 doc_type missing"},
      {"doc_type 4", [](Card& c) { c.members[0]["doc_type"] = "4"; }, "m0 doc_type bad_code"},
      {"no relationship", [](Card& c) { c.members[1].erase("relationship"); },
       "m1 relationship missing"},
      {"relationship 2", [](Card& c) { c.members[1]["relationship"] = "2"; },
       "m1 relationship bad_code"},
      {"no residence_status", [](Card& c) { c.members[0].erase("residence_status"); },
       "m0 residence_status missing"},
      {"residence_status 4", [](Card& c) { c.members[0]["residence_status"] = "4"; },
       "m0 residence_status bad_code"},
      {"person_category", [](Card& c) { c.members[0]["person_category"] = "RY9999"; },
       "m0 person_category bad_code"},
      {"status 5", [](Card& c) { c.members[0]["status"] = "5"; }, "m0 status bad_code"},
      {"status 1", [](Card& c) { c.members[0]["status"] = "1"; }, ""},
      {"children_count 21", [](Card& c) { c.members[1]["children_count"] = "21"; },
       "m1 children_count out_of_range"},
      {"children_count -1", [](Card& c) { c.members[1]["children_count"] = "-1"; },
       "m1 children_count out_of_range"},
      {"children_count huge", [](Card& c) { c.members[1]["children_count"] = "99999999999"; },
       "m1 children_count out_of_range"},
      {"children_count abc", [](Card& c) { c.members[1]["children_count"] = "abc"; },
       "m1 children_count bad_int"},
      {"children_count 1.5", [](Card& c) { c.members[1]["children_count"] = "1.5"; },
       "m1 children_count bad_int"},
      {"children_count 20", [](Card& c) { c.members[1]["children_count"] = "20"; }, ""},
      {"family_doctor 2", [](Card& c) { c.members[3]["family_doctor"] = "2"; },
       "m3 family_doctor bad_code"},
      {"chronic 5", [](Card& c) { c.members[1]["chronic_disease"] = "1,5"; },
       "m1 chronic_disease bad_code"},
      {"education 72", [](Card& c) { c.members[0]["education"] = "72"; }, "m0 education bad_code"},
      {"occupation of 51", [&](Card& c) { c.members[0]["occupation"] = chars(51); },
       "m0 occupation too_long"},
      {"employment 8", [](Card& c) { c.members[0]["employment"] = "8"; }, "m0 employment bad_code"},
      {"pension 3", [](Card& c) { c.members[0]["pension_insurance"] = "3"; },
       "m0 pension_insurance bad_code"},
      {"medical 3", [](Card& c) { c.members[0]["medical_insurance"] = "3"; },
       "m0 medical_insurance bad_code"},
      {"political 14", [](Card& c) { c.members[0]["political"] = "14"; }, "m0 political bad_code"},
      {"member phone", [](Card& c) { c.members[0]["phone"] = "123"; }, "m0 phone bad_phone"},
      {"dibao 3", [](Card& c) { c.members[0]["dibao"] = "3"; }, "m0 dibao bad_code"},
      {"tekun 3", [](Card& c) { c.members[3]["tekun"] = "3"; }, "m3 tekun bad_code"},
      {"youfu 2", [](Card& c) { c.members[0]["youfu"] = "2"; }, "m0 youfu bad_code"},
      {"migrant_since future", [](Card& c) { c.members[0]["migrant_since"] = "2027-01-01"; },
       "m0 migrant_since future_date"},
      {"residence_permit of 33",
       [](Card& c) { c.members[0]["residence_permit"] = std::string(33, '1'); },
       "m0 residence_permit too_long"},
      {"birth_permit", [](Card& c) { c.members[1]["birth_permit"] = "150302-2012-00017"; }, ""},
      {"unknown key", [](Card& c) { c.members[0]["nickname"] = "伟哥"; },
       "m0 nickname unknown_key"},
      {"ref key", [](Card& c) { c.members[0]["household"] = "ab12"; }, "m0 household unknown_key"},
  });
}

TEST_CASE("requirements: by age on the visit date, by other fields") {
  RunAll({
      {"adult without marital", [](Card& c) { c.members[0].erase("marital"); },
       "m0 marital missing"},
      {"adult without employment", [](Card& c) { c.members[0].erase("employment"); },
       "m0 employment missing"},
      {"child without education", [](Card& c) { c.members[2].erase("education"); },
       "m2 education missing"},
      {"five-year-old without education",
       [](Card& c) {
         SetBirth(c, 2, "2021-06-01");
         c.members[2].erase("education");
       },
       ""},
      {"six-year-old without education",
       [](Card& c) {
         SetBirth(c, 2, "2020-11-20");
         c.members[2].erase("education");
       },
       "m2 education missing"},
      {"sixteen on today but fifteen on the visit date",
       [](Card& c) { SetBirth(c, 2, "2010-11-23"); }, ""},
      {"... and without the visit, ages are taken today",
       [](Card& c) {
         SetBirth(c, 2, "2010-11-23");  // employment (6, a student) is already there
         c.visit.clear();
         c.has_visit = false;
       },
       "m2 marital missing; visit - missing"},
      {"a visit dated in the future does not move ages",
       [](Card& c) {
         SetBirth(c, 2, "2010-11-23");
         c.visit["date"] = "2027-01-01";
       },
       "m2 marital missing; visit date future_date"},
      {"no birth date: age rules wait for it",
       [](Card& c) {
         c.members[0].erase("birth_date");
         c.members[0].erase("marital");
       },
       "m0 birth_date missing"},
      {"migrant without origin", [](Card& c) { c.members[0]["residence_status"] = "2"; },
       "m0 migrant_origin missing"},
      {"migrant with origin code",
       [](Card& c) {
         c.members[0]["residence_status"] = "2";
         c.members[0]["migrant_origin"] = "640202";
       },
       ""},
      {"migrant with origin name",
       [](Card& c) {
         c.members[0]["residence_status"] = "2";
         c.members[0]["migrant_origin"] = "宁夏回族自治区石嘴山市大武口区";
       },
       ""},
      {"origin of four digits", [](Card& c) { c.members[0]["migrant_origin"] = "6402"; },
       "m0 migrant_origin bad_origin"},
      {"origin not a province", [](Card& c) { c.members[0]["migrant_origin"] = "990101"; },
       "m0 migrant_origin bad_origin"},
      {"origin text of 51",
       [](Card& c) {
         std::string s;
         for (int i = 0; i < 51; ++i) s += "地";
         c.members[0]["migrant_origin"] = s;
       },
       "m0 migrant_origin too_long"},
      {"category without grade", [](Card& c) { c.members[3]["disability_category"] = "4"; },
       "m3 disability_grade missing"},
      {"grade 5",
       [](Card& c) {
         c.members[3]["disability_category"] = "4";
         c.members[3]["disability_grade"] = "5";
       },
       "m3 disability_grade bad_code"},
      {"doc_type 9 without a number",
       [](Card& c) {
         c.members[2]["doc_type"] = "9";
         c.members[2].erase("id_number");
       },
       ""},
      {"doc_type 9 with a number", [](Card& c) { c.members[2]["doc_type"] = "9"; },
       "m2 id_number id_not_allowed"},
      {"no id_number", [](Card& c) { c.members[0].erase("id_number"); }, "m0 id_number missing"},
  });
}

TEST_CASE("citizen ID numbers on the card") {
  RunAll({
      {"check character",
       [](Card& c) {
         std::string& id = c.members[0]["id_number"];
         id.back() = id.back() == '1' ? '2' : '1';
       },
       "m0 id_number id_check"},
      {"17 characters", [](Card& c) { c.members[0]["id_number"].pop_back(); },
       "m0 id_number id_length"},
      {"a letter", [](Card& c) { c.members[0]["id_number"][3] = 'A'; }, "m0 id_number id_chars"},
      {"30 February",
       [](Card& c) { c.members[0]["id_number"] = MakeId("150302", "19800230", "001"); },
       "m0 id_number id_date"},
      {"birth date differs", [](Card& c) { c.members[0]["birth_date"] = "1980-01-02"; },
       "m0 id_number id_birth_mismatch"},
      {"parity differs", [](Card& c) { c.members[0]["gender"] = "2"; },
       "m0 id_number id_gender_mismatch"},
      {"15 digits of someone born in 2012",
       [](Card& c) { c.members[2]["id_number"] = "150302120304024"; },
       "m2 id_number id_not_convertible"},
      {"15 digits, converted", [](Card& c) { c.members[3]["id_number"] = "150302400815002"; }, ""},
      {"abolished Wuhai code",
       [](Card& c) { c.members[0]["id_number"] = MakeId("150301", "19800101", "001"); },
       "m0 id_number id_old_address"},
      {"not a district of Wuhai",
       [](Card& c) { c.members[0]["id_number"] = MakeId("150305", "19800101", "001"); },
       "m0 id_number id_old_address"},
      {"a province, not a county",
       [](Card& c) { c.members[0]["id_number"] = MakeId("640000", "19800101", "001"); },
       "m0 id_number id_old_address"},
      {"a prefecture, not a county",
       [](Card& c) { c.members[0]["id_number"] = MakeId("640200", "19800101", "001"); },
       "m0 id_number id_old_address"},
      {"no such province",
       [](Card& c) { c.members[0]["id_number"] = MakeId("990101", "19800101", "001"); },
       "m0 id_number id_old_address"},
      {"old Ikh Juu code is outside what we can judge",
       [](Card& c) { c.members[0]["id_number"] = MakeId("152701", "19800101", "001"); }, ""},
      {"Shizuishan",
       [](Card& c) { c.members[0]["id_number"] = MakeId("640202", "19800101", "001"); }, ""},
      {"cancelled duplicate registration is not a duplicate",
       [](Card& c) {
         Card copy = c;
         c.members.push_back(copy.members[0]);
         c.members.back()["relationship"] = "71";
         c.members.back()["status"] = "4";
       },
       ""},
      {"same number twice",
       [](Card& c) {
         c.members.push_back(c.members[0]);
         c.members.back()["relationship"] = "71";
       },
       "m4 id_number duplicate_id"},
  });
}

TEST_CASE("other documents: 港澳台居民居住证 and 外国人永久居留身份证") {
  auto set = [](std::string doc, std::string number) {
    return [doc, number](Card& c) {
      c.members[1]["doc_type"] = doc;
      c.members[1]["id_number"] = number;
    };
  };
  RunAll({
      {"Hong Kong", set("2", MakeId("810000", "19820512", "002")), ""},
      {"Taiwan", set("2", MakeId("830000", "19820512", "002")), ""},
      {"Taiwan, wrong birth date", set("2", MakeId("830000", "19820513", "002")),
       "m1 id_number id_birth_mismatch"},
      {"mainland address", set("2", MakeId("150303", "19820512", "002")), "m1 id_number id_region"},
      {"15 digits", set("2", "810000820512002"), "m1 id_number id_length"},
      {"residence permit check", set("2", WrongCheck(MakeId("810000", "19820512", "002"))),
       "m1 id_number id_check"},
      {"2017 foreigner", set("3", "RUS150388121301"), ""},
      {"2017 foreigner, digit in the letters", set("3", "RU1150388121301"),
       "m1 id_number id_format"},
      {"2017 foreigner, 14 characters", set("3", "RUS15038812130"), "m1 id_number id_format"},
      {"2023 foreigner", set("3", MakeId("915156", "19820512", "002")), ""},
      {"2023 foreigner, check", set("3", WrongCheck(MakeId("915156", "19820512", "002"))),
       "m1 id_number id_check"},
      {"2023 foreigner, not starting with 9", set("3", MakeId("815156", "19820512", "002")),
       "m1 id_number id_format"},
  });
}

TEST_CASE("disability certificate and elderly allowance") {
  auto cert = [](const std::string& suffix) {
    return [suffix](Card& c) {
      FieldValues& m = c.members[3];
      m["disability_category"] = "4";
      m["disability_grade"] = "2";
      m["disability_cert"] = m["id_number"] + suffix;
    };
  };
  RunAll({
      {"matching certificate", cert("42"), ""},
      {"re-issued certificate", cert("42B1"), ""},
      {"grade differs", cert("43"), "m3 disability_cert cert_mismatch"},
      {"category differs", cert("12"), "m3 disability_cert cert_mismatch"},
      {"category 8", cert("82"), "m3 disability_cert bad_cert"},
      {"B0", cert("42B0"), "m3 disability_cert bad_cert"},
      {"short", [](Card& c) { c.members[3]["disability_cert"] = "123"; },
       "m3 disability_cert bad_cert"},
      {"someone else's number",
       [](Card& c) {
         c.members[3]["disability_category"] = "4";
         c.members[3]["disability_grade"] = "2";
         c.members[3]["disability_cert"] = c.members[0]["id_number"] + "42";
       },
       "m3 disability_cert cert_mismatch"},
      {"an invalid ID number is reported once, not again on the certificate",
       [](Card& c) {
         FieldValues& m = c.members[3];
         m["disability_category"] = "4";
         m["disability_grade"] = "2";
         m["disability_cert"] = m["id_number"] + "42";
         m["id_number"].back() = m["id_number"].back() == '1' ? '2' : '1';
       },
       "m3 id_number id_check"},
      {"allowance at 46", [](Card& c) { c.members[0]["elderly_allowance"] = "1"; },
       "m0 elderly_allowance allowance_under_80"},
      {"allowance 0 at 46", [](Card& c) { c.members[0]["elderly_allowance"] = "0"; }, ""},
      {"allowance at 79", [](Card& c) { SetBirth(c, 3, "1947-01-01"); },
       "m3 elderly_allowance allowance_under_80"},
      {"allowance on the 80th birthday", [](Card& c) { SetBirth(c, 3, "1946-11-20"); }, ""},
  });
}

TEST_CASE("fingerprints") {
  auto record = [](std::string_view head) {
    Bytes b = ToBytes(head);
    for (int i = 0; i < 30; ++i) b.push_back(static_cast<uint8_t>(i));
    return Base64(b);
  };
  const std::string good = record(std::string_view("FMR\0 20\0", 8));
  RunAll({
      {"a record", [&](Card& c) { c.members[0]["fingerprint"] = good; }, ""},
      {"not base64", [](Card& c) { c.members[0]["fingerprint"] = "not base64!"; },
       "m0 fingerprint bad_fingerprint"},
      {"another format",
       [&](Card& c) { c.members[0]["fingerprint"] = record(std::string_view("FIR\0 10\0", 8)); },
       "m0 fingerprint bad_fingerprint"},
      {"too short", [](Card& c) { c.members[0]["fingerprint"] = Base64(ToBytes("FMR")); },
       "m0 fingerprint bad_fingerprint"},
  });
}

TEST_CASE("household composition warnings") {
  RunAll({
      {"no head", [](Card& c) { c.members[0]["relationship"] = "01"; },
       "member relationship no_head"},
      {"two heads", [](Card& c) { c.members[1]["relationship"] = "02"; },
       "m1 relationship many_heads"},
      {"collective household without a head",
       [](Card& c) {
         c.household["household_type"] = "2";
         for (FieldValues& m : c.members) m["relationship"] = "99";
       },
       ""},
      {"a head who moved out does not count",
       [](Card& c) {
         c.members[0]["status"] = "2";
         c.members[1]["relationship"] = "02";
       },
       ""},
      {"wife of 18", [](Card& c) { SetBirth(c, 1, "2008-01-01"); },
       "m1 birth_date spouse_under_age"},
      {"wife of 20", [](Card& c) { SetBirth(c, 1, "2006-11-20"); }, ""},
      {"head of 21 with a wife",
       [](Card& c) {
         SetBirth(c, 0, "2005-06-01");
         SetBirth(c, 1, "2005-01-01");
         c.members.resize(2);
       },
       "m0 birth_date spouse_under_age"},
      {"head of 21 without a spouse",
       [](Card& c) {
         SetBirth(c, 0, "2005-06-01");
         c.members.resize(1);
       },
       ""},
      {"child older than the head",
       [](Card& c) {
         SetBirth(c, 2, "1979-01-01");
         c.members[2]["marital"] = "10";
         c.members[2]["employment"] = "1";
       },
       "m2 birth_date child_older"},
      {"child older than the head's spouse",
       [](Card& c) {
         SetBirth(c, 2, "1981-01-01");
         c.members[2]["marital"] = "10";
         c.members[2]["employment"] = "1";
       },
       "m2 birth_date child_older"},
      {"mother younger than the head",
       [](Card& c) {
         SetBirth(c, 3, "1985-01-01");
         c.members[3].erase("elderly_allowance");
       },
       "m3 birth_date parent_younger"},
  });
}

TEST_CASE("registered_elsewhere: the same number in another household") {
  Card c = ValidCard();
  const std::string id0 = c.members[0]["id_number"];
  ValidationContext ctx = Ctx();
  int lookups = 0;
  ctx.find_person = [&](const std::string& id) -> std::optional<RegisteredPerson> {
    ++lookups;
    if (id != id0) return std::nullopt;
    return RegisteredPerson{"p01", "h-other", "HBW-2026-000001", "150302001003", "张伟"};
  };
  ctx.household = "h-this";
  CardCheck r = CheckCard(c, ctx);
  CHECK(Render(r.problems) == "m0 id_number registered_elsewhere");
  REQUIRE(r.problems.size() == 1);
  const std::string& msg = r.problems[0].message;
  CHECK(msg.find("HBW-2026-000001") != std::string::npos);
  CHECK(msg.find("公园社区") != std::string::npos);
  CHECK(msg.find("迁移") != std::string::npos);
  CHECK(lookups == 4);

  ctx.household = "";  // a new household: any hit is elsewhere
  CHECK(Check(c, ctx) == "m0 id_number registered_elsewhere");
  ctx.household = "h-other";  // this card updates that household
  CHECK(Check(c, ctx) == "");
  ctx.household = "h-this";
  c.members[0]["status"] = "2";  // recorded as moved out of this household
  c.members[1]["relationship"] = "02";
  CHECK(Check(c, ctx) == "");
  // 15-digit numbers are looked up in their 18-digit form.
  Card old = ValidCard();
  old.members[0]["id_number"] = id0.substr(0, 6) + id0.substr(8, 9);
  CHECK(Check(old, ctx) == "m0 id_number registered_elsewhere");
}

TEST_CASE("normalisation") {
  Card c = ValidCard();
  c.card_no = " HBW-2026-000123 ";
  c.household["address"] = "  海勃湾区凤凰岭街道和平社区3栋2单元401\t";
  c.household["phone"] = "0473 2345678";
  c.members[0]["name"] = "阿依古丽•吐尔逊";  // U+2022 from some input methods
  c.members[0]["former_name"] = "";
  c.members[1]["chronic_disease"] = "3，1, 1";
  c.members[1]["children_count"] = "02";
  c.members[1]["phone"] = "139 0473 0002";
  c.members[3]["id_number"] = "150302400815002";  // 15 digits
  // An ID number ending in X, written with a lower-case x.
  std::string x_id;
  for (int seq = 0; seq < 1000 && x_id.empty(); seq += 2) {
    char buf[4];
    std::snprintf(buf, sizeof buf, "%03d", seq);
    std::string id = MakeId("150302", "20120304", buf);
    if (id.back() == 'X') x_id = id;
  }
  REQUIRE_FALSE(x_id.empty());
  c.members[2]["id_number"] = x_id;
  c.members[2]["id_number"].back() = 'x';
  c.members[3]["disability_category"] = "4";
  c.members[3]["disability_grade"] = "2";
  c.members[3]["disability_cert"] = MakeId("150302", "19400815", "002") + "42b1";

  CardCheck r = CheckCard(c, Ctx());
  CHECK(Render(r.problems) == "");
  const Card& n = r.normalized;
  CHECK(n.card_no == "HBW-2026-000123");
  CHECK(n.household.at("address") == "海勃湾区凤凰岭街道和平社区3栋2单元401");
  CHECK(n.household.at("phone") == "0473-2345678");
  CHECK(n.members[0].at("name") == "阿依古丽·吐尔逊");
  CHECK(n.members[0].count("former_name") == 0);
  CHECK(n.members[0].count("status") == 0);  // the default is not written
  CHECK(n.members[1].at("chronic_disease") == "1,3");
  CHECK(n.members[1].at("children_count") == "2");
  CHECK(n.members[1].at("phone") == "13904730002");
  CHECK(n.members[2].at("id_number") == x_id);
  CHECK(n.members[3].at("id_number") == MakeId("150302", "19400815", "002"));
  CHECK(n.members[3].at("disability_cert") == MakeId("150302", "19400815", "002") + "42B1");
  // The input is untouched, and normalising twice changes nothing.
  CHECK(c.members[3].at("id_number") == "150302400815002");
  CardCheck again = CheckCard(n, Ctx());
  CHECK(again.problems.empty());
  CHECK(again.normalized == n);
}

TEST_CASE("every problem names the card, member and field; ToString reads well") {
  Card c = ValidCard();
  c.members[2]["id_number"].back() = c.members[2]["id_number"].back() == '1' ? '2' : '1';
  CardCheck r = CheckCard(c, Ctx());
  REQUIRE(r.problems.size() == 1);
  const Problem& p = r.problems[0];
  CHECK(p.card_no == "HBW-2026-000123");
  CHECK(p.member == 2);
  CHECK(p.block == "member");
  CHECK(p.field == "id_number");
  CHECK(StartsWith(p.ToString(),
                   "card HBW-2026-000123 member 3 id_number: [id_check] 证件号码校验位应为"));
  CHECK_FALSE(r.ok());
}

TEST_CASE("CheckField: the same rules, one field at a time") {
  const Catalog& cat = Ref().catalog();
  ValidationContext ctx = Ctx();
  const FieldDef& id = *cat.Find(EntityKind::kPerson, "id_number");
  const FieldDef& name = *cat.Find(EntityKind::kPerson, "name");
  const FieldDef& marital = *cat.Find(EntityKind::kPerson, "marital");
  const FieldDef& community = *cat.Find(EntityKind::kHousehold, "community");
  const FieldDef& chronic = *cat.Find(EntityKind::kPerson, "chronic_disease");

  FieldCheck a = CheckField(id, " 150302400815002 ", ctx);
  CHECK_FALSE(a.problem);
  CHECK(a.value == MakeId("150302", "19400815", "002"));
  FieldCheck b = CheckField(id, "150302400815003", ctx);  // still fine: no check char in 15
  CHECK_FALSE(b.problem);
  FieldCheck c = CheckField(id, WrongCheck(MakeId("150302", "19800101", "001")), ctx);
  REQUIRE(c.problem);
  CHECK(c.problem->code == "id_check");
  CHECK(c.problem->block == "member");
  CHECK(c.problem->field == "id_number");
  CHECK(c.problem->member == -1);

  FieldValues no_doc = {{"doc_type", "9"}};
  CHECK(CheckField(id, "150302400815002", ctx, &no_doc).problem->code == "id_not_allowed");
  CHECK_FALSE(CheckField(id, "", ctx, &no_doc).problem);
  FieldValues citizen = {{"doc_type", "1"}};
  CHECK(CheckField(id, "", ctx, &citizen).problem->code == "missing");
  CHECK_FALSE(CheckField(id, "", ctx).problem);  // conditional: unknown without the record

  CHECK(CheckField(name, "", ctx).problem->code == "missing");
  CHECK(CheckField(name, "张3", ctx).problem->code == "bad_name");
  FieldValues adult = {{"birth_date", "1980-01-01"}};
  FieldValues child = {{"birth_date", "2015-01-01"}};
  CHECK(CheckField(marital, "", ctx, &adult).problem->code == "missing");
  CHECK_FALSE(CheckField(marital, "", ctx, &child).problem);
  CHECK(CheckField(community, "150302400498", ctx).problem->code == "virtual_community");
  CHECK(CheckField(community, "150302001002", ctx).problem == std::nullopt);
  CHECK(CheckField(chronic, "4,2,2", ctx).value == "2,4");
}

TEST_CASE("severities and the address-code judgement") {
  CHECK(SeverityOf("id_check") == Severity::kError);
  CHECK(SeverityOf("registered_elsewhere") == Severity::kError);
  CHECK(SeverityOf("no_head") == Severity::kWarning);
  CHECK(SeverityOf("id_old_address") == Severity::kWarning);
  CHECK(SeverityOf("cert_mismatch") == Severity::kWarning);
  const Divisions& d = Ref().divisions();
  CHECK(AddressCodeLooksCurrent(d, "150302"));
  CHECK(AddressCodeLooksCurrent(d, "150304"));
  CHECK_FALSE(AddressCodeLooksCurrent(d, "150301"));
  CHECK_FALSE(AddressCodeLooksCurrent(d, "150300"));
  CHECK(AddressCodeLooksCurrent(d, "150202"));
  CHECK(AddressCodeLooksCurrent(d, "110105"));
  CHECK(AddressCodeLooksCurrent(d, "810000"));
  CHECK_FALSE(AddressCodeLooksCurrent(d, "810100"));
  CHECK_FALSE(AddressCodeLooksCurrent(d, "160101"));
  CHECK_FALSE(AddressCodeLooksCurrent(d, "110100"));
  CHECK_FALSE(AddressCodeLooksCurrent(d, "110005"));
  CHECK_FALSE(AddressCodeLooksCurrent(d, "11010"));
}
