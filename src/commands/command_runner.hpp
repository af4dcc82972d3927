// Runs one command of a task list as a child process and reports how it ended.
#pragma once

#include <chrono>
#include <map>
#include <stop_token>
#include <string>
#include <vector>

#include "output/output_sink.hpp"
#include "tasktrack/attempt_report.hpp"
#include "tasktrack/subtask.hpp"

namespace tasktrack {

struct CommandSpec {
  std::string command;  // run as SHELL -c COMMAND (when argv is empty)
  // Not empty: run argv[0] (found in PATH as execvp does) with these arguments, without a
  // shell; `command` is then only its text for messages.
  std::vector<std::string> argv;
  std::string shell = "/bin/sh";  // --shell; checked before the job starts
  // A `command` that is one plain command (process::plain_command_words) is started without
  // the shell, as the shell would exec it; anything else, or one that cannot be started so,
  // goes to the shell. False: every command goes to the shell.
  bool plain_commands_without_shell = false;
  std::string cwd;  // not empty: the command runs in this directory
  std::map<std::string, std::string> extra_environment;  // added to (or replacing in) ours
  // Our MPI launcher's variables (process::is_launcher_variable) are left out of the
  // command's environment, so that a command that is an MPI program starts as a singleton;
  // true keeps them (--keep-mpi-env).
  bool keep_mpi_environment = false;
  // When the command's leader exits, what is left of its process group is ended (SIGTERM,
  // then SIGKILL after kill_grace) once its output is drained; true leaves it running
  // (--keep-background).
  bool keep_background = false;
  // Where the bytes go: `output` when given (run_command finishes it); else the files
  // stdout_path and stderr_path (created or truncated, mode 0644; one path for both keeps
  // the order of `> file 2>&1`); else nowhere.
  AttemptOutput* output = nullptr;
  std::string stdout_path;
  std::string stderr_path;
  // Per stream: past this many bytes keep the head and the last min(1 MiB, limit/2) bytes,
  // with a marker line where the middle was dropped (StreamCap). 0 = keep everything.
  std::uint64_t output_limit = 0;
  std::vector<unsigned> cpus;  // not empty: the command runs on these CPU ids only (--bind)
  std::chrono::milliseconds kill_grace{2000};  // after SIGTERM to the group, before SIGKILL
};

struct CommandOutcome {
  bool succeeded = false;
  FailureReason reason = FailureReason::none;  // exit_code, signal, timeout (stopped)
  int exit_code = 0;                           // for exit_code
  int signal = 0;                              // for signal (and the signal that ended it)
  std::string detail;     // one line: "exit code 3", "killed by SIGSEGV", "stopped: ...", plus
                          // "; stderr: <last KiB of stderr>" on failure
  bool measured = false;  // `usage` holds the reaped leader's rusage (false: not started)
  AttemptUsage usage;
  bool output_capped = false;   // a stream passed output_limit and lost its middle
  bool left_processes = false;  // its group outlived its leader, and was ended
};

// Starts `spec.command` under the shell, or `spec.argv` without one, with posix_spawn (never
// a fork of this possibly large process) in its own process group, in `spec.cwd` when set, stdin
// from /dev/null, stdout and stderr to pipes (and pinned to `spec.cpus` when given: it and
// everything it starts run only there), and waits for it without spinning: one poll() on its pidfd
// and the pipes, whose bytes go to the output as they arrive. After the leader ends, the pipes are
// read until EOF, or until 200 ms pass without a byte (2 s at most: a background process it left
// can hold them open forever; what it writes later is lost); then, unless keep_background, the rest
// of the group is ended as a stop ends it (left_processes). The leader's rusage (wait4) is in the
// outcome. When `stop` is requested (a timeout or a shutdown) the whole process group gets SIGTERM,
// then SIGKILL after `kill_grace`: no process of the group survives; the outcome is then a failure
// with reason timeout. A program that cannot be found or executed (argv, or a missing shell), or a
// cwd that is not a directory, is a failed attempt: exit code 127 (126 when found but not
// executable) and a detail saying why, also written to its stderr. Thread-safe: pool
// threads run commands concurrently. Throws SystemError when the command cannot be started
// at all for other reasons (e.g. the output file cannot be created, E2BIG); throws
// std::invalid_argument for a NUL byte in the command, an argument or the environment.
CommandOutcome run_command(const CommandSpec& spec, std::stop_token stop);

// "SIGSEGV" for 11, "signal 64" for unknown numbers.
std::string signal_name(int signal);

}  // namespace tasktrack
