#include "commands/command_runner.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "tasktrack/error.hpp"

extern char** environ;  // NOLINT: POSIX, not in any C++ header

namespace tasktrack {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// How much of the stderr file a failure's detail quotes.
constexpr std::size_t stderr_tail_bytes = 1024;
// Tick of the waits that cannot block on a file descriptor: no pidfd (old kernels), no
// eventfd, or other members of a stopped group that outlive its shell.
constexpr auto poll_interval = 10ms;
// After SIGKILL a process is doomed but dies asynchronously; how long we wait to see the
// group gone before returning anyway (a non-reaping init can leave zombies, which we ignore).
constexpr auto kill_confirmation_limit = 2s;

// strerror is not guaranteed thread-safe; the GNU and the XSI strerror_r differ in their
// return type, the overloads take either.
[[maybe_unused]] std::string describe_strerror_r(const char* result, const char*) {
  return result;
}
[[maybe_unused]] std::string describe_strerror_r(int result, const char* buffer) {
  return result == 0 ? std::string(buffer) : std::string("unknown error");
}

std::string error_text(int code) {
  char buffer[256] = {};
  return describe_strerror_r(strerror_r(code, buffer, sizeof buffer), buffer);
}

SystemError system_error(const std::string& what, int code) {
  return SystemError(what + ": " + error_text(code));
}

// Keeps error messages one readable line even for a 100 KiB command.
std::string abbreviate(std::string_view text) {
  constexpr std::size_t limit = 80;
  if (text.size() <= limit) return std::string(text);
  return std::string(text.substr(0, limit)) + "...";
}

class FileDescriptor {
 public:
  FileDescriptor() = default;
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileDescriptor& operator=(FileDescriptor&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // close() is not retried on EINTR: on Linux the descriptor is gone either way.
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// Opened here rather than with posix_spawn_file_actions_addopen: the error then names the
// path (posix_spawn only returns an errno), and nothing is started when it fails.
FileDescriptor open_file(const std::string& path, int flags, const char* role) {
  for (;;) {
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
    if (fd >= 0) return FileDescriptor(fd);
    if (errno == EINTR) continue;
    throw system_error("open(" + path + ") for the command's " + role, errno);
  }
}

void check_no_nul(std::string_view text, const char* what) {
  if (text.find('\0') != std::string_view::npos) {
    throw std::invalid_argument(
        std::string(what) + " contains a NUL byte: " + abbreviate(text.substr(0, text.find('\0'))));
  }
}

// Our environment with `extra` added, an extra entry replacing ours of the same name.
std::vector<std::string> build_environment(const std::map<std::string, std::string>& extra) {
  for (const auto& [name, value] : extra) {
    if (name.empty() || name.find('=') != std::string::npos) {
      throw std::invalid_argument("invalid environment variable name '" + abbreviate(name) + "'");
    }
    check_no_nul(name, "environment variable name");
    check_no_nul(value, ("environment variable " + name).c_str());
  }
  std::vector<std::string> entries;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const std::size_t equals = text.find('=');
    if (equals != std::string_view::npos && extra.count(std::string(text.substr(0, equals))) != 0) {
      continue;
    }
    entries.emplace_back(text);
  }
  for (const auto& [name, value] : extra) entries.push_back(name + "=" + value);
  return entries;
}

class SpawnFileActions {
 public:
  SpawnFileActions() {
    if (const int rc = posix_spawn_file_actions_init(&actions_); rc != 0) {
      throw system_error("posix_spawn_file_actions_init", rc);
    }
  }
  ~SpawnFileActions() { posix_spawn_file_actions_destroy(&actions_); }
  SpawnFileActions(const SpawnFileActions&) = delete;
  SpawnFileActions& operator=(const SpawnFileActions&) = delete;

