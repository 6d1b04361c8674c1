// The front end on real frames (issue 7): `shequ ui` driven by scripts in a GLFW window on an X
// server (Xvfb, Mesa llvmpipe), its final frames kept as PNG files under the build tree
// ($SHEQU_UI_FRAMES, default build/tests/ui-frames), and what it stored checked through the
// service layer. main() (frames_main.cpp) starts the X server or skips the whole binary.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>

#include "node/base/file.h"
#include "node/base/text.h"
#include "node/model/id_number.h"
#include "node/service/cards.h"
#include "node/service/views.h"
#include "tests/support/testbed.h"

using namespace shequ;
using namespace shequ::testing;

namespace {

constexpr const char* kCommunity = "150302001002";  // 和平社区
constexpr const char* kToday = "2026-11-20";

std::string FramesDir() {
  const char* d = std::getenv("SHEQU_UI_FRAMES");
  std::string dir = d && *d ? d : "ui-frames";
  mkdir(dir.c_str(), 0755);
  return dir;
}

std::string Png(const std::string& name) { return FramesDir() + "/" + name + ".png"; }

// A citizen ID number with its check character.
std::string Id(const std::string& first17) { return first17 + model::IdCheckChar(first17); }

// Width and height from a PNG's IHDR, or 0x0.
std::pair<int, int> PngSize(const std::string& path) {
  auto bytes = ReadFile(path);
  if (!bytes.ok() || bytes->size() < 24 || bytes->compare(1, 3, "PNG") != 0) return {0, 0};
  auto be32 = [&](size_t at) {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes->data() + at);
    return int(p[0]) << 24 | int(p[1]) << 16 | int(p[2]) << 8 | int(p[3]);
  };
  return {be32(16), be32(20)};
}

// Runs `shequ ui` on node directory `dir` with a script; the last frame goes to `png`.
int RunUi(const std::string& dir, const std::string& script, const std::string& png,
          std::string* out, const std::string& extra = "") {
  static int n = 0;
  std::string file =
      FramesDir() + "/script-" + std::to_string(getpid()) + "-" + std::to_string(n++) + ".txt";
  {
    std::ofstream f(file);
    f << script;
  }
  std::string cmd = "SHEQU_TODAY=" + std::string(kToday) + " " + ShequBin() + " ui --dir " + dir +
                    " --script " + file + " --screenshot " + png + " " + extra;
  int rc = Run(cmd, out);
  std::remove(file.c_str());
  return rc;
}

void CheckFrame(const std::string& png) {
  auto [w, h] = PngSize(png);
  CHECK(w == 1366);
  CHECK(h == 768);
}

// Imports cards through the service layer as a community's platform would.
void Import(service::Node& node, const std::vector<model::Card>& cards) {
  std::vector<model::ParsedCard> parsed;
  for (size_t i = 0; i < cards.size(); ++i) parsed.push_back({cards[i], {}, i});
  service::ImportOptions o;
  o.today = *Date::Parse(kToday);
  size_t refused = 0;
  REQUIRE(service::ImportCards(node, parsed, o, [&](const service::CardResult& r) {
            if (r.outcome == service::CardResult::Outcome::kRefused) ++refused;
          }).ok());
  REQUIRE(refused == 0);
}

model::Card SampleCard(const std::string& card_no, const std::string& name,
                       const std::string& id17) {
  model::Card c;
  c.card_no = card_no;
  c.community = kCommunity;
  c.household = {{"address", "海勃湾区凤凰岭街道和平社区3栋2单元401"}, {"household_type", "1"}};
  std::string id = Id(id17);
  c.members.push_back(
      {{"name", name},
       {"gender", (id[16] - '0') % 2 ? "1" : "2"},
       {"ethnicity", "01"},
       {"birth_date", id.substr(6, 4) + "-" + id.substr(10, 2) + "-" + id.substr(12, 2)},
       {"doc_type", "1"},
       {"id_number", id},
       {"relationship", "02"},
       {"residence_status", "1"},
       {"marital", "20"},
       {"education", "21"},
       {"employment", "1"}});
  c.visit = {{"date", kToday}, {"result", "1"}, {"collector", "王芳"}};
  c.has_visit = true;
  return c;
}

