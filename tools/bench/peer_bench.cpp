// shequ's side of the benchmarks against the peers (docs/BENCHMARKS.md, "Against the peers";
// tools/bench/peers/run drives it beside the Yjs, Automerge and PouchDB drivers). Real `shequ`
// processes: LMDB replicas, ZeroMQ with CURVE on loopback, every change signed when made and
// verified on receipt. Only the replication is timed, never the import or the edits.
//
//   w1  replica A holds the cards (imported, not timed); `shequ sync` of an empty replica B with
//       A's daemon
//   w2  then both sides apply their 1% of edits while apart (re-imported cards, not timed) and
//       B syncs with a fresh daemon of A
//   w3  ten replicas of the community, in sync; each applies its 1,000 conflicting field edits
//       (not timed); then a star through replica 0 (its daemon): replicas 1..9 sync in turn,
//       twice; all ten must end with the same `shequ state-hash`
//
//   build/tools/bench_peers --shequ build/shequ --cards FILE --edits FILE --set community|city
//       --workloads w1,w2|w1|w2|w3 [--work DIR] [--timeout SECONDS] [--keep]
//
// Prints one JSON line per workload on stdout (the fields of tools/bench/peers/common.mjs's
// report), progress on stderr. Bytes are what `shequ sync --json` counts: the frames each way
// (Cap'n Proto messages; CURVE adds 33 bytes and ZMTP a few per frame). Peak memory is the sum
// over the replicas' processes of each one's peak resident set during the measured part: the
// daemon's high-water mark is reset when the measurement starts and read before it stops; each
// `shequ sync` process is measured whole (getrusage of the child).
//
// The physical limit beside each result: every change that crossed (either way) is verified by
// its receiver, so the least time is those verifications at OpenSSL's Ed25519 rate on every
// core, measured in the same run (`verify_floor_seconds`, `verify_rate_per_core`).
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "node/base/file.h"
#include "node/model/card.h"
#include "node/model/reference.h"
#include "tools/bench/verify_rate.h"

using namespace shequ;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kReplicasW3 = 10;
constexpr const char* kCommunity = "150302001002";

struct Options {
  std::string shequ = "build/shequ";
  std::string cards, edits, set = "community", work, timeout = "1800";
  std::set<std::string> workloads;
  bool keep = false;
};

Options g_options;
double g_verify_rate = 0;  // OpenSSL Ed25519 verifications per second on one core

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

void Progress(const std::string& text) {
  std::fprintf(stderr, "[shequ] %s\n", text.c_str());
  std::fflush(stderr);
}

// Ends a measured part (the runner's time limit covers the measured parts; see run.mjs).
void Measured(double seconds) {
  Progress("measured: " + std::to_string(seconds) + " s; comparing the replicas (not timed)");
}

[[noreturn]] void Die(const std::string& text) {
  std::fprintf(stderr, "bench_peers: %s (logs in %s)\n", text.c_str(), g_options.work.c_str());
  std::printf("%s\n", json{{"system", "shequ"}, {"error", text}}.dump().c_str());
  std::exit(1);
}

// A finished `shequ` run: exit status, standard output, resources and wall time.
struct Run {
  int status = -1;
  std::string out;
  struct rusage usage {};
  double seconds = 0;
};

pid_t Spawn(const std::vector<std::string>& args, const std::string& out_file) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(g_options.shequ.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::string log = g_options.work + "/shequ.log";
  pid_t pid = fork();
  if (pid == 0) {
    if (!freopen(out_file.c_str(), "w", stdout) || !freopen(log.c_str(), "a", stderr)) _exit(126);
    execv(g_options.shequ.c_str(), argv.data());
    _exit(127);
  }
  if (pid < 0) Die("fork failed");
  return pid;
}

// Runs `shequ args...` to completion; a failure ends the benchmark unless `may_fail`.
Run Shequ(const std::vector<std::string>& args, bool may_fail = false) {
  std::string out_file = g_options.work + "/stdout";
  Run r;
  auto t0 = Clock::now();
  pid_t pid = Spawn(args, out_file);
  wait4(pid, &r.status, 0, &r.usage);
  r.seconds = Seconds(t0, Clock::now());
  auto text = ReadFile(out_file);
  if (text.ok()) r.out = *text;
  if (!may_fail && !(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0)) {
    std::string what;
    for (const auto& a : args) what += " " + a;
    Die("shequ" + what.substr(0, 160) + " failed");
  }
  return r;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// A loopback port nobody listens on (the kernel's pick, released at once).
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    Die("no free port");
  close(fd);
  return ntohs(addr.sin_port);
}

