// Bundles between nodes; conflicts and their resolution; authority of departments; verify.
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>

#include "node/base/file.h"
#include "node/service/verify.h"
#include "tests/service/service_support.h"

using namespace shequ;
using namespace shequ::testing;
using model::Department;
using trust::NodeKind;

namespace {
struct City {
  Testbed bed;
  std::unique_ptr<service::Node> a, b, hub, health;
  City() {
    bed.AddNode("heping-a", NodeKind::kCommunity, {kHeping});
    bed.AddNode("heping-b", NodeKind::kTerminal, {kHeping});
    bed.AddNode("hub", NodeKind::kHub, {"1503"});
    bed.AddNode("health", NodeKind::kDepartment, {"1503"}, Department::kHealth);
    a = bed.Open("heping-a");
    b = bed.Open("heping-b");
    hub = bed.Open("hub");
    health = bed.Open("health");
  }
  std::string path(const std::string& name) const { return bed.dir(name); }
};
}  // namespace

TEST_CASE("a bundle carries a community to the hub; importing it twice changes nothing") {
  City c;
  Import(*c.a, FamilyCard());
  auto first = Carry(*c.a, *c.hub, c.path("a.bundle"));
  CHECK(first.applied == 5);
  CHECK(first.rejected == 0);
  CHECK(Digest(*c.hub, kHeping) == Digest(*c.a, kHeping));
  auto second = service::ImportBundle(*c.hub, c.path("a.bundle"));
  REQUIRE(second.ok());
  CHECK(second->applied == 0);
  CHECK(second->duplicates == 5);
  CHECK(Digest(*c.hub, kHeping) == Digest(*c.a, kHeping));
}

TEST_CASE("concurrent edits of an identity field on two nodes become a reviewed conflict") {
  City c;
  Import(*c.a, FamilyCard());
  Carry(*c.a, *c.b, c.path("ab.bundle"));
  auto head = PersonById(*c.a, "150302198001010015");
  // Offline, both correct the name differently.
  REQUIRE(service::EditPerson(*c.a, head, {{"name", "张玮"}}, crdt::Tool::kPlatform, "王芳", kToday)
              ->stored);
  REQUIRE(service::EditPerson(*c.b, head, {{"name", "章伟"}}, crdt::Tool::kTerminal, "李军", kToday)
              ->stored);
  Carry(*c.a, *c.b, c.path("a2.bundle"));
  Carry(*c.b, *c.a, c.path("b2.bundle"));
  CHECK(Digest(*c.a) == Digest(*c.b));
  auto view = View(*c.a, head);
  const service::FieldView* name = view.Find("name");
  REQUIRE(name);
  REQUIRE(name->siblings.size() == 1);
  {
    auto r = c.a->store().BeginRead();
    CHECK(c.a->replica().ReviewQueue(*r)->size() == 1);
  }
  // The community resolves: one change naming both values.
  Status st = c.a->store().Write([&](store::Txn& txn) {
    return c.a->Commit(txn, head, {service::FieldEdit{"name", "张玮"}}, {}).status();
  });
  REQUIRE(st.ok());
  Carry(*c.a, *c.b, c.path("a3.bundle"));
  CHECK(Digest(*c.a) == Digest(*c.b));
  auto r = c.b->store().BeginRead();
  CHECK(c.b->replica().ReviewQueue(*r)->empty());
  CHECK(View(*c.b, head).Value("name") == "张玮");
}

