#include "tools/chaos/network.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "node/base/file.h"
#include "node/base/text.h"
#include "tools/chaos/process.h"

namespace shequ::chaos {

namespace {

constexpr char kBase[] = "shqc";
constexpr int kPort = 7000;

std::string Address(int node) { return "10.231.0." + std::to_string(10 + node); }

// The pid in a name "shqc<pid>..." (0 if it is not one of ours).
pid_t PidOfName(std::string_view name) {
  if (!StartsWith(name, kBase)) return 0;
  size_t i = sizeof kBase - 1, start = i;
  while (i < name.size() && name[i] >= '0' && name[i] <= '9') ++i;
  if (i == start || i - start > 9) return 0;
  return static_cast<pid_t>(std::stol(std::string(name.substr(start, i - start))));
}

// A harness that still runs: the pid exists and is a `chaos` process.
bool HarnessAlive(pid_t pid) {
  if (pid == ::getpid()) return true;
  if (::kill(pid, 0) != 0 && errno == ESRCH) return false;
  auto comm = ReadFile("/proc/" + std::to_string(pid) + "/comm");
  return comm.ok() && std::string(Trim(*comm)) == "chaos";
}

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(n);
  }
  ::closedir(d);
  return out;
}

class NetnsNetwork : public Network {
 public:
  explicit NetnsNetwork(std::string prefix) : prefix_(std::move(prefix)) {}
  ~NetnsNetwork() override { Teardown(); }

  std::string Describe() const override {
    return "network namespaces " + prefix_ + "-*, veth pairs to bridge " + Bridge() +
           ", 10.231.0.0/24";
  }
  bool namespaces() const override { return true; }

  Status Setup(const std::vector<std::string>& names,
               const std::vector<std::pair<int, int>>& links) override {
    (void)links;
    names_ = names;
    const int nodes = static_cast<int>(names.size());
    nodes_ = nodes;
    RETURN_IF_ERROR(Ip({"link", "add", Bridge(), "type", "bridge"}));
    made_bridge_ = true;
    RETURN_IF_ERROR(Ip({"link", "set", Bridge(), "up"}));
    for (int i = 0; i < nodes; ++i) {
      std::string ns = Ns(i), host = HostSide(i), inner = prefix_ + "n" + std::to_string(i);
      RETURN_IF_ERROR(Ip({"netns", "add", ns}));
      made_ns_.push_back(ns);
      RETURN_IF_ERROR(Ip({"link", "add", host, "type", "veth", "peer", "name", inner}));
      RETURN_IF_ERROR(Ip({"link", "set", inner, "netns", ns}));
      RETURN_IF_ERROR(Ip({"-n", ns, "link", "set", inner, "name", "eth0"}));
      RETURN_IF_ERROR(Ip({"-n", ns, "addr", "add", Address(i) + "/24", "dev", "eth0"}));
      RETURN_IF_ERROR(Ip({"-n", ns, "link", "set", "eth0", "up"}));
      RETURN_IF_ERROR(Ip({"-n", ns, "link", "set", "lo", "up"}));
      RETURN_IF_ERROR(Ip({"link", "set", host, "master", Bridge()}));
      RETURN_IF_ERROR(Ip({"link", "set", host, "up"}));
    }
    return Probe();
  }

  std::string ListenEndpoint(int node) const override {
    return "tcp://" + Address(node) + ":" + std::to_string(kPort);
  }
  std::string DialEndpoint(int, int listener) const override { return ListenEndpoint(listener); }
  std::string NamespacePath(int node) const override { return "/run/netns/" + Ns(node); }

  Status SetIsolated(int node, bool isolated) override {
    return Ip({"link", "set", HostSide(node), isolated ? "down" : "up"});
  }
  Status SetCut(int a, int b, bool cut) override {
    for (auto [from, to] : {std::pair{a, b}, std::pair{b, a}}) {
      Status st =
          Ip({"-n", Ns(from), "route", cut ? "add" : "del", "blackhole", Address(to) + "/32"});
      if (!st.ok()) return st;
    }
    return Status::Ok();
  }

  void Teardown() override {
    for (const std::string& ns : made_ns_) (void)Ip({"netns", "del", ns});
    made_ns_.clear();
    for (int i = 0; i < nodes_; ++i)
      if (::access(("/sys/class/net/" + HostSide(i)).c_str(), F_OK) == 0)
        (void)Ip({"link", "del", HostSide(i)});
    if (made_bridge_) (void)Ip({"link", "del", Bridge()});
    made_bridge_ = false;
    nodes_ = 0;
  }

 private:
  std::string Ns(int i) const { return prefix_ + "-" + names_[static_cast<size_t>(i)]; }
  std::string HostSide(int i) const { return prefix_ + "v" + std::to_string(i); }
  std::string Bridge() const { return prefix_ + "br"; }

