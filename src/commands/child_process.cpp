#include "commands/child_process.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "commands/output_pump.hpp"

namespace tasktrack::process {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Tick of the waits that cannot block on a file descriptor: no pidfd (old kernels), no
// eventfd, or other members of a stopped group that outlive its shell.
constexpr auto poll_interval = 10ms;
// After SIGKILL a process is doomed but dies asynchronously; how long we wait to see the
// group gone before returning anyway (a non-reaping init can leave zombies, which we ignore).
constexpr auto kill_confirmation_limit = 2s;

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

}  // namespace

Child::Child(pid_t pid) : pid_(pid), pidfd_(open_pidfd(pid)) {}

Child::~Child() {
  if (reaped_) return;
  signal_group(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) == -1 && errno == EINTR) {
  }
}

bool Child::has_exited() {
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
    throw system_call_error("waitid(" + std::to_string(pid_) + ")", errno);
  }
}

int Child::reap() {
  for (;;) {
    int status = 0;
    struct rusage used {};
    if (::wait4(pid_, &status, 0, &used) == pid_) {
      reaped_ = true;
      usage_.max_rss_bytes = static_cast<std::uint64_t>(used.ru_maxrss) * 1024;  // KiB
      usage_.user_cpu_seconds = static_cast<double>(used.ru_utime.tv_sec) +
                                static_cast<double>(used.ru_utime.tv_usec) / 1e6;
      usage_.system_cpu_seconds = static_cast<double>(used.ru_stime.tv_sec) +
                                  static_cast<double>(used.ru_stime.tv_usec) / 1e6;
      return status;
    }
    if (errno == EINTR) continue;
    reaped_ = true;
    throw system_call_error("waitpid(" + std::to_string(pid_) + ")", errno);
  }
}

void Waker::operator()() const noexcept {
  const int saved_errno = errno;
  const std::uint64_t one = 1;
  while (::write(fd, &one, sizeof one) == -1 && errno == EINTR) {
  }
  errno = saved_errno;
}

Wake wait_for(Child& child, const StopWatch* stop, std::optional<Clock::time_point> deadline,
              OutputPump* pump) {
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
    pollfd fds[4];
    nfds_t count = 0;
    if (child.pidfd() >= 0) fds[count++] = pollfd{child.pidfd(), POLLIN, 0};
    if (stop != nullptr && stop->wake_fd >= 0) fds[count++] = pollfd{stop->wake_fd, POLLIN, 0};
    const nfds_t first_pipe = count;
    if (pump != nullptr) count += pump->poll_fds(fds + count);
    if (count == 0) {
      std::this_thread::sleep_for(*timeout);  // must_tick holds, so timeout is set
      continue;
    }
    // Rounded up, so a wait never ends just short of the deadline and spins.
    const int timeout_ms =
        timeout ? static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(*timeout).count())
                : -1;
    const int ready = ::poll(fds, count, timeout_ms);
    if (ready == -1 && errno != EINTR) {
      throw system_call_error("poll(pid " + std::to_string(child.pid()) + ")", errno);
    }
    if (ready > 0 && pump != nullptr) pump->service(fds + first_pipe, count - first_pipe);
  }
}

bool end_leftover_group(pid_t group, std::chrono::milliseconds grace) {
  if (!group_has_live_members(group)) return false;
  signal_group(group, SIGTERM);
  const auto deadline = Clock::now() + grace;
  while (group_has_live_members(group)) {
    if (Clock::now() >= deadline) {
      signal_group(group, SIGKILL);
      const auto limit = Clock::now() + kill_confirmation_limit;
      while (group_has_live_members(group) && Clock::now() < limit) {
        std::this_thread::sleep_for(1ms);
      }
      break;
    }
    std::this_thread::sleep_for(poll_interval);
  }
  return true;
}

Termination terminate_group(Child& child, std::chrono::milliseconds grace, OutputPump* pump) {
  const pid_t group = child.pid();
  signal_group(group, SIGTERM);
  const auto deadline = Clock::now() + grace;
  Termination termination;
  for (;;) {
    if (wait_for(child, nullptr, deadline, pump) == Wake::deadline) {
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

}  // namespace tasktrack::process
