// The assessment on small cities built by hand: every indicator and total computed by hand here
// (issue 6): rates exactly at target and at floor, no-data cases, each grade band, districts.
#include "scoring/score.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <random>

#include "node/service/bundle.h"
#include "scoring/incremental.h"
#include "scoring/inputs.h"
#include "tests/support/testbed.h"

namespace shequ::testing {
namespace {

using model::EntityKind;
using trust::NodeKind;

constexpr char kA[] = "150302001002";  // 和平社区
constexpr char kB[] = "150302001003";  // 公园社区
constexpr char kC[] = "150302001004";  // 长青社区
// 2026-11-20 12:00 China Standard Time.
constexpr uint64_t kNov20 = 1795147200000ull;

double R2(double x) { return std::round(x * 100) / 100; }

struct City {
  Testbed tb;
  TempDir scratch;
  std::map<std::string, std::unique_ptr<service::Node>> nodes;
  uint64_t seq = 0;
  City() {
    setenv("SHEQU_TODAY", "2026-12-31", 1);
    // Certificates valid from 2026-01-01, before the changes dated in November.
    const uint64_t jan1 = 1767196800000ull;
    tb.AddNode("a", NodeKind::kCommunity, {kA}, std::nullopt, jan1);
    tb.AddNode("b", NodeKind::kCommunity, {kB}, std::nullopt, jan1);
    tb.AddNode("c", NodeKind::kCommunity, {kC}, std::nullopt, jan1);
    tb.AddNode("district", NodeKind::kDistrict, {"150302"}, std::nullopt, jan1);
    service::Node::Options o;
    o.wall_ms = [] { return kNov20; };
    for (const char* n : {"a", "b", "c", "district"}) nodes[n] = tb.Open(n, o);
  }
  service::Node& operator[](const std::string& n) { return *nodes.at(n); }
  Id16 NextId() {
    Id16 id{};
    ++seq;
    id[14] = static_cast<uint8_t>(seq >> 8);
    id[15] = static_cast<uint8_t>(seq);
    return id;
  }
  void Commit(service::Node& n, const crdt::EntityRef& e, std::vector<service::FieldEdit> edits,
              crdt::Tool tool, std::vector<crdt::Note> notes = {}) {
    service::Node::CommitOptions co;
    co.tool = tool;
    co.warnings = std::move(notes);
    Status st =
        n.store().Write([&](store::Txn& txn) { return n.Commit(txn, e, edits, co).status(); });
    INFO(st.ToString());
    REQUIRE(st.ok());
  }
  // A household with one member, both from the paper card: 3 + 2 counted fields.
  std::pair<crdt::EntityRef, crdt::EntityRef> Family(service::Node& n, const std::string& c, int i,
                                                     bool warn = false) {
    crdt::EntityRef h{c, EntityKind::kHousehold, NextId()};
    crdt::EntityRef p{c, EntityKind::kPerson, NextId()};
    std::vector<crdt::Note> notes;
    if (warn) notes.push_back({"address", "id_old_address", "证件号码前6位不是现行区划代码"});
    Commit(n, h,
           {{"card_no", "T-" + c.substr(9) + "-" + std::to_string(i)},
            {"address", "海勃湾区" + std::to_string(i) + "号楼"},
            {"household_type", "1"}},
           crdt::Tool::kCard, notes);
    Commit(n, p,
           {{"household", Hex(h.entity)}, {"name", "张" + std::to_string(i)}, {"gender", "1"}},
           crdt::Tool::kCard);
    return {h, p};
  }
  void Visit(service::Node& n, const std::string& c, const crdt::EntityRef& h,
             const std::string& date) {
    Commit(n, {c, EntityKind::kVisit, NextId()},
           {{"household", Hex(h.entity)}, {"date", date}, {"result", "1"}, {"collector", "王芳"}},
           crdt::Tool::kPlatform);
  }
  void ToDistrict(const std::string& from) {
    std::string path = scratch.path() + "/" + from + ".bundle";
    REQUIRE(service::ExportBundle((*this)[from], path, "").ok());
    REQUIRE(service::ImportBundle((*this)["district"], path).ok());
  }
};

const scoring::IndicatorResult& Ind(const scoring::CommunityScore& c, std::string_view key) {
  for (const auto& i : c.indicators)
    if (i.rule->key == key) return i;
  FAIL("no indicator " << key);
  throw std::runtime_error("unreachable");
}

const scoring::CommunityScore& Of(const scoring::Report& r, std::string_view code) {
  for (const auto& c : r.communities)
    if (c.code == code) return c;
  FAIL("no community " << code);
  throw std::runtime_error("unreachable");
}

TEST_CASE("periods: quarters, months, ranges; rules: defaults add up to 100") {
  auto q = *scoring::Period::Parse("2026Q4");
  CHECK(q.from == Date{2026, 10, 1});
  CHECK(q.to == Date{2026, 12, 31});
  auto m = *scoring::Period::Parse("2026-02");
  CHECK(m.to == Date{2026, 2, 28});
  auto r = *scoring::Period::Parse("2026-10-01..2026-11-15");
  CHECK(r.to == Date{2026, 11, 15});
  CHECK_FALSE(scoring::Period::Parse("2026Q5").ok());
  CHECK_FALSE(scoring::Period::Parse("2026-12-01..2026-11-01").ok());
  auto rules = scoring::Rules::Load();
  REQUIRE(rules.ok());
  CHECK(rules->rules.size() == 12);
  CHECK(rules->Find("fill_accuracy")->target == 0.95);
  CHECK(rules->Find("fill_accuracy")->floor == 0.80);
  CHECK(scoring::Rules::Parse("key,group,label,points,target,floor,department,kind\n"
                              "fill_accuracy,a,b,12,0.95,0.80,x,rate\n")
            .status()
            .code() == Code::kInvalidArgument);  // the others missing
  CHECK(scoring::GradeOf(90) == "优秀");
  CHECK(scoring::GradeOf(89.99) == "合格");
  CHECK(scoring::GradeOf(60) == "合格");
  CHECK(scoring::GradeOf(59.99) == "不合格");
}

TEST_CASE("three communities scored by hand: 合格 at target and floor, 不合格 with no data, 优秀") {
  City city;
  auto& a = city["a"];
  // --- Community A: 20 households of one member each, all from the paper card.
  std::vector<std::pair<crdt::EntityRef, crdt::EntityRef>> fa;
  for (int i = 0; i < 20; ++i) fa.push_back(city.Family(a, kA, i, /*warn=*/i < 5));
  // The platform re-enters 11 names: 10 the same, one different (a disagreement, and the card
  // no longer matches the current value).
  for (int i = 0; i <= 10; ++i)
    city.Commit(a, fa[i].second, {{"name", i == 10 ? "李10" : "张" + std::to_string(i)}},
                crdt::Tool::kPlatform);
  for (int i = 0; i < 19; ++i) city.Visit(a, kA, fa[i].first, "2026-11-15");
  city.Visit(a, kA, fa[19].first, "2026-09-15");  // before the period
  for (int i = 0; i < 19; ++i)
    REQUIRE(
        scoring::ArchiveCard(a, "T-002-" + std::to_string(i), "社区档案柜", {2026, 11, 1}).ok());
  REQUIRE(scoring::SetProfile(a, kA,
                              {{"name", "和平社区"},
                               {"office_address", "凤凰岭街道"},
                               {"office_phone", "13904730001"},
                               {"head", "王主任"},
                               {"staff_count", "8"}})
              .ok());
  // --- Community B: one family, nothing else.
  city.Family(city["b"], kB, 0);
  // --- Community C: 10 families, everything in order.
  auto& c = city["c"];
  for (int i = 0; i < 10; ++i) {
    auto [h, p] = city.Family(c, kC, i);
    city.Commit(c, p, {{"name", "张" + std::to_string(i)}}, crdt::Tool::kTerminal);
    city.Visit(c, kC, h, "2026-12-01");
    REQUIRE(
        scoring::ArchiveCard(c, "T-004-" + std::to_string(i), "社区档案柜", {2026, 11, 1}).ok());
  }
  REQUIRE(scoring::SetProfile(c, kC,
                              {{"name", "长青社区"},
                               {"office_address", "长青路1号"},
                               {"office_phone", "13904730002"},
                               {"head", "李主任"},
                               {"staff_count", "6"},
                               {"grid_count", "4"},
                               {"service_items", "低保,养老"},
                               {"service_hours", "8:30-17:30"},
                               {"area", "1.2"},
                               {"households_served", "10"}})
              .ok());
  // --- The district's inputs.
  auto& d = city["district"];
  auto q4 = *scoring::Period::Parse("2026Q4");
  REQUIRE(scoring::SetInput(d, kA, q4,
                            {{"confidentiality_rules", "1"},
                             {"terminal_rules", "1"},
                             {"pledge", "1"},
                             {"card_cabinet", "0"},
                             {"training", "0"},
                             {"innovation", "4"},
                             {"leaks", "2"},
                             {"leak_note", "登记卡复印件外流"}})
              .ok());
  REQUIRE(scoring::SetInput(d, kC, q4,
                            {{"confidentiality_rules", "1"},
                             {"terminal_rules", "1"},
                             {"pledge", "1"},
                             {"card_cabinet", "1"},
                             {"training", "1"},
                             {"innovation", "5"}})
              .ok());
  // A community may not enter its own assessment.
  CHECK(scoring::SetInput(a, kA, q4, {{"innovation", "5"}}).code() == Code::kPermissionDenied);
  for (const char* n : {"a", "b", "c"}) city.ToDistrict(n);

  auto rules = *scoring::Rules::Load();
  auto rep = scoring::Score(d, q4, "", rules);
  REQUIRE(rep.ok());
  REQUIRE(rep->communities.size() == 3);
  const auto& A = Of(*rep, kA);
  const auto& B = Of(*rep, kB);
  const auto& C = Of(*rep, kC);

  // A. Fill accuracy: 20 x (3 + 2) = 100 filled fields, 5 with a warning: 0.95, the target.
  CHECK(Ind(A, "fill_accuracy").numerator == 95);
  CHECK(Ind(A, "fill_accuracy").denominator == 100);
  CHECK(Ind(A, "fill_accuracy").points == 12);
  // Tool agreement: 11 card/platform pairs of names, 10 equal.
  CHECK(Ind(A, "tool_agreement").numerator == 10);
  CHECK(Ind(A, "tool_agreement").denominator == 11);
  double ta = R2(12 * (10.0 / 11 - 0.90) / (0.98 - 0.90));
  CHECK(Ind(A, "tool_agreement").points == doctest::Approx(ta));
  // Profile: 5 of 10 fields: 0.5, the floor.
  CHECK(Ind(A, "profile").numerator == 5);
  CHECK(Ind(A, "profile").points == 0);
  // Visits: 19 of 20 households in the period: 0.95.
  CHECK(Ind(A, "visit_coverage").numerator == 19);
  CHECK(Ind(A, "visit_coverage").points == 12);
  // Update frequency: every household changed on 2026-11-20, within 180 days.
  CHECK(Ind(A, "update_frequency").numerator == 20);
  CHECK(Ind(A, "update_frequency").points == 9);
  // Card/platform consistency: 100 fields with a card value, one name differs: 0.99.
  CHECK(Ind(A, "card_consistency").numerator == 99);
  CHECK(Ind(A, "card_consistency").denominator == 100);
  CHECK(Ind(A, "card_consistency").points == 9);
  // Leaks: 2 recorded: 10 - 2.
  CHECK(Ind(A, "leaks").points == 8);
  // Confidentiality: 3 of 5 items.
  CHECK(Ind(A, "confidentiality").points == 3);
  // Media: 19 of 20 cards archived (0.95: full third); no terminals; no sync with the hub.
  CHECK(Ind(A, "media").points == doctest::Approx(R2(5.0 / 3)));
  // Exchange: no transfers: full points.
  CHECK(Ind(A, "exchange").points == 10);
  CHECK_FALSE(Ind(A, "exchange").no_data);
  // Shared data: per person 8 required fields apply (name, gender, ethnicity, birth date,
  // doc type, ID number, relationship, residence status), 2 filled; per household 3 of 3.
  CHECK(Ind(A, "shared_data").numerator == 100);
  CHECK(Ind(A, "shared_data").denominator == 220);
  CHECK(Ind(A, "shared_data").points == 0);
  CHECK(Ind(A, "innovation").points == 4);
  double total_a = 12 + ta + 0 + 12 + 9 + 9 + 8 + 3 + R2(5.0 / 3) + 10 + 0 + 4;
  CHECK(A.total == doctest::Approx(R2(total_a)));
  CHECK(A.grade == "合格");
  CHECK(A.households == 20);

  // B: no pairs, no checklist, no innovation score: 无数据, zero points.
  CHECK(Ind(B, "tool_agreement").no_data);
  CHECK(Ind(B, "confidentiality").no_data);
  CHECK(Ind(B, "innovation").no_data);
  CHECK(Ind(B, "fill_accuracy").points == 12);
  CHECK(Ind(B, "visit_coverage").points == 0);
  CHECK(Ind(B, "profile").points == 0);
  CHECK(B.total == doctest::Approx(12 + 0 + 0 + 0 + 9 + 9 + 10 + 0 + 0 + 10 + 0 + 0));
  CHECK(B.grade == "不合格");

  // C: 10 card/terminal pairs all equal; full profile; full checklist; 5 for innovation.
  CHECK(Ind(C, "tool_agreement").numerator == 10);
  CHECK(Ind(C, "tool_agreement").points == 12);
  CHECK(Ind(C, "profile").points == 6);
  CHECK(Ind(C, "confidentiality").points == 5);
  double total_c = 12 + 12 + 6 + 12 + 9 + 9 + 10 + 5 + R2(5.0 / 3) + 10 + 0 + 5;
  CHECK(C.total == doctest::Approx(R2(total_c)));
  CHECK(C.grade == "优秀");

  // Ranks, highest first; the district is the household-weighted mean.
  CHECK(rep->communities[0].code == kC);
  CHECK(rep->communities[2].code == kB);
  CHECK(rep->communities[0].rank == 1);
  REQUIRE(rep->districts.size() == 1);
  double dist = (A.total * 20 + B.total * 1 + C.total * 10) / 31;
  CHECK(rep->districts[0].total == doctest::Approx(R2(dist)));
  CHECK(rep->districts[0].households == 31);

  // Every lost point traces to records: A's warnings name the fields; the archive miss, the
  // missing visit and the disagreement name their households and persons (masked).
  const auto& fill = Ind(A, "fill_accuracy").evidence;
  CHECK(fill.size() == 5);
  CHECK(fill[0].what.find("有警告id_old_address") != std::string::npos);
  const auto& agree = Ind(A, "tool_agreement").evidence;
  REQUIRE(agree.size() == 1);
  CHECK(agree[0].what.find("李*0") != std::string::npos);  // masked current name
  CHECK(Ind(A, "visit_coverage").evidence.size() == 1);
  std::string html = scoring::ReportHtml(*rep);
  CHECK(html.find("<svg") != std::string::npos);
  CHECK(html.find("http") == html.find("http://www.w3.org/2000/svg"));  // no network
  CHECK(html.find("张1") == std::string::npos);                         // only masked names
}

TEST_CASE("exchange timeliness: accepted within 7 days, late, overdue, not yet due") {
  City city;
  auto& a = city["a"];
  auto q4 = *scoring::Period::Parse("2026Q4");
  auto transfer = [&](const std::string& out, const std::string& status, const std::string& acc) {
    std::vector<service::FieldEdit> e = {{"person", Hex(city.NextId())},
                                         {"from_community", kB},
                                         {"out_date", out},
                                         {"record", "{}"},
                                         {"status", status}};
    if (!acc.empty()) e.push_back({"accept_date", acc});
    city.Commit(a, {kA, EntityKind::kTransfer, city.NextId()}, e, crdt::Tool::kPlatform);
  };
  city.Family(a, kA, 0);
  transfer("2026-11-01", "2", "2026-11-08");  // 7 days: on time
  transfer("2026-11-01", "2", "2026-11-09");  // 8 days: late
  transfer("2026-11-01", "1", "");            // still waiting at the period's end: overdue
  transfer("2026-12-28", "1", "");            // 3 days before the end: not yet due
  transfer("2026-09-01", "2", "2026-09-20");  // outside the period
  auto rep = scoring::Score(a, q4, kA, *scoring::Rules::Load());
  REQUIRE(rep.ok());
  const auto& x = Ind(rep->communities[0], "exchange");
  CHECK(x.numerator == 1);
  CHECK(x.denominator == 3);
  CHECK(x.rate == doctest::Approx(1.0 / 3));
  CHECK(x.points == 0);  // 1/3 is below the floor of 0.5
  CHECK(x.evidence.size() == 2);
}

}  // namespace
}  // namespace shequ::testing

