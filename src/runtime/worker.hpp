// A worker rank (rank >= 1): receives assignments from rank 0, runs them on its pool, sends
// status batches back. Only the thread that calls run() touches MPI (MPI_THREAD_FUNNELED).
#pragma once

#include <boost/mpi/communicator.hpp>

#include "core/job_clock.hpp"
#include "tasktrack/kernel.hpp"
#include "tasktrack/partition.hpp"

namespace tasktrack {

struct WorkerOptions {
  unsigned threads = 1;
  double timeout_seconds = 0;       // per attempt; 0 = none
  double heartbeat_seconds = 2;     // send an empty batch when nothing else went out this long
  bool timeout_may_change = false;  // --timeout P%: rank 0 sends the limit (TimeLimit)
};

class Worker {
 public:
  Worker(boost::mpi::communicator world, const Kernel& kernel, Partition partition,
         WorkerOptions options, JobClock clock);

  // How a worker's run ended.
  struct Ending {
    unsigned threads_left_behind = 0;  // inside kernels that ignored their stop token
    bool skip_finalize = false;        // rank 0 says a rank was lost: do not MPI_Finalize
  };

  // Runs until rank 0 sends Stop, then sends what is left with a final flag and returns how
  // it ended (the caller must then end the process with _exit when threads were left behind
  // or finalizing is to be skipped). While its pool computes it sleeps
  // on the outbox instead of spinning: a wake-up per finished bundle, or a short timeout
  // to look for messages, deadlines and heartbeats.
  //
  // Signals: on SIGTERM/SIGINT it drops its queued subtasks and waits for rank 0's Stop;
  // SIGUSR1 is left to rank 0, which drains every worker.
  Ending run();

 private:
  boost::mpi::communicator world_;
  const Kernel& kernel_;
  Partition partition_;
  WorkerOptions options_;
  JobClock clock_;
};

}  // namespace tasktrack