  // dup2 clears FD_CLOEXEC on the copy (glibc also does so when fd == target).
  void dup2(int fd, int target) {
    if (const int rc = posix_spawn_file_actions_adddup2(&actions_, fd, target); rc != 0) {
      throw system_error("posix_spawn_file_actions_adddup2", rc);
    }
  }
  // Whatever this process left inheritable (MPI sockets, other threads' files) stays here.
  void close_from([[maybe_unused]] int lowest) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    if (const int rc = posix_spawn_file_actions_addclosefrom_np(&actions_, lowest); rc != 0) {
      throw system_error("posix_spawn_file_actions_addclosefrom_np", rc);
    }
#endif
  }
  const posix_spawn_file_actions_t* get() const {
    return &actions_;
  }

 private:
  posix_spawn_file_actions_t actions_;
};

class SpawnAttributes {
 public:
  SpawnAttributes() {
    if (const int rc = posix_spawnattr_init(&attributes_); rc != 0) {
      throw system_error("posix_spawnattr_init", rc);
    }
  }
  ~SpawnAttributes() { posix_spawnattr_destroy(&attributes_); }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;

  posix_spawnattr_t* get() { return &attributes_; }

 private:
  posix_spawnattr_t attributes_;
};

void check_spawn_call(int rc, const char* routine) {
  if (rc != 0) throw system_error(routine, rc);
}

// posix_spawn, not fork: no copy of a large MPI process's page tables, and no atfork
// handlers (some MPI libraries warn or break on fork).
pid_t spawn_shell(const std::string& command, int input, int output, int error_output,
                  const std::vector<std::string>& environment) {
  SpawnFileActions actions;
  actions.dup2(input, STDIN_FILENO);
  actions.dup2(output, STDOUT_FILENO);
  actions.dup2(error_output, STDERR_FILENO);
  actions.close_from(STDERR_FILENO + 1);

  SpawnAttributes attributes;
  // Own process group (pgid = its pid) so a stop reaches everything the shell started.
  // The calling pool thread may block signals, and ignored signals survive exec: the
  // command starts with an empty mask and the usual dispositions, as from a login shell.
  check_spawn_call(
      posix_spawnattr_setflags(
          attributes.get(), POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF),
      "posix_spawnattr_setflags");
  check_spawn_call(posix_spawnattr_setpgroup(attributes.get(), 0), "posix_spawnattr_setpgroup");
  sigset_t mask;
  sigemptyset(&mask);
  check_spawn_call(posix_spawnattr_setsigmask(attributes.get(), &mask),
                   "posix_spawnattr_setsigmask");
  sigset_t defaults;
  sigemptyset(&defaults);
  for (const int number : {SIGPIPE, SIGXFSZ, SIGCHLD, SIGINT, SIGQUIT, SIGTERM}) {
    sigaddset(&defaults, number);
  }
  check_spawn_call(posix_spawnattr_setsigdefault(attributes.get(), &defaults),
                   "posix_spawnattr_setsigdefault");

  std::vector<char*> environment_pointers;
  environment_pointers.reserve(environment.size() + 1);
  for (const std::string& entry : environment) {
    environment_pointers.push_back(const_cast<char*>(entry.c_str()));
  }
  environment_pointers.push_back(nullptr);
  char* const arguments[] = {const_cast<char*>("sh"), const_cast<char*>("-c"),
                             const_cast<char*>(command.c_str()), nullptr};

  pid_t pid = -1;
  // glibc reports a failed exec (E2BIG for an over-long command, ENOENT) as the result.
  const int rc = posix_spawn(&pid, "/bin/sh", actions.get(), attributes.get(), arguments,
                             environment_pointers.data());
  if (rc != 0) throw system_error("posix_spawn(/bin/sh -c " + abbreviate(command) + ")", rc);
  return pid;
}

FileDescriptor open_pidfd([[maybe_unused]] pid_t pid) {
#ifdef SYS_pidfd_open
  // Works on a zombie too; the descriptor is always close-on-exec.
  const long fd = ::syscall(SYS_pidfd_open, pid, 0);
  if (fd >= 0) return FileDescriptor(static_cast<int>(fd));
#endif
  return FileDescriptor();  // ENOSYS (Linux < 5.3) and friends: we fall back to ticking
}

// Sends `number` to the whole group; the group is gone (ESRCH) or unreachable (EPERM, a
// setuid program) are no errors to us.
void signal_group(pid_t group, int number) {
  ::kill(-group, number);
}

// True when some member of `group` is alive: zombies do not count, since an init that does
// not reap (containers) can keep them forever, and they cannot do anything any more.
bool group_has_live_members(pid_t group) {
  if (::kill(-group, 0) == -1 && errno == ESRCH) return false;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return true;  // cannot tell: assume alive, the caller's deadline ends it
  bool alive = false;
  while (!alive) {
    const dirent* entry = ::readdir(proc);
    if (entry == nullptr) break;
    const char* name = entry->d_name;
    if (name[0] < '1' || name[0] > '9') continue;
    const std::string path = std::string("/proc/") + name + "/stat";
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;  // exited meanwhile
    char buffer[512];
    ssize_t length;
    do {
      length = ::read(fd, buffer, sizeof buffer - 1);
    } while (length < 0 && errno == EINTR);
    ::close(fd);
    if (length <= 0) continue;
    buffer[length] = '\0';
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
    const char* close_paren = std::strrchr(buffer, ')');
    if (close_paren == nullptr) continue;
    char state = 0;
    int parent = 0;
    int process_group = 0;
    if (std::sscanf(close_paren + 1, " %c %d %d", &state, &parent, &process_group) != 3) continue;
    if (process_group == group && state != 'Z' && state != 'X' && state != 'x') alive = true;
  }
  ::closedir(proc);
  return alive;
}

// Our child: waits on it without reaping (so that its pid, the group id, stays ours and
// cannot be reused while we still signal the group), then reaps it once.
class Child {
 public:
  explicit Child(pid_t pid) : pid_(pid), pidfd_(open_pidfd(pid)) {}
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  // Only reached unreaped when an exception unwinds: leave nothing behind.
  ~Child() {
    if (reaped_) return;
    signal_group(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) == -1 && errno == EINTR) {
    }
  }

