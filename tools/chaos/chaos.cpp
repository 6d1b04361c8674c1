// The chaos harness (docs/CHAOS.md): a small city of real `shequ run` daemons, each in its own
// network namespace, under random partitions, kill -9 and restarts, skewed clocks, lossy and
// slow links and random edits from every node; then heal, wait, and check that every node
// converged and that no acknowledged write is missing.
//
//   build/tools/chaos --seed 7 --duration 150        # the short run (ctest -L chaos)
//   build/tools/chaos --seed 7 --duration 3600       # the long run
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "node/base/file.h"
#include "node/base/text.h"
#include "node/base/time.h"
#include "node/model/card.h"
#include "node/model/reference.h"
#include "tools/chaos/ledger.h"
#include "tools/chaos/network.h"
#include "tools/chaos/plan.h"
#include "tools/chaos/process.h"
#include "tools/gen/gen.h"

namespace shequ::chaos {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

std::atomic<bool> g_interrupted{false};
void OnSignal(int) { g_interrupted.store(true); }

const char kUsage[] =
    "usage: chaos [--seed S] [--duration SECONDS] [--shequ PATH] [--keep DIR]\n"
    "             [--communities 1-3] [--terminals 0-2] [--districts 1|2] [--no-department]\n"
    "             [--persons N] [--edit-every S] [--partition-every S] [--kill-every S]\n"
    "             [--converge-timeout S] [--loopback] [--no-faults] [--no-clock-offsets]\n"
    "             [--no-backdate] [--verbose]\n";

std::string Offset(int64_t ms) {
  if (ms == 0) return "+0";
  char buf[48];
  int64_t a = ms < 0 ? -ms : ms;
  int64_t d = a / kDayMs, h = a % kDayMs / kHourMs, m = a % kHourMs / 60000;
  if (d)
    std::snprintf(buf, sizeof buf, "%c%lldd%02lldh", ms < 0 ? '-' : '+', (long long)d,
                  (long long)h);
  else
    std::snprintf(buf, sizeof buf, "%c%lldh%02lldm", ms < 0 ? '-' : '+', (long long)h,
                  (long long)m);
  return buf;
}

std::string Faults(const transport::FaultConfig& f) {
  if (!f.active()) return "-";
  char buf[96];
  std::snprintf(buf, sizeof buf, "delay %lld+%lld ms", (long long)f.delay.count(),
                (long long)f.jitter.count());
  std::string s = buf;
  if (f.drop > 0) {
    std::snprintf(buf, sizeof buf, ", drop %.0f%%", f.drop * 100);
    s += buf;
  }
  if (f.duplicate > 0) {
    std::snprintf(buf, sizeof buf, ", dup %.0f%%", f.duplicate * 100);
    s += buf;
  }
  return s;
}

std::string Seconds(int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(ms) / 1000);
  return buf;
}

Result<Options> ParseOptions(int argc, char** argv) {
  Options o;
  if (const char* s = std::getenv("SHEQU_BIN")) o.shequ = s;
  // The seed of a ctest run can be changed without editing the test: SHEQU_CHAOS_SEED=n.
  if (const char* s = std::getenv("SHEQU_CHAOS_SEED"); s && *s && AllDigits(s) && strlen(s) < 19)
    o.seed = std::stoull(s);
  auto number = [](const std::string& name, const std::string& v, double lo,
                   double hi) -> Result<double> {
    char* end = nullptr;
    double d = std::strtod(v.c_str(), &end);
    if (v.empty() || end != v.c_str() + v.size() || !(d >= lo && d <= hi))
      return Status::Invalid("--" + name + " must be a number from " + std::to_string(lo) + " to " +
                             std::to_string(hi) + ", got " + Quote(v));
    return d;
  };
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (!StartsWith(a, "--")) return Status::Invalid("unexpected argument " + Quote(a));
    std::string name = a.substr(2);
    if (name == "loopback") {
      o.loopback = true;
    } else if (name == "no-faults") {
      o.faults = false;
    } else if (name == "no-clock-offsets") {
      o.clock_offsets = false;
    } else if (name == "no-backdate") {
      o.backdate = false;
    } else if (name == "no-department") {
      o.department = false;
    } else if (name == "verbose") {
      o.verbose = true;
    } else {
      if (i + 1 >= argc) return Status::Invalid("--" + name + " needs a value");
      std::string v = argv[++i];
      if (name == "seed") {
        if (v.empty() || v.size() > 19 || !AllDigits(v))
          return Status::Invalid("--seed is a whole number, got " + Quote(v));
        o.seed = std::stoull(v);
      } else if (name == "duration") {
        ASSIGN_OR_RETURN(double d, number(name, v, 10, 7 * 86400));
        o.duration_s = static_cast<int>(d);
      } else if (name == "shequ") {
        o.shequ = v;
      } else if (name == "keep") {
        o.keep = v;
      } else if (name == "communities") {
        ASSIGN_OR_RETURN(double d, number(name, v, 1, 3));
        o.communities = static_cast<int>(d);
      } else if (name == "terminals") {
        ASSIGN_OR_RETURN(double d, number(name, v, 0, 2));
        o.terminals = static_cast<int>(d);
      } else if (name == "districts") {
        ASSIGN_OR_RETURN(double d, number(name, v, 1, 2));
        o.districts = static_cast<int>(d);
      } else if (name == "persons") {
        ASSIGN_OR_RETURN(double d, number(name, v, 5, 5000));
        o.persons = static_cast<int>(d);
      } else if (name == "edit-every") {
        ASSIGN_OR_RETURN(o.edit_every_s, number(name, v, 0.2, 3600));
      } else if (name == "partition-every") {
        ASSIGN_OR_RETURN(o.partition_every_s, number(name, v, 1, 3600));
      } else if (name == "kill-every") {
        ASSIGN_OR_RETURN(o.kill_every_s, number(name, v, 1, 3600));
      } else if (name == "converge-timeout") {
        ASSIGN_OR_RETURN(double d, number(name, v, 5, 3600));
        o.converge_timeout_s = static_cast<int>(d);
      } else {
        return Status::Invalid("unknown option --" + name);
      }
    }
  }
  if (o.shequ.empty()) {
    // Beside this binary: build/tools/chaos -> build/shequ.
    char self[4096];
    ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
      std::string dir(self, static_cast<size_t>(n));
      dir = dir.substr(0, dir.rfind('/'));
      o.shequ = dir.substr(0, dir.rfind('/')) + "/shequ";
    }
  }
  if (::access(o.shequ.c_str(), X_OK) != 0)
    return Status::Invalid("no shequ binary at " + Quote(o.shequ) + " (give --shequ PATH)");
  if (o.shequ[0] != '/') {
    char cwd[4096];
    if (::getcwd(cwd, sizeof cwd)) o.shequ = std::string(cwd) + "/" + o.shequ;
  }
  return o;
}

