// shequ: one binary for every node of the city (DESIGN section 1).
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <clocale>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "node/base/file.h"
#include "node/base/text.h"
#include "node/cli/commands.h"
#include "node/service/access.h"
#include "scoring/incremental.h"

namespace shequ::cli {

std::optional<Args> ParseOrUsage(const std::vector<std::string>& argv, const Command& cmd,
                                 const std::set<std::string>& flags,
                                 const std::set<std::string>& options, int* exit_code) {
  // Every command that opens a node takes the operator (docs/CLI.md "Operators").
  std::set<std::string> all_options = options;
  if (options.count("dir")) all_options.insert({"operator", "passphrase-file"});
  auto args = Args::Parse(argv, flags, all_options);
  if (!args.ok()) {
    std::fprintf(stderr, "shequ %s: %s\nusage: shequ %s %s\n", cmd.name,
                 args.status().message().c_str(), cmd.name, cmd.usage);
    *exit_code = kExitInvalid;
    return std::nullopt;
  }
  return std::move(*args);
}

namespace {

// A passphrase from --passphrase-file (its first line), or typed at the terminal without echo.
Result<std::string> ReadPassphrase(const Args& args, std::string_view op) {
  if (auto file = args.Get("passphrase-file")) {
    ASSIGN_OR_RETURN(std::string text, ReadFile(*file));
    size_t eol = text.find_first_of("\r\n");
    return eol == std::string::npos ? text : text.substr(0, eol);
  }
  if (!isatty(STDIN_FILENO))
    return Status::Invalid("operator " + std::string(op) +
                           ": give --passphrase-file FILE (standard input is not a terminal)");
  std::fprintf(stderr, "操作员 %s 的口令: ", std::string(op).c_str());
  termios old{}, quiet{};
  bool tty = tcgetattr(STDIN_FILENO, &old) == 0;
  if (tty) {
    quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  int c;
  while ((c = std::getchar()) != EOF && c != '\n') line.push_back(static_cast<char>(c));
  if (tty) tcsetattr(STDIN_FILENO, TCSANOW, &old);
  std::fprintf(stderr, "\n");
  return line;
}

}  // namespace

Result<std::vector<std::pair<std::string, std::string>>> KeyValues(
    const std::vector<std::string>& words) {
  std::vector<std::pair<std::string, std::string>> kv;
  for (const std::string& w : words) {
    size_t eq = w.find('=');
    if (eq == std::string::npos || eq == 0)
      return Status::Invalid("expected KEY=VALUE, got " + Quote(w));
    kv.emplace_back(w.substr(0, eq), w.substr(eq + 1));
  }
  if (kv.empty()) return Status::Invalid("give at least one KEY=VALUE");
  return kv;
}

Result<std::unique_ptr<service::Node>> OpenNode(const Args& args, Context& ctx) {
  ASSIGN_OR_RETURN(std::string dir, args.Need("dir"));
  ASSIGN_OR_RETURN(auto node, service::Node::Open(dir, ctx.ref));
  // Nodes that score (hub, districts) keep the assessment's counts up to date as changes arrive.
  if (node->cert().Has(trust::grant::kScore)) RETURN_IF_ERROR(scoring::KeepCounts(*node));
  if (auto op = args.Get("operator"); op && node->sealed_at_rest()) {
    ASSIGN_OR_RETURN(std::string passphrase, ReadPassphrase(args, *op));
    RETURN_IF_ERROR(service::LoginOperator(*node, *op, passphrase));
  }
  return node;
}

Status NeedOperator(const Args& args, service::Node& node) {
  if (node.unlocked()) return Status::Ok();
  if (!isatty(STDIN_FILENO))
    return Status::Denied(
        "this node's data is sealed under its operators' passphrases: give "
        "--operator NAME --passphrase-file FILE (operators: " +
        Join(node.keyring().operators(), ", ") + ")");
  std::fprintf(stderr, "操作员: ");
  std::string op;
  int c;
  while ((c = std::getchar()) != EOF && c != '\n') op.push_back(static_cast<char>(c));
  ASSIGN_OR_RETURN(std::string passphrase, ReadPassphrase(args, op));
  return service::LoginOperator(node, op, passphrase);
}

namespace {

std::vector<Command> AllCommands() {
  std::vector<Command> all;
  for (auto list : {AdminCommands(), CardCommands(), ChangeCommands(), ToolCommands(),
                    DeviceCommands(), SyncCommands(), TransferCommands(), MonitorCommands(),
                    PrivacyCommands(), AssessCommands(), UiCommands(), DemoCommands()})
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
