// Rank 0's view of its workers: where assignments go and status batches come from. The
// Coordinator only talks to this interface, so the same loop drives MPI workers and the
// in-process pool of a one-process run.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "core/worker_info.hpp"
#include "runtime/protocol.hpp"

namespace tasktrack {

// Called with the sending worker's rank and one encoded StatusBatch: records, or an empty
// batch that is a heartbeat or carries the drained / final flags.
using StatusHandler = std::function<void(int rank, std::span<const std::byte> batch)>;

// All calls come from rank 0's main thread. Sends never block.
class Transport {
 public:
  virtual ~Transport() = default;

  virtual const std::vector<WorkerInfo>& workers() const = 0;

  // Queues `runs` for the worker; the transport splits them into messages that fit.
  virtual void assign(int rank, std::span<const IdRun> runs) = 0;
  // Asks the worker to drop its queued subtasks and report when nothing runs any more.
  virtual void drain(int rank) = 0;
  // Sets the worker's per-attempt time limit (--timeout P%), for running attempts too.
  virtual void set_time_limit(int rank, const TimeLimit& limit) = 0;
  // Tells the worker to finish; it answers with a batch flagged final. `skip_finalize`: a
  // rank was lost, so MPI_Finalize may never return; the worker leaves without it.
  virtual void stop(int rank, bool skip_finalize) = 0;

  // Hands every status batch that has arrived to `handle`. Never blocks. Returns the
  // number of batches handled.
  virtual std::size_t poll(const StatusHandler& handle) = 0;

  // Sleeps until a batch may have arrived, at most `timeout`. Must not spin: rank 0 shares
  // the node with workers.
  virtual void wait(std::chrono::microseconds timeout) = 0;

  // Ranks whose communication failed since the last call (their process died, under
  // mpirun --enable-recovery); the coordinator treats them as lost.
  virtual std::vector<int> take_broken() = 0;
};

}  // namespace tasktrack
