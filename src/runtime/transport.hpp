// Rank 0's view of its workers: where assignments go and the workers' messages come from.
// The Coordinator only talks to this interface, so the same loop drives MPI workers and the
// in-process worker of a one-process run.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <span>
#include <vector>

#include "core/worker_info.hpp"
#include "runtime/protocol.hpp"

namespace tasktrack {

// Called once per message a worker sent, with the worker's rank, in the order that worker
// sent them: a StatusBatchReader (records; it views the transport's buffer, valid only
// during the call), a Heartbeat, Drained (after Drain: nothing runs there any more) or
// Goodbye (after Stop: its last message; the transport stops listening to it). A handler
// may call the transport's send functions; it must not call poll().
using WorkerMessageHandler = std::function<void(int rank, const FromWorkerMessage& message)>;

// All calls come from rank 0's main thread. Sends never block.
class Transport {
 public:
  virtual ~Transport() = default;

  // The workers as their Hello introduced them, in rank order.
  virtual const std::vector<WorkerInfo>& workers() const = 0;

  // Queues `runs` for the worker; the transport splits them into messages that fit.
  virtual void assign(int rank, std::span<const IdRun> runs) = 0;
  // Asks the worker to drop its queued subtasks and send Drained when nothing runs any more.
  virtual void drain(int rank) = 0;
  // Sets the worker's per-attempt time limit (--timeout P%), for running attempts too.
  virtual void set_time_limit(int rank, const TimeLimit& limit) = 0;
  // A growing task list (issue 13): true when a worker needs the tasks it is assigned sent
  // first (send_task_lines, before the Assign); false when it runs rank 0's own kernel, as
  // the in-process worker does, and has every task already.
  virtual bool needs_task_lines() const { return false; }
  virtual void send_task_lines(int /*rank*/, const TaskLines& /*lines*/) {}
  // Tells the worker to finish; it answers with its last batches and a Goodbye.
  // `skip_finalize`: a rank was lost, so MPI_Finalize may never return; the worker leaves
  // without it.
  virtual void stop(int rank, bool skip_finalize) = 0;

  // Hands every message that has arrived to `handle`. Never blocks. Returns the number of
  // messages handled. Throws ProtocolError on a message this build cannot have sent, and
  // whatever `handle` throws.
  virtual std::size_t poll(const WorkerMessageHandler& handle) = 0;

  // Sleeps until a message may have arrived, at most `timeout` (an in-process worker may
  // stretch it to a few milliseconds: it wakes the wait itself). Must not spin: rank 0
  // shares the node with workers.
  virtual void wait(std::chrono::microseconds timeout) = 0;

  // Ranks whose communication failed since the last call (their process died, under
  // mpirun --enable-recovery); the coordinator treats them as lost.
  virtual std::vector<int> take_broken() = 0;
};

}  // namespace tasktrack
