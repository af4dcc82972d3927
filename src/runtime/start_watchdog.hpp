// A bound on MPI's own start. Open MPI 4.1's MPI_Init waits in a fence for every rank of
// the job: one rank that never reaches it (stopped, hung loading the program, its host
// unreachable) holds every other rank there forever, and tasktrack cannot run on the rest
// (Open MPI's asynchronous modex, which would avoid the fence, fails here with "Unreachable";
// measured, issue 14). The watchdog turns that hang into an exit: if MPI_Init has not
// returned within the limit, the process ends with exit code 2, rank 0 saying why in one
// line. Once MPI has started, the rest of the start is bounded by --worker-timeout instead
// (MpiSession::exchange_hellos).
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace tasktrack {

// The limit on MPI_Init: TASKTRACK_MPI_START_TIMEOUT seconds when set to a positive number,
// else 120 s (a start of thousands of ranks takes tens of seconds).
std::chrono::seconds mpi_start_limit();

class StartWatchdog {
 public:
  // Starts watching. `speak`: this process prints the one line (rank 0); the others leave
  // a few seconds later and silently, so that rank 0's line is the one the user reads.
  // `end_neighbours`: before leaving, end this host's other ranks (launched_by_plain_mpirun()
  // is false: nobody else would).
  StartWatchdog(std::chrono::seconds limit, bool speak, bool end_neighbours);
  ~StartWatchdog();  // disarms

  StartWatchdog(const StartWatchdog&) = delete;
  StartWatchdog& operator=(const StartWatchdog&) = delete;

  // MPI started: the watchdog does nothing more.
  void disarm();

 private:
  std::mutex mutex_;
  std::condition_variable woken_;
  bool disarmed_ = false;
  std::thread thread_;
};

}  // namespace tasktrack
