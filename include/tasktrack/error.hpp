// Exceptions that carry what went wrong and where. `main` catches them, prints one line
// and ends the job with the matching exit code.
#pragma once

#include <stdexcept>
#include <string>

namespace tasktrack {

// Exit codes users see (design.md, "Contracts users see").
enum ExitCode : int {
  exit_success = 0,
  exit_failed_subtasks = 1,
  exit_usage = 2,
  exit_interrupted = 3,
};

// Bad usage or input: reported as one line on stderr, exit code 2, before any work starts.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A failed system or MPI call: the message names the routine, the object (path, rank)
// and the error text, e.g. "open(out.png): Permission denied".
class SystemError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Builds a SystemError from errno: "<what>: <strerror(errno)>".
SystemError system_error_from_errno(const std::string& what);

}  // namespace tasktrack