// The command that replays a run: the seed and every option that changes the plan.
std::string ReplayCommand(const Options& o) {
  Options d;
  std::string r =
      "chaos --seed " + std::to_string(o.seed) + " --duration " + std::to_string(o.duration_s);
  auto num = [&](const char* name, double v, double dv) {
    if (v != dv) {
      char buf[64];
      std::snprintf(buf, sizeof buf, " --%s %g", name, v);
      r += buf;
    }
  };
  num("communities", o.communities, d.communities);
  num("terminals", o.terminals, d.terminals);
  num("districts", o.districts, d.districts);
  num("persons", o.persons, d.persons);
  num("edit-every", o.edit_every_s, d.edit_every_s);
  num("partition-every", o.partition_every_s, d.partition_every_s);
  num("kill-every", o.kill_every_s, d.kill_every_s);
  if (!o.department) r += " --no-department";
  if (o.loopback) r += " --loopback";
  if (!o.faults) r += " --no-faults";
  if (!o.clock_offsets) r += " --no-clock-offsets";
  if (!o.backdate) r += " --no-backdate";
  return r;
}

// ------------------------------------------------------------------ the run

struct Counts {
  int isolations = 0, cuts = 0, village_drops = 0;
  int kills = 0, kills_during_edit = 0, kills_skipped = 0, restarts = 0, clock_jumps = 0;
  int editors_killed = 0, crashes = 0;
  int conflicts = 0;
  int sets = 0, sets_acked = 0;
  int cards = 0, cards_stored = 0, cards_updated = 0, cards_unchanged = 0, cards_refused = 0;
  int cards_unreported = 0;  // in a batch whose editor was killed or failed before reporting
  int edits_skipped = 0;     // the person is not known on that node (its base import failed)
  std::map<std::string, int> refused;  // reason -> count (person set; card import problems)
  std::map<std::string, std::string> refused_example;
  std::map<std::string, int> failed;  // unexpected command failures
  std::map<std::string, std::string> failed_example;
  size_t changes_acked = 0;
};

struct Timer {
  int64_t at = 0;
  enum Kind { kRestart, kRejoin, kUncut, kVillageUp, kKillDaemon, kKillEditor } kind = kRestart;
  int node = -1, other = -1;
  pid_t pid = -1;  // kKillEditor: the editor meant
  int64_t offset_ms = 0;
  int64_t down_ms = 0;  // kKillDaemon: restart this long after the kill
};

struct EditorRun {
  Event ev;
  int variant = 0;  // conflicts: 0 writes value, 1 writes value2
  pid_t pid = -1;
  std::string out_path, err_path, desc;
  uint64_t log_before = 0;
  bool killed = false;
};

struct NodeState {
  std::string dir, log, contact_dir;
  Id16 id{};
  pid_t daemon = -1;
  bool faulty = false;  // the running daemon injects faults
  int64_t offset_ms = 0;
  int isolated = 0;  // partitions holding its link down
  std::optional<EditorRun> editor;
  std::deque<std::pair<Event, int>> queue;  // edits waiting for the editor
};

class Run {
 public:
  Run(Options o, Plan plan, std::unique_ptr<Network> net, const model::Reference& ref)
      : o_(std::move(o)),
        plan_(std::move(plan)),
        t_(plan_.topology),
        net_(std::move(net)),
        ref_(ref) {}

  ~Run() {
    for (NodeState& n : nodes_) {
      if (n.editor && n.editor->pid > 0) Stop(n.editor->pid, SIGKILL);
      if (n.daemon > 0) Stop(n.daemon, SIGKILL);
    }
    net_->Teardown();
  }

  Status Setup(const std::string& dir);
  // The chaos phase; false when interrupted.
  bool Chaos();
  // Heal, converge, verify; the exit status.
  int Finish();

 private:
  // --- helpers
  int64_t Elapsed() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start_).count();
  }
  void Say(const std::string& line) {
    std::printf("[%7.1f s] %s\n", static_cast<double>(Elapsed()) / 1000, line.c_str());
    std::fflush(stdout);
  }
  void Verbose(const std::string& line) {
    if (o_.verbose) Say(line);
  }
  const NodeSpec& Spec(int i) const { return t_.nodes[static_cast<size_t>(i)]; }
  NodeState& State(int i) { return nodes_[static_cast<size_t>(i)]; }
  // The environment of node i's processes: its clock. Without back-dated certificates the
  // setup runs on true clocks (a node days behind could not even enter its base population),
  // and the clocks drift when the chaos starts.
  std::vector<std::string> Env(int i) const {
    int64_t offset = o_.backdate || clocks_live_ ? nodes_[static_cast<size_t>(i)].offset_ms : 0;
    return {"SHEQU_CLOCK_OFFSET_MS=" + std::to_string(offset)};
  }
  Result<Captured> Shequ(const std::vector<std::string>& args, std::vector<std::string> env = {},
                         const std::string& netns = "") {
    SpawnOptions s;
    s.argv = {o_.shequ};
    s.argv.insert(s.argv.end(), args.begin(), args.end());
    s.env = std::move(env);
    s.netns = netns;
    return Capture(s, std::chrono::seconds(120));
  }
  Status ShequOk(const std::vector<std::string>& args, std::vector<std::string> env = {}) {
    ASSIGN_OR_RETURN(Captured c, Shequ(args, std::move(env)));
    if (c.exit.ok()) return Status::Ok();
    std::string cmd = "shequ";
    for (const std::string& a : args) cmd += " " + a;
    return Status::Internal("`" + cmd + "` failed (" + c.exit.ToString() +
                            "): " + std::string(Trim(c.err)));
  }

  // Cards generated from a seed, with card numbers unique in the run.
  Result<std::vector<model::Card>> MakeCards(const std::string& community, int persons,
                                             uint64_t seed, const std::string& tag);
  Status WriteCards(const std::string& path, const std::vector<model::Card>& cards);

  // --- daemons
  Status StartDaemon(int i, bool with_faults);
  void KillDaemon(int i);
  void ReapDaemons();

  // --- edits
  void Fire(const Event& e);
  void Enqueue(int node, const Event& e, int variant);
  void StartEditor(int node, const Event& e, int variant);
  void FinishEditor(int node, const Exit& exit);
  void ReapEditors();
  void NoteFailure(const std::string& what, const std::string& detail);
  void NoteRefusal(const std::string& reason, const std::string& example);

  // --- partitions
  void Isolate(int node, bool on);
  void Cut(int a, int b, bool on);

  void RunTimers(bool all);
  Status Heal();
  bool Converged(std::string* why);
  // How far from converged the city is: replicas (node, community) whose digest differs from
  // the community's most common one, and (node, acknowledged change) pairs still missing.
  std::pair<int, size_t> Divergence(int* replicas);
  int Report(bool converged, int64_t converge_ms, const std::string& why);

  Options o_;
  Plan plan_;
  const Topology& t_;
  std::unique_ptr<Network> net_;
  const model::Reference& ref_;
  std::string dir_;
  std::vector<NodeState> nodes_;
  std::map<std::string, std::vector<std::string>> person_ids_;  // community -> ID numbers
  std::map<std::string, std::vector<std::string>> entities_;    // community -> entity hex ("")
  std::map<std::string, std::vector<model::Card>> base_cards_;  // community -> cards
  std::map<std::pair<int, int>, int> cut_;                      // refcounts
  std::vector<Timer> timers_;
  std::vector<Ack> acks_;
  Counts c_;
  Clock::time_point start_ = Clock::now();
  uint64_t edit_seq_ = 0, card_seq_ = 0;
  std::map<std::string, std::string> contact_;  // "dialer>listener" -> contact
  std::vector<std::string> problems_;           // failures that fail the run
  int64_t next_status_ = 15000;
  int64_t offsets_min_ = 0, offsets_max_ = 0;
  int base_cards_stored_ = 0;
  size_t base_changes_ = 0;
  bool healing_ = false;
  bool clocks_live_ = false;
  int diverged_at_heal_ = 0;
  size_t missing_at_heal_ = 0;
};

