// A worker rank (rank >= 1): receives assignments from rank 0, runs them on its pool, sends
// status batches back. Only the thread that calls run() touches MPI (MPI_THREAD_FUNNELED).
#pragma once

#include <boost/mpi/communicator.hpp>

#include "tasktrack/job_clock.hpp"
#include "tasktrack/kernel.hpp"
#include "tasktrack/partition.hpp"

namespace tasktrack {

class Worker {
 public:
  Worker(boost::mpi::communicator world, const Kernel& kernel, Partition partition,
         unsigned threads, JobClock clock);

  // Runs until rank 0 sends Stop, then sends what is left with a final flag and returns.
  // While its pool computes it sleeps on the outbox instead of spinning: a wake-up per
  // finished bundle, or a short timeout to look for new assignments.
  void run();

 private:
  boost::mpi::communicator world_;
  const Kernel& kernel_;
  Partition partition_;
  unsigned threads_;
  JobClock clock_;
};

}  // namespace tasktrack
