// A rank's local pool: runs subtasks of one kernel and leaves finished attempts in an Outbox.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <stop_token>
#include <thread>
#include <vector>

#include "tasktrack/job_clock.hpp"
#include "tasktrack/kernel.hpp"
#include "tasktrack/outbox.hpp"
#include "tasktrack/partition.hpp"
#include "tasktrack/protocol.hpp"

namespace tasktrack {

// Threads take runs of queued subtasks (a share of what is queued, so fast subtasks are not
// taken one lock at a time while slow ones still spread over all threads), run the kernel,
// and push finished attempts to the outbox in small bundles. A kernel that throws fails its
// attempt; it never ends the thread.
//
// enqueue(), collect_newly_running(), queued() and stop() are for one controlling thread
// (the rank's main thread); the pool's own threads only run subtasks.
class ThreadPool {
 public:
  ThreadPool(const Kernel& kernel, Partition partition, unsigned threads, Outbox& outbox,
             JobClock clock);
  ~ThreadPool();  // stop()

  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void enqueue(std::span<const IdRun> runs);

  // Appends a `running` record for every subtask that started since it was last reported
  // and is still running. Subtasks that finish quickly are never reported as running.
  void collect_newly_running(std::vector<StatusRecord>& out);

  // Subtasks queued and not yet taken by a thread.
  std::size_t queued() const;
  unsigned size() const { return thread_count_; }

  // Drops queued subtasks, asks running kernels to stop (stop token) and joins the threads.
  // Attempts that still finish are pushed to the outbox as usual.
  void stop();

 private:
  // What a thread publishes about its current subtask: a seqlock. `sequence` is odd while
  // a subtask runs; the fields are valid when two reads of `sequence` agree.
  struct alignas(64) Slot {
    std::atomic<std::uint64_t> sequence{0};
    std::atomic<SubtaskId> subtask{0};
    std::atomic<std::uint32_t> attempt{0};
    std::atomic<double> start{0};
    std::uint64_t reported = 0;  // controlling thread only
  };

  void run_thread(unsigned index, std::stop_token stop);
  bool take_run(IdRun& run);  // blocks until work or stop; false on stop
  OutboxEntry run_one(unsigned index, SubtaskId id, std::uint32_t attempt,
                      std::stop_token stop);

  const Kernel& kernel_;
  Partition partition_;
  Outbox& outbox_;
  JobClock clock_;

  mutable std::mutex mutex_;
  std::condition_variable work_available_;
  std::deque<IdRun> queue_;
  std::size_t queued_ = 0;
  bool stopping_ = false;

  const unsigned thread_count_;
  std::unique_ptr<Slot[]> slots_;
  std::vector<std::jthread> threads_;
};

// Threads per worker when --threads is not given: SLURM_CPUS_PER_TASK when set, else this
// node's cores shared among the `ranks_on_node` ranks that run pools here (at least 1).
unsigned default_thread_count(unsigned ranks_on_node);

}  // namespace tasktrack