  pid_t pid() const { return pid_; }
  int pidfd() const { return pidfd_.get(); }

  bool has_exited() {
    if (exited_) return true;
    for (;;) {
      siginfo_t info;
      std::memset(&info, 0, sizeof info);
      if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0) {
        exited_ = info.si_pid != 0;
        return exited_;
      }
      if (errno == EINTR) continue;
      reaped_ = true;  // ECHILD: someone else reaped it (SIGCHLD ignored); nothing to wait for
      throw system_error("waitid(" + std::to_string(pid_) + ")", errno);
    }
  }

  // Blocks until the child has ended; returns its wait status.
  int reap() {
    for (;;) {
      int status = 0;
      if (::waitpid(pid_, &status, 0) == pid_) {
        reaped_ = true;
        return status;
      }
      if (errno == EINTR) continue;
      reaped_ = true;
      throw system_error("waitpid(" + std::to_string(pid_) + ")", errno);
    }
  }

 private:
  pid_t pid_;
  FileDescriptor pidfd_;
  bool exited_ = false;
  bool reaped_ = false;
};

// Wakes the waiting thread through an eventfd. Runs in the thread that requests the stop,
// so it must not block: a non-blocking write of 1 to a counter never does.
struct Waker {
  int fd;
  void operator()() const noexcept {
    const int saved_errno = errno;
    const std::uint64_t one = 1;
    while (::write(fd, &one, sizeof one) == -1 && errno == EINTR) {
    }
    errno = saved_errno;
  }
};

struct StopWatch {
  const std::stop_token& token;
  int wake_fd;  // -1: check the token every poll_interval
};

enum class Wake { exited, stopped, deadline };

