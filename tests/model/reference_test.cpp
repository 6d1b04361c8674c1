#include "node/model/reference.h"

#include <doctest/doctest.h>

using namespace shequ::model;

TEST_CASE("the compiled-in reference data loads and matches CARD.md") {
  auto ref = Reference::Load();
  REQUIRE_MESSAGE(ref.ok(), ref.status().ToString());
  const Catalog& cat = ref->catalog();
  const FieldDef* id = cat.Find(EntityKind::kPerson, "id_number");
  REQUIRE(id);
  CHECK(id->label == "证件号码");
  CHECK(id->owner == Department::kPolice);
  CHECK(id->cls == FieldClass::kPersonal);
  CHECK(id->identity);
  CHECK(id->required.kind == Requirement::kUnlessEquals);
  CHECK(id->required.other == "doc_type");
  const FieldDef* marital = cat.Find(EntityKind::kPerson, "marital");
  REQUIRE(marital);
  CHECK(marital->owner == Department::kHealth);
  CHECK(marital->required.kind == Requirement::kMinAge);
  CHECK(marital->required.min_age == 16);
  REQUIRE(marital->codes);
  CHECK(marital->codes->Label("20") == "已婚");
  CHECK(cat.Find(EntityKind::kHousehold, "phone") != nullptr);
  CHECK(cat.Find(EntityKind::kPerson, "nickname") == nullptr);
  CHECK(cat.OfEntity(EntityKind::kPerson).size() == 37);
  CHECK(cat.OfEntity(EntityKind::kHousehold).size() == 8);
}

TEST_CASE("divisions: 83 real communities and villages, virtual units refused") {
  auto ref = Reference::Load();
  REQUIRE(ref.ok());
  const Divisions& div = ref->divisions();
  CHECK(div.ResidentUnits().size() == 83);
  CHECK(div.Districts().size() == 3);
  CHECK(div.IsResidentUnit("150302001002"));
  CHECK_FALSE(div.IsResidentUnit("150302400498"));  // 虚拟社区
  CHECK_FALSE(div.IsResidentUnit("150302001000"));  // a subdistrict, not a community
  CHECK(div.IsCurrentCounty("150303"));
  CHECK_FALSE(div.IsCurrentCounty("150301"));
  CHECK(div.PathName("150302001002") == "海勃湾区凤凰岭街道办事处和平社区居委会");
}