  // Every node reaches node 0 over TCP (a host that filters bridged traffic would stop here
  // rather than make a run whose links never work).
  Status Probe() {
    const int probe_port = 7999;
    std::string failed;
    pid_t server = ::fork();
    if (server == 0) {
      int fd = ::open(NamespacePath(0).c_str(), O_RDONLY);
      if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) ::_exit(1);
      int s = ::socket(AF_INET, SOCK_STREAM, 0);
      int one = 1;
      ::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(probe_port);
      ::inet_pton(AF_INET, Address(0).c_str(), &a.sin_addr);
      if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(s, 64) != 0)
        ::_exit(2);
      ::alarm(30);
      for (;;) {
        int c = ::accept(s, nullptr, nullptr);
        if (c >= 0) ::close(c);
      }
    }
    for (int i = 1; i < nodes_ && failed.empty(); ++i) {
      bool ok = false;
      for (int attempt = 0; attempt < 50 && !ok; ++attempt) {
        pid_t client = ::fork();
        if (client == 0) {
          int fd = ::open(NamespacePath(i).c_str(), O_RDONLY);
          if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) ::_exit(1);
          int s = ::socket(AF_INET, SOCK_STREAM, 0);
          sockaddr_in a{};
          a.sin_family = AF_INET;
          a.sin_port = htons(probe_port);
          ::inet_pton(AF_INET, Address(0).c_str(), &a.sin_addr);
          ::alarm(2);
          ::_exit(::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 ? 0 : 3);
        }
        int status = 0;
        ::waitpid(client, &status, 0);
        ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        if (!ok) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      if (!ok) failed = Ns(i) + " cannot reach " + Address(0) + " over the bridge";
    }
    ::kill(server, SIGKILL);
    ::waitpid(server, nullptr, 0);
    if (!failed.empty())
      return Status::Unavailable(failed +
                                 " (does this host filter bridged traffic, br_netfilter?)");
    return Status::Ok();
  }

  std::string prefix_;
  std::vector<std::string> names_;
  int nodes_ = 0;
  bool made_bridge_ = false;
  std::vector<std::string> made_ns_;
};

// ---------------------------------------------------------------- loopback and relay

int FreePort() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = 0;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = 0;
  if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(s);
  return port;
}

class LoopbackNetwork : public Network {
 public:
  ~LoopbackNetwork() override { Teardown(); }

  std::string Describe() const override {
    return "loopback (127.0.0.1), every link through the harness's TCP relay";
  }
  bool namespaces() const override { return false; }

