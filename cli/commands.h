// The `berth` command's verbs. main.cc builds the CLI11 app and calls one
// Add*Commands per noun; each noun lives in its own <noun>_cmd.cc. The CLI only
// parses and wires: logic lives in the libraries (machine/, fabric/, ...).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "base/status.h"

namespace berth::cli {

// Options shared by every verb, filled by the global flags.
struct Context {
  std::string home;         // $BERTH_HOME, default ~/.berth
  std::string libvirt_uri;  // empty: qemu:///system as root, qemu:///session otherwise
  int exit_code = 0;        // set by the verb that ran
};

// Prints "berth: <message>" to stderr and returns the exit code to use (1).
int Fail(const Status& status);

// Validates a --format value ("table" or "json").
CLI::Validator FormatValidator();

void AddMachineCommands(CLI::App& app, Context& ctx);
void AddNetCommands(CLI::App& app, Context& ctx);
void AddScenarioCommands(CLI::App& app, Context& ctx);
void AddRegistryCommands(CLI::App& app, Context& ctx);

}  // namespace berth::cli