Result<std::vector<model::Card>> Run::MakeCards(const std::string& community, int persons,
                                                uint64_t seed, const std::string& tag) {
  gen::GenOptions g;
  g.persons = static_cast<size_t>(persons);
  g.seed = seed;
  g.error_rate = tag[0] == 'B' ? 0 : 0.15;
  // Visits four days back: a node whose clock is up to three days behind still finds every
  // date in the past.
  g.today = DateOfMillis(NowMillis() - 4 * static_cast<uint64_t>(kDayMs));
  g.communities = {community};
  std::vector<model::Card> cards;
  gen::GenStats stats;
  RETURN_IF_ERROR(gen::GenerateCards(
      ref_, g,
      [&](const model::Card& card) {
        model::Card c = card;
        std::string prefix = c.card_no.substr(0, c.card_no.find('-'));
        char no[40];
        std::snprintf(no, sizeof no, "%s-%d-%s-%05llu", prefix.c_str(), g.today.year, tag.c_str(),
                      static_cast<unsigned long long>(++card_seq_));
        c.card_no = no;
        cards.push_back(std::move(c));
        return Status::Ok();
      },
      &stats));
  return cards;
}

Status Run::WriteCards(const std::string& path, const std::vector<model::Card>& cards) {
  std::string text = "[\n";
  for (size_t i = 0; i < cards.size(); ++i)
    text += model::CardToJson(cards[i]) + (i + 1 < cards.size() ? ",\n" : "\n");
  text += "]\n";
  return WriteFileAtomic(path, text);
}

Status Run::Setup(const std::string& dir) {
  dir_ = dir;
  for (const char* sub : {"/logs", "/edits", "/cards"}) RETURN_IF_ERROR(MakeDirs(dir_ + sub));
  nodes_.resize(t_.nodes.size());
  for (size_t i = 0; i < t_.nodes.size(); ++i) {
    nodes_[i].dir = dir_ + "/" + t_.nodes[i].name;
    nodes_[i].log = dir_ + "/logs/" + t_.nodes[i].name + ".log";
    nodes_[i].offset_ms = t_.nodes[i].clock_offset_ms;
    offsets_min_ = std::min(offsets_min_, nodes_[i].offset_ms);
    offsets_max_ = std::max(offsets_max_, nodes_[i].offset_ms);
  }
  // The network.
  std::vector<std::string> names;
  for (const NodeSpec& n : t_.nodes) names.push_back(n.name);
  RETURN_IF_ERROR(net_->Setup(names, t_.links));

  // The city, its nodes and their certificates. Back-dated: issued as by an office whose clock
  // is kMaxOffsetDays behind, so valid from a day before that.
  std::string city = dir_ + "/city";
  RETURN_IF_ERROR(ShequOk({"city", "init", "--dir", city}));
  std::vector<std::string> issue_env;
  if (o_.backdate)
    issue_env = {"SHEQU_CLOCK_OFFSET_MS=" + std::to_string(-kMaxOffsetDays * kDayMs)};
  std::vector<std::string> certs;
  for (size_t i = 0; i < t_.nodes.size(); ++i) {
    const NodeSpec& n = t_.nodes[i];
    std::vector<std::string> args = {"node",    "init",  "--dir",  nodes_[i].dir,
                                     "--city",  city,    "--kind", n.cli_kind,
                                     "--scope", n.scope, "--name", n.name};
    if (!n.department.empty()) {
      args.push_back("--department");
      args.push_back(n.department);
    }
    RETURN_IF_ERROR(ShequOk(args, issue_env));
    ASSIGN_OR_RETURN(nodes_[i].id, NodeIdOf(nodes_[i].dir));
    certs.push_back(nodes_[i].dir + "/node.cert");
  }
  for (size_t i = 0; i < t_.nodes.size(); ++i) {
    std::vector<std::string> args = {"trust", "import", "--dir", nodes_[i].dir};
    args.insert(args.end(), certs.begin(), certs.end());
    RETURN_IF_ERROR(ShequOk(args));
  }
  // Contacts for every dialled link.
  for (auto [d, l] : t_.links) {
    ASSIGN_OR_RETURN(Captured c,
                     Shequ({"node", "contact", "--dir", nodes_[static_cast<size_t>(l)].dir,
                            "--endpoint", net_->DialEndpoint(d, l)}));
    if (!c.exit.ok()) return Status::Internal("node contact failed: " + c.err);
    contact_[std::to_string(d) + ">" + std::to_string(l)] = std::string(Trim(c.out));
  }

  // The base population of every community, entered at its office (acknowledged writes like
  // any other) and carried to every node that holds the community on a bundle.
  for (size_t k = 0; k < t_.communities.size(); ++k) {
    const std::string& community = t_.communities[k];
    int office = -1;
    for (int i : t_.Collectors(community))
      if (Spec(i).kind != NodeKind::kTerminal) office = i;
    ASSIGN_OR_RETURN(
        std::vector<model::Card> cards,
        MakeCards(community, o_.persons, o_.seed * 1000 + k + 1, "B" + std::to_string(k)));
    base_cards_[community] = cards;
    std::string path = dir_ + "/cards/base-" + community + ".json";
    RETURN_IF_ERROR(WriteCards(path, cards));
    for (const model::Card& card : cards)
      for (const model::FieldValues& m : card.members) {
        auto id = m.find("id_number");
        person_ids_[community].push_back(id == m.end() ? "" : id->second);
      }
    Event e;
    e.kind = EventKind::kCards;
    e.node = office;
    e.community = community;
    e.count = static_cast<int>(cards.size());
    NodeState& ns = State(office);
    ASSIGN_OR_RETURN(uint64_t log_before, LogEnd(ns.dir));
    ns.editor.emplace();
    ns.editor->log_before = log_before;
    ns.editor->ev = e;
    ns.editor->desc = Spec(office).name + " base population";
    ns.editor->out_path = dir_ + "/edits/base-" + community + ".out";
    ns.editor->err_path = dir_ + "/edits/base-" + community + ".err";
    SpawnOptions s;
    s.argv = {o_.shequ, "card", "import", "--dir", ns.dir, "--json", "--tool", "card", path};
    s.env = Env(office);
    s.stdout_path = ns.editor->out_path;
    s.stderr_path = ns.editor->err_path;
    ASSIGN_OR_RETURN(ns.editor->pid, Spawn(s));
    FinishEditor(office, WaitFor(ns.editor->pid, std::chrono::seconds(300)));
    std::string bundle = dir_ + "/cards/base-" + community + ".bundle";
    RETURN_IF_ERROR(
        ShequOk({"changes", "export", "--dir", ns.dir, "--scope", community, "--out", bundle}));
    for (size_t i = 0; i < t_.nodes.size(); ++i)
      if (static_cast<int>(i) != office && t_.Covers(static_cast<int>(i), community))
        RETURN_IF_ERROR(ShequOk({"changes", "import", "--dir", nodes_[i].dir, bundle},
                                Env(static_cast<int>(i))));
    // Who is who: the entity of each base person, looked up by ID number at the office.
    for (const std::string& id : person_ids_[community]) {
      std::string entity;
      if (!id.empty()) {
        ASSIGN_OR_RETURN(
            Captured c,
            Shequ({"person", "show", "--dir", ns.dir, "--id", id, "--json"}, Env(office)));
        if (c.exit.ok()) {
          auto j = json::parse(c.out, nullptr, false);
          if (!j.is_discarded() && j.contains("entity")) entity = j["entity"].get<std::string>();
        }
      }
      entities_[community].push_back(entity);
    }
  }
  // The base population is reported apart from the chaos's own writes.
  base_cards_stored_ = c_.cards_stored;
  base_changes_ = c_.changes_acked;
  if (!c_.failed.empty() || !c_.refused.empty() || c_.cards_refused)
    return Status::Internal("the base population did not import cleanly; see " + dir_ + "/edits");
  c_ = Counts{};
  clocks_live_ = true;
  // The daemons.
  for (size_t i = 0; i < t_.nodes.size(); ++i)
    RETURN_IF_ERROR(StartDaemon(static_cast<int>(i), o_.faults));
  start_ = Clock::now();
  return Status::Ok();
}

