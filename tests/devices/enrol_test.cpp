// Device reads on a real node (a throw-away city): fingerprint enrolment with the duplicate
// check, ID card reads stored on persons, both with tool=terminal and the device serial; and the
// CLI end to end against the simulators.
#include "devices/enrol.h"

#include <doctest/doctest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "devices/finger_sim.h"
#include "devices/id_reader.h"
#include "devices/id_sim.h"
#include "node/base/file.h"
#include "node/model/card.h"
#include "node/service/cards.h"
#include "node/service/views.h"
#include "tests/support/testbed.h"

using namespace shequ;
using namespace shequ::devices;
using nlohmann::json;
using shequ::testing::Testbed;

namespace {

constexpr char kCommunity[] = "150302001002";
const Date kToday{2026, 11, 26};

// Two households: 张伟 and 李娜; 王芳 and 刘强.
constexpr char kCards[] = R"([
 {"card_no": "HBW-2026-000101", "community": "150302001002",
  "household": {"address": "海勃湾区凤凰岭街道和平社区3栋2单元401", "household_type": "1"},
  "members": [
   {"name": "张伟", "gender": "1", "ethnicity": "01", "birth_date": "1980-01-01", "doc_type": "1",
    "id_number": "150302198001010015", "relationship": "02", "residence_status": "1",
    "marital": "20", "education": "21", "employment": "1"},
   {"name": "李娜", "gender": "2", "ethnicity": "01", "birth_date": "1982-05-12", "doc_type": "1",
    "id_number": "150302198205120021", "relationship": "10", "residence_status": "1",
    "marital": "20", "education": "21", "employment": "1"}],
  "visit": {"date": "2026-11-20", "result": "1", "collector": "王芳"}},
 {"card_no": "HBW-2026-000102", "community": "150302001002",
  "household": {"address": "海勃湾区凤凰岭街道和平社区5栋1单元102", "household_type": "1"},
  "members": [
   {"name": "王芳", "gender": "2", "ethnicity": "01", "birth_date": "1978-08-23", "doc_type": "1",
    "id_number": "150302197808230049", "relationship": "02", "residence_status": "1",
    "marital": "20", "education": "21", "employment": "1"},
   {"name": "刘强", "gender": "1", "ethnicity": "01", "birth_date": "1990-11-09", "doc_type": "1",
    "id_number": "150302199011090033", "relationship": "10", "residence_status": "1",
    "marital": "20", "education": "21", "employment": "1"}],
  "visit": {"date": "2026-11-21", "result": "1", "collector": "王芳"}}
])";

struct City {
  Testbed bed;
  std::unique_ptr<service::Node> node;
  std::map<std::string, crdt::EntityRef> people;  // by name

  City() {
    bed.AddNode("terminal", trust::NodeKind::kTerminal, {kCommunity});
    node = bed.Open("terminal");
    auto cards = model::ParseCards(kCards);
    REQUIRE_MESSAGE(cards.ok(), cards.status().ToString());
    service::ImportOptions o;
    o.today = kToday;
    Status st = service::ImportCards(*node, *cards, o, [](const service::CardResult& r) {
      REQUIRE_MESSAGE(r.outcome == service::CardResult::Outcome::kStored, r.card_no);
    });
    REQUIRE_MESSAGE(st.ok(), st.ToString());
    auto r = node->store().BeginRead();
    REQUIRE(r.ok());
    for (const char* id :
         {"150302198001010015", "150302198205120021", "150302197808230049", "150302199011090033"}) {
      auto refs = node->replica().FindByIdNumber(*r, id);
      REQUIRE((refs.ok() && refs->size() == 1));
      auto v = node->replica().Values(*r, refs->front());
      REQUIRE(v.ok());
      people[v->at("name")] = refs->front();
    }
  }
  std::string Value(const std::string& name, const std::string& field) {
    auto r = node->store().BeginRead();
    REQUIRE(r.ok());
    auto v = node->replica().Values(*r, people.at(name));
    REQUIRE(v.ok());
    auto it = v->find(field);
    return it == v->end() ? "" : it->second;
  }
  crdt::Change ChangeOf(const Id32& id) {
    auto r = node->store().BeginRead();
    REQUIRE(r.ok());
    auto c = node->replica().LoadChange(*r, id);
    REQUIRE((c.ok() && c->has_value()));
    return **c;
  }
  // (name, field) pairs in the review queue.
  std::set<std::pair<std::string, std::string>> Queue() {
    std::set<std::pair<std::string, std::string>> out;
    auto r = node->store().BeginRead();
    REQUIRE(r.ok());
    auto q = node->replica().ReviewQueue(*r);
    REQUIRE(q.ok());
    for (const auto& [e, field] : *q)
      for (const auto& [name, ref] : people)
        if (ref == e) out.emplace(name, field);
    return out;
  }
};