// The script lines that type one member's grid row, starting in its name field.
std::string MemberRow(const std::vector<std::string>& values) {
  std::string s;
  for (size_t i = 0; i < values.size(); ++i) {
    s += "type " + values[i] + "\n";
    if (i + 1 < values.size()) s += "tab\n";
  }
  return s;
}

}  // namespace

TEST_CASE("a whole card entered by keyboard is stored exactly as typed") {
  Testbed bed;
  bed.AddNode("heping", trust::NodeKind::kCommunity, {kCommunity});
  std::string head = Id("15030219800101001"), spouse = Id("15030219820512002");
  // Typed as a worker types a paper card: Tab through the card; code fields take the code or a
  // few characters of its label (家庭 -> 1 家庭户, 汉 -> 01 汉族, 户主 -> 02, 女 -> 2 with Enter).
  std::string script =
      "screen card\n"
      "click card.card_no\n"
      "type HBW-2026-900001\n"
      "tab 2\n"
      "type 海勃湾区凤凰岭街道和平社区9栋1单元101\n"
      "tab\ntype 家庭\ntab\ntype 1\ntab\ntype 1\ntab\ntype 13904739999\ntab\ntype HP-09\ntab\n" +
      MemberRow({"张伟", "1", "汉", "1980-01-01", "1", head, "户主", "1", "20", "21", "1"}) +
      // The detail block of member 1: 曾用名 is first; 联系电话 is the 13th field.
      "tab 13\ntype 13904730001\n"
      "key ctrl+m\nwait 2\n"
      "type 李娜\ntab\ntype 女\nkey Enter\n" +
      MemberRow({"01", "1982-05-12", "1", spouse, "10", "1", "20", "21", "1"}) +
      "click visit.result\ntype 见面\ntab\ntype 王芳\n"
      "wait 2\n"
      "shot " +
      Png("card-typed") +
      "\n"
      "expect m2.gender 2\n"
      "expect m1.ethnicity 01\n"
      "expect household.household_type 1\n"
      "key ctrl+s\n"
      "expect card.result 已保存登记卡 HBW-2026-900001：2 人\n";
  std::string out;
  int rc = RunUi(bed.dir("heping"), script, Png("card-saved"), &out);
  INFO(out);
  REQUIRE(rc == 0);
  CheckFrame(Png("card-typed"));

  auto node = bed.Open("heping");
  auto r = node->store().BeginRead();
  REQUIRE(r.ok());
  auto found = node->replica().FindByCard(*r, "HBW-2026-900001");
  REQUIRE(found.ok());
  REQUIRE(found->size() == 1);
  std::vector<crdt::EntityRef> refs;
  auto card = service::CurrentCard(*node, *r, found->front(), &refs);
  REQUIRE(card.ok());
  model::Card want;
  want.card_no = "HBW-2026-900001";
  want.community = kCommunity;
  want.household = {{"address", "海勃湾区凤凰岭街道和平社区9栋1单元101"},
                    {"household_type", "1"},
                    {"hukou_type", "1"},
                    {"housing", "1"},
                    {"phone", "13904739999"},
                    {"grid", "HP-09"}};
  model::FieldValues m1 = {
      {"name", "张伟"},  {"gender", "1"},     {"ethnicity", "01"},    {"birth_date", "1980-01-01"},
      {"doc_type", "1"}, {"id_number", head}, {"relationship", "02"}, {"residence_status", "1"},
      {"marital", "20"}, {"education", "21"}, {"employment", "1"},    {"phone", "13904730001"}};
  model::FieldValues m2 = {{"name", "李娜"},       {"gender", "2"},
                           {"ethnicity", "01"},    {"birth_date", "1982-05-12"},
                           {"doc_type", "1"},      {"id_number", spouse},
                           {"relationship", "10"}, {"residence_status", "1"},
                           {"marital", "20"},      {"education", "21"},
                           {"employment", "1"}};
  CHECK(card->card_no == want.card_no);
  CHECK(card->community == want.community);
  CHECK(card->household == want.household);
  std::multiset<std::map<std::string, std::string, std::less<>>> members(card->members.begin(),
                                                                         card->members.end());
  CHECK(members == std::multiset<std::map<std::string, std::string, std::less<>>>{m1, m2});
  // The visit, and the tool every value was recorded with (the card).
  bool visit = false;
  REQUIRE(node->replica()
              .ScanEntities(*r, kCommunity, model::EntityKind::kVisit,
                            [&](const crdt::EntityRef& e, const crdt::EntityState&) -> Status {
                              auto v = node->replica().Values(*r, e);
                              if (v.ok() && v->count("household") &&
                                  v->at("household") == Hex(found->front().entity)) {
                                visit = true;
                                CHECK(v->at("date") == kToday);
                                CHECK(v->at("result") == "1");
                                CHECK(v->at("collector") == "王芳");
                              }
                              return Status::Ok();
                            })
              .ok());
  CHECK(visit);
  service::ViewOptions vo;
  vo.unmasked = true;
  auto view = service::ViewEntity(*node, *r, refs.front(), vo);
  REQUIRE(view.ok());
  for (const service::FieldView& f : view->fields) CHECK(f.current.tool == crdt::Tool::kCard);
}

