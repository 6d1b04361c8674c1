// Revocations on a USB stick (docs/FORMATS.md, "Bundle"): a bundle carries every revocation its
// exporter knows; the importer takes them before the changes, so a revoked node's later changes
// are refused, or removed when they came first. Real nodes, real LMDB, either suite.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "node/base/text.h"
#include "node/base/time.h"
#include "node/service/revoke.h"
#include "node/service/verify.h"
#include "tests/service/service_support.h"

using namespace shequ;
using namespace shequ::testing;
using trust::NodeKind;

namespace {

struct World {
  Testbed bed;
  std::unique_ptr<service::Node> terminal, heping, hub, office;
  World() {
    bed.AddNode("t-heping", NodeKind::kTerminal, {kHeping});
    bed.AddNode("heping", NodeKind::kCommunity, {kHeping});
    bed.AddNode("hub", NodeKind::kHub, {"1503"});
    bed.AddNode("office", NodeKind::kOffice, {"1503"});
    terminal = bed.Open("t-heping");
    heping = bed.Open("heping");
    hub = bed.Open("hub");
    office = bed.Open("office");
    for (service::Node* a : {terminal.get(), heping.get(), hub.get(), office.get()})
      for (service::Node* b : {terminal.get(), heping.get(), hub.get(), office.get()})
        if (a != b) {
          Status st = a->store().Write([&](store::Txn& txn) {
            return a->trust()
                .Add(txn, a->store().dbi(store::Db::kTrust),
                     b->trust().Find(b->cert().node_id)->encoded)
                .status();
          });
          REQUIRE(st.ok());
        }
  }
  Id32 Edit(service::Node& n, const crdt::EntityRef& e, const std::string& value) {
    Id32 id{};
    Status st = n.store().Write([&](store::Txn& txn) -> Status {
      ASSIGN_OR_RETURN(id, n.Commit(txn, e, {{"marital", value}}, {}));
      return Status::Ok();
    });
    REQUIRE_MESSAGE(st.ok(), st.ToString());
    return id;
  }
  bool Has(service::Node& n, const Id32& id) {
    auto r = n.store().BeginRead();
    return r->txn().Get(n.store().dbi(store::Db::kChanges), id)->has_value();
  }
};

}  // namespace

TEST_CASE(
    "bundles carry revocations: later changes are removed where they came first and "
    "refused where they come after; earlier ones stay") {
  World w;
  crdt::EntityRef person{kHeping, model::EntityKind::kPerson, w.terminal->NewEntityId()};
  Id32 e1 = w.Edit(*w.terminal, person, "10");
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  uint64_t at = NowMillis();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  Id32 e2 = w.Edit(*w.terminal, person, "20");

  // The community office has both before anyone knows.
  auto first = Carry(*w.terminal, *w.heping, w.bed.dir("t1.bundle"));
  CHECK(first.applied == 2);

  // The office takes the revocation; its bundle (no changes of its own) carries it.
  service::RevokeOptions o;
  o.node = w.terminal->cert().node_id;
  o.reason = "终端丢失";
  o.at_ms = at;
  Bytes rev = service::IssueRevocation(w.bed.city_dir(), o).value().Encode().value();
  REQUIRE(service::ImportRevocation(*w.office, rev).ok());
  auto ex = service::ExportBundle(*w.office, w.bed.dir("office.bundle"), "");
  REQUIRE(ex.ok());
  CHECK(ex->revocations == 1);

  auto at_heping = service::ImportBundle(*w.heping, w.bed.dir("office.bundle"));
  REQUIRE(at_heping.ok());
  CHECK(at_heping->revocations == 1);
  CHECK(at_heping->revoked_removed == 1);
  CHECK(w.Has(*w.heping, e1));
  CHECK_FALSE(w.Has(*w.heping, e2));
  // Importing it again changes nothing.
  auto again = service::ImportBundle(*w.heping, w.bed.dir("office.bundle"));
  REQUIRE(again.ok());
  CHECK(again->revocations == 0);
  CHECK(again->revoked_removed == 0);

  // The hub gets the revocation first, then the terminal's changes: the later one is refused.
  REQUIRE(service::ImportBundle(*w.hub, w.bed.dir("office.bundle")).ok());
  auto at_hub = Carry(*w.terminal, *w.hub, w.bed.dir("t2.bundle"));
  CHECK(at_hub.applied == 1);
  REQUIRE(at_hub.rejected == 1);
  CHECK(at_hub.rejections[0].id == e2);
  CHECK(at_hub.rejections[0].code == "revoked");
  CHECK(at_hub.rejections[0].reason.find("终端丢失") != std::string::npos);
  CHECK(Digest(*w.hub, kHeping) == Digest(*w.heping, kHeping));
  // And a bundle from the hub carries the revocation on to the terminal itself.
  auto back = Carry(*w.hub, *w.terminal, w.bed.dir("hub.bundle"));
  CHECK(back.revocations == 1);
  CHECK(back.revoked_removed == 1);  // its own later edit goes too
  CHECK(Digest(*w.terminal, kHeping) == Digest(*w.hub, kHeping));
  for (service::Node* n : {w.heping.get(), w.hub.get(), w.terminal.get()}) {
    auto report = service::Verify(*n);
    REQUIRE(report.ok());
    CHECK_MESSAGE(report->ok(), Join(report->differences, "; "));
  }
  // The revoked node's own replica refuses its new edits too.
  Status st = w.terminal->store().Write([&](store::Txn& txn) -> Status {
    return w.terminal->Commit(txn, person, {{"marital", "30"}}, {}).status();
  });
  CHECK(st.code() == Code::kPermissionDenied);
  CHECK(st.message().find("revoked") != std::string::npos);
}

TEST_CASE("a bundle's revocation not signed by the city root is refused and reported") {
  World w;
  Testbed other;
  service::RevokeOptions o;
  o.node = w.terminal->cert().node_id;
  o.reason = "forged";
  o.at_ms = NowMillis() - 3'600'000;
  Bytes forged = service::IssueRevocation(other.city_dir(), o).value().Encode().value();
  service::BundleChunk chunk;
  chunk.revocations = {forged};
  auto bytes = service::EncodeBundleChunk(chunk);
  REQUIRE(bytes.ok());
  std::string path = w.bed.dir("forged.bundle");
  std::string file(service::kBundleMagic);
  for (int i = 0; i < 4; ++i) file.push_back(static_cast<char>(bytes->size() >> (8 * i)));
  file.append(AsChars(*bytes));
  FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f);
  REQUIRE(std::fwrite(file.data(), 1, file.size(), f) == file.size());
  std::fclose(f);
  auto im = service::ImportBundle(*w.hub, path);
  REQUIRE(im.ok());
  CHECK(im->revocations == 0);
  CHECK(im->revocations_refused == 1);
  REQUIRE(im->errors.size() == 1);
  CHECK(im->errors[0].find("not signed by this city's root") != std::string::npos);
  CHECK(w.hub->trust().RevocationOf(w.terminal->cert().node_id) == nullptr);
  // The chunk decoder keeps revocations as they were.
  auto decoded = service::DecodeBundleChunk(*bytes);
  REQUIRE(decoded.ok());
  CHECK(decoded->revocations == chunk.revocations);
}
