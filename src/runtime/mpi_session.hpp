// One process of an mpirun job, as the program's entry sees it: MPI started with
// MPI_THREAD_FUNNELED (only the main thread calls MPI) and errors returned instead of
// aborting, so that one dead worker under --enable-recovery costs a retry, not the job; and
// the few collective steps before and after the job. Every MPI call of the program happens
// in the mpi_* files of src/runtime/; app.cpp calls only this.
#pragma once

#include <chrono>
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

class SendQueue;

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

  // Rank 0 passes what it decided (`decided` is ignored elsewhere); every rank returns it.
  // Point to point, so that no rank waits for all: rank 0 sends it to each worker without
  // waiting for any to take it (a stopped worker is found out by exchange_hellos); a worker
  // waits for it, sleeping between looks (rank 0 may read a large task file meanwhile).
  // Throws MpiError, ProtocolError.
  JobMessage share_job(const JobMessage& decided);

  // The worker ranks sharing this node with this rank (rank 0 does not count: it sleeps),
  // at least 1, and this rank's index among them (a node's cores, GPUs and memory are
  // split among them). From the launcher's OMPI_COMM_WORLD_LOCAL_RANK/SIZE and rank 0's
  // host name, so a worker that hangs cannot hold its neighbours here; without them, a
  // collective over MPI_COMM_TYPE_SHARED.
  NodeShare worker_share_on_node(const std::string& coordinator_host);

  // Every worker sends its Hello (`mine`; its rank is filled in here). Rank 0 waits for
  // them until `limit` after it sent the job (share_job), no longer (issue 14: a worker
  // stopped or hung before its hello must not hold the job), and returns those that came,
  // in rank order, and the ranks that did not; a worker returns nothing.
  struct Hellos {
    std::vector<WorkerInfo> workers;
    std::vector<int> missing;
  };
  Hellos exchange_hellos(WorkerInfo mine, std::chrono::duration<double> limit);

  // A worker rank: runs the WorkerLoop over MPI until rank 0's Stop.
  WorkerLoop::Ending run_worker(const Kernel& kernel, Partition partition, WorkerOptions options,
                                JobClock clock);

  // Rank 0: the transport to the workers exchange_hellos returned. Those that never said
  // hello (`missing`) are workers of the transport too, known by their rank alone (no
  // threads): the coordinator declares them lost; the transport never listens to them
  // (should one wake up, its hello would otherwise read as a status message), but it
  // still sends them Stop at the end.
  std::unique_ptr<Transport> connect_workers(const Hellos& hellos);

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
  std::chrono::steady_clock::time_point job_sent_;  // rank 0: when share_job sent the job
  std::unique_ptr<SendQueue> job_sends_;            // rank 0: the Job message to each worker
};

}  // namespace tasktrack
