#include "tools/chaos/process.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

extern char** environ;

namespace shequ::chaos {

namespace {

std::vector<std::string> MergedEnvironment(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string_view entry = *e;
    std::string_view name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const std::string& x : extra)
      if (std::string_view(x).substr(0, x.find('=')) == name) replaced = true;
    if (!replaced) env.emplace_back(entry);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

Exit ExitOf(int status) {
  Exit e;
  if (WIFSIGNALED(status)) {
    e.signaled = true;
    e.code = WTERMSIG(status);
  } else {
    e.code = WEXITSTATUS(status);
  }
  return e;
}

// Everything the child needs is prepared before fork: between fork and exec it only makes
// system calls.
struct Prepared {
  std::vector<std::string> argv_storage, env_storage;
  std::vector<char*> argv, env;
  int netns_fd = -1, out_fd = -1, err_fd = -1;

  ~Prepared() {
    for (int fd : {netns_fd, out_fd, err_fd})
      if (fd >= 0) ::close(fd);
  }
};

Status Prepare(const SpawnOptions& o, Prepared* p) {
  if (o.argv.empty()) return Status::Invalid("nothing to run");
  p->argv_storage = o.argv;
  p->env_storage = MergedEnvironment(o.env);
  for (std::string& a : p->argv_storage) p->argv.push_back(a.data());
  p->argv.push_back(nullptr);
  for (std::string& e : p->env_storage) p->env.push_back(e.data());
  p->env.push_back(nullptr);
  if (!o.netns.empty()) {
    p->netns_fd = ::open(o.netns.c_str(), O_RDONLY | O_CLOEXEC);
    if (p->netns_fd < 0)
      return Status::Unavailable("cannot open network namespace " + o.netns + ": " +
                                 std::strerror(errno));
  }
  auto open_out = [](const std::string& path, int* fd) -> Status {
    *fd = ::open(path.empty() ? "/dev/null" : path.c_str(),
                 O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (*fd < 0) return Status::Unavailable("cannot open " + path + ": " + std::strerror(errno));
    return Status::Ok();
  };
  RETURN_IF_ERROR(open_out(o.stdout_path, &p->out_fd));
  RETURN_IF_ERROR(open_out(o.stderr_path, &p->err_fd));
  return Status::Ok();
}

[[noreturn]] void ExecChild(const Prepared& p, pid_t parent, int out_fd, int err_fd) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(125);  // the harness died before the line above
  // The harness may block these; a daemon must see SIGTERM.
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGINT, SIG_DFL);
  ::signal(SIGTERM, SIG_DFL);
  ::signal(SIGPIPE, SIG_DFL);
  if (p.netns_fd >= 0 && ::setns(p.netns_fd, CLONE_NEWNET) != 0) ::_exit(126);
  int in = ::open("/dev/null", O_RDONLY);
  if (in >= 0) ::dup2(in, 0);
  ::dup2(out_fd, 1);
  ::dup2(err_fd, 2);
  ::execve(p.argv[0], p.argv.data(), p.env.data());
  ::_exit(127);
}

}  // namespace

std::string Exit::ToString() const {
  return signaled ? "killed by signal " + std::to_string(code) : "exit " + std::to_string(code);
}

Result<pid_t> Spawn(const SpawnOptions& options) {
  Prepared p;
  RETURN_IF_ERROR(Prepare(options, &p));
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return Status::Unavailable(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) ExecChild(p, parent, p.out_fd, p.err_fd);
  return pid;
}

std::optional<Exit> TryReap(pid_t pid) {
  int status = 0;
  pid_t r = ::waitpid(pid, &status, WNOHANG);
  if (r == pid) return ExitOf(status);
  if (r < 0 && errno == ECHILD) return Exit{true, 0};  // already reaped elsewhere
  return std::nullopt;
}

Exit WaitFor(pid_t pid, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto e = TryReap(pid)) return *e;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return ExitOf(status);
}

Exit Stop(pid_t pid, int sig, std::chrono::milliseconds grace) {
  ::kill(pid, sig);
  if (sig == SIGKILL) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return ExitOf(status);
  }
  return WaitFor(pid, grace);
}

Result<Captured> Capture(const SpawnOptions& options, std::chrono::milliseconds limit) {
  Prepared p;
  RETURN_IF_ERROR(Prepare(options, &p));
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0)
    return Status::Unavailable(std::string("pipe: ") + std::strerror(errno));
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return Status::Unavailable(std::string("pipe: ") + std::strerror(errno));
  }
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return Status::Unavailable(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) ExecChild(p, parent, out_pipe[1], err_pipe[1]);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  Captured c;
  auto deadline = std::chrono::steady_clock::now() + limit;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open = 2;
  bool killed = false;
  while (open > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 && !killed) {
      ::kill(pid, SIGKILL);
      killed = true;
    }
    int n = ::poll(fds, 2, killed ? 1000 : static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[8192];
      ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        (i == 0 ? c.out : c.err).append(buf, static_cast<size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open;
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) ::close(f.fd);
  int status = 0;
  ::waitpid(pid, &status, 0);
  c.exit = ExitOf(status);
  return c;
}

Status Ip(const std::vector<std::string>& args) {
  SpawnOptions o;
  o.argv = {"/usr/sbin/ip"};
  if (::access(o.argv[0].c_str(), X_OK) != 0) o.argv[0] = "/sbin/ip";
  if (::access(o.argv[0].c_str(), X_OK) != 0)
    return Status::Unavailable("the ip command (iproute2) is not installed");
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  ASSIGN_OR_RETURN(Captured c, Capture(o, std::chrono::seconds(20)));
  if (c.exit.ok()) return Status::Ok();
  std::string cmd = "ip";
  for (const std::string& a : args) cmd += " " + a;
  std::string err = c.err;
  while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
  return Status::Unavailable("`" + cmd + "` failed (" + c.exit.ToString() + "): " + err);
}

}  // namespace shequ::chaos
