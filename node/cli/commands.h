// The shequ commands (docs/CLI.md). Each takes the words after its name and returns an exit
// status; main() loads the reference data once and dispatches.
#pragma once

#include <string>
#include <vector>

#include "node/cli/args.h"
#include "node/model/reference.h"
#include "node/service/node.h"

namespace shequ::cli {

struct Context {
  const model::Reference& ref;
};

using CommandFn = int (*)(const std::vector<std::string>& argv, Context& ctx);

struct Command {
  const char* name;  // "card import"
  const char* usage;
  const char* summary;
  CommandFn fn;
};

// Registration lists, one per file.
std::vector<Command> AdminCommands();  // city init, node init, node show, verify, state-hash
std::vector<Command>
CardCommands();  // card import, person show/set, household show, conflicts, resolve
std::vector<Command> ChangeCommands();    // changes export/import
std::vector<Command> ToolCommands();      // gen, demo
std::vector<Command> DeviceCommands();    // device sim-id/read-id/sim-finger, person enroll-finger
std::vector<Command> TransferCommands();  // transfer out/list/accept
std::vector<Command> SyncCommands();      // node contact, run, sync, peers, trust import

// The node named by --dir.
Result<std::unique_ptr<service::Node>> OpenNode(const Args& args, Context& ctx);

// Parses argv against a command's options; on error prints usage and returns nullopt.
std::optional<Args> ParseOrUsage(const std::vector<std::string>& argv, const Command& cmd,
                                 const std::set<std::string>& flags,
                                 const std::set<std::string>& options, int* exit_code);

}  // namespace shequ::cli