namespace shequ::testing {
namespace {

// The kept counts agree with a full recount, whatever order the changes arrive in: random edits
// by three tools, warnings, department corrections, status changes, delivered shuffled.
TEST_CASE("incremental counts at the district equal a full recount, in any arrival order") {
  uint64_t first =
      std::getenv("SHEQU_SCORE_SEED") ? std::stoull(std::getenv("SHEQU_SCORE_SEED")) : 1;
  int seeds = std::getenv("SHEQU_SCORE_SEED") ? 1 : 5;
  for (uint64_t seed = first; seed < first + static_cast<uint64_t>(seeds); ++seed) {
    INFO("replay with SHEQU_SCORE_SEED=" << seed);
    City city;
    const uint64_t jan1 = 1767196800000ull;
    city.tb.AddNode("police", NodeKind::kDepartment, {"1503"}, model::Department::kPolice, jan1);
    service::Node::Options o;
    o.wall_ms = [] { return kNov20; };
    city.nodes["police"] = city.tb.Open("police", o);
    std::mt19937_64 rng(seed);
    auto pick = [&](uint64_t n) { return static_cast<size_t>(rng() % n); };
    const crdt::Tool tools[] = {crdt::Tool::kCard, crdt::Tool::kPlatform, crdt::Tool::kTerminal};
    std::vector<std::pair<crdt::EntityRef, crdt::EntityRef>> fams;
    for (const char* n : {"a", "b"}) {
      std::string code = std::string(n) == "a" ? kA : kB;
      for (int i = 0; i < 6; ++i) fams.push_back(city.Family(city[n], code, i, pick(3) == 0));
    }
    for (int step = 0; step < 60; ++step) {
      auto& [h, p] = fams[pick(fams.size())];
      auto& n = city[p.community == kA ? "a" : "b"];
      switch (pick(5)) {
        case 0:
        case 1:
          city.Commit(n, p, {{"name", "张" + std::to_string(pick(3))}}, tools[pick(3)]);
          break;
        case 2:
          city.Commit(n, h, {{"household_type", std::to_string(1 + pick(2))}}, tools[pick(3)],
                      pick(2) ? std::vector<crdt::Note>{{"household_type", "no_head", "x"}}
                              : std::vector<crdt::Note>{});
          break;
        case 3:
          city.Commit(n, p, {{"status", pick(4) == 0 ? "2" : "1"}}, crdt::Tool::kPlatform);
          break;
        case 4:
          city.Commit(city["police"], p, {{"gender", std::to_string(1 + pick(2))}},
                      crdt::Tool::kPlatform);
          break;
      }
    }
    // Every change record, shuffled, into the district one transaction at a time.
    std::vector<Bytes> records;
    for (const char* n : {"a", "b", "police"}) {
      auto& node = city[n];
      auto r = node.store().BeginRead();
      uint64_t last = 0;
      auto ids = node.replica().LogSince(*r, 0, 100000, &last);
      REQUIRE(ids.ok());
      for (const Id32& id : *ids) {
        auto c = node.replica().LoadChange(*r, id);
        REQUIRE(c.ok());
        REQUIRE(c->has_value());
        if ((*c)->body.kind == EntityKind::kHousehold || (*c)->body.kind == EntityKind::kPerson)
          records.push_back(crdt::EncodeRecord(**c));
      }
    }
    std::shuffle(records.begin(), records.end(), rng);
    auto& d = city["district"];
    REQUIRE(scoring::KeepCounts(d).ok());
    for (const Bytes& rec : records) {
      // The writers' certificates reach the district first, as replication would carry them.
      Status st = d.store().Write([&](store::Txn& txn) -> Status {
        for (const char* w : {"a", "b", "police"}) {
          const trust::Signer* s = city[w].trust().Find(city[w].cert().node_id);
          RETURN_IF_ERROR(
              d.trust().Add(txn, d.store().dbi(store::Db::kTrust), s->encoded).status());
        }
        crdt::Rejection why;
        auto o2 = d.replica().Receive(txn, rec, &why);
        if (!o2.ok()) return o2.status();
        if (*o2 == crdt::Outcome::kRejected) return Status::Invalid(why.reason);
        return Status::Ok();
      });
      INFO(st.ToString());
      REQUIRE(st.ok());
    }
    auto q4 = *scoring::Period::Parse("2026Q4");
    auto rules = *scoring::Rules::Load();
    auto kept = scoring::Score(d, q4, "", rules, {true});
    auto recount = scoring::Score(d, q4, "", rules, {false});
    REQUIRE(kept.ok());
    REQUIRE(recount.ok());
    REQUIRE(kept->communities.size() == recount->communities.size());
    size_t compared = 0;
    for (size_t i = 0; i < kept->communities.size(); ++i) {
      const auto& x = kept->communities[i];
      const auto& y = recount->communities[i];
      CHECK(x.code == y.code);
      CHECK(x.total == y.total);
      for (size_t k = 0; k < x.indicators.size(); ++k) {
        INFO(x.code << " " << x.indicators[k].rule->key);
        CHECK(x.indicators[k].numerator == y.indicators[k].numerator);
        CHECK(x.indicators[k].denominator == y.indicators[k].denominator);
        CHECK(x.indicators[k].points == y.indicators[k].points);
        compared += x.indicators[k].denominator > 0;
      }
    }
    CHECK(compared > 6);
    // And a rebuild from the state gives the same counts again.
    REQUIRE(scoring::RebuildCounts(d).ok());
    auto rebuilt = scoring::Score(d, q4, "", rules, {true});
    REQUIRE(rebuilt.ok());
    for (size_t i = 0; i < rebuilt->communities.size(); ++i)
      CHECK(rebuilt->communities[i].total == recount->communities[i].total);
  }
}

}  // namespace
}  // namespace shequ::testing
