// The worker: takes rank 0's messages from a WorkerChannel, runs the subtasks on its
// ThreadPool, and sends what the pool reports (through the Outbox, packed by the
// StatusBatcher) back as status batches, with heartbeats, Drained and Goodbye, and relays
// --output stdout blocks to rank 0 when it is asked to (WorkerOptions::terminal_blocks). The same
// loop serves an MPI worker rank and the worker half of a one-process run; only the channel
// differs.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/job_clock.hpp"
#include "core/resources.hpp"
#include "runtime/outbox.hpp"
#include "runtime/status_batcher.hpp"
#include "runtime/terminal_outbox.hpp"
#include "runtime/thread_pool.hpp"
#include "runtime/worker_channel.hpp"
#include "runtime/worker_resources.hpp"
#include "tasktrack/kernel.hpp"
#include "tasktrack/partition.hpp"

namespace tasktrack {

struct WorkerOptions {
  unsigned threads = 1;
  // What this worker owns and how each attempt's share is found (issue 11): the pool gives
  // every attempt `requirement_of(id)` of `owned` (its cores and GPUs by id); empty
  // `requirement_of`: each pool thread's one core. (--bind is the command kernel's own.)
  OwnedResources owned;
  std::function<Resources(SubtaskId)> requirement_of;
  double timeout_seconds = 0;       // per attempt; 0 = none
  double heartbeat_seconds = 2;     // send a Heartbeat when nothing else went out this long
  bool timeout_may_change = false;  // --timeout P%: rank 0 sends the limit (TimeLimit)
  // After Stop: how long running kernels get to notice their stop token, and how long the
  // worker keeps trying to deliver its last messages.
  std::chrono::milliseconds stop_patience{500};
  std::chrono::milliseconds final_send_patience{10000};
  // A growing task list (issue 13): takes a TaskLines message's text into the kernel
  // before the Assign that follows it; empty for every other job (a TaskLines message then
  // breaks the protocol).
  std::function<void(const std::string& json)> add_task_lines;
  // An MPI worker rank with --output stdout: where its kernel's TerminalSink leaves finished
  // blocks (TerminalOutbox::writer); the loop relays them to rank 0, each before the status
  // batch that reports its attempt. Null otherwise (one process writes to its own stdout).
  std::shared_ptr<TerminalOutbox> terminal_blocks;
};

// Not thread-safe: one controlling thread calls every member (the one that owns the channel).
class WorkerLoop {
 public:
  // `channel` and `kernel` must outlive the loop. The pool starts at once.
  WorkerLoop(WorkerChannel& channel, const Kernel& kernel, Partition partition,
             WorkerOptions options, JobClock clock);

  // How the worker's run ended.
  struct Ending {
    unsigned threads_left_behind = 0;  // inside kernels that ignored their stop token
    bool skip_finalize = false;        // rank 0 says a rank was lost: do not MPI_Finalize
  };

  // One round, never blocks (but see Stop): takes rank 0's messages, reports what the pool
  // started and finished, sends Drained and heartbeats when due. On Stop it stops the pool
  // (waiting up to stop_patience), sends what is left and a Goodbye, and flushes the
  // channel; finished() is then true and step() does nothing more. Returns whether anything
  // happened (a message came or a batch went out). Throws ProtocolError.
  bool step();
  bool finished() const { return finished_; }
  const Ending& ending() const { return ending_; }

  // Sleeps until a pool thread reports something, or `timeout`.
  void wait(std::chrono::microseconds timeout) { outbox_.wait_for(timeout); }

  // step() until Stop, sleeping on the outbox with a back-off while nothing happens: a
  // wake-up per finished bundle, or a short timeout to look for messages, deadlines and
  // heartbeats. For a worker rank's main thread.
  //
  // Signals: on SIGTERM/SIGINT the loop drops its queued subtasks and waits for rank 0's
  // Stop; SIGUSR1 is left to rank 0, which drains every worker.
  Ending run();

 private:
  void handle(ToWorkerMessage message);
  void gather_reports();
  bool relay_terminal_blocks();
  void send_batches();
  void send(std::vector<std::byte> message);
  void finish(bool skip_finalize);

  using Clock = std::chrono::steady_clock;

  WorkerChannel& channel_;
  WorkerOptions options_;
  Outbox outbox_;
  ThreadPool pool_;  // after outbox_: it pushes there until joined
  StatusBatcher batcher_;
  std::vector<OutboxEntry> finished_entries_;  // scratch, reused
  std::vector<OutboxEntry> expired_;
  std::vector<std::string> terminal_blocks_;  // scratch, reused
  std::vector<StatusRecord> running_;
  Clock::time_point last_sent_;
  bool draining_ = false;
  bool drained_reported_ = false;
  bool dropped_on_signal_ = false;
  bool finished_ = false;
  Ending ending_;
};

}  // namespace tasktrack
