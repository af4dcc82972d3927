// One process of an mpirun job, as the program's entry sees it: MPI started with
// MPI_THREAD_FUNNELED (only the main thread calls MPI) and errors returned instead of
// aborting, so that one dead worker under --enable-recovery costs a retry, not the job; and
// the few collective steps before and after the job. Every MPI call of the program happens
// in the mpi_* files of src/runtime/; app.cpp calls only this.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/job_clock.hpp"
#include "runtime/protocol.hpp"
#include "runtime/transport.hpp"
#include "runtime/worker_loop.hpp"
#include "runtime/worker_resources.hpp"
#include "tasktrack/kernel.hpp"
#include "tasktrack/partition.hpp"

namespace tasktrack {

// `tasktrack --version`'s MPI lines: the MPI this was built with and, when the library can
// say, the one it runs on ("built with Open MPI 4.1.4 (MPI 3.1)\nrunning Open MPI v4.1.4\n").
// Needs no MPI_Init.
std::string mpi_library_text();

// Main thread only. The destructor finalizes MPI unless finalize() already did.
class MpiSession {
 public:
  MpiSession(int argc, char** argv);  // MPI_Init_thread; throws MpiError
  ~MpiSession();

  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  // False when the MPI library cannot give MPI_THREAD_FUNNELED: the job must not start.
  bool funneled() const { return funneled_; }

  // Collective: rank 0 passes what it decided (`decided` is ignored elsewhere); every rank
  // returns it. Throws MpiError, ProtocolError.
  JobMessage share_job(const JobMessage& decided);

  // Collective: the worker ranks sharing this node with this rank (rank 0 does not count:
  // it sleeps), at least 1, and this rank's index among them (a node's cores, GPUs and
  // memory are split among them).
  NodeShare worker_share_on_node();

  // Collective: every worker sends its Hello (`mine`; its rank is filled in here); rank 0
  // returns every worker's, in rank order, and a worker an empty list.
  std::vector<WorkerInfo> exchange_hellos(WorkerInfo mine);

  // A worker rank: runs the WorkerLoop over MPI until rank 0's Stop.
  WorkerLoop::Ending run_worker(const Kernel& kernel, Partition partition, WorkerOptions options,
                                JobClock clock);

  // Rank 0: the transport to `workers` (as exchange_hellos returned them).
  std::unique_ptr<Transport> connect_workers(std::vector<WorkerInfo> workers);

  // Finalizes MPI now: before an _exit, since mpirun waits for every rank's MPI_Finalize.
  void finalize();

  // Ends the whole job with `exit_code`: for an error mid-job, when other ranks may be
  // waiting for this one.
  [[noreturn]] void abort(int exit_code);

 private:
  int rank_ = 0;
  int size_ = 1;
  bool funneled_ = false;
  bool finalized_ = false;
};

}  // namespace tasktrack
