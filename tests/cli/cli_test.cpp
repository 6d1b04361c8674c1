// The shequ binary as scripts use it: fixed command names, exit codes, and crash safety.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "node/base/file.h"
#include "node/base/text.h"
#include "node/service/cards.h"
#include "node/service/verify.h"
#include "tests/support/testbed.h"

using namespace shequ;
using namespace shequ::testing;

namespace {

std::string Sh(const std::string& args) { return ShequBin() + " " + args; }

int RunQuiet(const std::string& args, std::string* out = nullptr) {
  std::string sink;
  return Run(Sh(args), out ? out : &sink);
}

struct CliCity {
  TempDir tmp;
  std::string city, node, hub;
  CliCity() {
    city = tmp.path() + "/city";
    node = tmp.path() + "/heping";
    hub = tmp.path() + "/hub";
    REQUIRE(RunQuiet("city init --dir " + city) == 0);
    REQUIRE(RunQuiet("node init --dir " + node + " --city " + city +
                     " --kind community --scope 150302001002 --name 和平社区") == 0);
    REQUIRE(RunQuiet("node init --dir " + hub + " --city " + city +
                     " --kind hub --scope 1503 --name 枢纽") == 0);
  }
};

}  // namespace

TEST_CASE("command names and exit codes are the documented ones") {
  CliCity c;
  std::string out;
  CHECK(RunQuiet("gen --persons 300 --seed 7 --error-rate 0.2 --today 2026-11-26 --communities "
                 "150302001002 --out " +
                     c.tmp.path() + "/cards.json",
                 &out) == 0);
  CHECK(out.find("300 persons") != std::string::npos);
  // Some cards are refused: exit 2, and every refusal names card, member, field and reason.
  int rc = RunQuiet("card import --dir " + c.node + " " + c.tmp.path() + "/cards.json", &out);
  CHECK(rc == 2);
  CHECK(out.find("refused") != std::string::npos);
  CHECK(out.find("error   member") != std::string::npos);
  // A clean import: exit 0.
  CHECK(RunQuiet("gen --persons 100 --seed 8 --today 2026-11-26 --communities 150302001002 --out " +
                 c.tmp.path() + "/clean.json") == 0);
  CHECK(RunQuiet("card import --dir " + c.node + " " + c.tmp.path() + "/clean.json", &out) == 0);
  // Not JSON at all: exit 2, nothing stored from it.
  REQUIRE(WriteFileAtomic(c.tmp.path() + "/junk.json", "{{{ not json").ok());
  CHECK(RunQuiet("card import --dir " + c.node + " " + c.tmp.path() + "/junk.json") == 2);
  // Bundles: 0 when all accepted, 2 when not a bundle, 3 when some change was rejected.
  CHECK(RunQuiet("changes export --dir " + c.node + " --out " + c.tmp.path() + "/b.bundle") == 0);
  CHECK(RunQuiet("changes import --dir " + c.hub + " " + c.tmp.path() + "/b.bundle") == 0);
  CHECK(RunQuiet("changes import --dir " + c.hub + " " + c.tmp.path() + "/junk.json") == 2);
  std::string bytes = *ReadFile(c.tmp.path() + "/b.bundle");
  bytes[bytes.size() / 2] ^= 0x40;
  REQUIRE(WriteFileAtomic(c.tmp.path() + "/bad.bundle", bytes).ok());
  Testbed other;
  other.AddNode("x", trust::NodeKind::kHub, {"1503"});
  CHECK(RunQuiet("changes import --dir " + other.dir("x") + " " + c.tmp.path() + "/b.bundle") == 3);
  // State digests agree; verify passes.
  std::string h1, h2;
  REQUIRE(RunQuiet("state-hash --dir " + c.node + " --scope 150302001002", &h1) == 0);
  REQUIRE(RunQuiet("state-hash --dir " + c.hub + " --scope 150302001002", &h2) == 0);
  CHECK(h1 == h2);
  CHECK(h1.size() == 65);
  CHECK(RunQuiet("verify --dir " + c.hub) == 0);
  // Usage errors: 2.
  CHECK(RunQuiet("card import") == 2);
  CHECK(RunQuiet("no-such-command") == 2);
  CHECK(RunQuiet("person show --dir " + c.node + " --id 11010519491231002X") == 2);
}

TEST_CASE(
    "kill -9 during a long import: restart, verify passes, every card reported stored is there") {
  CliCity c;
  std::string cards = c.tmp.path() + "/cards.json";
  REQUIRE(RunQuiet("gen --persons 12000 --seed 11 --today 2026-11-26 --communities "
                   "150302001002,150302001003 "
                   "--out " +
                   cards) == 0);
  // The node's scope must cover both communities for this test: use the hub-like district node.
  std::string district = c.tmp.path() + "/district";
  REQUIRE(RunQuiet("node init --dir " + district + " --city " + c.city +
                   " --kind community --scope 150302001002,150302001003 --name 两社区") == 0);
  std::set<std::string> reported;
  for (int round = 0; round < 3; ++round) {
    CAPTURE(round);
    std::string log = c.tmp.path() + "/import" + std::to_string(round) + ".log";
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      execl(ShequBin().c_str(), "shequ", "card", "import", "--dir", district.c_str(), "--batch",
            "32", cards.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    // Wait until a good number of cards were reported stored, then kill without warning.
    size_t want = 300 + 400 * static_cast<size_t>(round);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    size_t seen = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      auto text = ReadFile(log);
      seen = 0;
      if (text.ok())
        for (std::string_view line : Split(*text, '\n')) seen += StartsWith(line, "stored");
      if (seen >= want) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    auto text = ReadFile(log);
    REQUIRE(text.ok());
    for (std::string_view line : Split(*text, '\n')) {
      if (!StartsWith(line, "stored")) continue;
      auto words = Split(line, ' ');
      std::vector<std::string_view> nonempty;
      for (auto w : words)
        if (!w.empty()) nonempty.push_back(w);
      if (nonempty.size() >= 2) reported.emplace(nonempty[1]);
    }
    CHECK(reported.size() >= want / 2);
    // Every card the killed import reported stored is there, and the store verifies.
    auto node = service::Node::Open(district, Ref());
    REQUIRE(node.ok());
    {
      auto r = (*node)->store().BeginRead();
      REQUIRE(r.ok());
      size_t missing = 0;
      for (const std::string& card : reported)
        missing += (*node)->replica().FindByCard(*r, card)->empty();
      CHECK(missing == 0);
    }
    auto report = service::Verify(**node);
    REQUIRE(report.ok());
    CHECK(report->ok());
  }
  // Finishing the import after the crashes: the stored cards are unchanged, the rest are stored.
  std::string out;
  CHECK(RunQuiet("card import --dir " + district + " " + cards, &out) == 0);
  CHECK(out.find("unchanged") != std::string::npos);
  CHECK(RunQuiet("verify --dir " + district) == 0);
}