// Waits until the child has exited (not reaped), a stop is requested (when `stop` is
// given) or `deadline` passes. Sleeps in poll() on the pidfd and the wake fd; ticks every
// poll_interval only for what it cannot wait on.
Wake wait_for(Child& child, const StopWatch* stop, std::optional<Clock::time_point> deadline) {
  for (;;) {
    if (child.has_exited()) return Wake::exited;
    if (stop != nullptr && stop->token.stop_requested()) return Wake::stopped;
    const bool must_tick = child.pidfd() < 0 || (stop != nullptr && stop->wake_fd < 0);
    auto timeout = must_tick ? std::optional<Clock::duration>(poll_interval) : std::nullopt;
    if (deadline) {
      const auto now = Clock::now();
      if (now >= *deadline) return Wake::deadline;
      const Clock::duration remaining = *deadline - now;
      timeout = timeout ? std::min(*timeout, remaining) : remaining;
    }
    pollfd fds[2];
    nfds_t count = 0;
    if (child.pidfd() >= 0) fds[count++] = pollfd{child.pidfd(), POLLIN, 0};
    if (stop != nullptr && stop->wake_fd >= 0) fds[count++] = pollfd{stop->wake_fd, POLLIN, 0};
    if (count == 0) {
      std::this_thread::sleep_for(*timeout);  // must_tick holds, so timeout is set
      continue;
    }
    // Rounded up, so a wait never ends just short of the deadline and spins.
    const int timeout_ms =
        timeout ? static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(*timeout).count())
                : -1;
    if (::poll(fds, count, timeout_ms) == -1 && errno != EINTR) {
      throw system_error("poll(pid " + std::to_string(child.pid()) + ")", errno);
    }
  }
}

struct Termination {
  int status = 0;
  bool killed_after_grace = false;  // something of the group outlived the grace period
};

// SIGTERM to the group; SIGKILL once the grace has passed with anything of it alive, and in
// any case before the leader is reaped, to catch stragglers. Returns after the leader is
// reaped and the group is seen gone (or kill_confirmation_limit passed).
Termination terminate_group(Child& child, std::chrono::milliseconds grace) {
  const pid_t group = child.pid();
  signal_group(group, SIGTERM);
  const auto deadline = Clock::now() + grace;
  Termination termination;
  for (;;) {
    if (wait_for(child, nullptr, deadline) == Wake::deadline) {
      termination.killed_after_grace = true;
      break;
    }
    // The shell is gone; background members may still be finishing their cleanup.
    if (!group_has_live_members(group)) break;
    const auto now = Clock::now();
    if (now >= deadline) {
      termination.killed_after_grace = true;
      break;
    }
    std::this_thread::sleep_for(std::min<Clock::duration>(poll_interval, deadline - now));
  }
  // The unreaped leader keeps the group id ours, so this cannot hit a stranger.
  signal_group(group, SIGKILL);
  termination.status = child.reap();
  if (termination.killed_after_grace) {
    const auto limit = Clock::now() + kill_confirmation_limit;
    while (group_has_live_members(group) && Clock::now() < limit) {
      std::this_thread::sleep_for(1ms);
    }
  }
  return termination;
}

// Appends one code point as UTF-8.
void append_replacement_character(std::string& text) {
  text += "\xEF\xBF\xBD";
}

// Valid UTF-8 stays, every invalid byte becomes U+FFFD: details end up in JSON.
std::string sanitize_utf8(std::string_view bytes) {
  std::string text;
  text.reserve(bytes.size());
  std::size_t i = 0;
  while (i < bytes.size()) {
    const auto lead = static_cast<unsigned char>(bytes[i]);
    std::size_t length = 0;
    std::uint32_t minimum = 0;
    std::uint32_t code = 0;
    if (lead < 0x80) {
      text += static_cast<char>(lead);
      ++i;
      continue;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2, minimum = 0x80, code = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3, minimum = 0x800, code = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4, minimum = 0x10000, code = lead & 0x07;
    }
    bool valid = length != 0 && i + length <= bytes.size();
    for (std::size_t k = 1; valid && k < length; ++k) {
      const auto next = static_cast<unsigned char>(bytes[i + k]);
      valid = (next & 0xC0) == 0x80;
      code = (code << 6) | (next & 0x3F);
    }
    valid = valid && code >= minimum && code <= 0x10FFFF && (code < 0xD800 || code > 0xDFFF);
    if (valid) {
      text.append(bytes.substr(i, length));
      i += length;
    } else {
      append_replacement_character(text);
      ++i;
    }
  }
  return text;
}

