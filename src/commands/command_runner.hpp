// Runs one shell command of a task list as a child process and reports how it ended.
#pragma once

#include <chrono>
#include <map>
#include <stop_token>
#include <string>
#include <vector>

#include "tasktrack/subtask.hpp"

namespace tasktrack {

struct CommandSpec {
  std::string command;                                   // run as /bin/sh -c COMMAND
  std::map<std::string, std::string> extra_environment;  // added to (or replacing in) ours
  std::string stdout_path;                               // created/truncated, mode 0644
  std::string stderr_path;
  std::vector<unsigned> cpus;  // not empty: the command runs on these CPU ids only (--bind)
  std::chrono::milliseconds kill_grace{2000};  // after SIGTERM to the group, before SIGKILL
};

struct CommandOutcome {
  bool succeeded = false;
  FailureReason reason = FailureReason::none;  // exit_code, signal, timeout (stopped)
  int exit_code = 0;                           // for exit_code
  int signal = 0;                              // for signal (and the signal that ended it)
  std::string detail;  // one line: "exit code 3", "killed by SIGSEGV", "stopped: ...", plus
                       // "; stderr: <last KiB of stderr>" on failure
};

// Starts `spec.command` with posix_spawn (never a fork of this possibly large process) in
// its own process group, stdin from /dev/null, stdout and stderr to the given files (and
// pinned to `spec.cpus` when given: it and everything it starts run only there), and
// waits for it without spinning (a pidfd polled with a timeout). When `stop` is requested
// (a timeout or a shutdown) the whole process group gets SIGTERM, then SIGKILL after
// `kill_grace`: no process of the group survives; the outcome is then a failure with reason
// timeout. Thread-safe: pool threads run commands concurrently. Throws SystemError when the
// command cannot be started at all (e.g. the output file cannot be created).
CommandOutcome run_command(const CommandSpec& spec, std::stop_token stop);

// "SIGSEGV" for 11, "signal 64" for unknown numbers.
std::string signal_name(int signal);

}  // namespace tasktrack
