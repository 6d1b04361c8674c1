// Authority at merge: every forged, damaged or unauthorized change is refused, counted and
// logged, and nothing of it is applied.
#include <doctest/doctest.h>

#include "node/base/time.h"
#include "tests/crdt/crdt_support.h"
#include "tests/support/testbed.h"

using namespace shequ;
using namespace shequ::testing;
using crdt::ChangeBody;
using model::Department;
using model::EntityKind;
using trust::NodeKind;

namespace {

constexpr char kCommunity[] = "150302001002";
constexpr uint64_t kDay = 86'400'000ull;

struct World {
  Testbed bed;
  std::unique_ptr<service::Node> receiver, community, police, future, expired;
  World() {
    uint64_t now = NowMillis();
    bed.AddNode("receiver", NodeKind::kHub, {"1503"});
    bed.AddNode("community", NodeKind::kCommunity, {kCommunity});
    bed.AddNode("police", NodeKind::kDepartment, {"1503"}, Department::kPolice);
    bed.AddNode("future", NodeKind::kCommunity, {kCommunity}, std::nullopt, now + 30 * kDay, 365);
    bed.AddNode("expired", NodeKind::kCommunity, {kCommunity}, std::nullopt, now - 400 * kDay, 30);
    receiver = bed.Open("receiver");
    community = bed.Open("community");
    police = bed.Open("police");
    future = bed.Open("future");
    expired = bed.Open("expired");
    for (auto* n : {community.get(), police.get(), future.get(), expired.get()}) Learn(*n);
  }
  void Learn(service::Node& n) {
    auto st = receiver->store().Write([&](store::Txn& txn) {
      return receiver->trust()
          .Add(txn, receiver->store().dbi(store::Db::kTrust),
               n.trust().Find(n.cert().node_id)->encoded)
          .status();
    });
    REQUIRE(st.ok());
  }
  ChangeBody Body(service::Node& signer, const std::string& field, const std::string& value,
                  uint64_t ms = 0, const std::string& where = kCommunity) {
    ChangeBody b;
    b.community = where;
    b.entity = {1, 2, 3};
    b.kind = EntityKind::kPerson;
    b.hlc = crdt::MakeHlc(ms ? ms : NowMillis(), 0);
    b.origin = signer.cert().node_id;
    b.writes = {crdt::Write{field, crdt::ValueKind::kText, value, {}}};
    return b;
  }
  // Receives one record; returns the outcome and the rejection code.
  std::pair<crdt::Outcome, std::string> Receive(ByteView record) {
    crdt::Outcome outcome{};
    crdt::Rejection why;
    auto st = receiver->store().Write([&](store::Txn& txn) -> Status {
      auto o = receiver->replica().Receive(txn, record, &why);
      if (!o.ok()) return o.status();
      outcome = *o;
      return Status::Ok();
    });
    REQUIRE_MESSAGE(st.ok(), st.ToString());
    return {outcome, why.code};
  }
  size_t Count(store::Db db) { return *receiver->store().Count(db); }
  std::string Digest() {
    auto r = receiver->store().BeginRead();
    return Hex(*receiver->replica().StateDigest(*r, ""));
  }
};

}  // namespace

TEST_CASE("a flipped bit anywhere in a change is rejected and nothing is applied") {
  World w;
  crdt::Change good = Sign(w.Body(*w.community, "name", "王芳"), w.community->key());
  Bytes record = crdt::EncodeRecord(good);
  std::string digest = w.Digest();
  size_t rejected = 0;
  for (size_t i = 0; i < record.size(); ++i) {
    for (uint8_t bit : {uint8_t{1}, uint8_t{0x80}}) {
      Bytes bad = record;
      bad[i] ^= bit;
      auto [outcome, code] = w.Receive(bad);
      CAPTURE(i);
      REQUIRE(outcome == crdt::Outcome::kRejected);
      CHECK((code == "malformed" || code == "bad_signature" || code == "unknown_signer"));
      ++rejected;
    }
  }
  CHECK(w.Digest() == digest);
  CHECK(w.Count(store::Db::kChanges) == 0);
  CHECK(w.Count(store::Db::kRejected) == rejected);
  // The intact change is then accepted.
  CHECK(w.Receive(record).first == crdt::Outcome::kApplied);
  CHECK(w.Receive(record).first == crdt::Outcome::kDuplicate);
}

