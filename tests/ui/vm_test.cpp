// The front end's view models without a window (issue 7): validation as the form shows it,
// masking in the browser and the audited reveal, the assessment table's sort order and grade
// colours, the script language, and the rule that ui/ names no LMDB, ZeroMQ or Cap'n Proto.
#include <dirent.h>
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <functional>

#include "node/base/file.h"
#include "node/base/text.h"
#include "node/model/id_number.h"
#include "node/service/cards.h"
#include "scoring/score.h"
#include "tests/support/testbed.h"
#include "ui/script/script.h"
#include "ui/vm/browser.h"
#include "ui/vm/card_form.h"
#include "ui/vm/dashboard.h"
#include "ui/vm/monitor.h"
#include "ui/vm/session.h"
#include "ui/vm/transfers.h"

using namespace shequ;
using namespace shequ::testing;
using namespace shequ::ui;

namespace {

constexpr const char* kCommunity = "150302001002";

std::string Id(const std::string& first17) { return first17 + model::IdCheckChar(first17); }

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

struct Fixture {
  Testbed bed;
  std::unique_ptr<Session> session;
  Fixture() {
    bed.AddNode("heping", trust::NodeKind::kCommunity, {kCommunity});
    session = Session::Adopt(bed.Open("heping"), Ref(), {});
  }
};

// Fills a valid one-member card into the form.
void FillValid(CardForm& f, const std::string& card_no, const std::string& id17) {
  std::string id = Id(id17);
  f.Set(CardField("card_no"), card_no);
  f.Set(HouseholdField("address"), "海勃湾区凤凰岭街道和平社区3栋2单元401");
  f.Set(HouseholdField("household_type"), "1");
  std::vector<std::pair<std::string, std::string>> m = {
      {"name", "张伟"},
      {"gender", (id[16] - '0') % 2 ? "1" : "2"},
      {"ethnicity", "01"},
      {"birth_date", id.substr(6, 4) + "-" + id.substr(10, 2) + "-" + id.substr(12, 2)},
      {"doc_type", "1"},
      {"id_number", id},
      {"relationship", "02"},
      {"residence_status", "1"},
      {"marital", "20"},
      {"education", "21"},
      {"employment", "1"}};
  for (const auto& [k, v] : m) f.Set(MemberField(0, k), v);
  f.Set(VisitField("result"), "1");
  f.Set(VisitField("collector"), "王芳");
}

}  // namespace