TEST_CASE("an invalid ID number shows its error and saves nothing") {
  Testbed bed;
  bed.AddNode("heping", trust::NodeKind::kCommunity, {kCommunity});
  Id32 before{};
  {
    auto node = bed.Open("heping");
    Import(*node, {SampleCard("HBW-2026-000001", "王秀英", "15030219500302004")});
    auto r = node->store().BeginRead();
    before = *node->replica().StateDigest(*r, "");
  }
  std::string good = Id("15030219800101001");
  std::string bad = good.substr(0, 17) + (good[17] == '9' ? "0" : "9");  // wrong check char
  std::string script =
      "screen card\nclick card.card_no\ntype HBW-2026-900002\ntab 2\n"
      "type 海勃湾区凤凰岭街道和平社区9栋1单元102\ntab\ntype 1\n"
      "click m1.name\n" +
      MemberRow({"张伟", "1", "01", "1980-01-01", "1", bad, "02", "1", "20", "21", "1"}) +
      "click visit.result\ntype 1\ntab\ntype 王芳\n"
      "expect problem.m1.id_number id_check\n"
      "key ctrl+s\n"
      "expect card.result 未保存\n"
      "expect problems.0.id_check 证件号码\n"
      "expect-not problems.1.id_check\n";
  std::string out;
  int rc = RunUi(bed.dir("heping"), script, Png("card-invalid-id"), &out);
  INFO(out);
  REQUIRE(rc == 0);
  CheckFrame(Png("card-invalid-id"));
  auto node = bed.Open("heping");
  auto r = node->store().BeginRead();
  auto found = node->replica().FindByCard(*r, "HBW-2026-900002");
  REQUIRE(found.ok());
  CHECK(found->empty());
  CHECK(*node->replica().StateDigest(*r, "") == before);
}

