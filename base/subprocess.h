// Running host programs (ssh, mkfs.ext4, dropbearkey, ...) without a shell.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace berth {

struct RunOptions {
  std::string stdin_data;                    // written to the child's stdin, then closed
  std::optional<std::chrono::milliseconds> timeout;  // child is killed (SIGKILL) after this
  std::map<std::string, std::string> env;    // added to (or overriding) the inherited env
  std::string cwd;                           // empty: inherit
  bool capture_output = true;                // false: child inherits stdout/stderr
  bool merge_stderr = false;                 // stderr goes into `out`
};

struct RunResult {
  int exit_code = -1;   // -1 when killed by a signal
  int signal = 0;       // the terminating signal, or 0
  bool timed_out = false;
  std::string out;
  std::string err;
  bool success() const { return exit_code == 0; }
};

// Runs argv[0] (looked up in PATH) with argv, waits for it, and returns what it
// did. Fails only when the program could not be started; a non-zero exit is a
// successful Run with exit_code != 0.
Result<RunResult> Run(const std::vector<std::string>& argv, const RunOptions& options = {});

// Like Run, but returns an error naming the command and its stderr when the
// exit code is not zero. Returns stdout.
Result<std::string> RunChecked(const std::vector<std::string>& argv,
                               const RunOptions& options = {});

// Starts argv as a detached daemon (new session, stdio to `log_path` or
// /dev/null). Returns its pid.
Result<int> SpawnDetached(const std::vector<std::string>& argv, const std::string& log_path = "");

// Locates an executable in PATH; empty when absent.
std::string FindProgram(const std::string& name);

// Joins argv into a shell-quoted string for messages and `ssh` remote commands.
std::string ShellJoin(const std::vector<std::string>& argv);
std::string ShellQuote(const std::string& s);

}  // namespace berth
