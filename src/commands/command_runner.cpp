// run_command: one command's life, from its pipes to how it ended. Spawning, waiting and
// stopping the process group, and pumping its output, are in spawn, child_process and
// output_pump.
#include "commands/command_runner.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands/child_process.hpp"
#include "commands/output_pump.hpp"
#include "commands/plain_command.hpp"
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

void append_stderr_tail(CommandOutcome& outcome, const process::OutputPump& pump) {
  const std::string tail = pump.stderr_tail();
  if (!tail.empty()) outcome.detail += "; stderr: " + tail;
}

// A pipe whose read end is ours (non-blocking) and whose write end the command gets.
struct Pipe {
  FileDescriptor read;
  FileDescriptor write;
};

Pipe make_pipe(const char* role) {
  int ends[2];
  if (::pipe2(ends, O_CLOEXEC) != 0) {
    throw process::system_call_error(std::string("pipe2 for the command's ") + role, errno);
  }
  Pipe pipe{FileDescriptor(ends[0]), FileDescriptor(ends[1])};
  if (::fcntl(pipe.read.get(), F_SETFL, O_NONBLOCK) != 0) {
    throw process::system_call_error("fcntl(O_NONBLOCK) on the command's pipe", errno);
  }
  return pipe;
}

// The output the spec's paths name (CommandSpec::output left null).
class PathOutput final : public AttemptOutput {
 public:
  explicit PathOutput(const CommandSpec& spec) {
    const bool shared = spec.stdout_path == spec.stderr_path;
    // Read access is not needed: the stderr tail is kept in memory.
    error_ = process::open_file(spec.stderr_path, O_WRONLY | O_CREAT | O_TRUNC,
                                shared ? "output" : "stderr");
    if (!shared) {
      output_ = process::open_file(spec.stdout_path, O_WRONLY | O_CREAT | O_TRUNC, "stdout");
    }
  }
  void write(packed::Stream stream, std::string_view bytes) override {
    const int fd =
        stream == packed::Stream::stderr_stream || !output_.valid() ? error_.get() : output_.get();
    while (!bytes.empty()) {
      const ssize_t written = ::write(fd, bytes.data(), bytes.size());
      if (written < 0 && errno == EINTR) continue;
      if (written < 0) throw process::system_call_error("write(the command's output)", errno);
      bytes.remove_prefix(static_cast<std::size_t>(written));
    }
  }
  void finish(bool) override {}

 private:
  FileDescriptor output_;
  FileDescriptor error_;
};

class NoOutput final : public AttemptOutput {
 public:
  void write(packed::Stream, std::string_view) override {}
  void finish(bool) override {}
};

// The shell's `-c COMMAND`, or the command's own argv.
process::ProgramCall program_call(const CommandSpec& spec) {
  process::ProgramCall call;
  call.cwd = spec.cwd;
  if (spec.argv.empty()) {
    process::check_no_nul(spec.command, "command");
    call.program = spec.shell;
    call.arguments = {spec.shell, "-c", spec.command};
    return call;
  }
  for (const std::string& argument : spec.argv) process::check_no_nul(argument, "argument");
  call.program = spec.argv.front();
  call.arguments = spec.argv;
  call.search_path = call.program.find('/') == std::string::npos;
  return call;
}

// The plain command a shell line stands for (plain_command.hpp), started as the shell would
// exec it: the words as argv, the program found along the command's own PATH, and PWD as
// the shell exports it (set in `environment`, where the shell would set the same). nullopt:
// the line goes to the shell.
std::optional<process::ProgramCall> direct_call(const CommandSpec& spec,
                                                std::vector<std::string>& environment) {
  if (!spec.argv.empty() || !spec.plain_commands_without_shell) return std::nullopt;
  auto words = process::plain_command_words(spec.command);
  if (!words) return std::nullopt;
  auto program = process::program_for(words->front(), environment);
  if (!program) return std::nullopt;
  const auto pwd = std::find_if(environment.begin(), environment.end(),
                                [](const std::string& entry) { return entry.starts_with("PWD="); });
  const std::string shell_pwd =
      process::shell_pwd(spec.cwd, pwd == environment.end() ? std::string() : pwd->substr(4));
  if (shell_pwd.empty()) return std::nullopt;
  if (pwd == environment.end()) {
    environment.push_back("PWD=" + shell_pwd);
  } else {
    *pwd = "PWD=" + shell_pwd;
  }
  process::ProgramCall call;
  call.cwd = spec.cwd;
  call.program = std::move(*program);
  call.arguments = std::move(*words);
  return call;
}

// Errors of posix_spawn that say the program (or its cwd) is wrong, not the machine: the
// attempt fails, as it would in a shell (127 not found, 126 not executable).
std::optional<int> not_startable_exit_code(int error) {
  switch (error) {
    case ENOENT:
    case ENOTDIR:
    case ELOOP:
    case ENAMETOOLONG:
      return 127;
    case EACCES:
    case EPERM:
    case ENOEXEC:
    case EISDIR:
      return 126;
    default:
      return std::nullopt;
  }
}

