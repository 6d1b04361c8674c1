// A person moves from 和平社区 to 公园社区: move-out in the origin, carried by the district,
// accepted in the destination, and refused where it should be.
#include "node/service/transfer.h"

#include <doctest/doctest.h>

#include "tests/service/service_support.h"

using namespace shequ;
using namespace shequ::testing;
using trust::NodeKind;

namespace {
constexpr char kGongyuan[] = "150302001003";

std::string GongyuanCard() {
  return R"({"card_no":"HBW-2026-000900","community":"150302001003",
    "household":{"address":"海勃湾区凤凰岭街道公园社区1栋1单元101","household_type":"1"},
    "members":[{"name":"刘强","gender":"1","ethnicity":"01","birth_date":"1955-05-05","doc_type":"1","id_number":"150302195505050017","relationship":"02","residence_status":"1","marital":"20","education":"81","employment":"5"}],
    "visit":{"date":"2026-11-20","result":"1","collector":"李军"}})";
}
}  // namespace

TEST_CASE("a move-out travels to the destination and is accepted there") {
  Testbed bed;
  bed.AddNode("heping", NodeKind::kCommunity, {kHeping});
  bed.AddNode("gongyuan", NodeKind::kCommunity, {kGongyuan});
  bed.AddNode("district", NodeKind::kDistrict, {"150302"});
  auto a = bed.Open("heping");
  auto b = bed.Open("gongyuan");
  auto d = bed.Open("district");
  Import(*a, FamilyCard());
  Import(*b, GongyuanCard());
  auto child = PersonById(*a, "150302201209010019");
  auto t = service::TransferOut(*a, child, kGongyuan, "随祖父生活", kToday, "王芳");
  REQUIRE_MESSAGE(t.ok(), t.status().ToString());
  CHECK(View(*a, child).Value("status") == "2");  // 迁出 at the origin, not deleted
  // Origin -> district -> destination, as changes flow.
  auto up = Carry(*a, *d, bed.dir("a.bundle"));
  CHECK(up.rejected == 0);
  Carry(*b, *d, bed.dir("b.bundle"));
  auto down = Carry(*d, *b, bed.dir("d.bundle"), kGongyuan);
  CHECK(down.rejected == 0);
  auto list = service::ListTransfers(*b, Date{2026, 11, 30});
  REQUIRE(list.ok());
  REQUIRE(list->size() == 1);
  CHECK((*list)[0].status == "1");
  CHECK((*list)[0].name == "张*明");  // masked on screen
  CHECK((*list)[0].days_waiting == 4);
  auto acc = service::TransferAccept(*b, *t, "HBW-2026-000900", "41", Date{2026, 11, 30}, "李军");
  REQUIRE_MESSAGE(acc.ok(), acc.status().ToString());
  REQUIRE(acc->accepted);
  auto moved = PersonById(*b, "150302201209010019");  // only the active record in 公园社区
  CHECK(moved.community == kGongyuan);
  CHECK(View(*b, moved).Value("relationship") == "41");
  list = service::ListTransfers(*b, Date{2026, 11, 30});
  CHECK((*list)[0].status == "2");
  CHECK((*list)[0].accept_date == "2026-11-30");
  // The district sees both dates for the exchange indicator.
  Carry(*b, *d, bed.dir("b2.bundle"));
  auto dl = service::ListTransfers(*d, Date{2026, 11, 30});
  REQUIRE(dl->size() == 1);
  CHECK((*dl)[0].out_date == "2026-11-26");
  CHECK((*dl)[0].accept_date == "2026-11-30");
  // Accepting twice is refused; so is accepting in the wrong community.
  CHECK(service::TransferAccept(*b, *t, "HBW-2026-000900", "41", kToday, "").status().code() ==
        Code::kInvalidArgument);
}

TEST_CASE("a move-out may carry only move-out fields into another community") {
  Testbed bed;
  bed.AddNode("heping", NodeKind::kCommunity, {kHeping});
  bed.AddNode("hub", NodeKind::kHub, {"1503"});
  auto a = bed.Open("heping");
  auto hub = bed.Open("hub");
  Import(*a, FamilyCard());
  // Writing a person into another community is refused at the writer already...
  Status st = a->store().Write([&](store::Txn& txn) {
    return a
        ->Commit(txn, crdt::EntityRef{kGongyuan, model::EntityKind::kPerson, {1}},
                 {{"name", "李四"}}, {})
        .status();
  });
  CHECK(st.code() == Code::kPermissionDenied);
  // ...and so is a transfer that claims to be accepted, or that names a foreign origin.
  st = a->store().Write([&](store::Txn& txn) {
    return a
        ->Commit(txn, crdt::EntityRef{kGongyuan, model::EntityKind::kTransfer, {2}},
                 {{"status", "2"}, {"from_community", kHeping}}, {})
        .status();
  });
  CHECK(st.code() == Code::kPermissionDenied);
  st = a->store().Write([&](store::Txn& txn) {
    return a
        ->Commit(txn, crdt::EntityRef{kGongyuan, model::EntityKind::kTransfer, {3}},
                 {{"status", "1"}, {"from_community", "150302001004"}}, {})
        .status();
  });
  CHECK(st.code() == Code::kPermissionDenied);
}