Status Run::StartDaemon(int i, bool with_faults) {
  NodeState& n = State(i);
  const NodeSpec& s = Spec(i);
  SpawnOptions sp;
  // Re-reconciliation every 30 s: a live push the faults lost comes back within the run.
  sp.argv = {o_.shequ, "run", "--dir", n.dir, "--timeout", "10", "--resync", "30"};
  if (s.listens) {
    sp.argv.push_back("--listen");
    sp.argv.push_back(net_->ListenEndpoint(i));
  }
  for (int d : s.dials) {
    sp.argv.push_back("--peer");
    sp.argv.push_back(contact_[std::to_string(i) + ">" + std::to_string(d)]);
  }
  n.faulty = with_faults && s.faults.active();
  if (n.faulty) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4f", s.faults.drop);
    sp.argv.insert(sp.argv.end(), {"--fault-drop", buf});
    std::snprintf(buf, sizeof buf, "%.4f", s.faults.duplicate);
    sp.argv.insert(sp.argv.end(), {"--fault-duplicate", buf});
    sp.argv.insert(sp.argv.end(), {"--fault-delay", std::to_string(s.faults.delay.count())});
    sp.argv.insert(sp.argv.end(), {"--fault-jitter", std::to_string(s.faults.jitter.count())});
    // A new seed per start: a restarted daemon does not replay its first life's losses.
    sp.argv.insert(
        sp.argv.end(),
        {"--fault-seed", std::to_string(s.faults.seed + static_cast<uint64_t>(c_.restarts))});
  }
  sp.env = Env(i);
  sp.netns = net_->NamespacePath(i);
  sp.stdout_path = n.log;
  sp.stderr_path = n.log;
  ASSIGN_OR_RETURN(n.daemon, Spawn(sp));
  return Status::Ok();
}

void Run::KillDaemon(int i) {
  NodeState& n = State(i);
  if (n.daemon <= 0) return;
  Stop(n.daemon, SIGKILL);
  n.daemon = -1;
  std::ofstream(n.log, std::ios::app) << "---- chaos: kill -9 at " << Seconds(Elapsed()) << "\n";
}

void Run::ReapDaemons() {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    NodeState& n = nodes_[i];
    if (n.daemon <= 0) continue;
    auto e = TryReap(n.daemon);
    if (!e) continue;
    // A daemon that ends by itself is a crash (or a refusal to start): a finding.
    ++c_.crashes;
    std::string msg = "the daemon of " + t_.nodes[i].name + " ended by itself (" + e->ToString() +
                      "); see " + n.log;
    problems_.push_back(msg);
    Say(msg);
    n.daemon = -1;
    timers_.push_back(
        Timer{Elapsed() + 1000, Timer::kRestart, static_cast<int>(i), -1, -1, n.offset_ms, 0});
  }
}

void Run::NoteFailure(const std::string& what, const std::string& detail) {
  ++c_.failed[what];
  if (!c_.failed_example.count(what)) c_.failed_example[what] = detail;
  Verbose("failed: " + what + ": " + detail);
}

void Run::NoteRefusal(const std::string& reason, const std::string& example) {
  ++c_.refused[reason];
  if (!c_.refused_example.count(reason)) c_.refused_example[reason] = example;
}

void Run::Enqueue(int node, const Event& e, int variant) {
  NodeState& n = State(node);
  if (!n.editor) {
    StartEditor(node, e, variant);
  } else {
    n.queue.push_back({e, variant});
  }
}

void Run::StartEditor(int node, const Event& e, int variant) {
  NodeState& n = State(node);
  const NodeSpec& spec = Spec(node);
  EditorRun r;
  r.ev = e;
  r.variant = variant;
  uint64_t seq = ++edit_seq_;
  std::string stem = dir_ + "/edits/" + std::to_string(seq) + "-" + spec.name;
  r.out_path = stem + ".out";
  r.err_path = stem + ".err";
  SpawnOptions s;
  s.argv = {o_.shequ};
  std::string tool = spec.kind == NodeKind::kTerminal ? "terminal" : "platform";
  if (e.kind == EventKind::kPersonSet || e.kind == EventKind::kConflict) {
    const auto& pool = entities_[e.community];
    const std::string entity = e.person >= 0 && static_cast<size_t>(e.person) < pool.size()
                                   ? pool[static_cast<size_t>(e.person)]
                                   : "";
    if (entity.empty()) {
      ++c_.edits_skipped;
      return;
    }
    std::string value = variant ? e.value2 : e.value;
    s.argv.insert(s.argv.end(), {"person", "set", "--dir", n.dir, "--entity", entity, "--tool",
                                 tool, e.field + "=" + value});
    r.desc = spec.name + " person set " + e.field + "=" + value + " (person " +
             std::to_string(e.person) + " of " + e.community + ")";
    ++c_.sets;
  } else {
    std::vector<model::Card> cards;
    if (e.kind == EventKind::kCards) {
      auto made = MakeCards(e.community, e.count, e.seed, "N" + std::to_string(node));
      if (!made.ok()) {
        NoteFailure("generating cards", made.status().ToString());
        return;
      }
      cards = std::move(*made);
      r.desc = spec.name + " card import of " + std::to_string(cards.size()) + " cards";
    } else {  // kRecollect: a card the office entered, collected again on the terminal
      const auto& base = base_cards_[e.community];
      if (base.empty()) return;
      cards = {base[static_cast<size_t>(e.count) % base.size()]};
      r.desc = spec.name + " re-collection of card " + cards[0].card_no;
      tool = "terminal";
    }
    std::string path = stem + ".json";
    if (Status st = WriteCards(path, cards); !st.ok()) {
      NoteFailure("writing cards", st.ToString());
      return;
    }
    if (e.kind == EventKind::kCards && spec.kind != NodeKind::kTerminal) tool = "card";
    s.argv.insert(s.argv.end(), {"card", "import", "--dir", n.dir, "--json", "--tool", tool, path});
    c_.cards += static_cast<int>(cards.size());
    auto before = LogEnd(n.dir);
    if (!before.ok()) {
      NoteFailure("reading the log", before.status().ToString());
      return;
    }
    r.log_before = *before;
  }
  s.env = Env(node);
  s.netns = net_->NamespacePath(node);
  s.stdout_path = r.out_path;
  s.stderr_path = r.err_path;
  auto pid = Spawn(s);
  if (!pid.ok()) {
    NoteFailure("starting an editor", pid.status().ToString());
    return;
  }
  r.pid = *pid;
  if (e.kill_editor_ms >= 0)
    timers_.push_back(
        Timer{Elapsed() + e.kill_editor_ms, Timer::kKillEditor, node, -1, r.pid, 0, 0});
  Verbose("start: " + r.desc);
  n.editor = std::move(r);
}