TEST_CASE("the conflict queue resolves a conflict") {
  Testbed bed;
  bed.AddNode("heping", trust::NodeKind::kCommunity, {kCommunity});
  bed.AddNode("terminal", trust::NodeKind::kTerminal, {kCommunity});
  std::string bundle = bed.dir("b1"), back = bed.dir("b2");
  std::string person;
  {
    auto node = bed.Open("heping");
    Import(*node, {SampleCard("HBW-2026-000001", "张伟", "15030219800101001")});
    auto r = node->store().BeginRead();
    auto ids = node->replica().FindByIdNumber(*r, Id("15030219800101001"));
    REQUIRE(ids.ok());
    REQUIRE(ids->size() == 1);
    person = Hex(ids->front().entity);
  }
  std::string sink;
  REQUIRE(Run(ShequBin() + " changes export --dir " + bed.dir("heping") + " --out " + bundle,
              &sink) == 0);
  REQUIRE(Run(ShequBin() + " changes import --dir " + bed.dir("terminal") + " " + bundle, &sink) ==
          0);
  // The office and the terminal correct the name at the same time, differently.
  REQUIRE(Run(ShequBin() + " person set --dir " + bed.dir("heping") + " --entity " + person +
                  " name=张卫",
              &sink) == 0);
  REQUIRE(Run(ShequBin() + " person set --dir " + bed.dir("terminal") + " --tool terminal" +
                  " --entity " + person + " name=张为",
              &sink) == 0);
  REQUIRE(Run(ShequBin() + " changes export --dir " + bed.dir("terminal") + " --out " + back,
              &sink) == 0);
  REQUIRE(Run(ShequBin() + " changes import --dir " + bed.dir("heping") + " " + back, &sink) == 0);
  std::string sibling;
  {
    auto node = bed.Open("heping");
    auto r = node->store().BeginRead();
    auto queue = node->replica().ReviewQueue(*r);
    REQUIRE(queue.ok());
    REQUIRE(queue->size() == 1);
    service::ViewOptions vo;
    vo.unmasked = true;
    auto v = service::ViewEntity(*node, *r, queue->front().first, vo);
    REQUIRE(v.ok());
    const service::FieldView* f = v->Find("name");
    REQUIRE(f);
    REQUIRE(f->siblings.size() == 1);
    sibling = f->siblings[0].value;  // the second value on screen
  }
  std::string script =
      "screen conflicts\n"
      "expect conflicts.count 待审核 1 项\n"
      "expect conflict.0.value.1\n"
      // Masked, 张卫 and 张为 both read 张*: the reviewer reveals them (an audited read).
      "click conflict.0.reveal\n"
      "expect conflict.0.value.1 " +
      sibling +
      "\n"
      "shot " +
      Png("conflicts") +
      "\n"
      "click conflict.0.use.1\n"
      "expect conflicts.message 已处理\n"
      "expect conflicts.count 待审核 0 项\n";
  std::string out;
  int rc = RunUi(bed.dir("heping"), script, Png("conflicts-resolved"), &out);
  INFO(out);
  REQUIRE(rc == 0);
  CheckFrame(Png("conflicts"));
  auto node = bed.Open("heping");
  auto r = node->store().BeginRead();
  auto queue = node->replica().ReviewQueue(*r);
  REQUIRE(queue.ok());
  CHECK(queue->empty());
  auto ids = node->replica().FindByIdNumber(*r, Id("15030219800101001"));
  REQUIRE(ids.ok());
  auto values = node->replica().Values(*r, ids->front());
  REQUIRE(values.ok());
  CHECK(values->at("name") == sibling);
}

TEST_CASE("an operator logs in on a sealed node") {
  Testbed bed;
  bed.AddNode("heping", trust::NodeKind::kCommunity, {kCommunity});
  std::string pw = bed.dir("pw");
  {
    std::ofstream f(pw);
    f << "口令-1234\n";
  }
  std::string sink;
  REQUIRE(Run("SHEQU_SCRYPT_N=1024 " + ShequBin() + " operator add --dir " + bed.dir("heping") +
                  " --name 王芳 --passphrase-file " + pw,
              &sink) == 0);
  std::string script =
      "expect login.submit\n"
      "click login.operator_text\ntype 王芳\n"
      "click login.passphrase\ntype 错误口令\nkey Enter\n"
      "expect login.error 登录失败\n"
      "shot " +
      Png("login") +
      "\n"
      "click login.passphrase\ntype 口令-1234\nkey Enter\n"
      "expect tab.card\n"
      "expect status.node 操作员 王芳\n";
  std::string out;
  int rc = RunUi(bed.dir("heping"), script, Png("login-done"), &out);
  INFO(out);
  REQUIRE(rc == 0);
  CheckFrame(Png("login"));
  // --operator and --passphrase-file log in before the first frame.
  rc = RunUi(bed.dir("heping"), "expect status.node 操作员 王芳\n", Png("login-flag"), &out,
             "--operator 王芳 --passphrase-file " + pw);
  INFO(out);
  CHECK(rc == 0);
}