TEST_SUITE("card form") {
  TEST_CASE("problems show at touched fields; a save attempt shows every one") {
    Fixture fx;
    CardForm f(*fx.session);
    CHECK(f.Get(CardField("community")) == kCommunity);  // the node's only community
    CHECK(f.Get(VisitField("date")) == Today().ToString());
    // Nothing typed: the card has errors, none shown yet.
    CHECK(f.errors() > 0);
    CHECK_FALSE(f.ProblemAt(MemberField(0, "name")));
    CHECK(f.CardProblems().empty());
    // A wrong check character shows at once, in red, with its stable code.
    std::string id = Id("15030219800101001");
    std::string bad = id.substr(0, 17) + (id[17] == '1' ? "2" : "1");
    f.Set(MemberField(0, "id_number"), bad);
    auto p = f.ProblemAt(MemberField(0, "id_number"));
    REQUIRE(p);
    CHECK(p->error);
    CHECK(p->code == "id_check");
    CHECK(p->field == "m1.id_number");
    CHECK(p->where == "第1位成员");  // the message names 证件号码 itself
    // Leaving an empty required field by Tab touches it: "missing" appears there.
    CHECK_FALSE(f.ProblemAt(MemberField(0, "name")));
    f.Left(MemberField(0, "name"));
    auto missing = f.ProblemAt(MemberField(0, "name"));
    REQUIRE(missing);
    CHECK(missing->code == "missing");
    // Saving refuses and shows everything.
    CHECK_FALSE(f.ProblemAt(VisitField("result")));
    const CardForm::SaveResult& s = f.Save();
    CHECK_FALSE(s.stored);
    CHECK(s.message.find("未保存") == 0);
    CHECK(f.save_attempted());
    REQUIRE(f.ProblemAt(VisitField("result")));
    CHECK(f.ProblemAt(VisitField("result"))->code == "missing");
    auto r = fx.session->node().store().BeginRead();
    CHECK(fx.session->node().replica().Communities(*r)->empty());
  }

  TEST_CASE("warnings are amber and do not block; the card is stored and the form starts anew") {
    Fixture fx;
    CardForm f(*fx.session);
    FillValid(f, "HBW-2026-000777", "15030219800101001");
    CHECK(f.errors() == 0);
    // 高龄津贴 for a man of 46: a warning, shown once the field is touched.
    f.Set(MemberField(0, "elderly_allowance"), "1");
    auto w = f.ProblemAt(MemberField(0, "elderly_allowance"));
    REQUIRE(w);
    CHECK_FALSE(w->error);
    CHECK(w->code == "allowance_under_80");
    const CardForm::SaveResult& s = f.Save();
    CHECK(s.stored);
    CHECK(s.persons == 1);
    CHECK(std::any_of(s.problems.begin(), s.problems.end(),
                      [](const ShownProblem& p) { return p.code == "allowance_under_80"; }));
    CHECK(f.Get(CardField("card_no")).empty());
    CHECK(f.Get(CardField("community")) == kCommunity);
    CHECK(f.Get(VisitField("collector")) == "王芳");
    CHECK_FALSE(f.save_attempted());
    auto r = fx.session->node().store().BeginRead();
    CHECK(fx.session->node().replica().FindByCard(*r, "HBW-2026-000777")->size() == 1);
  }

  TEST_CASE("code fields take a code or part of a label") {
    Fixture fx;
    CardForm f(*fx.session);
    FieldKey eth = MemberField(0, "ethnicity");
    f.Set(eth, "蒙");
    auto list = f.Suggest(eth, 8);
    REQUIRE(!list.empty());
    CHECK(list[0].code == "02");
    CHECK(list[0].label == "蒙古族");
    f.Left(eth);
    CHECK(f.Get(eth) == "02");
    CHECK(f.CodeLabel(eth) == "蒙古族");
    CHECK(f.Suggest(eth, 8).empty());  // a code needs no list
    // Arrow keys move the highlight; leaving takes the highlighted entry.
    FieldKey rel = MemberField(0, "relationship");
    f.Set(rel, "子");
    auto sons = f.Suggest(rel, 8);
    REQUIRE(sons.size() > 1);
    f.MoveHighlight(1, sons.size());
    f.Left(rel);
    CHECK(f.Get(rel) == sons[1].code);
    // A list field completes its last item.
    FieldKey chronic = MemberField(0, "chronic_disease");
    f.Set(chronic, "1,糖尿");
    f.Left(chronic);
    CHECK(f.Get(chronic) == "1,2");
    CHECK(f.CodeLabel(chronic) == "高血压、糖尿病");
    // Text that matches nothing stays, and is an error.
    f.Set(eth, "火星");
    f.Left(eth);
    CHECK(f.Get(eth) == "火星");
    REQUIRE(f.ProblemAt(eth));
    CHECK(f.ProblemAt(eth)->code == "bad_code");
  }

  TEST_CASE("members are added and removed with their touched fields") {
    Fixture fx;
    CardForm f(*fx.session);
    f.AddMember();
    CHECK(f.members() == 2);
    CHECK(f.selected() == 1);
    f.Set(MemberField(1, "name"), "李娜");
    f.Left(MemberField(0, "name"));
    f.RemoveMember(0);
    CHECK(f.members() == 1);
    CHECK(f.Get(MemberField(0, "name")) == "李娜");
    CHECK(f.touched(MemberField(0, "name")));
    // Tab order: the grid's keys, then the rest of the member's keys, all of the card's.
    size_t grid = CardForm::GridKeys().size(), detail = CardForm::DetailKeys().size();
    CHECK(grid + detail + 1 == model::CardKeys("member").size());  // + fingerprint
    CHECK(WidgetName(MemberField(1, "id_number")) == "m2.id_number");
    CHECK(WidgetName(HouseholdField("address")) == "household.address");
  }
}