// An attempt whose program never ran: the reason goes to its stderr too, where `tasktrack
// output` shows it.
CommandOutcome not_started(AttemptOutput& output, int exit_code, const std::string& why) {
  CommandOutcome outcome;
  outcome.reason = FailureReason::exit_code;
  outcome.exit_code = exit_code;
  outcome.detail = "exit code " + std::to_string(exit_code) + ": " + why;
  output.write(packed::Stream::stderr_stream, "tasktrack: " + why + "\n");
  output.finish(true);
  return outcome;
}

std::string error_text(int code) {
  char buffer[256];
  return ::strerror_r(code, buffer, sizeof buffer);  // GNU strerror_r returns the text
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
  const process::ProgramCall call = program_call(spec);
  std::vector<std::string> environment =
      process::build_environment(spec.extra_environment, spec.keep_mpi_environment);
  const std::optional<process::ProgramCall> direct = direct_call(spec, environment);

  std::unique_ptr<AttemptOutput> own_output;
  AttemptOutput* output = spec.output;
  if (output == nullptr) {
    if (spec.stdout_path.empty() && spec.stderr_path.empty()) {
      own_output = std::make_unique<NoOutput>();
    } else {
      own_output = std::make_unique<PathOutput>(spec);
    }
    output = own_output.get();
  }
  // One pipe for both streams when they share a file, like `> file 2>&1`: their order.
  const bool merged =
      spec.output == nullptr && !spec.stdout_path.empty() && spec.stdout_path == spec.stderr_path;

  // Checked here, since posix_spawn's ENOENT would not say whether the cwd or the program
  // is missing.
  if (!spec.cwd.empty()) {
    struct stat info {};
    int code = 0;
    if (::stat(spec.cwd.c_str(), &info) != 0) {
      code = errno;
    } else if (!S_ISDIR(info.st_mode)) {
      code = ENOTDIR;
    }
    if (code != 0) {
      return not_started(
          *output, 127,
          "cannot change to cwd '" + process::abbreviate(spec.cwd) + "': " + error_text(code));
    }
  }
  FileDescriptor input = process::open_file("/dev/null", O_RDONLY, "stdin");
  Pipe out = make_pipe("stdout");
  Pipe err;
  if (!merged) err = make_pipe("stderr");
  const auto spawn = [&](const process::ProgramCall& program) {
    return process::spawn_program(program, input.get(), out.write.get(),
                                  merged ? out.write.get() : err.write.get(), environment,
                                  spec.cpus);
  };
  process::Spawned spawned;
  if (direct) spawned = spawn(*direct);
  // Not started directly (not found, not executable, a script without #!): the shell's turn,
  // with its own result and message for the same line.
  if (!direct || not_startable_exit_code(spawned.error)) spawned = spawn(call);
  if (spawned.error != 0) {
    const std::string what = spec.argv.empty()
                                 ? call.program + " -c " + process::abbreviate(spec.command)
                                 : process::abbreviate(call.program);
    if (const auto exit_code = not_startable_exit_code(spawned.error)) {
      return not_started(*output, *exit_code,
                         "cannot start '" + what + "': " + error_text(spawned.error));
    }
    throw process::system_call_error("posix_spawn(" + what + ")", spawned.error);
  }
  Child child(spawned.pid);
  input.reset();
  out.write.reset();
  err.write.reset();
  process::OutputPump pump(std::move(out.read), std::move(err.read), merged, *output,
                           spec.output_limit);

  FileDescriptor wake;
  if (stop.stop_possible()) wake = FileDescriptor(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  // Declared after `wake`, so destroyed (and waited for, if running) before it closes.
  std::optional<std::stop_callback<Waker>> wake_on_stop;
  if (wake.valid()) wake_on_stop.emplace(stop, Waker{wake.get()});

  const StopWatch watch{stop, wake.get()};
  // Ends the streams (drained) and the output, and records what the attempt used.
  const auto end_attempt = [&](bool failed) {
    pump.finish_streams();
    output->finish(failed);
    outcome.measured = true;
    outcome.usage = child.usage();
    outcome.output_capped = pump.capped();
  };
  if (process::wait_for(child, &watch, std::nullopt, &pump) == Wake::exited) {
    pump.drain_after_exit();
    const int status = child.reap();
    if (!spec.keep_background) {
      outcome.left_processes = process::end_leftover_group(child.pid(), spec.kill_grace);
    }
    const std::string how = describe_status(status, outcome);
    outcome.succeeded = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    end_attempt(!outcome.succeeded);
    if (outcome.succeeded) return outcome;
    outcome.reason = WIFSIGNALED(status) ? FailureReason::signal : FailureReason::exit_code;
    outcome.detail = how;
    append_stderr_tail(outcome, pump);
    return outcome;
  }

  wake_on_stop.reset();
  const Termination termination = process::terminate_group(child, spec.kill_grace, &pump);
  pump.drain_after_exit();
  end_attempt(true);
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
  append_stderr_tail(outcome, pump);
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