TEST_CASE("every screen renders, on a community and on the hub") {
  Testbed bed;
  bed.AddNode("heping", trust::NodeKind::kCommunity, {kCommunity});
  bed.AddNode("hub", trust::NodeKind::kHub, {"1503"});
  std::string sink, cards = bed.dir("cards.json"), bundle = bed.dir("bundle");
  REQUIRE(Run(ShequBin() + " gen --persons 120 --seed 7 --communities " + kCommunity + " --today " +
                  kToday + " --out " + cards,
              &sink) == 0);
  REQUIRE(Run("SHEQU_TODAY=" + std::string(kToday) + " " + ShequBin() + " card import --dir " +
                  bed.dir("heping") + " " + cards,
              &sink) == 0);
  REQUIRE(Run(ShequBin() + " changes export --dir " + bed.dir("heping") + " --out " + bundle,
              &sink) == 0);
  REQUIRE(Run(ShequBin() + " changes import --dir " + bed.dir("hub") + " " + bundle, &sink) == 0);
  struct Screen {
    std::string node, id, script;
  };
  std::vector<Screen> screens = {
      {"heping", "card", ""},
      {"heping", "browse",
       "click browse.row.0\nwait 2\nclick browse.member.0\nwait 2\nexpect person.name\n"},
      {"heping", "conflicts", "expect conflicts.count\n"},
      {"heping", "transfers", "expect transfers.count\n"},
      {"heping", "sync", ""},
      {"heping", "audit", "expect audit.count\n"},
      {"hub", "assess", ""},
      {"hub", "terminals", "expect terminals.count\n"},
      {"hub", "browse", ""},
      {"hub", "audit", ""},
  };
  for (const Screen& s : screens) {
    CAPTURE(s.node);
    CAPTURE(s.id);
    std::string png = Png("screen-" + s.node + "-" + s.id);
    std::string out;
    int rc = RunUi(bed.dir(s.node),
                   "screen " + s.id + "\nexpect screen." + s.id + "\n" + s.script + "wait 3\n", png,
                   &out);
    INFO(out);
    CHECK(rc == 0);
    CheckFrame(png);
  }
}

namespace {

// A shequ command in the background (the simulated ID card reader, a daemon), stopped with
// SIGTERM; `first_line` is the first line it printed when `read_line` was asked for.
class Background {
 public:
  Background(std::vector<std::string> args, bool read_line) {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    pid_ = fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      dup2(fds[1], 1);
      int devnull = open("/dev/null", O_WRONLY);
      if (devnull >= 0) dup2(devnull, 2);
      close(fds[0]);
      std::string bin = ShequBin();
      std::vector<char*> argv = {const_cast<char*>("shequ")};
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(bin.c_str(), argv.data());
      _exit(127);
    }
    close(fds[1]);
    char c;
    while (read_line && read(fds[0], &c, 1) == 1 && c != '\n') first_line_.push_back(c);
    close(fds[0]);
  }
  ~Background() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
  }
  const std::string& first_line() const { return first_line_; }

 private:
  pid_t pid_ = -1;
  std::string first_line_;
};

}  // namespace

