// `shequ demo`, the README's first command: a small city of 27 node processes on loopback plays
// the collection work and must end converged, with the assessment and the report, and leave no
// process behind — also when interrupted with Ctrl-C. The test checks the outcome itself (state
// digests, signatures, the revoked terminal's change) rather than trusting the demo's words.
#include <dirent.h>
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "node/base/file.h"
#include "node/base/text.h"
#include "node/base/time.h"
#include "tests/support/testbed.h"

using namespace shequ;
using namespace shequ::testing;

namespace {

// Processes whose command line mentions `needle`.
int ProcessesMentioning(const std::string& needle) {
  int n = 0;
  DIR* d = opendir("/proc");
  if (!d) return -1;
  while (dirent* e = readdir(d)) {
    if (!AllDigits(e->d_name)) continue;
    std::ifstream f(std::string("/proc/") + e->d_name + "/cmdline", std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    if (ss.str().find(needle) != std::string::npos) ++n;
  }
  closedir(d);
  return n;
}

std::string Hash(const std::string& dir, const std::string& scope) {
  std::string out;
  REQUIRE(Run(ShequBin() + " state-hash --dir " + dir + " --scope " + scope + " 2>/dev/null",
              &out) == 0);
  return std::string(Trim(out));
}

}  // namespace

TEST_CASE("demo: a city of node processes converges, scores and cleans up") {
  TempDir tmp;
  const std::string dir = tmp.path() + "/city-demo";
  std::string out;
  int rc = Run("env -u DISPLAY " + ShequBin() + " demo --persons 2000 --seed 7 --no-ui --keep " +
                   dir + " 2>&1",
               &out);
  INFO(out);
  REQUIRE(rc == 0);
  CHECK(out.find("started 27 node processes on loopback") != std::string::npos);
  CHECK(out.find("all 26 running nodes converged") != std::string::npos);
  // The conflict reached every holder's review queue, and resolving it emptied them.
  CHECK(out.find("review queues: 和平社区 1 和平终端1 1 海勃湾区 1 市枢纽 1") != std::string::npos);
  CHECK(out.find("review queues: 和平社区 0 和平终端1 0 海勃湾区 0 市枢纽 0") != std::string::npos);
  // The lost terminal's change, signed after its revocation, was refused.
  CHECK(out.find("0 applied, 1 rejected") != std::string::npos);
  CHECK(out.find("绩效考核") != std::string::npos);
  // Nothing is left running.
  CHECK(ProcessesMentioning(dir) == 0);

  // Convergence, checked here: every holder of each community has the same digest.
  const std::vector<std::pair<std::string, std::vector<std::string>>> holders = {
      {"150302001002",
       {"hub", "office", "police", "haibowan", "heping", "t-heping-1", "t-heping-2"}},
      {"150302101203", {"hub", "haibowan", "xindi", "t-xindi-1", "t-xindi-2"}},
      {"150304002001", {"hub", "wuda", "fuqiang", "t-fuqiang-1", "t-fuqiang-2"}},
      {"150304002002", {"hub", "wuda", "huyang", "t-huyang-1"}},
  };
  for (const auto& [community, nodes] : holders) {
    const std::string first = Hash(dir + "/" + nodes[0], community);
    for (const std::string& n : nodes) CHECK_MESSAGE(Hash(dir + "/" + n, community) == first, n);
  }
  // The revoked terminal alone holds its refused change.
  CHECK(Hash(dir + "/t-huyang-2", "150304002002") != Hash(dir + "/hub", "150304002002"));
  // The hub re-verifies every signature and rebuilds the same state.
  CHECK(Run(ShequBin() + " verify --dir " + dir + "/hub >/dev/null 2>&1") == 0);
  // The report is a self-contained page with its chart.
  auto html = ReadFile(dir + "/assessment-" + std::to_string(Today().year) + "Q" +
                       std::to_string((Today().month - 1) / 3 + 1) + ".html");
  REQUIRE(html.ok());
  CHECK(html->find("<svg") != std::string::npos);
  CHECK(html->find("和平社区") != std::string::npos);
}

TEST_CASE("demo: Ctrl-C stops every node process and removes the city") {
  TempDir tmp;
  const std::string log = tmp.path() + "/demo.log";
  pid_t pid = fork();
  if (pid == 0) {
    FILE* f = std::freopen(log.c_str(), "w", stdout);
    (void)f;
    unsetenv("DISPLAY");
    std::string bin = ShequBin();
    execl(bin.c_str(), bin.c_str(), "demo", "--persons", "2000", "--no-ui", (char*)nullptr);
    _exit(127);
  }
  // Interrupt once the nodes run and the cards are going in.
  std::string text;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    auto t = ReadFile(log);
    if (t.ok()) text = *t;
    if (text.find("card import") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE(text.find("card import") != std::string::npos);
  size_t at = text.find("directory ");
  REQUIRE(at != std::string::npos);
  const std::string dir = text.substr(at + 10, text.find(';', at) - at - 10);
  REQUIRE(StartsWith(dir, "/tmp/shequ-demo-"));
  CHECK(ProcessesMentioning(dir) > 20);
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 130);
  CHECK(ProcessesMentioning(dir) == 0);
  CHECK_FALSE(FileExists(dir));
}
