// Real `shequ run` processes on loopback: a hub, a district, two communities and two terminals.
// Offline edits, partitions (processes stopped), conflicting edits, heal: all converge. A
// transfer cut at about half resumes with the other half. Refusals: a node of another city, a
// client without the peer's key, garbage on the port. A terminal revoked while it runs. The city
// is Ed25519 or, with SHEQU_TEST_SUITE=sm2, SM2/SM3.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "node/base/file.h"
#include "node/base/text.h"
#include "tests/support/testbed.h"

using namespace shequ;
using namespace shequ::testing;
using json = nlohmann::json;

namespace {

std::string Sh(const std::string& args) { return ShequBin() + " " + args; }
int Quiet(const std::string& args, std::string* out = nullptr) {
  std::string sink;
  if (out) out->clear();
  // stdout only: stderr carries the log lines, stdout what a script would parse.
  return Run("(" + Sh(args) + " 2>/dev/null)", out ? out : &sink);
}

struct Proc {
  pid_t pid = -1;
  std::string log;
};

Proc Spawn(const std::vector<std::string>& args, const std::string& log) {
  Proc p;
  p.log = log;
  p.pid = fork();
  if (p.pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> argv;
    std::string bin = ShequBin();
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  return p;
}

void Stop(Proc& p, int sig = SIGTERM) {
  if (p.pid <= 0) return;
  kill(p.pid, sig);
  int status = 0;
  waitpid(p.pid, &status, 0);
  p.pid = -1;
}

struct Node {
  std::string name, dir, scope, endpoint, contact;
  Proc daemon;
};

class City {
 public:
  TempDir tmp;
  std::string city;
  std::map<std::string, Node> nodes;
  int base_port;

  City() {
    base_port = 21000 + static_cast<int>(getpid() % 20000);
    city = tmp.path() + "/city";
    REQUIRE(Quiet("city init " + SuiteFlag() + " --dir " + city) == 0);
    Add("hub", "hub", "1503");
    Add("district", "district", "150302");
    Add("heping", "community", "150302001002");
    Add("gongyuan", "community", "150302001003");
    Add("t-heping", "terminal", "150302001002");
    Add("t-gongyuan", "terminal", "150302001003");
    // Provisioning: every node admits every other's certificate.
    std::string certs;
    for (auto& [n, node] : nodes) certs += " " + node.dir + "/node.cert";
    for (auto& [n, node] : nodes) REQUIRE(Quiet("trust import --dir " + node.dir + certs) == 0);
  }
  ~City() {
    for (auto& [n, node] : nodes) Stop(node.daemon);
  }

  void Add(const std::string& name, const std::string& kind, const std::string& scope) {
    Node n;
    n.name = name;
    n.dir = tmp.path() + "/" + name;
    n.scope = scope;
    n.endpoint = "tcp://127.0.0.1:" + std::to_string(base_port + static_cast<int>(nodes.size()));
    REQUIRE(Quiet("node init --dir " + n.dir + " --city " + city + " --kind " + kind + " --scope " +
                  scope + " --name " + name) == 0);
    std::string out;
    REQUIRE(Quiet("node contact --dir " + n.dir + " --endpoint " + n.endpoint, &out) == 0);
    n.contact = std::string(Trim(out));
    nodes[name] = n;
  }

  // Who dials whom (terminals and communities up the tree).
  void Start(const std::string& name) {
    static const std::map<std::string, std::vector<std::string>> dials = {
        {"hub", {}},
        {"district", {"hub"}},
        {"heping", {"district"}},
        {"gongyuan", {"district"}},
        {"t-heping", {"heping"}},
        {"t-gongyuan", {"gongyuan"}}};
    Node& n = nodes[name];
    std::vector<std::string> args = {"run", "--dir", n.dir, "--timeout", "20"};
    if (name != "t-heping" && name != "t-gongyuan") {
      args.push_back("--listen");
      args.push_back(n.endpoint);
    }
    for (const std::string& peer : dials.at(name)) {
      args.push_back("--peer");
      args.push_back(nodes[peer].contact);
    }
    n.daemon = Spawn(args, tmp.path() + "/" + name + ".log");
  }

  std::string Hash(const std::string& name, const std::string& scope) {
    std::string out;
    REQUIRE(Quiet("state-hash --dir " + nodes[name].dir + " --scope " + scope, &out) == 0);
    return std::string(Trim(out));
  }

  // Waits until every node covering a community has the same digest of it.
  bool Converged(const std::vector<std::string>& communities, int seconds, std::string* why) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      bool all = true;
      for (const std::string& c : communities) {
        std::string first, first_name;
        for (auto& [name, node] : nodes) {
          if (!StartsWith(c, node.scope)) continue;
          std::string h = Hash(name, c);
          if (first.empty()) {
            first = h;
            first_name = name;
          } else if (h != first) {
            all = false;
            *why = c + ": " + first_name + " " + first.substr(0, 12) + " vs " + name + " " +
                   h.substr(0, 12);
          }
        }
      }
      if (all) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    return false;
  }
};

std::string FirstPersonId(const std::string& cards_json) {
  size_t at = cards_json.find("\"id_number\":\"");
  REQUIRE(at != std::string::npos);
  return cards_json.substr(at + 13, 18);
}

}  // namespace