TEST_CASE("a change signed by a key of another city is rejected, and its certificate is refused") {
  World w;
  Testbed other;
  other.AddNode("intruder", NodeKind::kCommunity, {kCommunity});
  auto intruder = other.Open("intruder");
  crdt::Change c = Sign(w.Body(*intruder, "name", "李四"), intruder->key());
  auto [outcome, code] = w.Receive(crdt::EncodeRecord(c));
  CHECK(outcome == crdt::Outcome::kRejected);
  CHECK(code == "unknown_signer");
  auto st = w.receiver->store().Write([&](store::Txn& txn) {
    return w.receiver->trust()
        .Add(txn, w.receiver->store().dbi(store::Db::kTrust),
             intruder->trust().Find(intruder->cert().node_id)->encoded)
        .status();
  });
  CHECK(st.code() == Code::kPermissionDenied);
  CHECK(w.Receive(crdt::EncodeRecord(c)).second == "unknown_signer");
  CHECK(w.Count(store::Db::kChanges) == 0);
}

TEST_CASE("a department writing a field it does not own is rejected; its own field is accepted") {
  World w;
  auto [o1, c1] =
      w.Receive(crdt::EncodeRecord(Sign(w.Body(*w.police, "marital", "20"), w.police->key())));
  CHECK(o1 == crdt::Outcome::kRejected);
  CHECK(c1 == "no_write_grant");
  auto [o2, c2] = w.Receive(crdt::EncodeRecord(
      Sign(w.Body(*w.police, "id_number", "11010519491231002X"), w.police->key())));
  CHECK(o2 == crdt::Outcome::kApplied);
  CHECK(w.Count(store::Db::kChanges) == 1);
  CHECK(w.Count(store::Db::kRejected) == 1);
}

TEST_CASE("a change for a community outside the signer's scope is rejected") {
  World w;
  auto [o, code] = w.Receive(crdt::EncodeRecord(
      Sign(w.Body(*w.community, "name", "赵六", 0, "150303001001"), w.community->key())));
  CHECK(o == crdt::Outcome::kRejected);
  CHECK(code == "out_of_scope");
  CHECK(w.Count(store::Db::kChanges) == 0);
}

TEST_CASE("a change dated outside its signer's certificate validity is rejected") {
  World w;
  auto [o1, c1] =
      w.Receive(crdt::EncodeRecord(Sign(w.Body(*w.future, "name", "孙七"), w.future->key())));
  CHECK(o1 == crdt::Outcome::kRejected);
  CHECK(c1 == "not_yet_valid");
  auto [o2, c2] =
      w.Receive(crdt::EncodeRecord(Sign(w.Body(*w.expired, "name", "周八"), w.expired->key())));
  CHECK(o2 == crdt::Outcome::kRejected);
  CHECK(c2 == "expired");
  // The expired node's change made while its certificate was valid is accepted.
  uint64_t back_then = NowMillis() - 390 * kDay;
  auto [o3, c3] = w.Receive(
      crdt::EncodeRecord(Sign(w.Body(*w.expired, "name", "周八", back_then), w.expired->key())));
  CHECK(o3 == crdt::Outcome::kApplied);
  CHECK(w.Count(store::Db::kChanges) == 1);
  CHECK(w.Count(store::Db::kRejected) == 2);
}

TEST_CASE("unknown fields and the scope field are rejected") {
  World w;
  CHECK(
      w.Receive(crdt::EncodeRecord(Sign(w.Body(*w.community, "nickname", "x"), w.community->key())))
          .second == "unknown_field");
  ChangeBody b = w.Body(*w.community, "community", "150302001003");
  b.kind = EntityKind::kHousehold;
  CHECK(w.Receive(crdt::EncodeRecord(Sign(b, w.community->key()))).second == "scope_field");
  CHECK(w.Count(store::Db::kChanges) == 0);
}