bool Listening(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

// A node's `shequ run` on loopback, started fresh for each measurement.
class Daemon {
 public:
  explicit Daemon(const std::string& dir) : dir_(dir), port_(FreePort()) {
    contact_ = Trim(Shequ({"node", "contact", "--dir", dir, "--endpoint", Endpoint()}).out);
    pid_ = Spawn(
        {"run", "--dir", dir, "--listen", Endpoint(), "--quiet", "--timeout", g_options.timeout},
        g_options.work + "/daemon.out");
    for (int i = 0; i < 200 && !Listening(port_); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    if (!Listening(port_)) Die("the daemon of " + dir + " does not listen");
  }
  ~Daemon() { Stop(); }
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  const std::string& contact() const { return contact_; }
  // The measured part starts: forget the peak of the start-up.
  void ResetPeak() const {
    std::ofstream(("/proc/" + std::to_string(pid_) + "/clear_refs").c_str()) << "5";
  }
  // Peak resident set since the last ResetPeak, in KiB (VmHWM).
  long PeakKiB() const {
    std::ifstream status(("/proc/" + std::to_string(pid_) + "/status").c_str());
    std::string line;
    while (std::getline(status, line))
      if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
    return 0;
  }
  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int st = 0;
    waitpid(pid_, &st, 0);
    pid_ = -1;
  }

 private:
  std::string Endpoint() const { return "tcp://127.0.0.1:" + std::to_string(port_); }

  std::string dir_;
  int port_;
  pid_t pid_ = -1;
  std::string contact_;
};

// One `shequ sync` of `dir` with a daemon, timed from the start of the process to its end.
struct SyncRun {
  json report;
  double seconds = 0;
  long peak_kib = 0;
};

SyncRun Sync(const std::string& dir, const Daemon& daemon) {
  Run r = Shequ(
      {"sync", "--dir", dir, "--peer", daemon.contact(), "--json", "--timeout", g_options.timeout});
  SyncRun s;
  s.report = json::parse(r.out);
  s.seconds = r.seconds;
  s.peak_kib = r.usage.ru_maxrss;
  if (!s.report.value("synced", false)) Die("sync of " + dir + " did not finish");
  return s;
}

std::string StateHash(const std::string& dir) {
  return Trim(Shequ({"state-hash", "--dir", dir}).out);
}

std::string Scopes() {
  if (g_options.set != "city") return kCommunity;
  auto ref = model::Reference::Load();
  if (!ref.ok()) Die("no reference data");
  std::string scopes;
  for (const auto* d : ref->divisions().ResidentUnits())
    scopes += (scopes.empty() ? "" : ",") + d->code;
  return scopes;
}

std::string NewNode(const std::string& name, const std::string& scopes) {
  std::string dir = g_options.work + "/" + name;
  Shequ({"node", "init", "--dir", dir, "--city", g_options.work + "/city", "--kind", "community",
         "--scope", scopes, "--name", name});
  return dir;
}

void Introduce(const std::string& a, const std::string& b) {
  Shequ({"trust", "import", "--dir", a, b + "/node.cert"});
  Shequ({"trust", "import", "--dir", b, a + "/node.cert"});
}

// Writes the cards that `edits` touch, with the edits applied, to `out`, and returns how many.
// An edit: {card, member, field, value}; a card's number finds it again on import, which then
// writes one change per person whose fields changed (the fastest way to apply many edits).
size_t WriteEditedCards(const json& edits, const std::string& out) {
  std::map<std::string, std::vector<const json*>> by_card;
  for (const json& e : edits) by_card[e["card"].get<std::string>()].push_back(&e);
  std::ifstream in(g_options.cards);
  std::string text = "[\n";
  size_t n = 0;
  Status st = model::ParseCardStream(in, [&](model::ParsedCard parsed) -> Status {
    auto it = by_card.find(parsed.card.card_no);
    if (it == by_card.end()) return Status::Ok();
    for (const json* e : it->second) {
      size_t m = (*e)["member"].get<size_t>();
      if (m >= parsed.card.members.size()) return Status::Invalid("no such member");
      parsed.card.members[m][(*e)["field"].get<std::string>()] = (*e)["value"].get<std::string>();
    }
    text += (n++ ? ",\n" : "") + model::CardToJson(parsed.card);
    return Status::Ok();
  });
  if (!st.ok()) Die("reading " + g_options.cards + ": " + st.ToString());
  if (n != by_card.size()) Die("edits name cards that are not in " + g_options.cards);
  if (!WriteFileAtomic(out, text + "\n]\n").ok()) Die("cannot write " + out);
  return n;
}

void ApplyEdits(const std::string& dir, const json& edits, const std::string& name) {
  std::string file = g_options.work + "/" + name + ".json";
  size_t cards = WriteEditedCards(edits, file);
  Run r = Shequ({"card", "import", "--dir", dir, "--batch", "1024", file});
  std::string summary = Trim(r.out);
  summary = summary.substr(summary.rfind('\n') + 1);
  Progress(name + ": " + std::to_string(edits.size()) + " field edits in " + std::to_string(cards) +
           " cards: " + summary);
}

json Result(const char* workload, double seconds, uint64_t a_to_b, uint64_t b_to_a,
            uint64_t round_trips, long peak_kib, uint64_t verified) {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const double floor = static_cast<double>(verified) / (g_verify_rate * cores);
  return json{{"system", "shequ"},
              {"workload", workload},
              {"set", g_options.set},
              {"seconds", seconds},
              {"bytes_a_to_b", a_to_b},
              {"bytes_b_to_a", b_to_a},
              {"round_trips", round_trips},
              {"peak_rss_kib", peak_kib},
              {"verified", verified},
              {"verify_rate_per_core", g_verify_rate},
              {"cores", cores},
              {"verify_floor_seconds", floor}};
}

// Changes a sync moved, each verified by its receiver.
uint64_t Crossed(const json& report) {
  return report["changes_sent"].get<uint64_t>() + report["changes_received"].get<uint64_t>();
}

void Emit(const json& j) {
  std::printf("%s\n", j.dump().c_str());
  std::fflush(stdout);
}

// W1 and W2 between two replicas of the set.
void TwoReplicas() {
  std::string scopes = Scopes();
  std::string a = NewNode("a", scopes), b = NewNode("b", scopes);
  Introduce(a, b);
  Progress("importing " + g_options.cards + " into replica A (not timed)");
  Run imported = Shequ({"card", "import", "--dir", a, "--batch", "1024", g_options.cards});
  Progress("import: " + std::to_string(imported.seconds) + " s");
  size_t changes =
      json::parse(Shequ({"node", "show", "--dir", a, "--json"}).out)["changes"].get<size_t>();
  {
    Daemon daemon(a);
    Progress(std::string(g_options.workloads.count("w1") ? "measure: W1, " : "setup for W2: ") +
             "sync of the empty replica B with A's daemon (" + std::to_string(changes) +
             " changes)");
    daemon.ResetPeak();
    SyncRun s = Sync(b, daemon);
    long daemon_peak = daemon.PeakKiB();
    daemon.Stop();
    Measured(s.seconds);
    if (g_options.workloads.count("w1")) {
      json r = Result("w1", s.seconds, s.report["bytes_received"], s.report["bytes_sent"],
                      s.report["round_trips"], daemon_peak + s.peak_kib, Crossed(s.report));
      r["changes"] = changes;
      r["records"] = changes;
      r["peak_rss_kib_source"] = daemon_peak;
      r["peak_rss_kib_receiver"] = s.peak_kib;
      r["seconds_in_session"] = s.report["seconds"];
      r["converged"] = StateHash(a) == StateHash(b);
      r["sync"] = s.report;
      Emit(r);
    }
  }
  if (!g_options.workloads.count("w2")) return;
  json edits = json::parse(*ReadFile(g_options.edits))["w2"][g_options.set];
  ApplyEdits(a, edits["a"], "w2-edits-a");
  ApplyEdits(b, edits["b"], "w2-edits-b");
  Daemon daemon(a);
  Progress("measure: W2, sync of B with A after the edits");
  daemon.ResetPeak();
  SyncRun s = Sync(b, daemon);
  long daemon_peak = daemon.PeakKiB();
  daemon.Stop();
  Measured(s.seconds);
  json r = Result("w2", s.seconds, s.report["bytes_received"], s.report["bytes_sent"],
                  s.report["round_trips"], daemon_peak + s.peak_kib, Crossed(s.report));
  r["edits"] = edits["a"].size() + edits["b"].size();
  r["peak_rss_kib_source"] = daemon_peak;
  r["peak_rss_kib_receiver"] = s.peak_kib;
  r["seconds_in_session"] = s.report["seconds"];
  r["converged"] = StateHash(a) == StateHash(b);
  r["sync"] = s.report;
  Emit(r);
}

// W3: ten replicas, a star through replica 0.
void Star() {
  std::vector<std::string> dirs;
  for (int i = 0; i < kReplicasW3; ++i) {
    std::string name = "r";  // (not "r" + ...: gcc 12 warns wrongly, -Wrestrict, PR 105329)
    name += std::to_string(i);
    dirs.push_back(NewNode(name, kCommunity));
    if (i) Introduce(dirs[0], dirs[i]);
  }
  Progress("importing " + g_options.cards + " into replica 0, copying to 1..9 (not timed)");
  Shequ({"card", "import", "--dir", dirs[0], "--batch", "1024", g_options.cards});
  {
    Daemon daemon(dirs[0]);
    for (int i = 1; i < kReplicasW3; ++i) Sync(dirs[i], daemon);
  }
  json lists = json::parse(*ReadFile(g_options.edits))["w3"];
  if (lists.size() != kReplicasW3) Die("the edit list has no 10 replicas");
  size_t edits = 0;
  for (int i = 0; i < kReplicasW3; ++i) {
    std::string name = "w3-edits-";
    name += std::to_string(i);
    ApplyEdits(dirs[i], lists[i], name);
    edits += lists[i].size();
  }
  Daemon daemon(dirs[0]);
  Progress("measure: W3, star sync through replica 0, two passes");
  std::vector<long> peak(kReplicasW3, 0);
  uint64_t a_to_b = 0, b_to_a = 0, round_trips = 0, verified = 0;
  daemon.ResetPeak();
  auto t0 = Clock::now();
  for (int pass = 0; pass < 2; ++pass) {
    for (int i = 1; i < kReplicasW3; ++i) {
      SyncRun s = Sync(dirs[i], daemon);
      a_to_b += s.report["bytes_received"].get<uint64_t>();
      b_to_a += s.report["bytes_sent"].get<uint64_t>();
      round_trips += s.report["round_trips"].get<uint64_t>();
      verified += Crossed(s.report);
      peak[i] = std::max(peak[i], s.peak_kib);
    }
  }
  double secs = Seconds(t0, Clock::now());
  peak[0] = daemon.PeakKiB();
  daemon.Stop();
  Measured(secs);
  long total_peak = 0;
  for (long p : peak) total_peak += p;
  std::set<std::string> hashes;
  for (const auto& d : dirs) hashes.insert(StateHash(d));
  json r = Result("w3", secs, a_to_b, b_to_a, round_trips, total_peak, verified);
  r["edits"] = edits;
  r["sessions"] = 2 * (kReplicasW3 - 1);
  r["peak_rss_kib_hub"] = peak[0];
  r["converged"] = hashes.size() == 1;
  Emit(r);
}

std::string Arg(int argc, char** argv, const char* name, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  Options& o = g_options;
  o.shequ = Arg(argc, argv, "--shequ", o.shequ);
  o.cards = Arg(argc, argv, "--cards", "");
  o.edits = Arg(argc, argv, "--edits", "");
  o.set = Arg(argc, argv, "--set", o.set);
  o.timeout = Arg(argc, argv, "--timeout", o.timeout);
  o.work = Arg(argc, argv, "--work", "");
  for (int i = 1; i < argc; ++i) o.keep = o.keep || std::strcmp(argv[i], "--keep") == 0;
  std::stringstream list(Arg(argc, argv, "--workloads", "w1,w2"));
  for (std::string w; std::getline(list, w, ',');) o.workloads.insert(w);
  if (o.cards.empty() || o.edits.empty() || (o.set != "community" && o.set != "city")) {
    std::fprintf(stderr,
                 "usage: bench_peers --shequ PATH --cards FILE --edits FILE --set community|city "
                 "--workloads w1,w2|w3 [--work DIR] [--timeout S] [--keep]\n");
    return 2;
  }
  bool made = o.work.empty();
  if (made) {
    char tmpl[] = "/tmp/shequ-bench-peers-XXXXXX";
    if (!mkdtemp(tmpl)) return 1;
    o.work = tmpl;
  } else if (!MakeDirs(o.work).ok()) {
    return 1;
  }
  Shequ({"city", "init", "--dir", o.work + "/city"});
  g_verify_rate = bench::VerifyRate(20000);
  Progress("OpenSSL Ed25519: " + std::to_string(static_cast<long>(g_verify_rate)) +
           " verifications/s on one core");
  if (o.workloads.count("w3")) {
    if (o.set != "community") Die("W3 runs on the community");
    Star();
  } else {
    TwoReplicas();
  }
  if (made && !o.keep) std::system(("rm -rf " + o.work).c_str());
  return 0;
}