std::unique_ptr<FingerScannerSimulator> StartScanner(std::vector<uint64_t> fingers) {
  FingerScannerSimulator::Options o;
  o.serial = "FP-WUHAI-0007";
  o.fingers = std::move(fingers);
  o.seed = 5;
  auto sim = FingerScannerSimulator::Create(o);
  REQUIRE_MESSAGE(sim.ok(), sim.status().ToString());
  (*sim)->Start();
  return std::move(sim).value();
}

EnrolOptions Options() {
  EnrolOptions o;
  o.today = kToday;
  o.op = "王芳";
  o.capture_timeout_ms = 5000;
  return o;
}

bool HaveBinary() { return std::getenv("SHEQU_BIN") != nullptr; }

// A child process whose stdout we read line by line.
struct Child {
  pid_t pid = -1;
  int out = -1;
  ~Child() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    if (out >= 0) ::close(out);
  }
  std::string ReadLine(int timeout_ms) {
    std::string line;
    char c;
    while (true) {
      pollfd p{out, POLLIN, 0};
      if (::poll(&p, 1, timeout_ms) <= 0) return line;
      if (::read(out, &c, 1) != 1 || c == '\n') return line;
      line.push_back(c);
    }
  }
  int Terminate() {
    ::kill(pid, SIGTERM);
    int status = 0;
    ::waitpid(pid, &status, 0);
    pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
};

std::unique_ptr<Child> Spawn(std::vector<std::string> args) {
  int p[2];
  REQUIRE(::pipe(p) == 0);
  auto child = std::make_unique<Child>();
  child->pid = ::fork();
  REQUIRE(child->pid >= 0);
  if (child->pid == 0) {
    ::dup2(p[1], 1);
    ::close(p[0]);
    ::close(p[1]);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(p[1]);
  child->out = p[0];
  return child;
}

// Runs a command and parses its stdout as JSON; stderr goes to the test log.
json RunJson(const std::string& command, int* rc) {
  testing::TempDir tmp;
  std::string err_path = tmp.path() + "/stderr", out;
  *rc = testing::Run("(" + command + " 2>" + err_path + ")", &out);
  auto err = ReadFile(err_path);
  if (err.ok() && !err->empty()) MESSAGE(command << "\n" << *err);
  return json::parse(out, nullptr, false);
}

}  // namespace

TEST_CASE(
    "enrolment stores the template with its provenance and catches a duplicate registration") {
  City city;
  // 刘强 is 张伟 registered a second time under another ID number: the same finger, 101.
  auto sim = StartScanner({101, 202, 303, 101});
  auto scanner = SerialFingerScanner::Open(sim->port());
  REQUIRE(scanner.ok());

  auto zhang = CaptureAndEnrol(*city.node, **scanner, city.people.at("张伟"), Options());
  REQUIRE_MESSAGE(zhang.ok(), zhang.status().ToString());
  CHECK(zhang->scanner_serial == "FP-WUHAI-0007");
  CHECK(zhang->compared == 0);
  CHECK(zhang->duplicates.empty());
  CHECK(zhang->minutiae >= 12);
  for (const char* name : {"李娜", "王芳"}) {
    CAPTURE(name);
    auto r = CaptureAndEnrol(*city.node, **scanner, city.people.at(name), Options());
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    CHECK(r->duplicates.empty());
  }
  CHECK(city.Queue().empty());

  auto liu = CaptureAndEnrol(*city.node, **scanner, city.people.at("刘强"), Options());
  REQUIRE_MESSAGE(liu.ok(), liu.status().ToString());
  CHECK(liu->compared == 3);
  REQUIRE(liu->duplicates.size() == 1);
  const DuplicateHit& hit = liu->duplicates[0];
  CHECK(hit.person == city.people.at("张伟"));
  CHECK(hit.name == "张伟");
  CHECK(hit.id_number == "150302198001010015");
  CHECK(hit.marked);
  CHECK(hit.match.match);

  // Both are in the review queue, each naming the other.
  CHECK(city.Value("刘强", "duplicate_of") == Hex(city.people.at("张伟").entity));
  CHECK(city.Value("张伟", "duplicate_of") == Hex(city.people.at("刘强").entity));
  CHECK(city.Value("李娜", "duplicate_of").empty());
  CHECK(city.Queue() == std::set<std::pair<std::string, std::string>>{{"张伟", "duplicate_of"},
                                                                      {"刘强", "duplicate_of"}});

  // Provenance: tool terminal, the scanner's serial, base64 of the record the scanner sent.
  CHECK(city.Value("刘强", "fingerprint") == liu->fingerprint);
  crdt::Change c = city.ChangeOf(liu->change);
  CHECK(c.body.tool == crdt::Tool::kTerminal);
  CHECK(c.body.device == "FP-WUHAI-0007");
  CHECK(c.body.op == "王芳");
  auto raw = Unbase64(liu->fingerprint);
  REQUIRE(raw.ok());
  CHECK(ParseFmr(*raw).ok());
  {
    auto r = city.node->store().BeginRead();
    REQUIRE(r.ok());
    auto view = service::ViewEntity(*city.node, *r, city.people.at("张伟"));
    REQUIRE(view.ok());
    const service::FieldView* dup = view->Find("duplicate_of");
    REQUIRE(dup);
    CHECK(dup->current.tool == crdt::Tool::kTerminal);
    crdt::Change dc = city.ChangeOf(dup->current.change);
    CHECK(dc.body.device == "FP-WUHAI-0007");
  }
}