void Run::FinishEditor(int node, const Exit& exit) {
  NodeState& n = State(node);
  EditorRun r = std::move(*n.editor);
  n.editor.reset();
  std::string out = ReadFile(r.out_path).ok() ? *ReadFile(r.out_path) : "";
  std::string err = ReadFile(r.err_path).ok() ? *ReadFile(r.err_path) : "";
  std::string err_line(Trim(err.substr(0, err.find('\n'))));
  if (r.ev.kind == EventKind::kPersonSet || r.ev.kind == EventKind::kConflict) {
    size_t at = out.find("stored change ");
    if (exit.ok() && at != std::string::npos) {
      auto id = UnhexFixed<32>(Trim(out.substr(at + 14, 64)));
      if (id.ok()) {
        acks_.push_back(Ack{*id, r.ev.community, node, r.desc});
        ++c_.sets_acked;
        ++c_.changes_acked;
      } else {
        NoteFailure("person set", "exit 0 without a change id: " + out);
      }
    } else if (exit.signaled) {
      ++c_.editors_killed;
    } else if (exit.code == 2 || exit.code == 4) {
      // The reason without the values: "person set: no write grant", "... invalid: bad_phone".
      std::string reason = exit.code == 4
                               ? "person set: not permitted (" + KindName(Spec(node).kind) + ")"
                               : "person set: invalid";
      if (exit.code == 2) {
        size_t b = out.find('['), e = out.find(']', b);
        if (b != std::string::npos && e != std::string::npos)
          reason += " [" + out.substr(b + 1, e - b - 1) + "]";
      }
      if (err_line.find("precedes the certificate") != std::string::npos)
        reason = "person set: clock behind the certificate";
      NoteRefusal(reason, r.desc + ": " + (err_line.empty() ? std::string(Trim(out)) : err_line));
    } else {
      NoteFailure("person set " + exit.ToString(), r.desc + ": " + err_line);
    }
    return;
  }
  // card import --json: one line per card, then the summary.
  int reported = 0, wrote = 0;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    auto j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.contains("outcome")) continue;
    ++reported;
    std::string outcome = j["outcome"];
    if (outcome == "stored") {
      ++c_.cards_stored;
      ++wrote;
    } else if (outcome == "updated") {
      ++c_.cards_updated;
      ++wrote;
    } else if (outcome == "unchanged") {
      ++c_.cards_unchanged;
    } else {
      ++c_.cards_refused;
      std::string code = "?";
      for (const auto& p : j["problems"])
        if (p["severity"] == "error") {
          code = p["code"];
          break;
        }
      NoteRefusal("card import: refused [" + code + "]",
                  r.desc + ": card " + j["card_no"].get<std::string>());
    }
  }
  if (exit.signaled) ++c_.editors_killed;
  if (!exit.ok() && !exit.signaled && !(exit.code == 2 && reported > 0)) {
    if (err_line.find("precedes the certificate") != std::string::npos)
      NoteRefusal("card import: clock behind the certificate", r.desc + ": " + err_line);
    else
      NoteFailure("card import " + exit.ToString(), r.desc + ": " + err_line);
  }
  // The changes this import stored (all of them durable); acknowledged when a card was
  // reported stored or updated, and checked in any case (a killed editor's committed batches
  // must replicate too).
  auto own = OwnChangesSince(n.dir, r.log_before, n.id);
  if (!own.ok()) {
    NoteFailure("reading the log", own.status().ToString());
    return;
  }
  if (wrote == 0 && !own->empty() && !exit.signaled)
    NoteFailure("card import", r.desc + ": stored " + std::to_string(own->size()) +
                                   " changes but reported no card stored");
  if (wrote > 0 && own->empty())
    problems_.push_back(r.desc + ": cards reported stored, but no change of " + Spec(node).name +
                        " arrived in its log");
  for (const Stored& s : *own) {
    acks_.push_back(Ack{s.id, s.community, node, r.desc});
    ++c_.changes_acked;
  }
}

void Run::ReapEditors() {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    NodeState& n = nodes_[i];
    if (!n.editor) continue;
    auto e = TryReap(n.editor->pid);
    if (!e) continue;
    FinishEditor(static_cast<int>(i), *e);
    while (!n.editor && !n.queue.empty()) {
      auto [ev, variant] = n.queue.front();
      n.queue.pop_front();
      StartEditor(static_cast<int>(i), ev, variant);
    }
  }
}

void Run::Isolate(int node, bool on) {
  NodeState& n = State(node);
  int before = n.isolated;
  n.isolated += on ? 1 : -1;
  if ((before == 0) != (n.isolated == 0)) {
    Status st = net_->SetIsolated(node, n.isolated > 0);
    if (!st.ok()) problems_.push_back("partition: " + st.ToString());
    Verbose(Spec(node).name + (on ? " isolated" : " rejoins"));
  }
}

void Run::Cut(int a, int b, bool on) {
  auto key = std::minmax(a, b);
  int& count = cut_[key];
  int before = count;
  count += on ? 1 : -1;
  if ((before == 0) != (count == 0)) {
    Status st = net_->SetCut(key.first, key.second, count > 0);
    if (!st.ok()) problems_.push_back("partition: " + st.ToString());
    Verbose(Spec(a).name + " / " + Spec(b).name + (on ? " cut" : " joined"));
  }
}

void Run::Fire(const Event& e) {
  switch (e.kind) {
    case EventKind::kPersonSet:
    case EventKind::kCards:
    case EventKind::kRecollect:
      Enqueue(e.node, e, 0);
      break;
    case EventKind::kConflict:
      ++c_.conflicts;
      Enqueue(e.node, e, 0);
      Enqueue(e.other, e, 1);
      break;
    case EventKind::kIsolate:
      ++c_.isolations;
      Isolate(e.node, true);
      timers_.push_back(Timer{Elapsed() + e.duration_ms, Timer::kRejoin, e.node});
      break;
    case EventKind::kVillageDown:
      ++c_.village_drops;
      Isolate(e.node, true);
      timers_.push_back(Timer{Elapsed() + e.duration_ms, Timer::kVillageUp, e.node});
      break;
    case EventKind::kCut:
      ++c_.cuts;
      Cut(e.node, e.other, true);
      timers_.push_back(Timer{Elapsed() + e.duration_ms, Timer::kUncut, e.node, e.other});
      break;
    case EventKind::kKill: {
      NodeState& n = State(e.node);
      bool pending = std::any_of(timers_.begin(), timers_.end(), [&](const Timer& t) {
        return t.node == e.node && t.kind == Timer::kKillDaemon;
      });
      if (n.daemon <= 0 || pending) {
        ++c_.kills_skipped;  // already down
        break;
      }
      if (e.kill_after_ms >= 0) {
        timers_.push_back(Timer{Elapsed() + e.kill_after_ms, Timer::kKillDaemon, e.node, -1, -1,
                                e.new_offset_ms, e.duration_ms});
      } else {
        timers_.push_back(
            Timer{Elapsed(), Timer::kKillDaemon, e.node, -1, -1, e.new_offset_ms, e.duration_ms});
      }
      break;
    }
  }
}

