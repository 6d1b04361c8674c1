// Child processes of the chaos harness: `shequ` daemons and editors, `ip`, each optionally inside
// a network namespace (setns before exec, so no shell and no `ip netns exec` stands between the
// harness and the pid it kills). Every child dies with the harness (PR_SET_PDEATHSIG), so a
// harness killed with -9 leaves no daemon behind.
//
// Thread safety: spawn from the main thread only (the death signal is tied to the forking
// thread).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "node/base/status.h"

namespace shequ::chaos {

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is the program's path
  std::vector<std::string> env;   // NAME=VALUE added to (or replacing in) the harness's own
  std::string netns;              // /run/netns/NAME to enter first; empty: the harness's own
  std::string stdout_path;        // appended to; empty: /dev/null
  std::string stderr_path;        // appended to; empty: /dev/null
};

// Starts a child; it has already entered its namespace when this returns (or it exits 126).
Result<pid_t> Spawn(const SpawnOptions& options);

struct Exit {
  bool signaled = false;
  int code = 0;  // exit status, or the signal number when signaled
  bool ok() const { return !signaled && code == 0; }
  std::string ToString() const;  // "exit 2", "killed by signal 9"
};

// The child's exit if it has ended (reaped), nothing if it still runs.
std::optional<Exit> TryReap(pid_t pid);
// Waits for the child to end, killing it with SIGKILL after `limit`.
Exit WaitFor(pid_t pid, std::chrono::milliseconds limit);
// Sends `sig`; then, for SIGTERM, waits up to `grace` and sends SIGKILL if it still runs.
Exit Stop(pid_t pid, int sig, std::chrono::milliseconds grace = std::chrono::seconds(10));

// Runs a command to its end and returns its standard output (stderr into `err` when given).
// A command still running after `limit` is killed.
struct Captured {
  Exit exit;
  std::string out, err;
};
Result<Captured> Capture(const SpawnOptions& options,
                         std::chrono::milliseconds limit = std::chrono::seconds(60));

// Runs `ip ARGS...` in the harness's namespace; an error names the command and its stderr.
Status Ip(const std::vector<std::string>& args);

}  // namespace shequ::chaos
