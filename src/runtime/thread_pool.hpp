// A rank's local pool: runs subtasks of one kernel and leaves finished attempts in an Outbox.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stop_token>
#include <thread>
#include <vector>

#include "core/job_clock.hpp"
#include "core/resources.hpp"
#include "runtime/kernel_with_resources.hpp"
#include "runtime/outbox.hpp"
#include "runtime/protocol.hpp"
#include "runtime/worker_resources.hpp"
#include "tasktrack/kernel.hpp"
#include "tasktrack/partition.hpp"

namespace tasktrack {

// Which of the worker's cores and GPUs the pool's attempts get (issue 11), as
// SubtaskContext::cores and ::gpus.
struct AttemptResources {
  OwnedResources owned;
  // Set: the attempt of subtask `id` gets requirement_of(id) cores and GPUs of `owned` for
  // the time its kernel runs (KernelWithResources). Called on pool threads, concurrently.
  // Empty: pool thread i's attempts get core owned.cores[i % size] (none when `owned` has no
  // cores) and no GPU, fixed once per thread: nothing per subtask on the hot path.
  std::function<Resources(SubtaskId)> requirement_of;
};

// Threads take runs of queued subtasks (a share of what is queued, so fast subtasks are not
// taken one lock at a time while slow ones still spread over all threads), run the kernel,
// and push finished attempts to the outbox in small bundles. A kernel that throws fails its
// attempt; it never ends the thread.
//
// Timeouts: expire_overdue() reports an attempt past its deadline as failed (timeout) at
// once and requests its stop token. Exactly one report per attempt: the watchdog and the
// thread race for the attempt's claim and the loser's report is dropped. A kernel that
// ignores the token keeps its thread: the pool starts a replacement (up to one per
// configured thread) so the rank keeps its capacity; the stuck thread exits when the
// kernel returns, or is left behind (detached) by stop().
//
// Every member function is for one controlling thread (the rank's main thread); the pool's
// own threads only run subtasks.
class ThreadPool {
 public:
  // `timeout_seconds` <= 0: attempts have no deadline, unless `timeout_may_change`
  // (--timeout P%): then set_timeout() gives them one later.
  ThreadPool(const Kernel& kernel, Partition partition, unsigned threads, Outbox& outbox,
             JobClock clock, double timeout_seconds = 0, bool timeout_may_change = false,
             AttemptResources resources = {});
  ~ThreadPool();  // stop()

  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void enqueue(std::span<const IdRun> runs);

  // Appends a `running` record for every subtask that started since it was last reported
  // and is still running. Subtasks that finish quickly are never reported as running.
  void collect_newly_running(std::vector<StatusRecord>& out);
  // Controlling thread, after sending what collect_newly_running() gave: those notices are
  // out. A task-list attempt (a command) starts only once its notice is out or after
  // running_notice_patience: a command that kills its worker (`kill -9 $PPID`) is then
  // known to rank 0 as running there and is charged the crash (--crash-limit, issue 14).
  void running_notices_sent();
  // Before any enqueue: task-list attempts wait for their running notice as above. Only an
  // owner that calls running_notices_sent() (the WorkerLoop) may turn it on.
  void wait_for_running_notices() { wait_for_notices_ = true; }

  // Appends a failed (timeout) entry for every attempt past its deadline; see above.
  void expire_overdue(std::vector<OutboxEntry>& out);

  // A new per-attempt limit, for running and queued attempts alike (the pool must have been
  // made with timeout_may_change, or with a timeout). `description` names it in failure
  // details: "attempt ran past <description>". `seconds` <= 0: no limit.
  void set_timeout(double seconds, std::string description);

  // Drops the queued subtasks, and the rest of the runs threads have taken (a drain);
  // running ones go on. Returns how many queued subtasks were dropped.
  std::size_t drop_queued();

  std::size_t queued() const;
  // True while a subtask is queued or running (a thread left behind does not count).
  bool busy() const;
  unsigned size() const { return thread_count_; }