void Run::RunTimers(bool all) {
  // Timers may add timers (a kill schedules its restart): take the due ones first.
  int64_t now = Elapsed();
  std::vector<Timer> due;
  for (auto it = timers_.begin(); it != timers_.end();) {
    if (all || it->at <= now) {
      due.push_back(*it);
      it = timers_.erase(it);
    } else {
      ++it;
    }
  }
  std::stable_sort(due.begin(), due.end(),
                   [](const Timer& a, const Timer& b) { return a.at < b.at; });
  for (const Timer& t : due) {
    switch (t.kind) {
      case Timer::kRejoin:
      case Timer::kVillageUp:
        Isolate(t.node, false);
        break;
      case Timer::kUncut:
        Cut(t.node, t.other, false);
        break;
      case Timer::kKillEditor: {
        NodeState& n = State(t.node);
        if (!all && n.editor && n.editor->pid == t.pid) {
          ::kill(t.pid, SIGKILL);
          n.editor->killed = true;
          Verbose("kill -9 the editor of " + Spec(t.node).name + ": " + n.editor->desc);
        }
        break;
      }
      case Timer::kKillDaemon: {
        if (all) break;  // healing: no more kills
        NodeState& n = State(t.node);
        if (n.daemon <= 0) break;
        ++c_.kills;
        if (n.editor) ++c_.kills_during_edit;
        KillDaemon(t.node);
        Verbose("kill -9 " + Spec(t.node).name + (n.editor ? " while " + n.editor->desc : "") +
                ", back in " + Seconds(t.down_ms));
        timers_.push_back(
            Timer{Elapsed() + t.down_ms, Timer::kRestart, t.node, -1, -1, t.offset_ms, 0});
        break;
      }
      case Timer::kRestart: {
        if (all) break;  // Heal() starts what is down
        NodeState& n = State(t.node);
        if (n.daemon > 0) break;
        if (t.offset_ms != n.offset_ms) {
          ++c_.clock_jumps;
          Verbose(Spec(t.node).name + "'s clock jumps from " + Offset(n.offset_ms) + " to " +
                  Offset(t.offset_ms));
          n.offset_ms = t.offset_ms;
          offsets_min_ = std::min(offsets_min_, n.offset_ms);
          offsets_max_ = std::max(offsets_max_, n.offset_ms);
        }
        Status st = StartDaemon(t.node, o_.faults && !healing_);
        if (!st.ok()) {
          problems_.push_back("restarting " + Spec(t.node).name + ": " + st.ToString());
        } else {
          ++c_.restarts;
        }
        break;
      }
    }
  }
}

