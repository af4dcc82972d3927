#include "runtime/start_watchdog.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "runtime/local_process.hpp"
#include "tasktrack/error.hpp"

namespace tasktrack {

namespace {

// Ranks other than 0 wait this much longer, so that rank 0's exit (which ends the job
// under a plain mpirun) and its line come first.
constexpr std::chrono::seconds quiet_ranks_delay{5};

}  // namespace

std::chrono::seconds mpi_start_limit() {
  if (const char* text = std::getenv("TASKTRACK_MPI_START_TIMEOUT")) {
    char* end = nullptr;
    const long seconds = std::strtol(text, &end, 10);
    if (end != text && *end == '\0' && seconds > 0) return std::chrono::seconds(seconds);
  }
  return std::chrono::seconds(120);
}

StartWatchdog::StartWatchdog(std::chrono::seconds limit, bool speak, bool end_neighbours) {
  const auto wait = speak ? limit : limit + quiet_ranks_delay;
  thread_ = std::thread([this, wait, limit, speak, end_neighbours] {
    std::unique_lock lock(mutex_);
    if (woken_.wait_for(lock, wait, [this] { return disarmed_; })) return;
    if (speak) {
      const std::string line = fmt::format(
          "tasktrack: error: MPI did not finish starting within {} s: a rank of the job never "
          "reached MPI_Init (a stopped or hung process, or a host that cannot be reached); "
          "ending the job (TASKTRACK_MPI_START_TIMEOUT sets this limit)\n",
          limit.count());
      // write(2): the main thread is inside MPI_Init and may hold stdio's locks.
      [[maybe_unused]] const ssize_t written = ::write(2, line.data(), line.size());
    }
    // Under mpirun --enable-recovery or srun nobody else ends this host's other ranks, and
    // one that is stopped would hold the job forever: end them (a stopped process dies of
    // SIGKILL too). Ranks on other hosts are ended by their own watchdogs.
    if (end_neighbours) {
      for (const SiblingRank& sibling : sibling_ranks())
        ::kill(static_cast<pid_t>(sibling.pid), SIGKILL);
    }
    ::_exit(exit_usage);
  });
}

StartWatchdog::~StartWatchdog() {
  disarm();
  if (thread_.joinable()) thread_.join();
}

void StartWatchdog::disarm() {
  {
    std::lock_guard lock(mutex_);
    disarmed_ = true;
  }
  woken_.notify_all();
}

}  // namespace tasktrack
