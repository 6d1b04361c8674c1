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
std::vector<Command> ToolCommands();      // gen
std::vector<Command> DemoCommands();      // demo (cmd_demo.cpp)
std::vector<Command> DeviceCommands();    // device sim-id/read-id/sim-finger, person enroll-finger
std::vector<Command> TransferCommands();  // transfer out/list/accept
std::vector<Command> AssessCommands();    // score, community set, assess input, card archive
std::vector<Command> PrivacyCommands();   // operator add/list, export, audit
std::vector<Command> SyncCommands();      // node contact, run, sync, peers, trust import
std::vector<Command> MonitorCommands();   // terminals
std::vector<Command> UiCommands();        // ui

// The node named by --dir. With --operator (and --passphrase-file, or typed at a terminal) on
// a node whose keyring is sealed, logs the operator in and records the login.
Result<std::unique_ptr<service::Node>> OpenNode(const Args& args, Context& ctx);
// Commands that read personal data or write call this after OpenNode: the node's keys must be
// open (a plain keyring, or an operator logged in); at a terminal it asks for the operator.
Status NeedOperator(const Args& args, service::Node& node);

// KEY=VALUE words (person set, resolve, community set, assess input); at least one.
Result<std::vector<std::pair<std::string, std::string>>> KeyValues(
    const std::vector<std::string>& words);

// Parses argv against a command's options; on error prints usage and returns nullopt.
std::optional<Args> ParseOrUsage(const std::vector<std::string>& argv, const Command& cmd,
                                 const std::set<std::string>& flags,
                                 const std::set<std::string>& options, int* exit_code);

}  // namespace shequ::cli
