// run_command: one command's life, from its output files to how it ended. Spawning, waiting
// and stopping the process group, and reading the stderr tail, are in spawn, child_process
// and stderr_tail.
#include "commands/command_runner.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/wait.h>

#include <optional>
#include <string>
#include <vector>

#include "commands/child_process.hpp"
#include "commands/posix_call.hpp"
#include "commands/spawn.hpp"
#include "commands/stderr_tail.hpp"

namespace tasktrack {
namespace {

using process::Child;
using process::FileDescriptor;
using process::StopWatch;
using process::Termination;
using process::Wake;
using process::Waker;

// "exit code 3" or "killed by SIGSEGV"; fills exit_code and signal.
std::string describe_status(int status, CommandOutcome& outcome) {
  if (WIFSIGNALED(status)) {
    outcome.signal = WTERMSIG(status);
    return "killed by " + signal_name(outcome.signal);
  }
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
  return "exit code " + std::to_string(outcome.exit_code);
}

void append_stderr_tail(CommandOutcome& outcome, int stderr_fd) {
  const std::string tail = process::read_stderr_tail(stderr_fd);
  if (!tail.empty()) outcome.detail += "; stderr: " + tail;
}

}  // namespace

CommandOutcome run_command(const CommandSpec& spec, std::stop_token stop) {
  CommandOutcome outcome;
  if (stop.stop_requested()) {
    // Nothing to clean up after, and no output files half-written.
    outcome.reason = FailureReason::timeout;
    outcome.detail = "stopped: before it started";
    return outcome;
  }
  process::check_no_nul(spec.command, "command");
  const std::vector<std::string> environment = process::build_environment(spec.extra_environment);

  FileDescriptor input = process::open_file("/dev/null", O_RDONLY, "stdin");
  const bool shared_output = spec.stdout_path == spec.stderr_path;
  // One open file for both when the paths are equal, like `> file 2>&1`: two would
  // overwrite each other's bytes. Read access is for the stderr tail.
  FileDescriptor error_output = process::open_file(spec.stderr_path, O_RDWR | O_CREAT | O_TRUNC,
                                                   shared_output ? "output" : "stderr");
  FileDescriptor output;
  if (!shared_output)
    output = process::open_file(spec.stdout_path, O_WRONLY | O_CREAT | O_TRUNC, "stdout");
  const int output_fd = shared_output ? error_output.get() : output.get();

  Child child(process::spawn_shell(spec.command, input.get(), output_fd, error_output.get(),
                                   environment, spec.cpus));
  input.reset();
  output.reset();

  FileDescriptor wake;
  if (stop.stop_possible()) wake = FileDescriptor(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  // Declared after `wake`, so destroyed (and waited for, if running) before it closes.
  std::optional<std::stop_callback<Waker>> wake_on_stop;
  if (wake.valid()) wake_on_stop.emplace(stop, Waker{wake.get()});

  const StopWatch watch{stop, wake.get()};
  if (process::wait_for(child, &watch, std::nullopt) == Wake::exited) {
    const int status = child.reap();
    const std::string how = describe_status(status, outcome);
    outcome.succeeded = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (outcome.succeeded) return outcome;
    outcome.reason = WIFSIGNALED(status) ? FailureReason::signal : FailureReason::exit_code;
    outcome.detail = how;
    append_stderr_tail(outcome, error_output.get());
    return outcome;
  }

  wake_on_stop.reset();
  const Termination termination = process::terminate_group(child, spec.kill_grace);
  outcome.reason = FailureReason::timeout;
  outcome.detail = "stopped: " + describe_status(termination.status, outcome);
  if (termination.killed_after_grace) {
    const std::string grace = std::to_string(spec.kill_grace.count()) + " ms";
    if (outcome.signal == SIGKILL) {
      outcome.detail += " after ignoring SIGTERM for " + grace;
    } else {
      outcome.detail += ", then SIGKILL to the rest of its process group after " + grace;
    }
  }
  append_stderr_tail(outcome, error_output.get());
  return outcome;
}

std::string signal_name(int signal) {
  struct Named {
    int number;
    const char* name;
  };
  static constexpr Named names[] = {
      {SIGHUP, "SIGHUP"},       {SIGINT, "SIGINT"},   {SIGQUIT, "SIGQUIT"},   {SIGILL, "SIGILL"},
      {SIGTRAP, "SIGTRAP"},     {SIGABRT, "SIGABRT"}, {SIGBUS, "SIGBUS"},     {SIGFPE, "SIGFPE"},
      {SIGKILL, "SIGKILL"},     {SIGUSR1, "SIGUSR1"}, {SIGSEGV, "SIGSEGV"},   {SIGUSR2, "SIGUSR2"},
      {SIGPIPE, "SIGPIPE"},     {SIGALRM, "SIGALRM"}, {SIGTERM, "SIGTERM"},   {SIGCHLD, "SIGCHLD"},
      {SIGCONT, "SIGCONT"},     {SIGSTOP, "SIGSTOP"}, {SIGTSTP, "SIGTSTP"},   {SIGTTIN, "SIGTTIN"},
      {SIGTTOU, "SIGTTOU"},     {SIGURG, "SIGURG"},   {SIGXCPU, "SIGXCPU"},   {SIGXFSZ, "SIGXFSZ"},
      {SIGVTALRM, "SIGVTALRM"}, {SIGPROF, "SIGPROF"}, {SIGWINCH, "SIGWINCH"}, {SIGIO, "SIGIO"},
      {SIGSYS, "SIGSYS"},
#ifdef SIGSTKFLT
      {SIGSTKFLT, "SIGSTKFLT"},
#endif
#ifdef SIGPWR
      {SIGPWR, "SIGPWR"},
#endif
  };
  for (const Named& named : names) {
    if (named.number == signal) return named.name;
  }
  return "signal " + std::to_string(signal);
}

}  // namespace tasktrack
