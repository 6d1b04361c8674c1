#include "node/model/id_number.h"

#include <doctest/doctest.h>

using namespace shequ;
using namespace shequ::model;

TEST_CASE("GB 11643 check character: the standard's own examples") {
  CHECK(IdCheckChar("11010519491231002") == 'X');
  CHECK(IdCheckChar("44052418800101001") == '4');

  IdParse a = ParseCitizenId("11010519491231002X");
  REQUIRE(a.error == IdError::kNone);
  CHECK(a.id.number == "11010519491231002X");
  CHECK(a.id.address == "110105");
  CHECK(a.id.birth == Date{1949, 12, 31});
  CHECK(a.id.sequence == 2);
  CHECK_FALSE(a.id.male());
  CHECK_FALSE(a.id.converted);

  IdParse b = ParseCitizenId("440524188001010014");
  REQUIRE(b.error == IdError::kNone);
  CHECK(b.id.birth == Date{1880, 1, 1});
  CHECK(b.id.sequence == 1);
  CHECK(b.id.male());
}

TEST_CASE("lower-case x is accepted and upper-cased") {
  IdParse p = ParseCitizenId("11010519491231002x");
  REQUIRE(p.error == IdError::kNone);
  CHECK(p.id.number == "11010519491231002X");
}

TEST_CASE("each IdError with a Chinese detail") {
  struct Case {
    const char* number;
    IdError error;
    const char* needle;
  };
  const Case kCases[] = {
      {"", IdError::kLength, "应为18位"},
      {"1101051949123100", IdError::kLength, "实为16位"},
      {"11010519491231002X1", IdError::kLength, "实为19位"},
      {"11010519491231A02X", IdError::kCharacters, "第15位"},
      {"11010519491231002Y", IdError::kCharacters, "校验位"},
      {"1101051949123100X2", IdError::kCharacters, "第17位"},
      {"11010519490231002X", IdError::kBirthDate, "19490231"},
      {"110105194912310021", IdError::kCheckChar, "校验位应为X，实为1"},
      {"11010519491231003X", IdError::kCheckChar, "校验位应为"},
      {"11010549023100A", IdError::kCharacters, "15位"},
      {"110105490231002", IdError::kBirthDate, "490231"},
      {"110105990101998", IdError::kNotConvertible, "百岁"},
  };
  for (const Case& c : kCases) {
    CAPTURE(c.number);
    IdParse p = ParseCitizenId(c.number);
    CHECK(p.error == c.error);
    CHECK(p.detail.find(c.needle) != std::string::npos);
  }
}

TEST_CASE("15-digit numbers convert to 18 digits") {
  // 11010519491231002X without "19" and the check character.
  auto r = Convert15To18("110105491231002");
  REQUIRE(r.ok());
  CHECK(*r == "11010519491231002X");

  IdParse p = ParseCitizenId("440524800101001");
  REQUIRE(p.error == IdError::kNone);
  CHECK(p.id.number == std::string("44052419800101001") + IdCheckChar("44052419800101001"));
  CHECK(p.id.converted);
  CHECK(p.id.birth == Date{1980, 1, 1});
  CHECK(p.id.male());

  CHECK_FALSE(Convert15To18("11010519491231002X").ok());
  CHECK_FALSE(Convert15To18("110105490231002").ok());
  CHECK_FALSE(Convert15To18("110105991231997").ok());  // a centenarian's number
}