TEST_SUITE("browser") {
  TEST_CASE("values are masked unless revealed, and a reveal is audited") {
    Fixture fx;
    CardForm f(*fx.session);
    FillValid(f, "HBW-2026-000778", "15030219800101001");
    f.Set(HouseholdField("phone"), "13904731234");
    REQUIRE(f.Save().stored);
    Browser b(*fx.session);
    REQUIRE(b.Load(kCommunity).ok());
    REQUIRE(b.total() == 1);
    const HouseholdRow& row = b.row(0);
    CHECK(row.card_no == "HBW-2026-000778");
    CHECK(row.address == "海勃湾区凤凰岭街道和平社区3栋***");
    CHECK(row.household_type == "1 家庭户");
    CHECK(row.members == 1);
    REQUIRE(b.SelectRow(0).ok());
    REQUIRE(b.household());
    CHECK(b.household()->Value("phone") == "139****1234");
    REQUIRE(b.members().size() == 1);
    std::string id = Id("15030219800101001");
    CHECK(b.members()[0].name == "张*");
    CHECK(b.members()[0].id_number == "150302********" + id.substr(14));
    CHECK(b.members()[0].birth_date == "1980-**-**");
    REQUIRE(b.SelectPerson(b.members()[0].entity).ok());
    CHECK(b.person()->Value("name") == "张*");
    CHECK(b.person()->Find("name")->masked);
    CHECK_FALSE(b.history().empty());
    const auto& writes = b.history()[0].writes;
    CHECK(std::any_of(writes.begin(), writes.end(), [](const HistoryWrite& w) {
      return w.label == "姓名" && w.value == "张*" && w.outcome == "当前值";
    }));
    // No purpose, no reveal.
    CHECK_FALSE(b.RevealPerson("").ok());
    REQUIRE(b.RevealPerson("办理低保").ok());
    CHECK(b.person()->Value("name") == "张伟");
    CHECK(b.person()->Value("id_number") == id);
    CHECK(b.person()->Find("id_number")->revealed);
    AuditLog log(*fx.session);
    REQUIRE(log.Load().ok());
    CHECK(std::any_of(log.rows().begin(), log.rows().end(), [](const AccessRow& r) {
      return r.action == "显示完整" && r.allowed && r.purpose == "办理低保";
    }));
  }

  TEST_CASE("search by ID number, card number, name and address") {
    Fixture fx;
    CardForm f(*fx.session);
    FillValid(f, "HBW-2026-000801", "15030219800101001");
    REQUIRE(f.Save().stored);
    FillValid(f, "HBW-2026-000802", "15030219750203002");
    f.Set(MemberField(0, "name"), "其木格");
    f.Set(HouseholdField("address"), "海勃湾区凤凰岭街道和平社区8栋1单元101");
    REQUIRE(f.Save().stored);
    Browser b(*fx.session);
    REQUIRE(b.Load(kCommunity).ok());
    REQUIRE(b.total() == 2);
    auto only = [&](const std::string& q) {
      REQUIRE(b.Search(q).ok());
      return b.shown() == 1 ? b.row(0).card_no : std::string("(" + std::to_string(b.shown()) + ")");
    };
    CHECK(only(Id("15030219750203002")) == "HBW-2026-000802");
    CHECK(only("000801") == "HBW-2026-000801");
    CHECK(only("木格") == "HBW-2026-000802");
    CHECK(only("8栋") == "HBW-2026-000802");
    REQUIRE(b.Search("").ok());
    CHECK(b.shown() == 2);
  }
}

