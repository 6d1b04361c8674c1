// shequ: one binary for every node of the city (DESIGN section 1).
#include <algorithm>
#include <clocale>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "node/cli/commands.h"

namespace shequ::cli {

std::optional<Args> ParseOrUsage(const std::vector<std::string>& argv, const Command& cmd,
                                 const std::set<std::string>& flags,
                                 const std::set<std::string>& options, int* exit_code) {
  auto args = Args::Parse(argv, flags, options);
  if (!args.ok()) {
    std::fprintf(stderr, "shequ %s: %s\nusage: shequ %s %s\n", cmd.name,
                 args.status().message().c_str(), cmd.name, cmd.usage);
    *exit_code = kExitInvalid;
    return std::nullopt;
  }
  return std::move(*args);
}

Result<std::unique_ptr<service::Node>> OpenNode(const Args& args, Context& ctx) {
  ASSIGN_OR_RETURN(std::string dir, args.Need("dir"));
  return service::Node::Open(dir, ctx.ref);
}

namespace {

std::vector<Command> AllCommands() {
  std::vector<Command> all;
  for (auto list : {AdminCommands(), CardCommands(), ChangeCommands(), ToolCommands(),
                    DeviceCommands(), SyncCommands(), TransferCommands()})
    all.insert(all.end(), list.begin(), list.end());
  return all;
}

void PrintHelp(const std::vector<Command>& commands) {
  std::printf(
      "shequ — community basic-information collection (乌海市社区基础信息采集)\n\nCommands:\n");
  for (const Command& c : commands)
    std::printf("  shequ %s %s\n      %s\n", c.name, c.usage, c.summary);
  std::printf(
      "\nExit status: 0 ok, 1 failure, 2 invalid input, 3 some changes rejected, 4 not "
      "permitted.\n");
}

int Main(int argc, char** argv) {
  std::vector<std::string> words(argv + 1, argv + argc);
  std::vector<Command> commands = AllCommands();
  if (words.empty() || words[0] == "help" || words[0] == "--help" || words[0] == "-h") {
    PrintHelp(commands);
    return words.empty() ? kExitInvalid : kExitOk;
  }
  // Longest matching command name (one or two words).
  const Command* found = nullptr;
  size_t used = 0;
  for (const Command& c : commands) {
    std::string name = c.name;
    size_t n = 1 + static_cast<size_t>(std::count(name.begin(), name.end(), ' '));
    if (n > words.size()) continue;
    std::string joined = words[0];
    for (size_t i = 1; i < n; ++i) joined += " " + words[i];
    if (joined == name && n > used) {
      found = &c;
      used = n;
    }
  }
  if (!found) {
    std::fprintf(stderr, "shequ: unknown command '%s' (shequ help lists them)\n", words[0].c_str());
    return kExitInvalid;
  }
  auto ref = model::Reference::Load();
  if (!ref.ok()) return Fail(ref.status().With("loading reference data"));
  Context ctx{*ref};
  std::vector<std::string> rest(words.begin() + static_cast<long>(used), words.end());
  return found->fn(rest, ctx);
}

}  // namespace
}  // namespace shequ::cli

int main(int argc, char** argv) {
  std::setlocale(LC_ALL, "C.UTF-8");
  try {
    return shequ::cli::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "shequ: internal error: %s\n", e.what());
    return shequ::cli::kExitFailure;
  }
}