TEST_CASE("six processes on loopback: offline edits, partitions, conflicts, heal, all converge") {
  City c;
  const std::vector<std::string> communities = {"150302001002", "150302001003"};
  std::string t = c.tmp.path();
  // Collection before anything is connected: every node offline.
  REQUIRE(Quiet("gen --persons 300 --seed 1 --today 2026-11-26 --communities 150302001002 --out " +
                t + "/a.json") == 0);
  REQUIRE(Quiet("gen --persons 300 --seed 2 --today 2026-11-26 --communities 150302001003 --out " +
                t + "/b.json") == 0);
  REQUIRE(Quiet("gen --persons 200 --seed 3 --today 2026-11-26 --communities 150302001002 --out " +
                t + "/ta.json") == 0);
  CHECK(Quiet("card import --dir " + c.nodes["heping"].dir + " " + t + "/a.json") == 0);
  CHECK(Quiet("card import --dir " + c.nodes["gongyuan"].dir + " " + t + "/b.json") == 0);
  CHECK(Quiet("card import --dir " + c.nodes["t-heping"].dir + " --tool terminal " + t +
              "/ta.json") == 0);
  for (const char* n : {"hub", "district", "heping", "gongyuan", "t-heping", "t-gongyuan"})
    c.Start(n);
  std::string why;
  REQUIRE_MESSAGE(c.Converged(communities, 60, &why), why);
  CHECK(c.Hash("hub", "150302001002") == c.Hash("t-heping", "150302001002"));

  // Live push: an import on a running node reaches the hub without anyone asking.
  REQUIRE(Quiet("gen --persons 50 --seed 4 --today 2026-11-26 --communities 150302001003 --out " +
                t + "/b2.json") == 0);
  CHECK(Quiet("card import --dir " + c.nodes["t-gongyuan"].dir + " " + t + "/b2.json") == 0);
  REQUIRE_MESSAGE(c.Converged(communities, 30, &why), why);

  // Partition: the heping terminal goes offline; both it and the office correct the same
  // person's name differently (an identity field).
  Stop(c.nodes["t-heping"].daemon);
  std::string json_a = *ReadFile(t + "/a.json");
  std::string id = FirstPersonId(json_a);
  std::string out;
  REQUIRE(Quiet("person show --dir " + c.nodes["heping"].dir + " --id " + id + " --json", &out) ==
          0);
  std::string entity = json::parse(out)["entity"];
  CHECK(Quiet("person set --dir " + c.nodes["t-heping"].dir + " --entity " + entity +
              " --tool terminal name=王晓军") == 0);
  CHECK(Quiet("person set --dir " + c.nodes["heping"].dir + " --entity " + entity +
              " name=王小军") == 0);
  // The district is stopped too while gongyuan keeps working.
  Stop(c.nodes["district"].daemon);
  REQUIRE(Quiet("gen --persons 40 --seed 5 --today 2026-11-26 --communities 150302001003 --out " +
                t + "/b3.json") == 0);
  CHECK(Quiet("card import --dir " + c.nodes["gongyuan"].dir + " " + t + "/b3.json") == 0);
  // Heal.
  c.Start("t-heping");
  c.Start("district");
  REQUIRE_MESSAGE(c.Converged(communities, 60, &why), why);
  // The conflict is visible on every node that holds the community, e.g. the hub and the terminal.
  for (const char* n : {"heping", "t-heping", "hub"}) {
    REQUIRE(Quiet(std::string("conflicts --dir ") + c.nodes[n].dir + " --json", &out) == 0);
    auto conflicts = json::parse(out);
    CAPTURE(n);
    REQUIRE(conflicts.size() == 1);
    CHECK(conflicts[0]["field"] == "name");
    CHECK(conflicts[0]["values"].size() == 2);
  }
  // A person moves from heping to gongyuan while everything runs: the move-out reaches
  // gongyuan through the district (heping cannot reach gongyuan's scope itself).
  std::string json_b = *ReadFile(t + "/b.json");
  std::string b_card = json_b.substr(json_b.find("\"card_no\":\"") + 11, 15);
  std::string mover =
      json_a.substr(json_a.find("\"id_number\":\"", json_a.find("\"id_number\":\"") + 1) + 13, 18);
  REQUIRE(Quiet("person show --dir " + c.nodes["heping"].dir + " --id " + mover + " --json",
                &out) == 0);
  std::string mover_entity = json::parse(out)["entity"];
  REQUIRE(Quiet("transfer out --dir " + c.nodes["heping"].dir + " --entity " + mover_entity +
                " --to 150302001003") == 0);
  std::string transfer;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (transfer.empty() && std::chrono::steady_clock::now() < until) {
    REQUIRE(Quiet("transfer list --dir " + c.nodes["gongyuan"].dir + " --json", &out) == 0);
    auto list = json::parse(out);
    if (!list.empty())
      transfer = list[0]["transfer"];
    else
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  REQUIRE_MESSAGE(!transfer.empty(), "the move-out did not reach gongyuan");
  CHECK(Quiet("transfer accept --dir " + c.nodes["gongyuan"].dir + " --transfer " + transfer +
              " --household " + b_card) == 0);
  REQUIRE_MESSAGE(c.Converged(communities, 30, &why), why);
  REQUIRE(Quiet("transfer list --dir " + c.nodes["hub"].dir + " --json", &out) == 0);
  auto at_hub = json::parse(out);
  REQUIRE(at_hub.size() == 1);
  CHECK(at_hub[0]["status"] == "2");

  // Peers know each other.
  REQUIRE(Quiet("peers --dir " + c.nodes["heping"].dir + " --json", &out) == 0);
  CHECK(json::parse(out).size() >= 2);
  for (auto& [n, node] : c.nodes) Stop(node.daemon);
  for (auto& [n, node] : c.nodes) CHECK(Quiet("verify --dir " + node.dir) == 0);
}

TEST_CASE("a transfer cut at about half resumes where it stopped") {
  City c;
  std::string t = c.tmp.path();
  REQUIRE(Quiet("gen --persons 6000 --seed 9 --today 2026-11-26 --communities 150302001002 --out " +
                t + "/big.json") == 0);
  REQUIRE(Quiet("card import --dir " + c.nodes["heping"].dir + " " + t + "/big.json") == 0);
  std::string total_s;
  REQUIRE(Quiet("node show --dir " + c.nodes["heping"].dir + " --json", &total_s) == 0);
  size_t total = json::parse(total_s)["changes"];
  c.Start("heping");
  // The terminal pulls, and is killed (-9) when about half has arrived.
  Proc sync = Spawn({"sync", "--dir", c.nodes["t-heping"].dir, "--peer", c.nodes["heping"].contact},
                    t + "/sync1.log");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  size_t have = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    std::string out;
    if (Quiet("node show --dir " + c.nodes["t-heping"].dir + " --json", &out) == 0) {
      auto j = json::parse(out, nullptr, false);
      if (!j.is_discarded()) have = j["changes"];
    }
    if (have >= total / 3) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Stop(sync, SIGKILL);
  std::string out;
  REQUIRE(Quiet("node show --dir " + c.nodes["t-heping"].dir + " --json", &out) == 0);
  size_t kept = json::parse(out)["changes"];
  MESSAGE("changes on the terminal when cut: " << kept << " of " << total);
  CHECK(kept > 0);
  CHECK(kept < total);
  // The next sync carries only the rest.
  REQUIRE(Quiet("sync --dir " + c.nodes["t-heping"].dir + " --peer " + c.nodes["heping"].contact +
                    " --json",
                &out) == 0);
  auto j = json::parse(out);
  CHECK(j["synced"] == true);
  size_t received = j["changes_received"];
  CHECK(received == total - kept);
  // After its sync the terminal wrote its usage report, which waits for the next sync; carried
  // on a bundle, it leaves both with the same state.
  CHECK(j["usage_report"] == true);
  REQUIRE(Quiet("changes export --dir " + c.nodes["t-heping"].dir + " --scope 150302001002 --out " +
                t + "/report.bundle") == 0);
  REQUIRE(Quiet("changes import --dir " + c.nodes["heping"].dir + " " + t + "/report.bundle") == 0);
  CHECK(c.Hash("t-heping", "150302001002") == c.Hash("heping", "150302001002"));
}

TEST_CASE("refusals: another city's node, a wrong peer key, garbage; honest nodes keep working") {
  City c;
  c.Start("hub");
  std::string t = c.tmp.path();
  // A node enrolled by another city's root: refused by the hub's ZAP handler.
  std::string other_city = t + "/other-city", intruder = t + "/intruder";
  REQUIRE(Quiet("city init " + SuiteFlag() + " --dir " + other_city) == 0);
  REQUIRE(Quiet("node init --dir " + intruder + " --city " + other_city +
                " --kind community --scope 150302001002 --name 冒充") == 0);
  std::string out;
  out.clear();
  int rc = Run(Sh("sync --dir " + intruder + " --peer " + c.nodes["hub"].contact + " --timeout 5"),
               &out);
  CHECK(rc != 0);
  CHECK(out.find("refused") != std::string::npos);
  // Its certificate cannot even be imported here.
  CHECK(Quiet("trust import --dir " + c.nodes["hub"].dir + " " + intruder + "/node.cert") == 2);
  // Dialling the hub with the wrong server key: the CURVE handshake fails, nothing is sent.
  std::string wrong = c.nodes["hub"].endpoint + "#" + std::string(64, '1');
  rc = Quiet("sync --dir " + c.nodes["heping"].dir + " --peer " + wrong + " --timeout 5", &out);
  CHECK(rc != 0);
  // Garbage and an oversized frame on the port (a plain TCP client without CURVE).
  std::string port = c.nodes["hub"].endpoint.substr(c.nodes["hub"].endpoint.rfind(':') + 1);
  Run("head -c 3000000 /dev/urandom | timeout 3 bash -c 'cat > /dev/tcp/127.0.0.1/" + port +
      "' 2>/dev/null");
  Run("printf 'GET / HTTP/1.1\\r\\n\\r\\n' | timeout 2 bash -c 'cat > /dev/tcp/127.0.0.1/" + port +
      "' 2>/dev/null");
  // The honest community still syncs.
  REQUIRE(Quiet("gen --persons 50 --seed 3 --today 2026-11-26 --communities 150302001002 --out " +
                t + "/a.json") == 0);
  REQUIRE(Quiet("card import --dir " + c.nodes["heping"].dir + " " + t + "/a.json") == 0);
  CHECK(
      Quiet("sync --dir " + c.nodes["heping"].dir + " --peer " + c.nodes["hub"].contact + " --json",
            &out) == 0);
  CHECK(json::parse(out)["synced"] == true);
  CHECK(c.Hash("hub", "150302001002") == c.Hash("heping", "150302001002"));
}

TEST_CASE(
    "a revoked terminal: `node revoke`, taken by a running office; later changes removed and "
    "refused, earlier ones kept, its session closed, its connections refused") {
  City c;
  std::string t = c.tmp.path();
  auto& terminal = c.nodes["t-heping"];
  auto& heping = c.nodes["heping"];
  std::string out;
  REQUIRE(Quiet("node show --dir " + terminal.dir + " --json", &out) == 0);
  std::string terminal_id = json::parse(out)["node"];
  // The terminal collects and syncs with its community office.
  REQUIRE(Quiet("gen --persons 30 --seed 7 --today 2026-11-26 --communities 150302001002 --out " +
                t + "/early.json") == 0);
  REQUIRE(Quiet("card import --dir " + terminal.dir + " --tool terminal " + t + "/early.json") ==
          0);
  c.Start("heping");
  REQUIRE(Quiet("sync --dir " + terminal.dir + " --peer " + heping.contact) == 0);
  REQUIRE(Quiet("node show --dir " + heping.dir + " --json", &out) == 0);
  size_t early = json::parse(out)["changes"];
  CHECK(early > 30);

  // Reported lost. The office signs the revocation; the terminal, not knowing, goes on
  // collecting, and its live session carries the new cards to the office.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  REQUIRE(Quiet("node revoke --city " + c.city + " --node " + terminal_id.substr(0, 10) +
                " --reason 终端丢失 --out " + t + "/lost.rev") == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  REQUIRE(Quiet("gen --persons 10 --seed 8 --today 2026-11-26 --communities 150302001002 --out " +
                t + "/late.json") == 0);
  REQUIRE(Quiet("card import --dir " + terminal.dir + " --tool terminal " + t + "/late.json") == 0);
  c.Start("t-heping");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  size_t have = 0;
  while (have < early + 10 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (Quiet("node show --dir " + heping.dir + " --json", &out) == 0) {
      auto j = json::parse(out, nullptr, false);
      if (!j.is_discarded()) have = j["changes"];
    }
  }
  REQUIRE(have >= early + 10);

  // The revocation file is taken by the office's replica while its daemon runs (another
  // process): the daemon learns it, removes the later changes and closes the terminal's session.
  REQUIRE(Quiet("trust import --dir " + heping.dir + " " + t + "/lost.rev", &out) == 0);
  CHECK(out.find("终端丢失") != std::string::npos);
  CHECK(out.find("removed") != std::string::npos);
  auto logged = [&](const std::string& log, const std::string& what) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < until) {
      auto text = ReadFile(log);
      if (text.ok() && text->find(what) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  };
  CHECK_MESSAGE(logged(t + "/heping.log", "closing the session with t-heping"),
                *ReadFile(t + "/heping.log"));
  CHECK_MESSAGE(logged(t + "/t-heping.log", "revoked"), *ReadFile(t + "/t-heping.log"));
  REQUIRE(Quiet("node show --dir " + heping.dir + " --json", &out) == 0);
  size_t kept = json::parse(out)["changes"];
  CHECK(kept >= early);
  CHECK(kept < early + 10);
  Stop(terminal.daemon);

  // A new connection of the terminal is refused (exit 4: not permitted).
  CHECK(Run(Sh("sync --dir " + terminal.dir + " --peer " + heping.contact + " --timeout 10"),
            &out) == 4);
  CHECK(out.find("refused") != std::string::npos);
  // The hub learns the revocation from the office's trust set, and only the earlier changes.
  Stop(heping.daemon);
  c.Start("hub");
  REQUIRE(Quiet("sync --dir " + heping.dir + " --peer " + c.nodes["hub"].contact) == 0);
  CHECK(c.Hash("hub", "150302001002") == c.Hash("heping", "150302001002"));
  Stop(c.nodes["hub"].daemon);
  // The terminal's changes on a USB stick: the later ones are rejected, with the reason.
  REQUIRE(Quiet("changes export --dir " + terminal.dir + " --out " + t + "/t.bundle") == 0);
  CHECK(Quiet("changes import --dir " + c.nodes["hub"].dir + " " + t + "/t.bundle", &out) == 3);
  CHECK(out.find("[revoked]") != std::string::npos);
  CHECK(out.find("终端丢失") != std::string::npos);
  CHECK(c.Hash("hub", "150302001002") == c.Hash("heping", "150302001002"));
  // A revocation signed by another city's root is refused with a clear error.
  REQUIRE(Quiet("city init " + SuiteFlag() + " --dir " + t + "/forger") == 0);
  REQUIRE(Quiet("node revoke --city " + t + "/forger --node " + terminal_id + " --reason x --out " +
                t + "/forged.rev") == 0);
  CHECK(Run(Sh("trust import --dir " + c.nodes["hub"].dir + " " + t + "/forged.rev"), &out) == 2);
  CHECK(out.find("not signed by this city's root") != std::string::npos);
  for (const char* n : {"hub", "heping"})
    CHECK(Quiet(std::string("verify --dir ") + c.nodes[n].dir) == 0);
}
