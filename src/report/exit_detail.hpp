// parse_exit_detail(): how a command ended, read back from the detail text the command
// runner writes for a failed attempt (commands/command_runner.cpp), so that the JSON
// summary, the report and `tasktrack log` give the exit status and the signal as numbers.
#pragma once

#include <optional>
#include <string_view>

namespace tasktrack {

struct ExitDetail {
  std::optional<int> exit_status;  // "exit code 3" -> 3
  std::optional<int> signal;       // "killed by SIGSEGV" -> 11, "killed by signal 70" -> 70
  bool stopped = false;            // "stopped: ...": tasktrack ended it (timeout, stop)
  friend bool operator==(const ExitDetail&, const ExitDetail&) = default;
};

// Reads a failure detail as the command runner writes it: an optional "line N: " (the
// command list kernel's prefix), an optional "stopped: ", then "exit code N" or "killed by
// SIGNAME" (or "killed by signal N"), then anything ("; stderr: ..."). Text in any other
// shape (a kernel's exception message, "stopped: before it started") gives no numbers.
// Never throws.
ExitDetail parse_exit_detail(std::string_view detail);

}  // namespace tasktrack