bool Run::Chaos() {
  size_t next = 0;
  const int64_t end = static_cast<int64_t>(o_.duration_s) * 1000;
  while (!g_interrupted.load()) {
    ReapDaemons();
    ReapEditors();
    RunTimers(false);
    int64_t now = Elapsed();
    while (next < plan_.events.size() && plan_.events[next].at_ms <= now)
      Fire(plan_.events[next++]);
    if (now >= next_status_) {
      int up = 0, isolated = 0;
      for (const NodeState& n : nodes_) {
        up += n.daemon > 0;
        isolated += n.isolated > 0;
      }
      int cut = 0;
      for (const auto& [k, v] : cut_) cut += v > 0;
      Say("daemons up " + std::to_string(up) + "/" + std::to_string(nodes_.size()) + ", isolated " +
          std::to_string(isolated) + ", links cut " + std::to_string(cut) +
          "; writes acknowledged " +
          std::to_string(c_.sets_acked + c_.cards_stored + c_.cards_updated) + " (" +
          std::to_string(c_.changes_acked) + " changes), kills " + std::to_string(c_.kills) +
          ", partitions " + std::to_string(c_.isolations + c_.cuts + c_.village_drops));
      next_status_ += 15000;
    }
    if (now >= end && next >= plan_.events.size()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

Status Run::Heal() {
  // The editors finish (the queued ones too): their writes count.
  auto deadline = Clock::now() + std::chrono::seconds(120);
  for (;;) {
    ReapEditors();
    RunTimers(false);  // editor kills still due; partitions keep their course meanwhile
    bool busy = std::any_of(nodes_.begin(), nodes_.end(), [](const NodeState& n) {
      return n.editor.has_value() || !n.queue.empty();
    });
    if (!busy) break;
    if (Clock::now() > deadline || g_interrupted.load())
      return Status::Unavailable("editors still running two minutes after the chaos ended");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ReapDaemons();
  int replicas = 0;
  auto [differ, missing] = Divergence(&replicas);
  diverged_at_heal_ = differ;
  missing_at_heal_ = missing;
  Say("chaos over: " + std::to_string(differ) + " of " + std::to_string(replicas) +
      " replicas (node, community) differ from their community's most common state; " +
      std::to_string(missing) + " (node, acknowledged change) pairs not there yet");
  healing_ = true;
  // Every partition ends, every link comes up.
  RunTimers(true);
  for (size_t i = 0; i < nodes_.size(); ++i)
    if (nodes_[i].isolated != 0) {
      nodes_[i].isolated = 0;
      RETURN_IF_ERROR(net_->SetIsolated(static_cast<int>(i), false));
    }
  for (auto& [k, v] : cut_)
    if (v != 0) {
      v = 0;
      RETURN_IF_ERROR(net_->SetCut(k.first, k.second, false));
    }
  // Faults end: the daemons that injected them are restarted without (faults are options of
  // the process); the ones that are down start. The others keep running, as they were.
  int restarted = 0, started = 0, clocks_fixed = 0;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    NodeState& n = nodes_[i];
    bool fix_clock = !o_.backdate && n.offset_ms < -kDayMs + kHourMs;
    if (n.daemon > 0 && (n.faulty || fix_clock)) {
      Exit e = Stop(n.daemon, SIGTERM);
      if (!e.ok())
        problems_.push_back("the daemon of " + t_.nodes[i].name + " did not stop cleanly on " +
                            "SIGTERM (" + e.ToString() + ")");
      n.daemon = -1;
      ++restarted;
    } else if (n.daemon <= 0) {
      ++started;
    } else {
      continue;
    }
    if (fix_clock) {
      // Without back-dated certificates a node days behind refuses every peer's certificate
      // ("not valid now"); at the heal its clock is set right, as an operator would.
      n.offset_ms = 0;
      ++clocks_fixed;
    }
    RETURN_IF_ERROR(StartDaemon(static_cast<int>(i), false));
  }
  Say("heal: every link up; " + std::to_string(restarted) + " daemons restarted without faults, " +
      std::to_string(started) + " started" +
      (clocks_fixed ? ", " + std::to_string(clocks_fixed) + " clocks set right" : std::string()) +
      "; waiting for convergence (at most " + std::to_string(o_.converge_timeout_s) + " s)");
  return Status::Ok();
}

std::pair<int, size_t> Run::Divergence(int* replicas) {
  int differ = 0;
  *replicas = 0;
  for (const std::string& community : t_.communities) {
    std::map<std::string, int> digests;
    for (size_t i = 0; i < nodes_.size(); ++i) {
      if (!t_.Covers(static_cast<int>(i), community)) continue;
      auto c = Shequ({"state-hash", "--dir", nodes_[i].dir, "--scope", community});
      ++*replicas;
      ++digests[c.ok() && c->exit.ok() ? std::string(Trim(c->out)) : "?"];
    }
    int most = 0, all = 0;
    for (const auto& [d, n] : digests) {
      most = std::max(most, n);
      all += n;
    }
    differ += all - most;
  }
  size_t missing = 0;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    std::vector<Id32> want;
    for (const Ack& a : acks_)
      if (t_.Covers(static_cast<int>(i), a.community)) want.push_back(a.change);
    auto m = MissingChanges(nodes_[i].dir, want);
    if (m.ok()) missing += m->size();
  }
  return {differ, missing};
}

bool Run::Converged(std::string* why) {
  for (const std::string& community : t_.communities) {
    std::string first, first_name;
    for (size_t i = 0; i < nodes_.size(); ++i) {
      if (!t_.Covers(static_cast<int>(i), community)) continue;
      auto c = Shequ({"state-hash", "--dir", nodes_[i].dir, "--scope", community});
      if (!c.ok() || !c->exit.ok()) {
        *why = "state-hash failed on " + t_.nodes[i].name;
        return false;
      }
      std::string h(Trim(c->out));
      if (first.empty()) {
        first = h;
        first_name = t_.nodes[i].name;
      } else if (h != first) {
        *why = community + ": " + first_name + " " + first.substr(0, 12) + " vs " +
               t_.nodes[i].name + " " + h.substr(0, 12);
        return false;
      }
    }
  }
  // Equal digests; and every acknowledged change is stored on every node holding its community
  // (a superseded change leaves no trace in the digest).
  for (size_t i = 0; i < nodes_.size(); ++i) {
    std::vector<Id32> want;
    for (const Ack& a : acks_)
      if (t_.Covers(static_cast<int>(i), a.community)) want.push_back(a.change);
    auto missing = MissingChanges(nodes_[i].dir, want);
    if (!missing.ok()) {
      *why = missing.status().ToString();
      return false;
    }
    if (!missing->empty()) {
      *why =
          t_.nodes[i].name + " lacks " + std::to_string(missing->size()) + " acknowledged changes";
      return false;
    }
  }
  return true;
}

int Run::Finish() {
  if (Status st = Heal(); !st.ok()) {
    problems_.push_back("heal: " + st.ToString());
    return Report(false, 0, st.ToString());
  }
  auto heal_start = Clock::now();
  auto deadline = heal_start + std::chrono::seconds(o_.converge_timeout_s);
  std::string why;
  bool converged = false;
  int64_t converge_ms = 0;
  while (!g_interrupted.load() && Clock::now() < deadline) {
    ReapDaemons();
    RunTimers(false);  // restarts after a crash
    if (Converged(&why)) {
      converged = true;
      converge_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - heal_start).count();
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  if (converged)
    Say("converged in " + Seconds(converge_ms) + " after the heal");
  else
    Say("NOT converged after " + std::to_string(o_.converge_timeout_s) + " s: " + why);
  return Report(converged, converge_ms, why);
}

int Run::Report(bool converged, int64_t converge_ms, const std::string& why) {
  // Stop the daemons (cleanly: SIGTERM), then check every replica.
  for (size_t i = 0; i < nodes_.size(); ++i) {
    NodeState& n = nodes_[i];
    if (n.daemon <= 0) continue;
    Exit e = Stop(n.daemon, SIGTERM);
    n.daemon = -1;
    if (!e.ok())
      problems_.push_back("the daemon of " + t_.nodes[i].name +
                          " did not stop cleanly on SIGTERM (" + e.ToString() + ")");
  }
  int verified = 0;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    auto c = Shequ({"verify", "--dir", nodes_[i].dir});
    if (c.ok() && c->exit.ok()) {
      ++verified;
    } else {
      problems_.push_back(
          "shequ verify failed on " + t_.nodes[i].name + ": " +
          (c.ok() ? std::string(Trim(c->out + c->err)).substr(0, 400) : c.status().ToString()));
    }
  }
  // Missing acknowledged writes, with details.
  size_t missing_total = 0;
  std::vector<std::string> missing_lines;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    std::vector<const Ack*> want;
    std::vector<Id32> ids;
    for (const Ack& a : acks_)
      if (t_.Covers(static_cast<int>(i), a.community)) {
        want.push_back(&a);
        ids.push_back(a.change);
      }
    auto missing = MissingChanges(nodes_[i].dir, ids);
    if (!missing.ok()) {
      problems_.push_back(missing.status().ToString());
      continue;
    }
    std::set<Id32> gone(missing->begin(), missing->end());
    missing_total += gone.size();
    for (const Ack* a : want)
      if (gone.count(a->change) && missing_lines.size() < 20)
        missing_lines.push_back(t_.nodes[i].name + " lacks " + Hex(a->change).substr(0, 16) +
                                " of " + a->community + ": " + a->what);
  }
  // Changes the nodes refused when they arrived.
  Rejections all;
  std::map<std::string, size_t> rejected_by_node;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    auto r = ReadRejections(nodes_[i].dir);
    if (!r.ok()) continue;
    for (const auto& [code, count] : r->by_code) all.by_code[code] += count;
    for (const auto& [code, ex] : r->example)
      if (!all.example.count(code)) all.example[code] = ex;
    if (r->total()) rejected_by_node[t_.nodes[i].name] = r->total();
  }

  bool pass = converged && missing_total == 0 && problems_.empty() && !g_interrupted.load();
  std::printf("\n==== chaos: seed %llu, %d s, %zu nodes on %s\n",
              static_cast<unsigned long long>(o_.seed), o_.duration_s, nodes_.size(),
              net_->namespaces() ? "network namespaces" : "loopback (relay)");
  std::printf("partitions      %d: %d isolated nodes, %d cut links, %d village link drops\n",
              c_.isolations + c_.cuts + c_.village_drops, c_.isolations, c_.cuts, c_.village_drops);
  std::printf(
      "kills           %d kill -9 of daemons (%d while an editor wrote into the replica, "
      "%d skipped: already down), %d restarts, %d clock jumps; %d editors killed\n",
      c_.kills, c_.kills_during_edit, c_.kills_skipped, c_.restarts, c_.clock_jumps,
      c_.editors_killed);
  int refused_total = 0;
  for (const auto& [k, v] : c_.refused) refused_total += v;
  int failed_total = 0;
  for (const auto& [k, v] : c_.failed) failed_total += v;
  std::printf(
      "base            %d cards (%zu changes) entered at the offices before the chaos, "
      "checked like the rest\n",
      base_cards_stored_, base_changes_);
  std::printf(
      "writes          %d attempted (%d person set, %d cards): %d acknowledged "
      "(%zu changes), %d refused, %d failed, %d skipped (person unknown there)\n",
      c_.sets + c_.cards, c_.sets, c_.cards, c_.sets_acked + c_.cards_stored + c_.cards_updated,
      c_.changes_acked, refused_total, failed_total, c_.edits_skipped);
  std::printf("  person set    %d acknowledged of %d\n", c_.sets_acked, c_.sets);
  std::printf(
      "  cards         %d stored, %d updated, %d unchanged, %d refused, %d not reported "
      "(editor killed) of %d\n",
      c_.cards_stored, c_.cards_updated, c_.cards_unchanged, c_.cards_refused,
      c_.cards - c_.cards_stored - c_.cards_updated - c_.cards_unchanged - c_.cards_refused,
      c_.cards);
  for (const auto& [k, v] : c_.refused)
    std::printf("  refused %4d  %s  (e.g. %s)\n", v, k.c_str(),
                Utf8Prefix(c_.refused_example[k], 140).c_str());
  for (const auto& [k, v] : c_.failed)
    std::printf("  FAILED  %4d  %s  (e.g. %s)\n", v, k.c_str(),
                Utf8Prefix(c_.failed_example[k], 200).c_str());
  std::printf("conflicts       %d pairs of concurrent edits of one field\n", c_.conflicts);
  std::printf("rejected        %zu changes refused on arrival", all.total());
  if (all.total()) {
    std::printf(":");
    for (const auto& [code, n] : all.by_code) std::printf(" %s %zu", code.c_str(), n);
    std::printf(" (by node:");
    for (const auto& [node, n] : rejected_by_node) std::printf(" %s %zu", node.c_str(), n);
    std::printf(")\n");
    for (const auto& [code, ex] : all.example)
      std::printf("  %s: %s\n", code.c_str(), Utf8Prefix(ex, 200).c_str());
  } else {
    std::printf("\n");
  }
  std::printf("clock offsets   ");
  for (size_t i = 0; i < nodes_.size(); ++i)
    std::printf("%s%s %s", i ? ", " : "", t_.nodes[i].name.c_str(),
                Offset(t_.nodes[i].clock_offset_ms).c_str());
  std::printf(" (range %s .. %s with the jumps)\n", Offset(offsets_min_).c_str(),
              Offset(offsets_max_).c_str());
  std::printf(
      "converge        %s after the heal (at the heal %d replicas differed, %zu "
      "acknowledged changes were missing somewhere)\n",
      converged ? Seconds(converge_ms).c_str() : ("no: " + why).c_str(), diverged_at_heal_,
      missing_at_heal_);
  std::printf("verify          %d of %zu replicas rebuild to their stored state\n", verified,
              nodes_.size());
  std::printf(
      "acknowledged    %zu changes checked on every node holding their community: %zu "
      "missing\n",
      acks_.size(), missing_total);
  for (const std::string& l : missing_lines) std::printf("  MISSING %s\n", l.c_str());
  for (const std::string& p : problems_) std::printf("  PROBLEM %s\n", p.c_str());
  Options replay = o_;
  replay.loopback = !net_->namespaces();
  std::printf("result          %s (replay: %s)\n", pass ? "PASS" : "FAIL",
              ReplayCommand(replay).c_str());
  std::fflush(stdout);
  return pass ? 0 : 1;
}