TEST_SUITE("transfers") {
  TEST_CASE("a move-out is listed, accepted into a household of the destination") {
    Testbed bed;
    constexpr const char* kOther = "150302001003";
    bed.AddNode("both", trust::NodeKind::kCommunity, {kCommunity, kOther});
    auto session = Session::Adopt(bed.Open("both"), Ref(), {});
    CardForm f(*session);
    CHECK(f.Get(CardField("community")).empty());  // two communities: no default
    FillValid(f, "HBW-2026-000901", "15030219800101001");
    f.Set(CardField("community"), kCommunity);
    REQUIRE(f.Save().stored);
    FillValid(f, "HBW-2026-000902", "15030219750203002");
    f.Set(CardField("community"), kOther);
    REQUIRE(f.Save().stored);
    Browser b(*session);
    REQUIRE(b.Load(kCommunity).ok());
    REQUIRE(b.SelectRow(0).ok());
    std::string person = b.members().at(0).entity;
    Transfers t(*session);
    CHECK_FALSE(t.Send(person, "150302", "搬家").ok());  // not a community
    CHECK(t.message_error());
    REQUIRE(t.Send(person, kOther, "搬家").ok());
    CHECK(t.message().find("已办理迁出") == 0);
    REQUIRE(t.rows().size() == 1);
    const TransferRow& row = t.rows()[0];
    CHECK(row.pending);
    CHECK(row.incoming);  // this node holds the destination too
    CHECK_FALSE(row.overdue);
    CHECK(row.name == "张*");
    CHECK(row.to_community == kOther);
    CHECK(row.status == "待接收");
    CHECK(t.overdue() == 0);
    CHECK_FALSE(t.Accept(row.entity, "HBW-2026-999999", "20").ok());  // no such household
    REQUIRE(t.Accept(row.entity, "HBW-2026-000902", "20").ok());
    CHECK(t.message().find("已接收") == 0);
    REQUIRE(t.rows().size() == 1);
    CHECK(t.rows()[0].status == "已接收");
    CHECK_FALSE(t.rows()[0].pending);
  }
}

