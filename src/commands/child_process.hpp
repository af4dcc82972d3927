// A started command's process group: waiting for it without spinning, stopping all of it
// (SIGTERM, then SIGKILL) and reaping it. Internal to the command runner.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <stop_token>

#include "commands/posix_call.hpp"
#include "tasktrack/attempt_report.hpp"

namespace tasktrack::process {

// Our child, the leader of its own process group: waits on it without reaping (so that its
// pid, the group id, stays ours and cannot be reused while we still signal the group), then
// reaps it once. Owned by one thread.
class Child {
 public:
  explicit Child(pid_t pid);
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  // Only reached unreaped when an exception unwinds: SIGKILL to the group, then reaps.
  ~Child();

  pid_t pid() const { return pid_; }
  int pidfd() const { return pidfd_.get(); }  // -1 on kernels without pidfd_open

  // True once the child has exited (it is not reaped). Throws SystemError.
  bool has_exited();
  // Blocks until the child has ended; returns its wait status. Throws SystemError.
  int reap();
  // After reap: what the leader and the descendants it waited for used (wait4's rusage):
  // peak resident memory of the largest of them, user and system CPU of all of them.
  const AttemptUsage& usage() const { return usage_; }

 private:
  pid_t pid_;
  FileDescriptor pidfd_;
  bool exited_ = false;
  bool reaped_ = false;
  AttemptUsage usage_;
};

class OutputPump;

// Wakes the waiting thread through an eventfd. Runs in the thread that requests the stop,
// so it must not block: a non-blocking write of 1 to a counter never does.
struct Waker {
  int fd;
  void operator()() const noexcept;
};

struct StopWatch {
  const std::stop_token& token;
  int wake_fd;  // -1: check the token every poll interval
};

enum class Wake { exited, stopped, deadline };

// Waits until the child has exited (not reaped), a stop is requested (when `stop` is
// given) or `deadline` passes. Sleeps in poll() on the pidfd, the wake fd and the pump's
// pipes (when `pump` is given: their bytes are moved as they arrive, so a command never
// blocks on a full pipe); ticks every few milliseconds only for what it cannot wait on.
// Throws SystemError.
Wake wait_for(Child& child, const StopWatch* stop,
              std::optional<std::chrono::steady_clock::time_point> deadline,
              OutputPump* pump = nullptr);

struct Termination {
  int status = 0;
  bool killed_after_grace = false;  // something of the group outlived the grace period
};

// SIGTERM to the group; SIGKILL once `grace` has passed with anything of it alive, and in
// any case before the leader is reaped, to catch stragglers. Returns after the leader is
// reaped and the group is seen gone (or a confirmation limit passed). `pump`: as wait_for.
// After the leader of `group` was reaped: ends what is left of the group (SIGTERM; SIGKILL
// once `grace` has passed with anything of it alive) and returns true, or returns false at
// once when nothing of it is alive. The common case, an empty group, costs one kill(2); a
// scan of /proc only runs when something (a zombie at least) is left. Signalling a reaped
// leader's group is safe while a member lives: a member holds the id, so no new process
// can take it.
bool end_leftover_group(pid_t group, std::chrono::milliseconds grace);

Termination terminate_group(Child& child, std::chrono::milliseconds grace,
                            OutputPump* pump = nullptr);

}  // namespace tasktrack::process
