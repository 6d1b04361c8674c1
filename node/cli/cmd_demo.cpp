// demo: the README's first command. It builds a city in a fresh directory — the information
// office (the root), the hub, the three districts, communities and villages from the division
// table, two terminals each and one department — starts every node as its own `shequ run`
// process on loopback, plays a stretch of collection work through the real commands, and ends
// with every node converged (checked by state digests), the assessment printed and an HTML
// report written. With a display it then opens the front end on the hub.
//
// The demo drives the nodes only through the shequ command line, as an operator would, and
// prints each command it runs; it reads the replicas (read transactions) to show progress and
// compare digests.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "node/base/file.h"
#include "node/base/text.h"
#include "node/base/time.h"
#include "node/cli/commands.h"
#include "tools/gen/gen.h"

namespace shequ::cli {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

std::atomic<bool> g_interrupted{false};
void OnInterrupt(int) { g_interrupted.store(true); }

std::string SelfPath() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "shequ";
  buf[n] = 0;
  return buf;
}

std::string Thousands(uint64_t n) {
  std::string s = std::to_string(n), out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i && (s.size() - i) % 3 == 0) out += ',';
    out += s[i];
  }
  return out;
}

// "和平社区居委会" -> "和平社区", "渡口村民委员会" -> "渡口村", "新地村委会" -> "新地村".
std::string ShortName(std::string name) {
  for (const char* suffix : {"居委会", "民委员会", "委会"}) {
    std::string s = suffix;
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
      name.resize(name.size() - s.size());
      break;
    }
  }
  return name;
}

struct Output {
  int code = -1;
  std::string out, err;
};

// A child process of the demo: its own process group (Ctrl-C reaches the demo, which stops
// its children in order) and SIGTERM if the demo dies.
void BecomeChild() {
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGTERM);
}

[[noreturn]] void Exec(const std::string& bin, const std::vector<std::string>& args) {
  // The first word may name a command of several words ("card import").
  std::vector<std::string> copy;
  if (!args.empty())
    for (std::string_view w : Split(args[0], ' ')) copy.emplace_back(w);
  copy.insert(copy.end(), args.begin() + (args.empty() ? 0 : 1), args.end());
  std::vector<char*> argv;
  std::string b = bin;
  argv.push_back(b.data());
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  execv(b.c_str(), argv.data());
  _exit(127);
}