// The stderr tail as one readable line: valid UTF-8, line breaks shown as " | ", blank
// space at both ends trimmed.
std::string format_tail(std::string_view bytes, bool cut_at_front) {
  if (cut_at_front) {
    // Drop the rest of a character the cut went through (at most three continuation bytes).
    for (int k = 0;
         k < 3 && !bytes.empty() && (static_cast<unsigned char>(bytes[0]) & 0xC0) == 0x80; ++k) {
      bytes.remove_prefix(1);
    }
  }
  constexpr std::string_view blank = " \t\r\n";
  const std::size_t first = bytes.find_first_not_of(blank);
  if (first == std::string_view::npos) return {};
  bytes = bytes.substr(first, bytes.find_last_not_of(blank) - first + 1);
  const std::string text = sanitize_utf8(bytes);
  std::string line;
  line.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    if (text[i] == '\n' || text[i] == '\r') {
      line += " | ";
    } else {
      line += text[i];
    }
  }
  return line;
}

// The last stderr_tail_bytes of what the command wrote to `fd` (a regular file), formatted.
std::string read_stderr_tail(int fd) {
  struct stat info;
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode) || info.st_size <= 0) return {};
  const off_t start = std::max<off_t>(0, info.st_size - static_cast<off_t>(stderr_tail_bytes));
  std::string bytes(static_cast<std::size_t>(info.st_size - start), '\0');
  std::size_t filled = 0;
  while (filled < bytes.size()) {
    const ssize_t count = ::pread(fd, bytes.data() + filled, bytes.size() - filled,
                                  start + static_cast<off_t>(filled));
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0) break;
    filled += static_cast<std::size_t>(count);
  }
  bytes.resize(filled);
  return format_tail(bytes, start > 0);
}

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
  const std::string tail = read_stderr_tail(stderr_fd);
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
  check_no_nul(spec.command, "command");
  const std::vector<std::string> environment = build_environment(spec.extra_environment);

  FileDescriptor input = open_file("/dev/null", O_RDONLY, "stdin");
  const bool shared_output = spec.stdout_path == spec.stderr_path;
  // One open file for both when the paths are equal, like `> file 2>&1`: two would
  // overwrite each other's bytes. Read access is for the stderr tail.
  FileDescriptor error_output =
      open_file(spec.stderr_path, O_RDWR | O_CREAT | O_TRUNC, shared_output ? "output" : "stderr");
  FileDescriptor output;
  if (!shared_output) output = open_file(spec.stdout_path, O_WRONLY | O_CREAT | O_TRUNC, "stdout");
  const int output_fd = shared_output ? error_output.get() : output.get();

  Child child(spawn_shell(spec.command, input.get(), output_fd, error_output.get(), environment));
  input.reset();
  output.reset();

  FileDescriptor wake;
  if (stop.stop_possible()) wake = FileDescriptor(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  // Declared after `wake`, so destroyed (and waited for, if running) before it closes.
  std::optional<std::stop_callback<Waker>> wake_on_stop;
  if (wake.valid()) wake_on_stop.emplace(stop, Waker{wake.get()});

  const StopWatch watch{stop, wake.get()};
  if (wait_for(child, &watch, std::nullopt) == Wake::exited) {
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
  const Termination termination = terminate_group(child, spec.kill_grace);
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
