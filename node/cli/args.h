// Command-line arguments: "--name value", "--name=value", boolean flags, positionals.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "node/base/status.h"

namespace shequ::cli {

// Exit statuses (docs/CLI.md). Scripts rely on these.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;   // the operation failed (I/O, store, verification)
inline constexpr int kExitInvalid = 2;   // invalid input: usage, refused card, not a bundle
inline constexpr int kExitRejected = 3;  // some changes of a bundle were rejected
inline constexpr int kExitDenied = 4;    // this node may not do that (grant, scope)

class Args {
 public:
  // flags: options that take no value. multi: options that may repeat.
  static Result<Args> Parse(const std::vector<std::string>& argv,
                            const std::set<std::string>& flags,
                            const std::set<std::string>& allowed);

  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  std::optional<std::string> Get(const std::string& name) const;
  std::string GetOr(const std::string& name, const std::string& fallback) const;
  Result<std::string> Need(const std::string& name) const;
  std::vector<std::string> All(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positional_;
};

// Maps a Status onto an exit code: invalid -> 2, denied -> 4, anything else -> 1.
int ExitFor(const Status& st);
// Prints "shequ: <message>" to stderr and returns the exit code for it.
int Fail(const Status& st);

}  // namespace shequ::cli
