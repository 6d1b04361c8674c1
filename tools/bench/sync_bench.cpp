// Replication benchmarks (docs/BENCHMARKS.md), with real `shequ` processes on loopback:
//   terminal   a terminal back after three days offline in a community of 5,000 persons where
//              1% of records changed on each side: bytes each way, round trips, time, against
//              the size of the changes that actually differ
//   bootstrap  the hub receives the whole city (default 560,000 persons) into an empty replica:
//              time and peak memory, against OpenSSL's own time to verify that many signatures
//   insync     the same two replicas, in sync, checked again: bytes and time
//
//   build/tools/bench_sync [--shequ build/shequ] [--persons 560000] [--only terminal|city]
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "node/base/file.h"
#include "node/crypto/crypto.h"
#include "node/model/reference.h"
#include "tools/bench/verify_rate.h"

using namespace shequ;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

std::string g_shequ, g_dir;

std::string Arg(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  return fallback;
}

// Runs `shequ args` to completion and returns its standard output; any failure ends the run.
std::string Shequ(const std::string& args, struct rusage* usage = nullptr, bool may_fail = false) {
  std::string out_file = g_dir + "/stdout";
  std::string cmd =
      "exec " + g_shequ + " " + args + " > " + out_file + " 2>>" + g_dir + "/bench.log";
  pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  struct rusage ru {};
  wait4(pid, &status, 0, &ru);
  if (usage) *usage = ru;
  if (!may_fail && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
    std::fprintf(stderr, "shequ %s failed; see %s/bench.log\n", args.substr(0, 120).c_str(),
                 g_dir.c_str());
    std::exit(1);
  }
  auto text = ReadFile(out_file);
  return text.ok() ? *text : "";
}

pid_t StartDaemon(const std::string& args) {
  pid_t pid = fork();
  if (pid == 0) {
    std::string cmd = "exec " + g_shequ + " " + args + " 2>>" + g_dir + "/daemon.log";
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  return pid;
}

void StopDaemon(pid_t pid) {
  kill(pid, SIGTERM);
  int st = 0;
  waitpid(pid, &st, 0);
}

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

std::string NewNode(const std::string& name, const std::string& kind, const std::string& scope) {
  std::string dir = g_dir + "/" + name;
  Shequ("node init --dir " + dir + " --city " + g_dir + "/city --kind " + kind + " --scope " +
        scope + " --name " + name);
  return dir;
}

std::string Contact(const std::string& dir, int port) {
  std::string c =
      Shequ("node contact --dir " + dir + " --endpoint tcp://127.0.0.1:" + std::to_string(port));
  while (!c.empty() && (c.back() == '\n' || c.back() == ' ')) c.pop_back();
  return c;
}

size_t Changes(const std::string& dir) {
  return json::parse(Shequ("node show --dir " + dir + " --json"))["changes"].get<size_t>();
}

void PrintSync(const char* what, const json& r, double secs) {
  std::printf(
      "%s: %.3f s; changes %llu out / %llu in; %llu bytes out, %llu bytes in; %llu round trips\n",
      what, secs, (unsigned long long)r["changes_sent"], (unsigned long long)r["changes_received"],
      (unsigned long long)r["bytes_sent"], (unsigned long long)r["bytes_received"],
      (unsigned long long)r["round_trips"]);
}

void TerminalBack() {
  std::printf(
      "\n== W: a terminal back after 3 days offline; community of 5,000 persons, 1%% changed on "
      "each side\n");
  std::string office = NewNode("office", "community", "150302001002");
  std::string term = NewNode("terminal", "terminal", "150302001002");
  Shequ("trust import --dir " + office + " " + term + "/node.cert");
  Shequ("trust import --dir " + term + " " + office + "/node.cert");
  Shequ("gen --persons 5000 --seed 5 --today 2026-11-26 --communities 150302001002 --out " + g_dir +
        "/c.json");
  Shequ("card import --dir " + office + " --batch 512 " + g_dir + "/c.json");
  int port = 23000 + static_cast<int>(getpid() % 2000);
  std::string contact = Contact(office, port);
  pid_t d = StartDaemon("run --dir " + office +
                        " --listen tcp://127.0.0.1:" + std::to_string(port) + " --quiet");
  auto t0 = Clock::now();
  json first = json::parse(Shequ("sync --dir " + term + " --peer " + contact + " --json"));
  PrintSync("initial replication to the terminal", first, Seconds(t0, Clock::now()));
  // Offline: 50 persons edited on each side (1% of 5,000), different persons on each side.
  std::string cards = *ReadFile(g_dir + "/c.json");
  std::vector<std::string> ids;
  for (size_t at = cards.find("\"id_number\":\""); at != std::string::npos && ids.size() < 100;
       at = cards.find("\"id_number\":\"", at + 1))
    ids.push_back(cards.substr(at + 13, 18));
  size_t office_before = Changes(office), term_before = Changes(term);
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::string& dir = i % 2 ? office : term;
    std::string shown =
        Shequ("person show --dir " + dir + " --id " + ids[i] + " --json", nullptr, true);
    auto j = json::parse(shown, nullptr, false);
    if (j.is_discarded() || !j.contains("entity")) continue;
    Shequ("person set --dir " + dir + " --entity " + j["entity"].get<std::string>() +
              " phone=1390473" + std::to_string(1000 + i) + " employment=2",
          nullptr, true);
  }
  std::printf("offline changes: %zu at the office, %zu on the terminal\n",
              Changes(office) - office_before, Changes(term) - term_before);
  t0 = Clock::now();
  json r = json::parse(Shequ("sync --dir " + term + " --peer " + contact + " --json"));
  double secs = Seconds(t0, Clock::now());
  StopDaemon(d);
  PrintSync("sync after the 3 days", r, secs);
  double differ = r["record_bytes_sent"].get<double>() + r["record_bytes_received"].get<double>();
  double total = r["bytes_sent"].get<double>() + r["bytes_received"].get<double>();
  double limit = 1.2 * differ + 16 * 1024;
  std::printf(
      "changes that differ: %.0f bytes of records; total on the wire %.0f bytes = %.2f x differ + "
      "%.1f KiB\n",
      differ, total, total / differ, (total - differ) / 1024);
  std::printf("goal bytes <= 1.2 x differ + 16 KiB (= %.0f): %s; goal <= 4 round trips: %s\n",
              limit, total <= limit ? "met" : "NOT MET",
              r["round_trips"].get<int>() <= 4 ? "met" : "NOT MET");
}