// Runs `bin args...` to completion, capturing stdout and stderr.
Output Capture(const std::string& bin, const std::vector<std::string>& args) {
  Output o;
  int out[2], err[2];
  if (pipe(out) != 0) return o;
  if (pipe(err) != 0) {
    close(out[0]);
    close(out[1]);
    return o;
  }
  pid_t pid = fork();
  if (pid == 0) {
    BecomeChild();
    dup2(out[1], 1);
    dup2(err[1], 2);
    close(out[0]);
    close(err[0]);
    close(out[1]);
    close(err[1]);
    Exec(bin, args);
  }
  close(out[1]);
  close(err[1]);
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  bool stopped = false;
  while (open_fds > 0) {
    if (g_interrupted && !stopped) {  // Ctrl-C: the command stops too
      kill(pid, SIGTERM);
      stopped = true;
    }
    if (poll(fds, 2, 200) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? o.out : o.err).append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  o.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return o;
}

struct DemoNode {
  std::string slug;   // directory name, ASCII
  std::string label;  // 和平社区
  std::string kind;   // node init --kind
  std::string scope;  // 12-digit community, 6-digit district, 1503
  std::string department;
  std::string parent;  // the node it dials (empty: the hub dials nobody)
  bool listens = true;
  std::string dir, endpoint, contact, id;
  pid_t pid = -1;
  std::string log;
  size_t log_read = 0;
  std::string last_event;  // the last line shown (repeated dial refusals are shown once)
  std::unique_ptr<service::Node> view;  // read transactions for progress and digests
  bool Covers(std::string_view community) const { return StartsWith(community, scope); }
};

DemoNode MakeNode(std::string slug, std::string label, std::string kind, std::string scope,
                  std::string parent, bool listens = true, std::string department = "") {
  DemoNode n;
  n.slug = std::move(slug);
  n.label = std::move(label);
  n.kind = std::move(kind);
  n.scope = std::move(scope);
  n.parent = std::move(parent);
  n.listens = listens;
  n.department = std::move(department);
  return n;
}

struct Unit {
  std::string code, label, district;
  bool village = false;
  double weight = 1;
};

class DemoCity {
 public:
  DemoCity(Context& ctx, std::string dir) : ctx_(ctx), dir_(std::move(dir)), bin_(SelfPath()) {
    t0_ = Clock::now();
  }
  ~DemoCity() { StopAll(); }

  double Elapsed() const { return std::chrono::duration<double>(Clock::now() - t0_).count(); }
  const std::string& dir() const { return dir_; }
  std::map<std::string, DemoNode>& nodes() { return nodes_; }
  DemoNode& at(const std::string& slug) { return nodes_.at(slug); }
  const std::vector<std::string>& order() const { return order_; }

  // Runs a shequ command, printing it (shortened: the city directory as $CITY) when `show`.
  Output Shequ(const std::vector<std::string>& args, bool show = true) {
    if (g_interrupted) return Output{130, "", "interrupted"};
    if (show) {
      std::string line = "   $ shequ";
      for (const std::string& a : args) {
        std::string s = a;
        if (StartsWith(s, dir_ + "/")) s = s.substr(dir_.size() + 1);
        if (s.find(' ') != std::string::npos || s.find('#') != std::string::npos) s = "'" + s + "'";
        if (s.size() > 60) s = s.substr(0, 57) + "...";
        line += " " + s;
      }
      std::printf("%s\n", line.c_str());
      std::fflush(stdout);
    }
    return Capture(bin_, args);
  }
  // As Shequ, and a failure stops the demo.
  // (card import exits 2 when it refused some cards: `refusals_ok` accepts that.)
  Result<Output> Must(const std::vector<std::string>& args, bool show = true,
                      bool refusals_ok = false) {
    Output o = Shequ(args, show);
    if (o.code != 0 && !(refusals_ok && o.code == kExitInvalid)) {
      std::string what = "shequ";
      for (const auto& a : args) what += " " + a;
      std::string detail(Trim(o.err.empty() ? o.out : o.err));
      if (detail.size() > 400) detail = detail.substr(0, 400) + "...";
      return Status::Internal(what + " exited " + std::to_string(o.code) + ": " + detail);
    }
    return o;
  }

  void Add(DemoNode n) {
    n.dir = dir_ + "/" + n.slug;
    n.log = dir_ + "/logs/" + n.slug + ".log";
    order_.push_back(n.slug);
    nodes_[n.slug] = std::move(n);
  }

  Status Init() {
    if (Status st = MakeDirs(dir_ + "/logs"); !st.ok()) return st;
    ASSIGN_OR_RETURN(auto o, Must({"city init", "--dir", dir_ + "/city"}, true));
    (void)o;
    int port = FreePortBase(static_cast<int>(nodes_.size()));
    if (port < 0) return Status::Unavailable("no free block of loopback ports for the nodes");
    for (const std::string& slug : order_) {
      DemoNode& n = nodes_[slug];
      std::vector<std::string> a = {"node init",    "--dir",  n.dir,  "--city",
                                    dir_ + "/city", "--kind", n.kind, "--scope",
                                    n.scope,        "--name", n.label};
      if (!n.department.empty()) {
        a.push_back("--department");
        a.push_back(n.department);
      }
      ASSIGN_OR_RETURN(auto init, Must(a, false));
      (void)init;
      n.endpoint = "tcp://127.0.0.1:" + std::to_string(port++);
      ASSIGN_OR_RETURN(auto contact,
                       Must({"node contact", "--dir", n.dir, "--endpoint", n.endpoint}, false));
      n.contact = std::string(Trim(contact.out));
    }
    // Provisioning: every node is introduced to every other (certificates only; the office
    // signed them all).
    std::vector<std::string> certs;
    for (const std::string& slug : order_) certs.push_back(nodes_[slug].dir + "/node.cert");
    for (const std::string& slug : order_) {
      std::vector<std::string> a = {"trust import", "--dir", nodes_[slug].dir};
      a.insert(a.end(), certs.begin(), certs.end());
      ASSIGN_OR_RETURN(auto t, Must(a, false));
      (void)t;
    }
    for (const std::string& slug : order_) {
      DemoNode& n = nodes_[slug];
      ASSIGN_OR_RETURN(n.view, service::Node::Open(n.dir, ctx_.ref));
      n.id = n.view->cert().id_hex();
    }
    return Status::Ok();
  }

  // Starts a node's daemon: it listens (unless a terminal) and dials its parent.
  Status Start(const std::string& slug) {
    DemoNode& n = nodes_.at(slug);
    if (n.pid > 0) return Status::Ok();
    std::vector<std::string> args = {"run", "--dir", n.dir, "--timeout", "20"};
    if (n.listens) {
      args.push_back("--listen");
      args.push_back(n.endpoint);
    }
    if (!n.parent.empty()) {
      args.push_back("--peer");
      args.push_back(nodes_.at(n.parent).contact);
    }
    pid_t pid = fork();
    if (pid < 0) return Status::Unavailable("cannot start the daemon of " + n.label);
    if (pid == 0) {
      BecomeChild();
      int fd = ::open(n.log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
      }
      Exec(bin_, args);
    }
    n.pid = pid;
    return Status::Ok();
  }

  void Stop(const std::string& slug, int sig = SIGTERM) {
    DemoNode& n = nodes_.at(slug);
    if (n.pid <= 0) return;
    kill(n.pid, sig);
    int status = 0;
    auto deadline = Clock::now() + std::chrono::seconds(10);
    while (waitpid(n.pid, &status, WNOHANG) == 0) {
      if (Clock::now() > deadline) {
        kill(n.pid, SIGKILL);
        waitpid(n.pid, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    n.pid = -1;
  }

  size_t StopAll() {
    size_t stopped = 0;
    for (auto& [slug, n] : nodes_)
      if (n.pid > 0) {
        kill(n.pid, SIGTERM);
        ++stopped;
      }
    for (auto& [slug, n] : nodes_)
      if (n.pid > 0) Stop(slug);
    return stopped;
  }

  // Prints what the daemons logged since the last call that a watcher would want to see:
  // syncs that brought something, rejections, refusals, revocations, failures.
  void ShowEvents() {
    for (const std::string& slug : order_) {
      DemoNode& n = nodes_[slug];
      auto text = ReadFile(n.log);
      if (!text.ok() || text->size() <= n.log_read) continue;
      std::string_view fresh = std::string_view(*text).substr(n.log_read);
      size_t end = fresh.rfind('\n');
      if (end == std::string_view::npos) continue;
      n.log_read += end + 1;
      for (std::string_view line : Split(fresh.substr(0, end), '\n')) {
        if (line.size() > 20) line = line.substr(20);  // the timestamp
        std::string l(line);
        size_t colon = l.find(": ");
        std::string what = colon == std::string::npos ? l : l.substr(colon + 2);
        bool show = false;
        if (StartsWith(what, "synced with")) {
          size_t paren = what.find(" (");
          show = paren != std::string::npos && what.compare(paren + 2, 2, "0 ") != 0;
          if (what.find(" 0 rejected") == std::string::npos) show = true;
        } else if (StartsWith(what, "refused") || StartsWith(what, "learned the revocation") ||
                   StartsWith(what, "session failed") ||
                   what.find("rejected") != std::string::npos ||
                   what.find("clock of") != std::string::npos) {
          show = true;
        }
        if (!show || what == n.last_event) continue;
        n.last_event = what;
        // "synced with X in 0.12 s: sent 0 changes, received 12 (12 new, 0 rejected), ..."
        size_t cut = what.find(", 0.");
        if (StartsWith(what, "synced with")) {
          size_t kib = what.find(" KiB out");
          if (kib != std::string::npos) {
            size_t comma = what.rfind(", ", kib);
            if (comma != std::string::npos) cut = comma;
          }
        } else {
          cut = std::string::npos;
        }
        std::printf("     %8.1f s  %-10s %s\n", Elapsed(), Pad(n.label, 10).c_str(),
                    (cut == std::string::npos ? what : what.substr(0, cut)).c_str());
      }
    }
    std::fflush(stdout);
  }

  // Pads a UTF-8 label to `width` display columns (CJK characters take two).
  static std::string Pad(const std::string& s, size_t width) {
    size_t cols = 0;
    for (size_t i = 0; i < s.size();) {
      unsigned char c = static_cast<unsigned char>(s[i]);
      size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
      cols += len >= 3 ? 2 : 1;
      i += len;
    }
    return cols >= width ? s : s + std::string(width - cols, ' ');
  }

  struct Counts {
    size_t changes = 0, rejected = 0, review = 0;
  };
  Counts CountsOf(const std::string& slug) {
    Counts c;
    DemoNode& n = nodes_.at(slug);
    if (!n.view) return c;
    if (auto v = n.view->store().Count(store::Db::kChanges); v.ok()) c.changes = *v;
    if (auto v = n.view->store().Count(store::Db::kRejected); v.ok()) c.rejected = *v;
    if (auto v = n.view->store().Count(store::Db::kReview); v.ok()) c.review = *v;
    return c;
  }

  Result<std::string> Digest(const std::string& slug, const std::string& community) {
    DemoNode& n = nodes_.at(slug);
    ASSIGN_OR_RETURN(auto r, n.view->store().BeginRead());
    ASSIGN_OR_RETURN(auto d, n.view->replica().StateDigest(r, community));
    return Hex(d);
  }

  // The communities whose digests differ between nodes that hold them (running nodes only,
  // unless `all`), with a short reason for the first.
  std::vector<std::string> Diverging(const std::vector<std::string>& communities, bool all,
                                     std::string* why) {
    std::vector<std::string> out;
    for (const std::string& c : communities) {
      std::string first, first_slug;
      for (const std::string& slug : order_) {
        DemoNode& n = nodes_[slug];
        if (!n.Covers(c) || (!all && n.pid <= 0)) continue;
        auto d = Digest(slug, c);
        if (!d.ok()) continue;
        if (first.empty()) {
          first = *d;
          first_slug = slug;
        } else if (*d != first) {
          out.push_back(c);
          if (why && why->empty())
            *why = c + ": " + nodes_[first_slug].label + " " + first.substr(0, 12) + " ≠ " +
                   n.label + " " + d->substr(0, 12);
          break;
        }
      }
    }
    return out;
  }

  // Waits until the running nodes agree on `communities`, showing the daemons' events and a
  // progress line each second. False on timeout or Ctrl-C.
  bool Settle(const std::vector<std::string>& communities, int seconds, bool all = false) {
    // Digests cost a pass over each community's state on every holder: they are compared only
    // when the change counts (cheap) stood still since the last look, and never more often than
    // their own cost allows, so that the demo does not slow the city it watches.
    auto deadline = Clock::now() + std::chrono::seconds(seconds);
    auto last_line = Clock::now();
    size_t last_total = SIZE_MAX;
    std::chrono::milliseconds pause(250);
    std::string why, syncing = "syncing";
    while (!g_interrupted) {
      ShowEvents();
      size_t total = 0;
      for (const std::string& slug : order_)
        if (all || nodes_[slug].pid > 0) total += CountsOf(slug).changes;
      if (total == last_total) {
        auto started = Clock::now();
        why.clear();
        auto diverging = Diverging(communities, all, &why);
        if (diverging.empty()) return true;
        syncing = std::to_string(diverging.size()) + " of " + std::to_string(communities.size()) +
                  " communities still differ";
        auto cost = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
        pause = std::max(std::chrono::milliseconds(250), 2 * cost);
      }
      last_total = total;
      if (Clock::now() > deadline) {
        std::printf("     still different after %d s: %s\n", seconds,
                    why.empty() ? "the nodes are still receiving changes" : why.c_str());
        return false;
      }
      if (Clock::now() - last_line > std::chrono::seconds(2)) {
        last_line = Clock::now();
        std::printf("     %8.1f s  …  the hub holds %s changes, all nodes %s; %s\n", Elapsed(),
                    Thousands(CountsOf("hub").changes).c_str(), Thousands(total).c_str(),
                    syncing.c_str());
        std::fflush(stdout);
      }
      std::this_thread::sleep_for(pause);
    }
    return false;
  }

  // Waits until a node holds the revocation of `node_hex`.
  bool KnowsRevocation(const std::string& slug, const std::string& node_hex) {
    DemoNode& n = nodes_.at(slug);
    auto r = n.view->store().BeginRead();
    if (!r.ok()) return false;
    if (!n.view->trust().RefreshRevocations(*r, n.view->store().dbi(store::Db::kTrust)).ok())
      return false;
    for (const trust::Revoked* rev : n.view->trust().Revocations())
      if (rev->revocation.node_hex() == node_hex) return true;
    return false;
  }

  // The entity of the person with this ID number, as a node sees it.
  Result<std::string> PersonEntity(const std::string& slug, const std::string& id_number) {
    ASSIGN_OR_RETURN(
        auto out,
        Must({"person show", "--dir", nodes_.at(slug).dir, "--id", id_number, "--json"}, false));
    json j = json::parse(out.out, nullptr, false);
    if (j.is_discarded()) return Status::Internal("person show: not JSON");
    if (j.is_array()) j = j.empty() ? json() : j[0];
    if (!j.contains("entity")) return Status::NotFound("no person with " + id_number);
    return j["entity"].get<std::string>();
  }

 private:
  // The first of `count` consecutive loopback ports that are free.
  static int FreePortBase(int count) {
    for (int base = 27000 + static_cast<int>(getpid() % 2000) * 8; base < 64000; base += 97) {
      bool all = true;
      for (int p = base; p < base + count && all; ++p) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<uint16_t>(p));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        all = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
        close(fd);
      }
      if (all) return base;
    }
    return -1;
  }

  Context& ctx_;
  std::string dir_, bin_;
  Clock::time_point t0_;
  std::map<std::string, DemoNode> nodes_;
  std::vector<std::string> order_;
};

// --- the scenario

std::string PeriodOf(const Date& d) {
  return std::to_string(d.year) + "Q" + std::to_string((d.month - 1) / 3 + 1);
}

Status WriteCards(const std::string& path, const std::vector<model::Card>& cards, size_t from,
                  size_t to) {
  std::string text = "[\n";
  for (size_t i = from; i < to && i < cards.size(); ++i) {
    if (i > from) text += ",\n";
    text += model::CardToJson(cards[i]);
  }
  text += "\n]\n";
  return WriteFileAtomic(path, text);
}

// The name with its last character replaced: the paper card's slip that the ID card corrects.
std::string Slip(const std::string& name) {
  size_t chars = static_cast<size_t>(Utf8Length(name));
  if (chars < 2) return name;
  std::string head = Utf8Prefix(name, chars - 1);
  std::string last = name.substr(head.size());
  return head + (last == "明" ? "鸣" : "明");
}

struct ImportTally {
  size_t stored = 0, refused = 0, persons = 0, changes = 0, warnings = 0;
  std::map<std::string, size_t> errors;
};

ImportTally TallyImport(const std::string& jsonl) {
  ImportTally t;
  for (std::string_view line : Split(jsonl, '\n')) {
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("outcome")) continue;
    bool refused = j["outcome"] == "refused";
    (refused ? t.refused : t.stored)++;
    if (!refused) {
      t.persons += j.value("persons", 0);
      t.changes += j.value("changes", 0);
    }
    for (const auto& p : j.value("problems", json::array())) {
      if (p.value("severity", "") == "error")
        ++t.errors[p.value("code", "?")];
      else
        ++t.warnings;
    }
  }
  return t;
}

void Heading(int n, const char* title, const char* what) {
  std::printf("\n%d. %s\n%s", n, title, what);
  std::fflush(stdout);
}

// The demo's script: one method per act, run in order. Each act returns what went wrong; the
// daemons keep running between acts.
#define DEMO_MUST(var, ...)                   \
  auto var##_r = city.Must(__VA_ARGS__);      \
  if (!var##_r.ok()) return var##_r.status(); \
  Output var = std::move(*var##_r)

struct Scenario {
  Scenario(Context& c, DemoCity& d) : ctx(c), city(d) {}
  Context& ctx;
  DemoCity& city;
  std::string dir;
  size_t persons = 0;
  uint64_t seed = 0;
  Date today;
  std::string period;

  // Three districts, each with communities and a village.
  const std::vector<Unit> units = {
      {"150302001002", "", "150302", false, 1.2},  // 海勃湾区 和平社区
      {"150302001003", "", "150302", false, 1.0},  // 公园社区
      {"150302101203", "", "150302", true, 0.5},   // 新地村 (village)
      {"150303001006", "", "150303", false, 1.0},  // 海南区 新桥社区
      {"150303104239", "", "150303", true, 0.5},   // 渡口村 (village)
      {"150304002001", "", "150304", false, 1.0},  // 乌达区 富强社区
      {"150304002002", "", "150304", false, 0.8},  // 胡杨社区
  };
  const std::map<std::string, std::string> slug_of = {
      {"150302001002", "heping"},  {"150302001003", "gongyuan"}, {"150302101203", "xindi"},
      {"150303001006", "xinqiao"}, {"150303104239", "dukou"},    {"150304002001", "fuqiang"},
      {"150304002002", "huyang"},  {"150302", "haibowan"},       {"150303", "hainan"},
      {"150304", "wuda"}};
  const std::string heping = "heping", t_heping_1 = "t-heping-1", t_heping_2 = "t-heping-2";
  const std::string lost = "t-huyang-2";  // the terminal that gets lost and revoked

  std::vector<std::string> communities;
  std::map<std::string, std::vector<model::Card>> cards;  // by community, in card order
  std::string data;                                       // the card files
  size_t generated_persons = 0, total_stored = 0, total_refused = 0;
  std::vector<std::pair<std::string, std::string>> read_people;  // ID number, entity

  // How long the city may take to agree: every node verifies what it receives, the hub the
  // whole city (about 10,000 signatures a second a core).
  int SettleSeconds() const { return 300 + static_cast<int>(persons / 200); }

  std::string label(const std::string& code) const {
    const model::Division* d = ctx.ref.divisions().Find(code);
    return d ? ShortName(d->name) : code;
  }

  Status Enrol() {
    const auto& div = ctx.ref.divisions();
    // --- 1. the city
    city.Add(MakeNode("office", "信息办", "office", "1503", "hub"));
    city.Add(MakeNode("hub", "市枢纽", "hub", "1503", ""));
    city.Add(MakeNode("police", "市公安局", "department", "1503", "hub", true, "公安"));
    for (const char* d : {"150302", "150303", "150304"}) {
      const model::Division* dv = div.Find(std::string(d) + "000000");
      city.Add(MakeNode(slug_of.at(d), dv ? dv->name : d, "district", d, "hub"));
    }
    for (const Unit& u : units) {
      const std::string slug = slug_of.at(u.code);
      city.Add(MakeNode(slug, label(u.code), "community", u.code, slug_of.at(u.district)));
      for (int t = 1; t <= 2; ++t)
        city.Add(MakeNode("t-" + slug + "-" + std::to_string(t),
                          label(u.code).substr(0, 6) + "终端" + std::to_string(t), "terminal",
                          u.code, slug, false));
    }
    Heading(1, "The city information office creates the root key and enrols every node",
            "   (the office, the hub, a department, 3 districts, 5 communities, 2 villages, 14 "
            "terminals;\n   each has its own keys, certificate and LMDB replica)\n");
    RETURN_IF_ERROR(city.Init());
    for (const std::string& slug : city.order()) RETURN_IF_ERROR(city.Start(slug));
    std::printf("   started %zu node processes on loopback:\n", city.order().size());
    for (const std::string& slug : city.order()) {
      DemoNode& n = city.at(slug);
      std::printf("     %-10s %-10s %-12s pid %-7d %s%s%s\n", DemoCity::Pad(n.label, 10).c_str(),
                  n.kind.c_str(), n.scope.c_str(), static_cast<int>(n.pid),
                  n.listens ? n.endpoint.c_str() : "", n.parent.empty() ? "" : " → ",
                  n.parent.empty() ? "" : city.at(n.parent).label.c_str());
    }
    std::printf("   (logs: %s/logs/)\n", dir.c_str());

    return Status::Ok();
  }

  Status EnterPaperCards() {
    // --- 2. paper cards
    double total_weight = 0;
    for (const Unit& u : units) total_weight += u.weight;
    for (size_t i = 0; i < units.size(); ++i) {
      gen::GenOptions go;
      go.persons =
          static_cast<size_t>(static_cast<double>(persons) * units[i].weight / total_weight);
      go.seed = seed * 31 + i;
      go.error_rate = 0.03;
      go.today = today;
      go.communities = {units[i].code};
      gen::GenStats gs;
      auto& list = cards[units[i].code];
      RETURN_IF_ERROR(gen::GenerateCards(
          ctx.ref, go,
          [&](const model::Card& c) -> Status {
            list.push_back(c);
            return Status::Ok();
          },
          &gs));
      generated_persons += gs.persons;
    }
    Heading(2, "Community workers enter the paper registration cards",
            "   (each card is checked against CARD.md's rules and the people already registered;\n"
            "    a card with an error is refused whole; the daemons push every change upward)\n");
    data = dir + "/cards";
    RETURN_IF_ERROR(MakeDirs(data));
    std::map<std::string, size_t> all_errors;
    for (const Unit& u : units) {
      const auto& list = cards[u.code];
      size_t paper = list.size() * 85 / 100;
      std::string file = data + "/" + slug_of.at(u.code) + "-paper.json";
      RETURN_IF_ERROR(WriteCards(file, list, 0, paper));
      auto started = city.Elapsed();
      DEMO_MUST(out, {"card import", "--dir", city.at(slug_of.at(u.code)).dir, "--json", file},
                true, true);
      ImportTally t = TallyImport(out.out);
      std::printf(
          "     %-10s %5s cards stored (%s persons, %s signed changes), %zu refused, "
          "%zu warnings, %.1f s\n",
          DemoCity::Pad(label(u.code), 10).c_str(), Thousands(t.stored).c_str(),
          Thousands(t.persons).c_str(), Thousands(t.changes).c_str(), t.refused, t.warnings,
          city.Elapsed() - started);
      total_stored += t.stored;
      total_refused += t.refused;
      for (const auto& [code, n] : t.errors) all_errors[code] += n;
      city.ShowEvents();
    }
    std::printf("   refused cards by reason:");
    for (const auto& [code, n] : all_errors) std::printf(" %s×%zu", code.c_str(), n);
    std::printf("\n   (the worker corrects a refused card and enters it again)\n");

    return Status::Ok();
  }

  Status TerminalsCollect() {
    Heading(3, "Mobile terminals collect at the door", "");
    for (const Unit& u : units) {
      const auto& list = cards[u.code];
      size_t from = list.size() * 85 / 100, to = list.size() * 90 / 100;
      std::string file = data + "/" + slug_of.at(u.code) + "-terminal.json";
      RETURN_IF_ERROR(WriteCards(file, list, from, to));
      DEMO_MUST(out,
                {"card import", "--dir", city.at("t-" + slug_of.at(u.code) + "-1").dir, "--tool",
                 "terminal", "--json", file},
                u.code == units[0].code, true);
      ImportTally t = TallyImport(out.out);
      std::printf("     %-10s %s households (%s persons) entered on 终端1, %zu refused\n",
                  DemoCity::Pad(label(u.code), 10).c_str(), Thousands(t.stored).c_str(),
                  Thousands(t.persons).c_str(), t.refused);
    }
    std::printf("   waiting for every node to hold the same data...\n");
    if (!city.Settle(communities, SettleSeconds()))
      return Status::Aborted("the city did not settle");
    std::printf("     %8.1f s  all running nodes agree\n", city.Elapsed());

    return Status::Ok();
  }

  Status ReadIdCards() {
    // --- 4. an ID card read through the reader's simulator
    Heading(4, "A terminal reads second-generation ID cards",
            "   (the simulator speaks the reader's serial protocol on a pseudo-terminal; the real\n"
            "    driver reads it, and the card's values are stored as the terminal's)\n");
    {
      json vc = {{"comment", "the demo's virtual cards"},
                 {"sam_id", "05.01-20240315-0000123456-0000098765"},
                 {"cards", json::array()}};
      const auto& list = cards[units[0].code];
      for (const model::Card& c : list) {
        if (read_people.size() == 3) break;
        if (c.members.empty()) continue;
        const auto& m = c.members[0];
        auto get = [&](const char* k) {
          auto it = m.find(k);
          return it == m.end() ? std::string() : it->second;
        };
        if (get("id_number").size() != 18 || get("birth_date").size() != 10) continue;
        auto entity = city.PersonEntity(heping, get("id_number"));
        if (!entity.ok()) continue;  // a refused card
        std::string birth = get("birth_date");
        birth.erase(std::remove(birth.begin(), birth.end(), '-'), birth.end());
        auto hh = c.household.find("address");
        vc["cards"].push_back({{"label", get("name")},
                               {"kind", "resident_id"},
                               {"name", read_people.size() == 2 ? Slip(get("name")) : get("name")},
                               {"gender", get("gender")},
                               {"ethnicity", get("ethnicity")},
                               {"birth", birth},
                               {"address", hh == c.household.end() ? "" : hh->second},
                               {"id_number", get("id_number")},
                               {"authority", "乌海市公安局海勃湾分局"},
                               {"valid_from", "20200101"},
                               {"valid_to", "20400101"}});
        read_people.emplace_back(get("id_number"), *entity);
      }
      RETURN_IF_ERROR(WriteFileAtomic(dir + "/virtual-cards.json", vc.dump(2)));
    }
    {
      // The simulator runs until stopped; its first line is the port.
      int out[2];
      if (pipe(out) != 0) return Status::Unavailable("cannot start the reader simulator (pipe)");
      std::string bin = SelfPath();
      pid_t sim = fork();
      if (sim == 0) {
        BecomeChild();
        dup2(out[1], 1);
        int devnull = ::open("/dev/null", O_WRONLY);
        if (devnull >= 0) dup2(devnull, 2);
        close(out[0]);
        close(out[1]);
        Exec(bin, {"device sim-id", "--cards", dir + "/virtual-cards.json"});
      }
      close(out[1]);
      std::string port;
      char ch;
      while (read(out[0], &ch, 1) == 1 && ch != '\n') port += ch;
      std::printf("   $ shequ device sim-id --cards virtual-cards.json   → reader on %s\n",
                  port.c_str());
      for (const auto& [id, entity] : read_people) {
        Output o = city.Shequ({"person read-id", "--dir", city.at(t_heping_1).dir, "--entity",
                               entity, "--port", port, "--json"});
        json j = json::parse(o.out, nullptr, false);
        std::string what = std::string(Trim(o.err));
        if (o.code == 0 && j.is_object())
          what = std::to_string(j.value("fields_written", 0)) +
                 " fields recorded as the terminal's (姓名 on the card: " +
                 Utf8Prefix(j["fields"].value("name", std::string()), 1) + "*)";
        std::printf("     read %s********%s: %s\n", id.substr(0, 6).c_str(), id.substr(14).c_str(),
                    what.c_str());
      }
      if (read_people.size() == 3)
        std::printf(
            "   the third card's name differs from the paper card's (a slip of the pen): the ID\n"
            "   card's value now stands, and the assessment counts that paper field as "
            "inconsistent\n");
      kill(sim, SIGTERM);
      waitpid(sim, nullptr, 0);
      close(out[0]);
    }

    return Status::Ok();
  }

  Status ConflictingEdits() {
    // --- 5. conflicting edits
    Heading(
        5, "Two tools disagree",
        "   (和平社区终端2 is out of coverage; its worker corrects a resident's name while the\n"
        "    office clerk corrects the same name differently on the platform)\n");
    const std::string conflict_entity = read_people.empty() ? "" : read_people[0].second;
    if (!conflict_entity.empty()) {
      std::string name;
      for (const model::Card& c : cards[units[0].code])
        for (const auto& m : c.members)
          if (m.count("id_number") && m.at("id_number") == read_people[0].first)
            name = m.at("name");
      const std::string surname = Utf8Prefix(name, 1);
      const std::string rest = name.substr(Utf8Prefix(name, 2).size());
      const std::string by_terminal = surname + "晓" + rest, by_clerk = surname + "小" + rest;
      city.Stop(t_heping_2);
      DEMO_MUST(e1, {"person set", "--dir", city.at(t_heping_2).dir, "--tool", "terminal",
                     "--entity", conflict_entity, "name=" + by_terminal});
      DEMO_MUST(e2, {"person set", "--dir", city.at(heping).dir, "--entity", conflict_entity,
                     "name=" + by_clerk});
      RETURN_IF_ERROR(city.Start(t_heping_2));
      std::printf("   终端2 is back in coverage and syncs:\n");
      if (!city.Settle({units[0].code}, 120)) return Status::Aborted("no convergence");
      DEMO_MUST(cf, {"conflicts", "--dir", city.at(heping).dir});
      const std::string listing(Trim(cf.out));
      for (std::string_view line : Split(listing, '\n'))
        std::printf("     %s\n", std::string(line).c_str());
      auto review_line = [&] {
        std::string line;
        for (const char* slug : {"heping", "t-heping-1", "haibowan", "hub"})
          line += " " + city.at(slug).label + " " + std::to_string(city.CountsOf(slug).review);
        return line;
      };
      std::printf("   conflicted fields in the review queues:%s\n", review_line().c_str());
      DEMO_MUST(rs, {"resolve", "--dir", city.at(heping).dir, "--entity", conflict_entity,
                     "name=" + by_terminal});
      if (!city.Settle({units[0].code}, 120)) return Status::Aborted("no convergence");
      std::printf(
          "   resolved at the community (the clerk checks the ID card: the terminal's); "
          "review queues:%s\n",
          review_line().c_str());
    }

    return Status::Ok();
  }

  Status Move() {
    // --- 6. a person moves
    Heading(6, "A resident moves from 和平社区 to 公园社区",
            "   (the move-out is written into the destination's scope and carried by the "
            "district)\n");
    if (read_people.size() > 1) {
      const std::string mover = read_people[1].second;
      DEMO_MUST(tr, {"transfer out", "--dir", city.at(heping).dir, "--entity", mover, "--to",
                     units[1].code, "--reason", "购房迁居"});
      std::string transfer;
      if (StartsWith(tr.out, "transfer ")) transfer = tr.out.substr(9, 32);
      auto deadline = Clock::now() + std::chrono::seconds(60);
      bool arrived = false;
      while (!arrived && Clock::now() < deadline && !g_interrupted) {
        Output l = city.Shequ({"transfer list", "--dir", city.at("gongyuan").dir, "--json"}, false);
        arrived = l.out.find(transfer) != std::string::npos && !transfer.empty();
        if (!arrived) std::this_thread::sleep_for(std::chrono::milliseconds(300));
      }
      if (!arrived) return Status::Aborted("the transfer did not reach 公园社区");
      std::printf("     %8.1f s  公园社区 sees the incoming transfer\n", city.Elapsed());
      const auto& dest = cards[units[1].code];
      std::string card_no = dest.empty() ? "" : dest[0].card_no;
      for (const model::Card& c : dest)
        if (!c.members.empty()) {
          card_no = c.card_no;
          break;
        }
      Output acc = city.Shequ({"transfer accept", "--dir", city.at("gongyuan").dir, "--transfer",
                               transfer, "--household", card_no, "--relationship", "99"});
      std::printf("     %s\n", std::string(Trim(acc.code == 0 ? acc.out : acc.err)).c_str());
    }

    return Status::Ok();
  }

  Status VillageOffline() {
    // --- 7. a village goes offline
    Heading(7, "新地村's link goes down for a while",
            "   (the village keeps working: it enters its remaining cards offline)\n");
    {
      const Unit& v = units[2];
      const std::string slug = slug_of.at(v.code);
      city.Stop(slug, SIGKILL);
      std::printf("   the village node is cut off (its process killed with SIGKILL)\n");
      const auto& list = cards[v.code];
      std::string file = data + "/" + slug + "-offline.json";
      RETURN_IF_ERROR(WriteCards(file, list, list.size() * 90 / 100, list.size()));
      DEMO_MUST(out, {"card import", "--dir", city.at(slug).dir, "--json", file}, true, true);
      ImportTally t = TallyImport(out.out);
      std::string d1 = *city.Digest(slug, v.code), d2 = *city.Digest("haibowan", v.code);
      std::printf("     %zu cards stored offline; the village's digest %s… ≠ the district's %s…\n",
                  t.stored, d1.substr(0, 12).c_str(), d2.substr(0, 12).c_str());
      std::this_thread::sleep_for(std::chrono::seconds(2));
      RETURN_IF_ERROR(city.Start(slug));
      std::printf("   the link is back:\n");
      if (!city.Settle({v.code}, 120)) return Status::Aborted("the village did not catch up");
      std::printf("     %8.1f s  新地村 and 海勃湾区 agree again\n", city.Elapsed());
    }

    return Status::Ok();
  }

  Status UsbBundle() {
    // --- 8. a terminal carries its changes on a USB stick
    Heading(8, "富强社区终端2 brings its work back on a USB stick",
            "   (no VPN in the field: the terminal exports a bundle of signed changes)\n");
    {
      const Unit& u = units[5];
      const std::string slug = slug_of.at(u.code), term = "t-" + slug + "-2";
      city.Stop(term);
      const auto& list = cards[u.code];
      std::string file = data + "/" + term + ".json";
      RETURN_IF_ERROR(WriteCards(file, list, list.size() * 90 / 100, list.size()));
      DEMO_MUST(imp,
                {"card import", "--dir", city.at(term).dir, "--tool", "terminal", "--json", file},
                true, true);
      ImportTally t = TallyImport(imp.out);
      std::printf("     %zu households entered on the terminal\n", t.stored);
      std::string usb = dir + "/usb-fuqiang-2.bundle";
      DEMO_MUST(ex,
                {"changes export", "--dir", city.at(term).dir, "--out", usb, "--scope", u.code});
      DEMO_MUST(im, {"changes import", "--dir", city.at(slug).dir, "--json", usb});
      json j = json::parse(im.out, nullptr, false);
      std::printf("     the community applied %s changes (%s already there, %s rejected)\n",
                  j.is_object() ? std::to_string(j.value("applied", 0)).c_str() : "?",
                  j.is_object() ? std::to_string(j.value("duplicates", 0)).c_str() : "?",
                  j.is_object() ? std::to_string(j.value("rejected", 0)).c_str() : "?");
      RETURN_IF_ERROR(city.Start(term));
    }

    return Status::Ok();
  }

  Status LostTerminal() {
    // --- 9. a lost terminal
    Heading(9, "胡杨社区终端2 is lost; the office revokes it",
            "   (whoever finds it can still write on it; nothing it signs after the revocation\n"
            "    is accepted, and nobody lets it connect)\n");
    {
      city.Stop(lost);
      DEMO_MUST(rv, {"node revoke", "--city", dir + "/city", "--node", city.at(lost).id, "--reason",
                     "终端遗失", "--dir", city.at("office").dir});
      const std::string revoked_id = city.at(lost).id;
      auto deadline = Clock::now() + std::chrono::seconds(60);
      while (!city.KnowsRevocation("huyang", revoked_id) && Clock::now() < deadline &&
             !g_interrupted)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      city.ShowEvents();
      std::printf(
          "     %8.1f s  the revocation has reached 胡杨社区 (office → hub → 乌达区 → 胡杨社区)\n",
          city.Elapsed());
      // The finder edits a resident on the lost terminal and tries to deliver it.
      const auto& list = cards[units[6].code];
      std::string victim;
      for (const model::Card& c : list) {
        if (c.members.empty() || !c.members[0].count("id_number")) continue;
        auto e = city.PersonEntity(lost, c.members[0].at("id_number"));
        if (e.ok()) {
          victim = *e;
          break;
        }
      }
      if (!victim.empty()) {
        DEMO_MUST(w, {"person set", "--dir", city.at(lost).dir, "--tool", "terminal", "--entity",
                      victim, "phone=13800000000"});
        std::string usb = dir + "/lost-terminal.bundle";
        DEMO_MUST(ex, {"changes export", "--dir", city.at(lost).dir, "--out", usb, "--scope",
                       units[6].code});
        Output im = city.Shequ({"changes import", "--dir", city.at("huyang").dir, "--json", usb});
        json j = json::parse(im.out, nullptr, false);
        if (j.is_object())
          std::printf("     胡杨社区: %d applied, %d rejected%s\n", j.value("applied", 0),
                      j.value("rejected", 0),
                      j["rejections"].empty()
                          ? ""
                          : (" — " + j["rejections"][0].value("reason", "")).c_str());
      }
      RETURN_IF_ERROR(city.Start(lost));
      std::this_thread::sleep_for(std::chrono::seconds(2));
      city.ShowEvents();
      city.Stop(lost);
      city.at(lost).pid = -1;
    }

    return Status::Ok();
  }

  Status AssessmentInputs() {
    // --- 10. assessment inputs
    Heading(10, "The communities fill in their profiles; the districts enter the checklist", "");
    for (size_t i = 0; i < units.size(); ++i) {
      const Unit& u = units[i];
      const std::string slug = slug_of.at(u.code);
      std::vector<std::string> a = {"community set",
                                    "--dir",
                                    city.at(slug).dir,
                                    "--community",
                                    u.code,
                                    "name=" + label(u.code),
                                    "office_phone=0473" + std::to_string(3100000 + i * 1111),
                                    "head=" + std::string(i % 2 ? "李" : "王") + "主任",
                                    "staff_count=" + std::to_string(6 + i)};
      if (!u.village) {  // the villages leave half of their profile empty
        a.push_back("office_address=" + label(u.code) + "服务中心");
        a.push_back("grid_count=" + std::to_string(4 + i));
        a.push_back("service_items=社保认证,低保申请,计生服务,就业登记");
        a.push_back("service_hours=周一至周五 8:30-17:30");
        a.push_back("area=" + std::to_string(1 + i % 3) + ".5");
        a.push_back("households_served=" + std::to_string(cards[u.code].size()));
      }
      DEMO_MUST(cs, a, i == 0);
      std::vector<std::string> in = {"assess input",
                                     "--dir",
                                     city.at(slug_of.at(u.district)).dir,
                                     "--community",
                                     u.code,
                                     "--period",
                                     period,
                                     "confidentiality_rules=1",
                                     "terminal_rules=1",
                                     "pledge=1",
                                     "card_cabinet=" + std::string(u.village ? "0" : "1"),
                                     "training=" + std::string(i % 3 == 2 ? "0" : "1"),
                                     "innovation=" + std::to_string(5 - i % 4)};
      DEMO_MUST(ai, in, i == 0);
    }
    std::printf("     (and the same for the other %zu units)\n", units.size() - 1);

    return Status::Ok();
  }

  Status Converge() {
    // --- 11. convergence
    Heading(11, "Every node converges", "");
    if (!city.Settle(communities, SettleSeconds()))
      return Status::Aborted("the city did not converge");
    size_t checked = 0;
    city.at(lost).pid = 0;  // excluded below: revoked, nobody syncs with it
    {
      size_t pairs = 0;
      for (const std::string& c : communities)
        for (const std::string& slug : city.order())
          if (slug != lost && city.at(slug).Covers(c)) ++pairs;
      checked = pairs;
    }
    city.at(lost).pid = -1;
    std::printf("   %-12s %-11s %9s %7s %9s\n", "node", "kind", "changes", "review", "rejected");
    for (const std::string& slug : city.order()) {
      DemoNode& n = city.at(slug);
      auto c = city.CountsOf(slug);
      std::printf("   %s %-11s %9s %7zu %9zu%s\n", DemoCity::Pad(n.label, 12).c_str(),
                  n.kind.c_str(), Thousands(c.changes).c_str(), c.review, c.rejected,
                  slug == lost ? "   (revoked, stopped)" : "");
    }
    std::printf(
        "   all %zu running nodes converged: %zu (node, community) state digests compared, "
        "all identical\n",
        city.order().size() - 1, checked);

    return Status::Ok();
  }

  Status Assess() {
    // --- 12. the assessment
    Heading(12, "The hub scores the period from the data itself (第二十条–第二十六条)", "");
    DEMO_MUST(score, {"score", "--dir", city.at("hub").dir, "--period", period});
    std::printf("%s", score.out.c_str());
    std::string report = dir + "/assessment-" + period + ".html";
    DEMO_MUST(html, {"score", "--dir", city.at("hub").dir, "--period", period, "--format", "html",
                     "--out", report});
    std::printf("   report written: %s\n", report.c_str());
    DEMO_MUST(dept, {"person show", "--dir", city.at("police").dir, "--id",
                     read_people.empty() ? "" : read_people[0].first});
    std::printf("   the police department reads what it may, without asking the community:\n");
    int shown = 0;
    for (std::string_view line : Split(dept.out, '\n'))
      if (shown++ < 8) std::printf("     %s\n", std::string(line).c_str());

    return Status::Ok();
  }
};

#undef DEMO_MUST

int Demo(const std::vector<std::string>& argv, Context& ctx) {
  static const Command self{"demo", "[--keep DIR] [--persons N] [--seed S] [--no-ui]", "", nullptr};
  int rc = 0;
  auto args = ParseOrUsage(argv, self, {"no-ui"}, {"keep", "persons", "seed"}, &rc);
  if (!args) return rc;
  size_t persons = 20000;
  if (auto p = args->Get("persons")) {
    if (!AllDigits(*p) || p->size() > 8 || std::stoull(*p) < 700)
      return Fail(Status::Invalid("--persons must be a number from 700 to 99,999,999"));
    persons = std::stoull(*p);
  }
  uint64_t seed = 2026;
  if (auto s = args->Get("seed")) {
    if (!AllDigits(*s) || s->size() > 18) return Fail(Status::Invalid("--seed must be a number"));
    seed = std::stoull(*s);
  }
  std::string dir;
  bool keep = args->Has("keep");
  if (keep) {
    dir = *args->Get("keep");
    if (FileExists(dir + "/city"))
      return Fail(Status::Exists(dir + " already holds a demo city; choose another directory"));
    if (Status st = MakeDirs(dir); !st.ok()) return Fail(st);
    if (dir[0] != '/') {
      char cwd[4096];
      if (getcwd(cwd, sizeof cwd)) dir = std::string(cwd) + "/" + dir;
    }
  } else {
    char tmpl[] = "/tmp/shequ-demo-XXXXXX";
    if (!mkdtemp(tmpl)) return Fail(Status::Unavailable("cannot create a temporary directory"));
    dir = tmpl;
  }
  std::signal(SIGINT, OnInterrupt);
  std::signal(SIGTERM, OnInterrupt);
  std::signal(SIGPIPE, SIG_IGN);

  DemoCity city(ctx, dir);
  Scenario play(ctx, city);
  play.dir = dir;
  play.persons = persons;
  play.seed = seed;
  play.today = Today();
  play.period = PeriodOf(play.today);
  for (const Unit& u : play.units) play.communities.push_back(u.code);
  const std::string& period = play.period;
  auto finish = [&](int code) {
    size_t stopped = city.StopAll();
    if (g_interrupted) std::printf("\ninterrupted: stopped %zu node processes\n", stopped);
    if (!keep) {
      std::string rm = "rm -rf '" + dir + "'";
      if (std::system(rm.c_str()) != 0) std::fprintf(stderr, "could not remove %s\n", dir.c_str());
    }
    return g_interrupted ? 130 : code;
  };

  std::printf("shequ demo — 乌海市社区基础信息采集, a city in one command\n");
  std::printf("directory %s; today %s, assessment period %s; %s persons, seed %llu\n", dir.c_str(),
              play.today.ToString().c_str(), period.c_str(), Thousands(persons).c_str(),
              static_cast<unsigned long long>(seed));
  using Act = Status (Scenario::*)();
  for (Act act : {&Scenario::Enrol, &Scenario::EnterPaperCards, &Scenario::TerminalsCollect,
                  &Scenario::ReadIdCards, &Scenario::ConflictingEdits, &Scenario::Move,
                  &Scenario::VillageOffline, &Scenario::UsbBundle, &Scenario::LostTerminal,
                  &Scenario::AssessmentInputs, &Scenario::Converge, &Scenario::Assess}) {
    Status st = (play.*act)();
    if (g_interrupted) return finish(kExitFailure);
    if (!st.ok()) {
      std::fprintf(stderr, "shequ demo: %s\n", st.ToString().c_str());
      if (keep) std::fprintf(stderr, "the city and the node logs are in %s\n", dir.c_str());
      return finish(kExitFailure);
    }
  }
  std::printf(
      "\nDone in %.1f s: %zu node processes, %s persons generated, %s paper cards stored, "
      "%s refused.\n",
      city.Elapsed(), city.order().size(), Thousands(play.generated_persons).c_str(),
      Thousands(play.total_stored).c_str(), Thousands(play.total_refused).c_str());
  const char* display = std::getenv("DISPLAY");
  if (display && *display && !args->Has("no-ui")) {
    std::printf("Opening the front end on the hub (close its window to finish)...\n");
    std::fflush(stdout);
    Output ui = city.Shequ({"ui", "--dir", city.at("hub").dir}, true);
    if (ui.code != 0) std::printf("   the front end exited %d: %s\n", ui.code, ui.err.c_str());
  }
  if (keep) {
    std::printf("The city is kept in %s (the nodes are stopped). Try:\n", dir.c_str());
    std::printf("  shequ node show --dir %s/hub\n", dir.c_str());
    std::printf("  shequ conflicts --dir %s/heping\n", dir.c_str());
    std::printf("  shequ score --dir %s/hub --period %s --format html --out report.html\n",
                dir.c_str(), period.c_str());
    std::printf("  shequ ui --dir %s/hub\n", dir.c_str());
  } else {
    std::printf("(run with --keep DIR to keep the city for exploring)\n");
  }
  return finish(kExitOk);
}

}  // namespace

std::vector<Command> DemoCommands() {
  return {{"demo", "[--keep DIR] [--persons N] [--seed S] [--no-ui]",
           "a city in one command: every node its own process on loopback, collection work, "
           "convergence, the assessment",
           Demo}};
}

}  // namespace shequ::cli