  // Drops queued subtasks, requests every stop token, and waits up to `patience` for the
  // threads to return; threads still inside a kernel after that are detached. Returns how
  // many were left behind: the process should then end with _exit, not unwind past them.
  // Attempts that finish meanwhile are pushed to the outbox as usual.
  unsigned stop(std::chrono::milliseconds patience = std::chrono::milliseconds(2000));

 private:
  // What a thread publishes about its current attempt. `sequence` is odd while an attempt
  // runs (a seqlock for subtask/attempt/start); `claimed` holds the sequence of the last
  // attempt whose outcome was reported, by the thread or by the watchdog.
  struct alignas(64) Slot {
    std::atomic<std::uint64_t> sequence{0};
    std::atomic<std::uint64_t> claimed{0};
    std::atomic<SubtaskId> subtask{0};
    std::atomic<std::uint32_t> attempt{0};
    std::atomic<double> start{0};
    std::atomic<bool> abandoned{false};  // its attempt timed out; a replacement runs
    // The thread's current run: subtasks [run_next, run_end) are not started yet.
    std::atomic<std::uint64_t> run_next{0};
    std::atomic<std::uint64_t> run_end{0};
    std::atomic<std::uint32_t> run_attempt{0};
    std::atomic<bool> exited{false};
    std::mutex stop_mutex;  // guards attempt_stop
    std::stop_source attempt_stop{std::nostopstate};
    std::uint64_t reported_running = 0;          // controlling thread only
    std::atomic<std::uint64_t> running_sent{0};  // the last sequence whose notice is out
  };

  void start_thread();
  void run_thread(Slot& slot, std::uint16_t index);
  // Blocks until work or stop; false on stop. Pushes the thread's `unsent` results first
  // when it would wait.
  bool take_run(IdRun& run, std::vector<OutboxEntry>& unsent);
  // Runs one attempt that starts at `start` (job-clock seconds) in the thread's `context`;
  // nullopt when the watchdog already reported it timed out. With holds_results() it pushes
  // `unsent` along with its running notice.
  std::optional<OutboxEntry> run_one(Slot& slot, std::uint16_t index, SubtaskContext& context,
                                     SubtaskId id, std::uint32_t attempt, double start,
                                     std::vector<OutboxEntry>& unsent);
  // Task-list attempts wait for their running notice (wait_for_running_notices): a thread
  // then holds its finished attempts until its next notice or until it waits for work, so
  // the main thread wakes and sends once per task, not twice.
  bool holds_results() const { return with_resources_ && wait_for_notices_; }
  void requeue_front(IdRun run);
  void thread_done(Slot& slot);  // marks it exited and tells stop()

  const Kernel* kernel_;  // what threads run: with_resources_ when set, else the caller's
  Partition partition_;
  Outbox& outbox_;
  JobClock clock_;
  const bool deadlines_;      // attempts get their own stop source, for the watchdog
  double timeout_;            // the limit now; <= 0: none (controlling thread only)
  std::string timeout_text_;  // "the 30 s timeout"
  const unsigned thread_count_;

  mutable std::mutex mutex_;
  std::condition_variable work_available_;
  std::condition_variable thread_exited_;
  std::deque<IdRun> queue_;
  std::size_t queued_ = 0;
  unsigned running_ = 0;  // threads inside a run, abandoned ones excluded
  std::atomic<bool> stopping_{false};
  bool wait_for_notices_ = false;
  std::mutex sent_mutex_;  // with notice_sent_: a task waits for its running notice
  std::condition_variable notice_sent_;
  std::atomic<std::uint64_t> drops_{0};  // drop_queued() calls so far
  std::stop_source pool_stop_;

  std::deque<Slot> slots_;  // one per thread ever started; addresses stay put
  std::vector<std::thread> threads_;

  // Last: the members threads read per subtask keep the layout W1 was measured with.
  const OwnedResources owned_;
  std::unique_ptr<KernelWithResources> with_resources_;  // when attempts have requirements
};

}  // namespace tasktrack