TEST_SUITE("dashboard") {
  scoring::Report MakeReport() {
    scoring::Report r;
    r.period.label = "2026Q4";
    scoring::Rule a;
    a.key = "fill_accuracy";
    a.label = "填选项准确率";
    a.group = "信息质量";
    a.points = 12;
    a.target = 0.95;
    scoring::Rule b;
    b.key = "innovation";
    b.label = "创新服务";
    b.group = "创新服务";
    b.points = 5;
    r.rules.rules = {a, b};
    struct Row {
      const char* code;
      const char* name;
      double total;
      int rank;
      double p0;
    };
    for (Row x :
         {Row{"150302001002", "和平社区", 72.5, 3, 6}, Row{"150302001001", "滨河社区", 93, 1, 12},
          Row{"150303100200", "某村", 40, 5, 0}, Row{"150304001001", "乙社区", 72.5, 2, 12},
          Row{"150302002001", "甲社区", 61, 4, 3}}) {
      scoring::CommunityScore c;
      c.code = x.code;
      c.name = x.name;
      c.district = std::string(x.code).substr(0, 6);
      c.total = x.total;
      c.rank = x.rank;
      c.grade = scoring::GradeOf(x.total);
      c.households = 100;
      scoring::IndicatorResult i0;
      i0.rule = &r.rules.rules[0];
      i0.points = x.p0;
      i0.numerator = 90;
      i0.denominator = 100;
      i0.rate = 0.9;
      i0.evidence = {{"person/" + std::string(x.code) + "/00", "姓名张*明 的 民族 有警告"}};
      scoring::IndicatorResult i1;
      i1.rule = &r.rules.rules[1];
      i1.no_data = true;
      c.indicators = {i0, i1};
      r.communities.push_back(c);
    }
    return r;
  }

  TEST_CASE("the table sorts by every column, ties in rank order") {
    Dashboard d;
    d.SetReport(MakeReport());
    REQUIRE(d.rows().size() == 5);
    // Default: rank.
    std::vector<int> ranks;
    for (const auto& r : d.rows()) ranks.push_back(r.rank);
    CHECK(ranks == std::vector<int>{1, 2, 3, 4, 5});
    d.Sort(kTotalColumn, false);
    std::vector<double> totals;
    for (const auto& r : d.rows()) totals.push_back(r.total);
    CHECK(totals == std::vector<double>{93, 72.5, 72.5, 61, 40});
    CHECK(d.rows()[1].rank == 2);  // the tie at 72.5 keeps rank order
    CHECK(d.rows()[2].rank == 3);
    d.Sort(kTotalColumn, true);
    CHECK(d.rows()[0].total == 40);
    CHECK(d.rows()[1].total == 61);
    CHECK(d.rows()[2].rank == 2);  // ties in rank order in both directions
    // Grades by their order, not their text: 优秀, 合格 ..., 不合格.
    d.Sort(kGradeColumn, false);
    std::vector<std::string> grades;
    for (const auto& r : d.rows()) grades.push_back(r.grade);
    CHECK(grades == std::vector<std::string>{"优秀", "合格", "合格", "合格", "不合格"});
    d.Sort(kGradeColumn, true);
    CHECK(d.rows().front().grade == "不合格");
    CHECK(d.rows().back().grade == "优秀");
    // An indicator's points; names by their division code.
    d.Sort(kIndicatorColumn + 0, false);
    CHECK(d.rows()[0].points[0] == 12);
    CHECK(d.rows()[0].rank == 1);
    CHECK(d.rows()[1].rank == 2);
    CHECK(d.rows().back().points[0] == 0);
    d.Sort(kNameColumn, true);
    CHECK(d.rows().front().code == "150302001001");
    CHECK(d.rows().back().code == "150304001001");
    CHECK(d.sort_column() == kNameColumn);
    CHECK(d.sort_ascending());
  }

  TEST_CASE("grades are coloured; the drill-down shows the evidence") {
    CHECK(Dashboard::GradeColour("优秀") == kGoodGreen);
    CHECK(Dashboard::GradeColour("合格") == kWarningAmber);
    CHECK(Dashboard::GradeColour("不合格") == kErrorRed);
    CHECK(Dashboard::GradeColour("") == kMutedGrey);
    Dashboard d;
    {
      // The report is given and then dropped: the view model keeps its own copy.
      scoring::Report r = MakeReport();
      d.SetReport(r);
    }
    REQUIRE(d.headers().size() == 2);
    CHECK(d.headers()[0].label == "填选项准确率");
    CHECK(d.headers()[0].target == doctest::Approx(0.95));
    CHECK(d.mean_points()[0] == doctest::Approx((6 + 12 + 0 + 12 + 3) / 5.0));
    d.Select("150302001002");
    auto details = d.Details();
    REQUIRE(details.size() == 2);
    CHECK(details[0].points == 6);
    CHECK(details[0].denominator == 100);
    REQUIRE(details[0].evidence.size() == 1);
    CHECK(details[0].evidence[0].second == "姓名张*明 的 民族 有警告");
    CHECK(details[1].no_data);
    CHECK(Dashboard::CurrentQuarter(Date{2026, 11, 20}) == "2026Q4");
    CHECK(Dashboard::CurrentQuarter(Date{2026, 1, 1}) == "2026Q1");
  }

  TEST_CASE("the scorer seam") {
    Dashboard d;
    CHECK_FALSE(d.Run("2026Q4", "").ok());  // no scorer: nothing to run
    std::vector<std::string> calls;
    d.set_scorer([&](const std::string& period, const std::string& scope,
                     bool recount) -> Result<scoring::Report> {
      calls.push_back(scope + (recount ? " recount" : ""));
      scoring::Report r = MakeReport();
      r.period.label = period;
      // Kept counts list no records; a recount does.
      for (auto& c : r.communities)
        for (auto& ind : c.indicators)
          if (!recount) ind.evidence.clear();
      return r;
    });
    REQUIRE(d.Run("2026-11", "1503").ok());
    CHECK(d.period_label() == "2026-11");
    CHECK(d.rows().size() == 5);
    CHECK(d.selected() == "150302001001");  // the first-ranked one
    // Selecting a community without evidence recounts it alone, in the background.
    d.Select("150302001002");
    CHECK(d.evidence_loading());
    while (d.evidence_loading()) d.Poll();
    REQUIRE(d.Details().size() == 2);
    CHECK(d.Details()[0].evidence.size() == 1);
    CHECK(calls == std::vector<std::string>{"1503", "150302001002 recount"});
    // In the background too.
    REQUIRE(d.Start("2026Q4", "").ok());
    while (d.running()) d.Poll();
    CHECK(d.period_label() == "2026Q4");
  }
}