TEST_CASE("enrolment refuses what is not a usable template, and unknown persons") {
  City city;
  EnrolOptions o = Options();
  auto& zhang = city.people.at("张伟");
  CHECK(EnrolFingerprint(*city.node, zhang, AsBytes("FMR\0 20\0junk"), "SN", o).status().code() ==
        Code::kInvalidArgument);
  FmrRecord sparse;
  sparse.width = 400;
  sparse.height = 500;
  sparse.views.resize(1);
  sparse.views[0].minutiae.resize(5);
  auto poor = EnrolFingerprint(*city.node, zhang, WriteFmr(sparse), "SN", o);
  CHECK(poor.status().code() == Code::kInvalidArgument);
  CHECK(poor.status().message().find("poor capture") != std::string::npos);
  SynthOptions so;
  Bytes good = WriteFmr(Impress(MakeFinger(9, so), Pose{}, 1, so));
  CHECK(EnrolFingerprint(*city.node, zhang, good, "", o).status().code() ==
        Code::kInvalidArgument);  // no device serial, no device read
  crdt::EntityRef nobody = zhang;
  nobody.entity[0] ^= 0xFF;
  CHECK(EnrolFingerprint(*city.node, nobody, good, "SN", o).status().code() == Code::kNotFound);
  CHECK(city.Value("张伟", "fingerprint").empty());
}

TEST_CASE("an ID card read is stored on a person with the reader's SAM id") {
  City city;
  auto file = LoadVirtualCards(std::string(SHEQU_SOURCE_DIR) + "/devices/virtual_cards.json");
  REQUIRE(file.ok());
  auto sim = IdReaderSimulator::Create(*file);
  REQUIRE(sim.ok());
  (*sim)->Start();
  IdCardReader::Options ro;
  ro.timeout_ms = 5000;
  ro.read_timeout_ms = 10000;
  auto reader = IdCardReader::Open((*sim)->port(), ro);
  REQUIRE(reader.ok());
  auto read = [&](size_t card) {
    (*sim)->Present(card);
    auto raw = reader->ReadCard();
    REQUIRE_MESSAGE(raw.ok(), raw.status().ToString());
    IdCardRead r = InterpretIdCard(raw->text, raw->photo, testing::Ref(), kToday);
    r.sam_id = raw->sam_id;
    return r;
  };

  // Card 0 is 张伟's own: every mapped field is recorded once more, now by the terminal.
  IdCardRead zhang = read(0);
  auto stored = StoreIdCardRead(*city.node, city.people.at("张伟"), zhang, "王芳", kToday);
  REQUIRE_MESSAGE(stored.ok(), stored.status().ToString());
  CHECK(stored->stored);
  CHECK(stored->fields == 7);
  crdt::Change c = city.ChangeOf(stored->change);
  CHECK(c.body.tool == crdt::Tool::kTerminal);
  CHECK(c.body.device == file->sam_id);
  CHECK(city.Value("张伟", "hukou_address") == zhang.text.address);
  auto again = StoreIdCardRead(*city.node, city.people.at("张伟"), zhang, "王芳", kToday);
  REQUIRE(again.ok());
  CHECK(again->stored);
  CHECK(again->fields == 0);

  // Card 4's ID number fails the check: refused, nothing written.
  auto bad = StoreIdCardRead(*city.node, city.people.at("刘强"), read(4), "王芳", kToday);
  REQUIRE(bad.ok());
  CHECK_FALSE(bad->stored);
  REQUIRE_FALSE(bad->problems.empty());
  CHECK(bad->problems[0].code == "id_check");
  CHECK(city.Value("刘强", "name") == "刘强");

  // Card 3 has expired: stored, with a note saying so.
  IdCardRead old = read(3);
  REQUIRE(old.expired);
  auto expired = StoreIdCardRead(*city.node, city.people.at("王芳"), old, "王芳", kToday);
  REQUIRE_MESSAGE(expired.ok(), expired.status().ToString());
  CHECK(expired->stored);
  crdt::Change ec = city.ChangeOf(expired->change);
  bool noted = false;
  for (const crdt::Note& n : ec.body.warnings) noted |= n.code == "card_expired";
  CHECK(noted);
}