  Status Setup(const std::vector<std::string>& names,
               const std::vector<std::pair<int, int>>& links) override {
    for (size_t i = 0; i < names.size(); ++i) {
      int p = FreePort();
      if (!p) return Status::Unavailable("no free port on 127.0.0.1");
      ports_.push_back(p);
    }
    for (auto [dialer, listener] : links) {
      Link l;
      l.dialer = dialer;
      l.listener = listener;
      l.listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      socklen_t len = sizeof a;
      if (::bind(l.listen_fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
          ::listen(l.listen_fd, 16) != 0 ||
          ::getsockname(l.listen_fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        return Status::Unavailable(std::string("relay: cannot listen: ") + std::strerror(errno));
      l.port = ntohs(a.sin_port);
      links_.push_back(std::move(l));
    }
    running_ = true;
    thread_ = std::thread([this] { Pump(); });
    return Status::Ok();
  }

  std::string ListenEndpoint(int node) const override {
    return "tcp://127.0.0.1:" + std::to_string(ports_[static_cast<size_t>(node)]);
  }
  std::string DialEndpoint(int dialer, int listener) const override {
    for (const Link& l : links_)
      if (l.dialer == dialer && l.listener == listener)
        return "tcp://127.0.0.1:" + std::to_string(l.port);
    return ListenEndpoint(listener);
  }
  std::string NamespacePath(int) const override { return ""; }

  Status SetIsolated(int node, bool isolated) override {
    std::lock_guard lock(mu_);
    if (isolated)
      isolated_.insert(node);
    else
      isolated_.erase(node);
    return Status::Ok();
  }
  Status SetCut(int a, int b, bool cut) override {
    std::lock_guard lock(mu_);
    auto key = std::minmax(a, b);
    if (cut)
      cut_.insert(key);
    else
      cut_.erase(key);
    return Status::Ok();
  }

  void Teardown() override {
    if (running_) {
      running_ = false;
      thread_.join();
    }
    for (Link& l : links_) {
      if (l.listen_fd >= 0) ::close(l.listen_fd);
      l.listen_fd = -1;
      for (auto [down, up] : l.conns) {
        ::close(down);
        ::close(up);
      }
      l.conns.clear();
    }
  }

 private:
  struct Link {
    int dialer = -1, listener = -1, listen_fd = -1, port = 0;
    std::vector<std::pair<int, int>> conns;  // dialer side, listener side
  };

  bool Blocked(const Link& l) {
    std::lock_guard lock(mu_);
    return isolated_.count(l.dialer) || isolated_.count(l.listener) ||
           cut_.count(std::minmax(l.dialer, l.listener));
  }

  static bool Forward(int from, int to) {
    char buf[65536];
    ssize_t n = ::read(from, buf, sizeof buf);
    if (n <= 0) return false;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = ::write(to, buf + off, static_cast<size_t>(n - off));
      if (w <= 0) return false;
      off += w;
    }
    return true;
  }

  void Pump() {
    while (running_) {
      std::vector<pollfd> fds;
      std::vector<std::pair<size_t, int>> where;  // link, -1 listen / conn index * 2 + side
      for (size_t li = 0; li < links_.size(); ++li) {
        Link& l = links_[li];
        if (Blocked(l)) {  // a partition: what was open is cut
          for (auto [down, up] : l.conns) {
            ::close(down);
            ::close(up);
          }
          l.conns.clear();
        }
        fds.push_back({l.listen_fd, POLLIN, 0});
        where.push_back({li, -1});
        for (size_t ci = 0; ci < l.conns.size(); ++ci) {
          fds.push_back({l.conns[ci].first, POLLIN, 0});
          where.push_back({li, static_cast<int>(ci * 2)});
          fds.push_back({l.conns[ci].second, POLLIN, 0});
          where.push_back({li, static_cast<int>(ci * 2 + 1)});
        }
      }
      if (::poll(fds.data(), fds.size(), 20) <= 0) continue;
      std::set<std::pair<size_t, size_t>> dead;
      for (size_t i = 0; i < fds.size(); ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        auto [li, slot] = where[i];
        Link& l = links_[li];
        if (slot < 0) {
          int down = ::accept4(l.listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
          if (down < 0) continue;
          if (Blocked(l)) {
            ::close(down);
            continue;
          }
          int up = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
          sockaddr_in a{};
          a.sin_family = AF_INET;
          a.sin_port = htons(static_cast<uint16_t>(ports_[static_cast<size_t>(l.listener)]));
          a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
          if (::connect(up, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            ::close(up);
            ::close(down);
            continue;
          }
          l.conns.push_back({down, up});
          continue;
        }
        size_t ci = static_cast<size_t>(slot / 2);
        if (dead.count({li, ci})) continue;
        auto [down, up] = l.conns[ci];
        bool ok = slot % 2 == 0 ? Forward(down, up) : Forward(up, down);
        if (!ok) dead.insert({li, ci});
      }
      for (auto it = dead.rbegin(); it != dead.rend(); ++it) {
        Link& l = links_[it->first];
        ::close(l.conns[it->second].first);
        ::close(l.conns[it->second].second);
        l.conns.erase(l.conns.begin() + static_cast<std::ptrdiff_t>(it->second));
      }
    }
  }

  std::vector<int> ports_;
  std::vector<Link> links_;
  std::mutex mu_;
  std::set<int> isolated_;
  std::set<std::pair<int, int>> cut_;
  std::atomic<bool> running_{false};
  std::thread thread_;
};

}  // namespace

std::string RunPrefix() { return std::string(kBase) + std::to_string(::getpid()); }

int CleanLeftovers() {
  int removed = 0;
  for (const std::string& ns : ListDir("/run/netns")) {
    pid_t pid = PidOfName(ns);
    if (pid && !HarnessAlive(pid) && Ip({"netns", "del", ns}).ok()) ++removed;
  }
  for (const std::string& link : ListDir("/sys/class/net")) {
    pid_t pid = PidOfName(link);
    if (pid && !HarnessAlive(pid) && Ip({"link", "del", link}).ok()) ++removed;
  }
  return removed;
}

bool CanMakeNamespaces(std::string* why) {
  if (::geteuid() != 0) {
    *why = "not running as root";
    return false;
  }
  std::string probe = RunPrefix() + "-probe";
  Status st = Ip({"netns", "add", probe});
  if (!st.ok()) {
    *why = st.message();
    return false;
  }
  (void)Ip({"netns", "del", probe});
  return true;
}

std::unique_ptr<Network> MakeNetnsNetwork(const std::string& prefix) {
  return std::make_unique<NetnsNetwork>(prefix);
}
std::unique_ptr<Network> MakeLoopbackNetwork() { return std::make_unique<LoopbackNetwork>(); }

}  // namespace shequ::chaos
