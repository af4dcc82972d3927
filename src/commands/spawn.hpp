// Starting a command: its output files, its environment and the posix_spawn of /bin/sh.
// Internal to the command runner; every function is thread-safe.
#pragma once

#include <sys/types.h>

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "commands/posix_call.hpp"

namespace tasktrack::process {

// Opens `path` close-on-exec (mode 0644 when created), retrying on EINTR. Opened here rather
// than with posix_spawn_file_actions_addopen: the error then names the path and `role`
// ("stdout"), and nothing is started when it fails. Throws SystemError.
FileDescriptor open_file(const std::string& path, int flags, const char* role);

// Throws std::invalid_argument naming `what` when `text` holds a NUL byte, which no
// command line or environment entry can carry.
void check_no_nul(std::string_view text, const char* what);

// Our environment with `extra` added, an extra entry replacing ours of the same name.
// Throws std::invalid_argument for a name that is empty, holds '=' or a NUL.
std::vector<std::string> build_environment(const std::map<std::string, std::string>& extra);

// Starts /bin/sh -c `command` with posix_spawn (never a fork of this possibly large process)
// in its own process group (pgid = its pid), stdin, stdout and stderr from the given
// descriptors, nothing else inherited, an empty signal mask and default dispositions.
// `cpus` not empty: the shell (and so all it starts) may run on those CPU ids only; empty:
// it inherits this process's. Returns its pid; throws SystemError when it cannot be started
// or pinned (e.g. a CPU outside this process's cpuset).
pid_t spawn_shell(const std::string& command, int input, int output, int error_output,
                  const std::vector<std::string>& environment, std::span<const unsigned> cpus = {});

}  // namespace tasktrack::process
