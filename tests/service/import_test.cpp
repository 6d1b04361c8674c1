// Cards into a community node: validation, storage, indexes, updates, edits.
#include <doctest/doctest.h>

#include "replication/crdt/seal.h"
#include "tests/service/service_support.h"

using namespace shequ;
using namespace shequ::testing;
using service::CardResult;
using trust::NodeKind;

namespace {
struct Community {
  Testbed bed;
  std::unique_ptr<service::Node> node;
  Community() {
    bed.AddNode("heping", NodeKind::kCommunity, {kHeping});
    node = bed.Open("heping");
  }
};
}  // namespace

TEST_CASE("a valid card is stored as a household, its members and the visit") {
  Community c;
  auto results = Import(*c.node, FamilyCard());
  REQUIRE(results.size() == 1);
  CHECK(results[0].outcome == CardResult::Outcome::kStored);
  CHECK(results[0].persons == 3);
  CHECK(results[0].changes == 5);  // household, three persons, the visit
  CHECK(results[0].problems.empty());
  auto r = c.node->store().BeginRead();
  auto households = c.node->replica().FindByCard(*r, "HBW-2026-000123");
  REQUIRE(households->size() == 1);
  auto members = c.node->replica().Members(*r, (*households)[0]);
  CHECK(members->size() == 3);
  auto head = c.node->replica().FindByIdNumber(*r, "150302198001010015");
  REQUIRE(head->size() == 1);
  auto values = c.node->replica().Values(*r, (*head)[0]);
  CHECK(values->at("name") == "张伟");
  CHECK(values->at("household") == Hex((*households)[0].entity));
  auto hv = c.node->replica().Values(*r, (*households)[0]);
  CHECK(hv->at("address") == "海勃湾区凤凰岭街道和平社区3栋2单元401");
  CHECK(hv->count("community") == 0);  // the community is the entity's scope, not a field
}

TEST_CASE("a card with an error is refused whole; the other cards of the call still import") {
  Community c;
  std::string bad = FamilyCard("HBW-2026-000124", "150302198001010016");  // wrong check digit
  auto results =
      Import(*c.node, "[" + bad + "," + FamilyCard("HBW-2026-000125", "150302198001010031") + "]");
  REQUIRE(results.size() == 2);
  CHECK(results[0].outcome == CardResult::Outcome::kRefused);
  bool named = false;
  for (const auto& p : results[0].problems)
    named |= p.code == "id_check" && p.member == 0 && p.field == "id_number" &&
             p.card_no == "HBW-2026-000124";
  CHECK(named);
  // Nothing of the refused card: not its household, not its valid members.
  auto r = c.node->store().BeginRead();
  CHECK(c.node->replica().FindByCard(*r, "HBW-2026-000124")->empty());
  // The second card repeats the refused card's other members' ID numbers: it stores fine, since
  // nothing of the first card was stored.
  CHECK(results[1].outcome == CardResult::Outcome::kStored);
  CHECK(c.node->replica().FindByCard(*r, "HBW-2026-000125")->size() == 1);
}

TEST_CASE("warnings are reported and stored with the record") {
  Community c;
  std::string card = FamilyCard();
  // Two heads of household: a warning, not an error.
  size_t pos = card.find(R"("relationship":"10")");
  card.replace(pos, 19, R"("relationship":"02")");
  auto results = Import(*c.node, card);
  REQUIRE(results[0].outcome == CardResult::Outcome::kStored);
  bool warned = false;
  for (const auto& p : results[0].problems) warned |= p.code == "many_heads" || p.code == "no_head";
  CHECK(warned);
  // The warning names member 2's relationship, so it is stored with that person's record.
  auto r = c.node->store().BeginRead();
  auto second = (*c.node->replica().FindByIdNumber(*r, "150302198205030026"))[0];
  auto view = service::ViewEntity(*c.node, *r, second);
  bool stored = false;
  for (const auto& n : view->warnings) stored |= n.code == "many_heads" || n.code == "no_head";
  CHECK(stored);
}

TEST_CASE(
    "importing the same card twice changes nothing; a changed card writes only what changed") {
  Community c;
  Import(*c.node, FamilyCard());
  size_t changes = Count(*c.node, store::Db::kChanges);
  std::string digest = Digest(*c.node);
  auto again = Import(*c.node, FamilyCard());
  CHECK(again[0].outcome == CardResult::Outcome::kUnchanged);
  CHECK(Count(*c.node, store::Db::kChanges) == changes);
  CHECK(Digest(*c.node) == digest);
  auto moved = Import(*c.node, FamilyCard("HBW-2026-000123", "150302198001010015",
                                          "海勃湾区凤凰岭街道和平社区5栋1单元101"));
  CHECK(moved[0].outcome == CardResult::Outcome::kUpdated);
  CHECK(moved[0].changes == 1);
  auto r = c.node->store().BeginRead();
  auto hh = (*c.node->replica().FindByCard(*r, "HBW-2026-000123"))[0];
  auto changes_of = c.node->replica().History(*r, hh);
  REQUIRE(changes_of->size() == 2);
  CHECK(changes_of->back().body.writes.size() == 1);
  CHECK(changes_of->back().body.writes[0].field == "address");
  CHECK(c.node->replica().Members(*r, hh)->size() == 3);  // members matched, not duplicated
}