TEST_CASE(
    "a department's value is not overwritten by a later collector edit; it stays a proposal") {
  City c;
  Import(*c.a, FamilyCard());
  Carry(*c.a, *c.health, c.path("to-health.bundle"));
  auto head = PersonById(*c.health, "150302198001010015");
  Status st = c.health->store().Write([&](store::Txn& txn) {
    return c.health->Commit(txn, head, {service::FieldEdit{"marital", "22"}}, {}).status();
  });
  REQUIRE(st.ok());
  Carry(*c.health, *c.a, c.path("from-health.bundle"));
  CHECK(View(*c.a, head).Value("marital") == "22");
  REQUIRE(
      service::EditPerson(*c.a, head, {{"marital", "20"}}, crdt::Tool::kPlatform, "王芳", kToday)
          ->stored);
  auto view = View(*c.a, head);
  CHECK(view.Value("marital") == "22");
  REQUIRE(view.Find("marital")->proposals.size() == 1);
  CHECK(view.Find("marital")->proposals[0].value == "20");
  // The department may not write police fields.
  st = c.health->store().Write([&](store::Txn& txn) {
    return c.health->Commit(txn, head, {service::FieldEdit{"name", "张三"}}, {}).status();
  });
  CHECK(st.code() == Code::kPermissionDenied);
}

TEST_CASE("a bundle with a tampered change applies the rest and counts the rejection") {
  City c;
  Import(*c.a, FamilyCard());
  REQUIRE(service::ExportBundle(*c.a, c.path("t.bundle"), "").ok());
  // Flip one bit inside the third signed change of the (single) chunk.
  std::string bytes = *ReadFile(c.path("t.bundle"));
  size_t header = service::kBundleMagic.size();
  auto chunk = service::DecodeBundleChunk(AsBytes(bytes).subspan(header + 4));
  REQUIRE(chunk.ok());
  REQUIRE(chunk->changes.size() == 5);
  chunk->changes[2][chunk->changes[2].size() / 2] ^= 0x01;
  auto encoded = service::EncodeBundleChunk(*chunk);
  REQUIRE(encoded.ok());
  std::string out = bytes.substr(0, header);
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(encoded->size() >> (8 * i)));
  out += AsChars(*encoded);
  REQUIRE(WriteFileAtomic(c.path("t.bundle"), out).ok());
  auto stats = service::ImportBundle(*c.hub, c.path("t.bundle"));
  REQUIRE(stats.ok());
  CHECK(stats->rejected == 1);
  CHECK(stats->applied == 4);
  REQUIRE(stats->rejections.size() == 1);
  CHECK(Count(*c.hub, store::Db::kRejected) == 1);
}

TEST_CASE("files that are not bundles are refused; a truncated bundle keeps its good chunks") {
  City c;
  REQUIRE(WriteFileAtomic(c.path("x.bundle"), "{\"card_no\": 1}").ok());
  CHECK(service::ImportBundle(*c.hub, c.path("x.bundle")).status().code() ==
        Code::kInvalidArgument);
  Import(*c.a, FamilyCard());
  REQUIRE(service::ExportBundle(*c.a, c.path("t.bundle"), "").ok());
  std::string bytes = *ReadFile(c.path("t.bundle"));
  REQUIRE(WriteFileAtomic(c.path("t.bundle"), bytes.substr(0, bytes.size() - 10)).ok());
  auto stats = service::ImportBundle(*c.hub, c.path("t.bundle"));
  REQUIRE(stats.ok());
  CHECK(stats->rejected == 1);
  CHECK(!stats->errors.empty());
}

TEST_CASE("verify rebuilds the same state, and notices a damaged state") {
  City c;
  Import(*c.a, FamilyCard());
  Import(*c.a, FamilyCard("HBW-2026-000300", "150302198001010058", "和平社区7栋"));
  auto report = service::Verify(*c.a);
  REQUIRE(report.ok());
  CHECK(report->ok());
  CHECK(report->changes == Count(*c.a, store::Db::kChanges));
  // Damage one state record behind the fold's back.
  Status st = c.a->store().Write([&](store::Txn& txn) -> Status {
    auto cur = store::Cursor::Open(txn, c.a->store().dbi(store::Db::kState));
    REQUIRE(cur->First());
    Bytes key(cur->key().begin(), cur->key().end());
    return txn.Put(c.a->store().dbi(store::Db::kState), key, AsBytes("garbage"));
  });
  REQUIRE(st.ok());
  report = service::Verify(*c.a);
  REQUIRE(report.ok());
  CHECK_FALSE(report->ok());
  REQUIRE(!report->differences.empty());
  CHECK(report->differences[0].find("state") != std::string::npos);
}