TEST_CASE("read ID card fills a member's identity fields and stores them as terminal data") {
  const char* src = std::getenv("SHEQU_SOURCE");
  REQUIRE(src);
  Testbed bed;
  bed.AddNode("heping", trust::NodeKind::kCommunity, {kCommunity});
  Background sim({"device", "sim-id", "--cards", std::string(src) + "/devices/virtual_cards.json"},
                 true);
  REQUIRE(!sim.first_line().empty());
  // The first virtual card: 张伟, 男, 汉族, 1980-01-01, 150302198001010015.
  std::string script =
      "screen card\nclick card.card_no\ntype HBW-2026-900003\ntab 2\n"
      "type 海勃湾区凤凰岭街道和平社区3栋2单元401\ntab\ntype 1\n"
      "click m1.read_id\n"
      "expect card.id_message 已读取居民身份证\n"
      "expect m1.name 张伟\nexpect m1.id_number 150302198001010015\n"
      "expect m1.ethnicity 01\nexpect m1.birth_date 1980-01-01\n"
      "click m1.relationship\n" +
      MemberRow({"02", "1", "20", "21", "1"}) +
      "click visit.result\ntype 1\ntab\ntype 王芳\nwait 2\n"
      "shot " +
      Png("card-id-read") +
      "\n"
      "key ctrl+s\n"
      "expect card.result 另记为终端数据\n";
  std::string out;
  int rc =
      RunUi(bed.dir("heping"), script, Png("card-id-saved"), &out, "--id-port " + sim.first_line());
  INFO(out);
  REQUIRE(rc == 0);
  CheckFrame(Png("card-id-read"));
  auto node = bed.Open("heping");
  auto r = node->store().BeginRead();
  auto persons = node->replica().FindByIdNumber(*r, "150302198001010015");
  REQUIRE(persons.ok());
  REQUIRE(persons->size() == 1);
  for (const char* k : {"name", "gender", "ethnicity", "birth_date", "id_number"}) {
    CAPTURE(k);
    auto f = node->replica().Field(*r, persons->front(), k);
    REQUIRE(f.ok());
    REQUIRE(*f);
    CHECK((*f)->by_tool[static_cast<size_t>(crdt::Tool::kCard)].has_value());
    CHECK((*f)->by_tool[static_cast<size_t>(crdt::Tool::kTerminal)].has_value());
  }
}

TEST_CASE("sync now, with the peer's row after it") {
  Testbed bed;
  bed.AddNode("heping", trust::NodeKind::kCommunity, {kCommunity});
  bed.AddNode("hub", trust::NodeKind::kHub, {"1503"});
  {
    auto node = bed.Open("heping");
    Import(*node, {SampleCard("HBW-2026-000001", "王秀英", "15030219500302004")});
  }
  std::string sink;
  REQUIRE(Run(ShequBin() + " trust import --dir " + bed.dir("hub") + " " + bed.dir("heping") +
                  "/node.cert",
              &sink) == 0);
  REQUIRE(Run(ShequBin() + " trust import --dir " + bed.dir("heping") + " " + bed.dir("hub") +
                  "/node.cert",
              &sink) == 0);
  std::string endpoint = "tcp://127.0.0.1:" + std::to_string(30000 + getpid() % 20000);
  std::string contact;
  REQUIRE(Run(ShequBin() + " node contact --dir " + bed.dir("hub") + " --endpoint " + endpoint,
              &contact) == 0);
  contact = std::string(Trim(contact));
  Background hub({"run", "--dir", bed.dir("hub"), "--listen", endpoint, "--quiet"}, false);
  usleep(500 * 1000);  // the daemon binds its socket
  std::string script =
      "screen sync\n"
      "click sync.now\n"
      "expect sync.message 已与 hub 同步\n"
      "expect sync.peer.0 hub\n"
      "expect status.sync 对端 1  待上传 0\n";
  std::string out;
  int rc = RunUi(bed.dir("heping"), script, Png("sync"), &out, "--peer '" + contact + "'");
  INFO(out);
  REQUIRE(rc == 0);
  CheckFrame(Png("sync"));
}