TEST_SUITE("script") {
  TEST_CASE("the script language") {
    auto s = ParseScript(
        "# comment\n\nscreen card\nclick card.card_no\ntype  两个空格 and more\nkey shift+Tab 3\n"
        "tab\nkey ctrl+s\nwait 4\nexpect card.result 已保存 登记卡\nexpect-not problems.0\n"
        "shot out.png\n");
    REQUIRE(s.ok());
    REQUIRE(s->size() == 10);
    CHECK((*s)[0].kind == ScriptStep::Kind::kScreen);
    CHECK((*s)[0].line == 3);
    CHECK((*s)[2].arg == " 两个空格 and more");
    CHECK((*s)[3].key == 258);
    CHECK((*s)[3].shift);
    CHECK((*s)[3].count == 3);
    CHECK((*s)[4].key == 258);
    CHECK((*s)[5].ctrl);
    CHECK((*s)[5].key == 'S');
    CHECK((*s)[6].count == 4);
    CHECK((*s)[7].arg == "card.result");
    CHECK((*s)[7].text == "已保存 登记卡");
    CHECK((*s)[8].kind == ScriptStep::Kind::kExpectNot);
    CHECK((*s)[9].arg == "out.png");
    CHECK(KeyCode("F5") == 294);
    CHECK(KeyCode("Enter") == 257);
    CHECK_FALSE(ParseScript("key Hyper\n").ok());
    CHECK_FALSE(ParseScript("click\n").ok());
    CHECK_FALSE(ParseScript("wait x\n").ok());
    auto bad = ParseScript("screen card\nfly away\n");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.status().message().find("line 2") != std::string::npos);
  }
}

TEST_CASE(
    "ui/ names no LMDB, ZeroMQ or Cap'n Proto; panels and the app reach the node through "
    "view models") {
  const char* src = std::getenv("SHEQU_SOURCE");
  REQUIRE(src);
  std::vector<std::string> files;
  std::function<void(const std::string&)> walk = [&](const std::string& dir) {
    DIR* d = opendir(dir.c_str());
    REQUIRE(d);
    while (dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      std::string path = dir + "/" + name;
      if (e->d_type == DT_DIR)
        walk(path);
      else if (EndsWith(name, ".h") || EndsWith(name, ".cpp"))
        files.push_back(path);
    }
    closedir(d);
  };
  walk(std::string(src) + "/ui");
  REQUIRE(files.size() > 20);
  for (const std::string& path : files) {
    CAPTURE(path);
    std::string text = *ReadFile(path);
    for (std::string_view banned : {"<lmdb.h>", "zmq.h", "zmq.hpp", "capnp/", "MDB_", "kj/",
                                    "node/store/", "replication/wire", "replication/transport"})
      CHECK(text.find(banned) == std::string::npos);
    bool drawing =
        path.find("/ui/panels/") != std::string::npos || path.find("/ui/app/") != std::string::npos;
    bool vm_header = path.find("/ui/vm/") != std::string::npos && EndsWith(path, ".h") &&
                     path.find("_internal.h") == std::string::npos;
    if (drawing || vm_header) {
      // Only the view models' .cpp files call the service layer.
      for (std::string_view banned : {"node/service/", "replication/", "scoring/", "devices/"})
        CHECK(text.find(banned) == std::string::npos);
    }
    if (!drawing) CHECK(text.find("imgui") == std::string::npos);
  }
}