TEST_CASE("CLI: person enroll-finger end to end, duplicate check included") {
  if (!HaveBinary()) {
    MESSAGE("SHEQU_BIN is not set (run through ctest): skipped");
    return;
  }
  std::string dir, zhang, liu;
  {
    City city;
    dir = city.bed.dir("terminal");
    zhang = Hex(city.people.at("张伟").entity);
    liu = Hex(city.people.at("刘强").entity);
    city.node.reset();  // the CLI opens the node itself
    auto sim = StartScanner({101, 101});
    std::string base = testing::ShequBin() + " person enroll-finger --dir " + dir + " --port " +
                       sim->port() + " --operator 王芳 --json --entity ";
    int rc = -1;
    json first = RunJson(base + zhang, &rc);
    CHECK(rc == 0);
    REQUIRE_MESSAGE(first.is_object(), first.dump());
    CHECK(first["scanner"] == "FP-WUHAI-0007");
    CHECK(first["duplicates"].empty());
    json second = RunJson(base + liu, &rc);
    CHECK(rc == 0);
    REQUIRE(second.is_object());
    CHECK(second["compared"] == 1);
    REQUIRE(second["duplicates"].size() == 1);
    CHECK(second["duplicates"][0]["person"] == zhang);
    CHECK(second["duplicates"][0]["marked"] == true);
    // Human output, and an unknown person.
    std::string out;
    CHECK(testing::Run(base + "00000000000000000000000000000000", &out) == 2);
    CHECK(out.find("no person") != std::string::npos);

    city.node = city.bed.Open("terminal");
    CHECK(city.Value("张伟", "duplicate_of") == liu);
    CHECK(city.Value("刘强", "duplicate_of") == zhang);
    CHECK(city.Queue().size() == 2);
    CHECK_FALSE(city.Value("张伟", "fingerprint").empty());
  }
}

TEST_CASE("CLI: device sim-id serves until SIGTERM; device read-id reads through it") {
  if (!HaveBinary()) {
    MESSAGE("SHEQU_BIN is not set (run through ctest): skipped");
    return;
  }
  std::string cards = std::string(SHEQU_SOURCE_DIR) + "/devices/virtual_cards.json";
  auto child = Spawn({testing::ShequBin(), "device", "sim-id", "--cards", cards});
  std::string port = child->ReadLine(20000);
  REQUIRE_MESSAGE(port.rfind("/dev/", 0) == 0, port);
  std::string cmd = "SHEQU_TODAY=2026-11-26 " + testing::ShequBin() + " device read-id --port " +
                    port + " --json";
  // The first five cards: three valid, one expired, one with a bad ID number.
  int rc = -1;
  json a = RunJson(cmd, &rc);
  CHECK(rc == 0);
  CHECK(a["card"]["name"] == "张伟");
  CHECK(a["fields"]["birth_date"] == "1980-01-01");
  CHECK(a["sam_id"] == "05.01-20240315-0000123456-0000098765");
  CHECK(a["photo_bytes"] == 1024);
  for (int i = 0; i < 2; ++i) {
    RunJson(cmd, &rc);
    CHECK(rc == 0);
  }
  json expired = RunJson(cmd, &rc);
  CHECK(rc == 2);
  CHECK(expired["expired"] == true);
  CHECK(expired["valid_to"] == "2025-07-12");
  json bad = RunJson(cmd, &rc);
  CHECK(rc == 2);
  REQUIRE(bad["problems"].size() == 1);
  CHECK(bad["problems"][0]["code"] == "id_check");
  std::string out;
  CHECK(testing::Run(testing::ShequBin() + " device read-id --port " + port + " --baud 9600",
                     &out) == 0);  // the Hong Kong permit, at another (configurable) speed
  CHECK(out.find("港澳台居民居住证") != std::string::npos);
  CHECK(child->Terminate() == 0);
}
