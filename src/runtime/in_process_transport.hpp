// The one-process run: rank 0 coordinates and runs the subtasks on its own pool, through the
// same Coordinator loop and the same status batches as MPI workers use.
#pragma once

#include "core/job_clock.hpp"
#include "runtime/outbox.hpp"
#include "runtime/status_batcher.hpp"
#include "runtime/thread_pool.hpp"
#include "runtime/transport.hpp"
#include "tasktrack/kernel.hpp"

namespace tasktrack {

class InProcessTransport final : public Transport {
 public:
  InProcessTransport(const Kernel& kernel, Partition partition, unsigned threads,
                     double timeout_seconds, bool timeout_may_change, std::string host,
                     JobClock clock);

  const std::vector<WorkerInfo>& workers() const override { return workers_; }
  void assign(int rank, std::span<const IdRun> runs) override;
  void drain(int rank) override;
  void set_time_limit(int rank, const TimeLimit& limit) override;
  void stop(int rank, bool skip_finalize) override;
  std::size_t poll(const StatusHandler& handle) override;
  void wait(std::chrono::microseconds timeout) override;
  std::vector<int> take_broken() override { return {}; }

  // Pool threads left inside kernels that ignored their stop token (valid after stop()).
  unsigned threads_left_behind() const { return left_behind_; }

 private:
  std::vector<WorkerInfo> workers_;
  Outbox outbox_;
  ThreadPool pool_;  // after outbox_: it pushes there until joined
  StatusBatcher batcher_;
  std::vector<OutboxEntry> finished_;
  std::vector<OutboxEntry> expired_;
  std::vector<StatusRecord> running_;
  bool draining_ = false;
  bool drained_reported_ = false;
  bool stopped_ = false;
  bool goodbye_reported_ = false;
  unsigned left_behind_ = 0;
};

}  // namespace tasktrack