TEST_CASE("the same card from another tool is recorded per tool for the assessment") {
  Community c;
  Import(*c.node, FamilyCard(), crdt::Tool::kCard);
  auto second = Import(*c.node, FamilyCard(), crdt::Tool::kTerminal);
  CHECK(second[0].outcome == CardResult::Outcome::kUpdated);
  auto head = PersonById(*c.node, "150302198001010015");
  auto r = c.node->store().BeginRead();
  auto name = c.node->replica().Field(*r, head, "name");
  REQUIRE(name->has_value());
  // Sealed values: the same token per tool, and the value opens to the name.
  REQUIRE((*name)->by_tool[0]);
  REQUIRE((*name)->by_tool[2]);
  CHECK((*name)->by_tool[0]->kind == crdt::ValueKind::kSealed);
  CHECK(crdt::TokenOf((*name)->by_tool[0]->value) == crdt::TokenOf((*name)->by_tool[2]->value));
  CHECK((*name)->heads.size() == 1);
  CHECK(**c.node->replica().OpenValue(*r, head, "name", (*name)->heads[0]) == "张伟");
}

TEST_CASE("an ID number registered to another household is refused, with the way out") {
  Community c;
  Import(*c.node, FamilyCard());
  auto results = Import(*c.node, FamilyCard("HBW-2026-000200", "150302198001010015",
                                            "海勃湾区凤凰岭街道和平社区9栋1单元101"));
  REQUIRE(results[0].outcome == CardResult::Outcome::kRefused);
  bool named = false;
  for (const auto& p : results[0].problems)
    named |=
        p.code == "registered_elsewhere" && p.message.find("HBW-2026-000123") != std::string::npos;
  CHECK(named);
}

TEST_CASE("person set validates the edit as part of the household's card") {
  Community c;
  Import(*c.node, FamilyCard());
  auto head = PersonById(*c.node, "150302198001010015");
  auto ok = service::EditPerson(*c.node, head, {{"phone", "13904735555"}, {"marital", "21"}},
                                crdt::Tool::kPlatform, "王芳", kToday);
  REQUIRE(ok.ok());
  CHECK(ok->stored);
  CHECK(View(*c.node, head).Value("phone") == "13904735555");
  size_t changes = Count(*c.node, store::Db::kChanges);
  auto bad =
      service::EditPerson(*c.node, head, {{"gender", "2"}}, crdt::Tool::kPlatform, "王芳", kToday);
  REQUIRE(bad.ok());
  CHECK_FALSE(bad->stored);
  REQUIRE(!bad->problems.empty());
  CHECK(bad->problems[0].code == "id_gender_mismatch");
  CHECK(Count(*c.node, store::Db::kChanges) == changes);
  auto unknown =
      service::EditPerson(*c.node, head, {{"nickname", "伟哥"}}, crdt::Tool::kPlatform, "", kToday);
  CHECK(unknown.status().code() == Code::kInvalidArgument);
}

TEST_CASE("a full map grows and the import goes on") {
  Testbed bed;
  bed.AddNode("heping", NodeKind::kCommunity, {kHeping});
  service::Node::Options o;
  o.store.initial_map_size = 64 << 10;  // far too small: forces several doublings
  auto node = bed.Open("heping", o);
  size_t before = node->store().map_size();
  std::string cards = "[";
  for (int i = 0; i < 60; ++i) {
    // Distinct card numbers; members without ID numbers avoid the cross-household rule.
    std::string card = R"({"card_no":"HBW-2026-)" + std::to_string(100000 + i) +
                       R"(","community":"150302001002",
      "household":{"address":"和平社区)" +
                       std::to_string(i) + R"(号","household_type":"1"},
      "members":[{"name":"王磊","gender":"1","ethnicity":"01","birth_date":"1970-01-01","doc_type":"9",
                  "relationship":"02","residence_status":"1","marital":"20","education":"21","employment":"1"}],
      "visit":{"date":"2026-11-20","result":"1","collector":"王芳"}})";
    cards += (i ? "," : "") + card;
  }
  cards += "]";
  auto results = Import(*node, cards);
  size_t stored = 0;
  for (const auto& r : results) stored += r.outcome == CardResult::Outcome::kStored;
  CHECK(stored == 60);
  CHECK(node->store().map_size() > before);
  CHECK(Count(*node, store::Db::kChanges) == 180);
}

TEST_CASE("a map that must grow under this thread's own read transaction refuses, not deadlocks") {
  // Found by the whole-city demo: a hub applying a batch while one of its sessions held a
  // reconciliation snapshot waited for itself forever.
  TempDir dir;
  store::StoreOptions o;
  o.initial_map_size = 64 << 10;
  o.resize_wait = std::chrono::milliseconds(200);
  auto s = store::Store::Open(dir.path(), o);
  REQUIRE(s.ok());
  const std::string big(256 << 10, 'x');
  auto put = [&](const std::string& key) {
    return (*s)->Write([&](store::Txn& txn) {
      return txn.Put((*s)->dbi(store::Db::kMeta), AsBytes(key), AsBytes(big));
    });
  };
  {
    auto snapshot = (*s)->BeginRead();
    REQUIRE(snapshot.ok());
    Status st = put("a");
    CHECK(st.code() == Code::kUnavailable);
    CHECK(st.message().find("read transaction") != std::string::npos);
  }
  CHECK(put("a").ok());  // the snapshot closed: the map grows and the write goes in
  CHECK((*s)->map_size() > (64u << 10));
}
