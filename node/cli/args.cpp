#include "node/cli/args.h"

#include <cstdio>

namespace shequ::cli {

Result<Args> Args::Parse(const std::vector<std::string>& argv, const std::set<std::string>& flags,
                         const std::set<std::string>& allowed) {
  Args a;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& s = argv[i];
    if (s.size() > 2 && s[0] == '-' && s[1] == '-') {
      std::string name = s.substr(2), value;
      size_t eq = name.find('=');
      bool inline_value = eq != std::string::npos;
      if (inline_value) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
      if (!flags.count(name) && !allowed.count(name))
        return Status::Invalid("unknown option --" + name);
      if (flags.count(name)) {
        if (inline_value) return Status::Invalid("--" + name + " takes no value");
        a.values_[name].push_back("1");
        continue;
      }
      if (!inline_value) {
        if (i + 1 >= argv.size()) return Status::Invalid("--" + name + " needs a value");
        value = argv[++i];
      }
      a.values_[name].push_back(value);
    } else {
      a.positional_.push_back(s);
    }
  }
  return a;
}

std::optional<std::string> Args::Get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second.back();
}

std::string Args::GetOr(const std::string& name, const std::string& fallback) const {
  auto v = Get(name);
  return v ? *v : fallback;
}

Result<std::string> Args::Need(const std::string& name) const {
  auto v = Get(name);
  if (!v) return Status::Invalid("missing --" + name);
  return *v;
}

std::vector<std::string> Args::All(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>() : it->second;
}

int ExitFor(const Status& st) {
  switch (st.code()) {
    case Code::kOk:
      return kExitOk;
    case Code::kInvalidArgument:
    case Code::kNotFound:
      return kExitInvalid;
    case Code::kPermissionDenied:
      return kExitDenied;
    default:
      return kExitFailure;
  }
}

int Fail(const Status& st) {
  std::fprintf(stderr, "shequ: %s\n", st.ToString().c_str());
  return ExitFor(st);
}

}  // namespace shequ::cli
