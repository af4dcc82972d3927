#include "runtime/worker_loop.hpp"

#include <algorithm>
#include <type_traits>
#include <variant>

#include "runtime/signals.hpp"

namespace tasktrack {

namespace {

using std::chrono::microseconds;

// Sends in flight before the worker lets records pile up in the batcher instead: a slow
// rank 0 then gets fewer, larger batches.
constexpr std::size_t max_sends_in_flight = 8;

// How long run() sleeps when nothing happened: doubles from the first value up to the
// second. Bounds the delay before a new assignment is seen; credits keep the pool busy
// meanwhile.
constexpr microseconds first_pause{50};
constexpr microseconds longest_pause{1000};

// How long run() sleeps while subtasks are queued behind the running ones: nothing rank 0
// could send is needed before a thread finishes. Polling MPI meanwhile only took CPU from
// the subtasks (issue 14: workers' CPU beside 2,000 commands of ~4 ms went from 0.94 s to
// 0.66 s). Finished attempts do not wake it either: they wait, at most this long, and go
// out together (10^7 noop subtasks pushed a bundle every few microseconds, and a wake-up
// each took the core from the pool). What does wake it: a task waiting for its running
// notice, and a pool thread that ran out of work (ThreadPool::take_run), so that rank 0
// hears at once when a worker needs more. Bounds how late the loop sees Stop, Drain and a
// time limit, and expires an overdue attempt.
constexpr microseconds fed_pause{5000};

}  // namespace

WorkerLoop::WorkerLoop(WorkerChannel& channel, const Kernel& kernel, Partition partition,
                       WorkerOptions options, JobClock clock)
    : channel_(channel),
      options_(options),
      pool_(kernel, partition, options.threads, outbox_, clock, options.timeout_seconds,
            options.timeout_may_change, AttemptResources{options.owned, options.requirement_of}),
      last_sent_(Clock::now()) {
  pool_.wait_for_running_notices();  // send_batches() says when they are out
}

void WorkerLoop::send(std::vector<std::byte> message) {
  channel_.send(std::move(message));
  last_sent_ = Clock::now();
}

void WorkerLoop::send_batches() {
  for (auto& message : batcher_.take()) send(std::move(message));
  pool_.running_notices_sent();  // a task waiting for its notice may start (--crash-limit)
}

void WorkerLoop::gather_reports() {
  running_.clear();
  expired_.clear();
  pool_.collect_newly_running(running_);
  pool_.expire_overdue(expired_);
  outbox_.take(finished_entries_);
  batcher_.add(running_);
  batcher_.add(expired_);
  batcher_.add(finished_entries_);
}

// After gather_reports(): a block is pushed before its attempt's outcome, so every block of
// an attempt just gathered is taken here, and goes out before the batch that reports it.
bool WorkerLoop::relay_terminal_blocks() {
  if (!options_.terminal_blocks) return false;
  options_.terminal_blocks->take(terminal_blocks_);
  for (const std::string& block : terminal_blocks_) {
    for (auto& message : encode_terminal_block(block)) send(std::move(message));
  }
  const bool relayed = !terminal_blocks_.empty();
  terminal_blocks_.clear();
  return relayed;
}

void WorkerLoop::handle(ToWorkerMessage message) {
  std::visit(
      [&](auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, Assign>) {
          if (!draining_) pool_.enqueue(m.runs);
        } else if constexpr (std::is_same_v<M, Drain>) {
          pool_.drop_queued();
          draining_ = true;
        } else if constexpr (std::is_same_v<M, TimeLimit>) {
          pool_.set_timeout(m.seconds, describe(m));
        } else if constexpr (std::is_same_v<M, Stop>) {
          finish(m.skip_finalize);
        } else if constexpr (std::is_same_v<M, TaskLines>) {
          if (!options_.add_task_lines) throw ProtocolError("task lines for a job that has none");
          options_.add_task_lines(m.json);
        }
      },
      message);
}

bool WorkerLoop::step() {
  if (finished_) return false;
  bool progressed = false;
  // Reports go out before the loop looks for messages: a command waiting for its running
  // notice starts as soon as it is sent, and a look that finds nothing may give the core
  // away first (Open MPI's yield when idle, on when ranks outnumber cores).
  // Idle before gathering: a pool thread pushes its results before it stops counting as
  // busy, so once idle, this gather holds everything that finished.
  const bool idle = !pool_.busy();
  gather_reports();
  // Blocks go out whatever is in flight: held back, they would only wait in memory here.
  if (relay_terminal_blocks()) progressed = true;
  if (!batcher_.empty() && channel_.sends_in_flight() < max_sends_in_flight) {
    send_batches();
    progressed = true;
  }
  while (auto message = channel_.receive()) {
    progressed = true;
    handle(std::move(*message));
    if (finished_) return true;
  }
  if (!dropped_on_signal_ && stop_requested() == StopRequest::fast) {
    pool_.drop_queued();  // nothing new starts; rank 0 collects what finished and stops us
    dropped_on_signal_ = true;
  }
  if (draining_ && !drained_reported_ && idle && batcher_.empty()) {
    send(encode(Drained{}));
    drained_reported_ = true;
  }
  const auto heartbeat = std::chrono::duration<double>(options_.heartbeat_seconds);
  if (Clock::now() - last_sent_ >= heartbeat) send(encode(Heartbeat{}));
  return progressed;
}

// Stop: rank 0 has what it needs. Report whatever still finishes, then say goodbye so rank 0
// stops listening to this worker in order.
void WorkerLoop::finish(bool skip_finalize) {
  ending_.skip_finalize = skip_finalize;
  ending_.threads_left_behind = pool_.stop(options_.stop_patience);
  gather_reports();
  relay_terminal_blocks();
  send_batches();
  send(encode(Goodbye{}));
  channel_.flush(options_.final_send_patience);
  finished_ = true;
}

WorkerLoop::Ending WorkerLoop::run() {
  microseconds pause = first_pause;
  while (!finished_) {
    const bool progressed = step();
    if (!finished_ && pool_.queued() > 0) {
      outbox_.wait_for_wake(fed_pause);
      pause = first_pause;
    } else if (progressed) {
      pause = first_pause;
    } else {
      wait(pause);
      pause = std::min(pause * 2, longest_pause);
    }
  }
  return ending_;
}

}  // namespace tasktrack