void City(size_t persons) {
  std::printf(
      "\n== W: hub bootstrap of the city (%zu persons) into an empty replica over loopback\n",
      persons);
  // The source holds every community (collection in all 83 communities and villages).
  auto ref = model::Reference::Load();
  std::string scopes;
  for (const auto* d : ref->divisions().ResidentUnits())
    scopes += (scopes.empty() ? "" : ",") + d->code;
  std::string src = NewNode("source", "community", scopes);
  std::string hub = NewNode("hub", "hub", "1503");
  Shequ("trust import --dir " + src + " " + hub + "/node.cert");
  Shequ("trust import --dir " + hub + " " + src + "/node.cert");
  auto t0 = Clock::now();
  Shequ("gen --persons " + std::to_string(persons) + " --seed 7 --today 2026-11-26 --out " + g_dir +
        "/city.json");
  Shequ("card import --dir " + src + " --batch 1024 " + g_dir + "/city.json");
  size_t n = Changes(src);
  std::printf("source built: %zu changes in %.0f s (generate and import)\n", n,
              Seconds(t0, Clock::now()));
  int port = 25000 + static_cast<int>(getpid() % 2000);
  std::string contact = Contact(src, port);
  pid_t d = StartDaemon("run --dir " + src + " --listen tcp://127.0.0.1:" + std::to_string(port) +
                        " --quiet --timeout 600");
  double rate = bench::VerifyRate(20000);
  struct rusage ru {};
  t0 = Clock::now();
  json r =
      json::parse(Shequ("sync --dir " + hub + " --peer " + contact + " --json --timeout 600", &ru));
  double secs = Seconds(t0, Clock::now());
  double rate_after = bench::VerifyRate(20000);
  double verify = static_cast<double>(n) / ((rate + rate_after) / 2);
  PrintSync("bootstrap", r, secs);
  std::printf("OpenSSL Ed25519 verify: %.0f/s on one core -> %.1f s for %zu signatures\n",
              (rate + rate_after) / 2, verify, n);
  std::printf(
      "bootstrap / verify time = %.2f (goal <= 1.5: %s); peak memory of the receiving process %.0f "
      "MiB\n",
      secs / verify, secs / verify <= 1.5 ? "met" : "NOT MET",
      static_cast<double>(ru.ru_maxrss) / 1024);
  // In sync: check again, once while the bootstrap's writes are still being flushed to disk
  // and once after (the steady state of a hub checking a district every few minutes).
  t0 = Clock::now();
  json again = json::parse(Shequ("sync --dir " + hub + " --peer " + contact + " --json"));
  secs = Seconds(t0, Clock::now());
  std::printf("in-sync check right after the bootstrap: %.3f s, %.1f KiB\n", secs,
              (again["bytes_sent"].get<double>() + again["bytes_received"].get<double>()) / 1024);
  std::system("sync");
  t0 = Clock::now();
  again = json::parse(Shequ("sync --dir " + hub + " --peer " + contact + " --json"));
  secs = Seconds(t0, Clock::now());
  StopDaemon(d);
  double bytes = again["bytes_sent"].get<double>() + again["bytes_received"].get<double>();
  PrintSync("in-sync city check", again, secs);
  std::printf(
      "in-sync check: %.1f KiB (goal < 100 KiB: %s), %.3f s including process start (goal < 1 s: "
      "%s), %llu communities\n",
      bytes / 1024, bytes < 100 * 1024 ? "met" : "NOT MET", secs, secs < 1 ? "met" : "NOT MET",
      (unsigned long long)again["communities"]);
}

}  // namespace

int main(int argc, char** argv) {
  g_shequ = Arg(argc, argv, "--shequ", "build/shequ");
  size_t persons = std::stoul(Arg(argc, argv, "--persons", "560000"));
  std::string only = Arg(argc, argv, "--only", "");
  char tmpl[] = "/tmp/shequ-bench-sync-XXXXXX";
  if (!mkdtemp(tmpl)) return 1;
  g_dir = tmpl;
  Shequ("city init --dir " + g_dir + "/city");
  std::printf("bench_sync on %u cores, %s\n", std::thread::hardware_concurrency(), g_shequ.c_str());
  if (only.empty() || only == "terminal") TerminalBack();
  if (only.empty() || only == "city") City(persons);
  if (!std::getenv("SHEQU_KEEP_BENCH")) std::system(("rm -rf " + g_dir).c_str());
  return 0;
}