int Main(int argc, char** argv) {
  auto options = ParseOptions(argc, argv);
  if (!options.ok()) {
    std::fprintf(stderr, "chaos: %s\n%s", options.status().message().c_str(), kUsage);
    return 2;
  }
  Options& o = *options;
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  std::string replay = ReplayCommand(o);
  std::printf("shequ chaos: seed %llu (replay: %s), duration %d s, shequ %s\n",
              static_cast<unsigned long long>(o.seed), replay.c_str(), o.duration_s,
              o.shequ.c_str());

  // The network: namespaces when we may, else loopback with the relay, said loudly.
  if (int n = CleanLeftovers())
    std::printf("removed %d namespaces and links left by an earlier run that did not finish\n", n);
  std::unique_ptr<Network> net;
  std::string why;
  if (!o.loopback && CanMakeNamespaces(&why)) {
    net = MakeNetnsNetwork(RunPrefix());
  } else {
    if (!o.loopback)
      std::printf(
          "NOTE: network namespaces cannot be made here (%s): FALLING BACK TO LOOPBACK; "
          "partitions are made by the harness's TCP relay\n",
          why.c_str());
    net = MakeLoopbackNetwork();
  }

  auto ref = model::Reference::Load();
  if (!ref.ok()) {
    std::fprintf(stderr, "chaos: %s\n", ref.status().ToString().c_str());
    return 1;
  }
  Plan plan = MakePlan(o);
  std::map<EventKind, int> planned;
  for (const Event& e : plan.events) ++planned[e.kind];

  std::string dir = o.keep;
  bool remove_dir = dir.empty();
  if (dir.empty()) {
    char tmpl[] = "/tmp/shequ-chaos-XXXXXX";
    if (!::mkdtemp(tmpl)) {
      std::perror("chaos: mkdtemp");
      return 1;
    }
    dir = tmpl;
  } else if (Status st = MakeDirs(dir); !st.ok()) {
    std::fprintf(stderr, "chaos: %s\n", st.ToString().c_str());
    return 1;
  }
  std::printf("network: %s\ndirectory: %s\n", net->Describe().c_str(), dir.c_str());
  std::printf("%-14s %-10s %-13s %-8s %-24s %-12s %s\n", "node", "kind", "scope", "listens",
              "dials", "clock", "faults");
  for (const NodeSpec& n : plan.topology.nodes) {
    std::string dials;
    for (int d : n.dials)
      dials += (dials.empty() ? "" : ",") + plan.topology.nodes[static_cast<size_t>(d)].name;
    std::printf("%-14s %-10s %-13s %-8s %-24s %-12s %s\n", n.name.c_str(), KindName(n.kind).c_str(),
                n.scope.c_str(), n.listens ? "yes" : "", dials.c_str(),
                Offset(n.clock_offset_ms).c_str(), Faults(n.faults).c_str());
  }
  std::printf("plan:");
  for (const auto& [k, n] : planned) std::printf(" %d %s;", n, EventName(k).c_str());
  std::printf(" certificates %s\n", o.backdate ? "back-dated by 4 days (clock offsets up to 3 days)"
                                               : "valid from a day ago (--no-backdate)");
  std::fflush(stdout);

  int rc = 1;
  {
    Run run(o, std::move(plan), std::move(net), *ref);
    Status st = run.Setup(dir);
    if (!st.ok()) {
      std::fprintf(stderr, "chaos: setup failed: %s\n", st.ToString().c_str());
    } else {
      std::printf("setup done: %d base persons per community distributed; chaos for %d s\n",
                  o.persons, o.duration_s);
      std::fflush(stdout);
      if (run.Chaos()) rc = run.Finish();
    }
  }  // the run's destructor stops every process and removes the namespaces
  if (g_interrupted.load()) {
    std::printf("interrupted: processes stopped, namespaces removed\n");
    rc = 130;
  }
  if (rc == 0 && remove_dir) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  } else if (remove_dir) {
    std::printf("the run's directory is kept for inspection: %s\n", dir.c_str());
  }
  return rc;
}

}  // namespace
}  // namespace shequ::chaos

int main(int argc, char** argv) { return shequ::chaos::Main(argc, argv); }
