// The one-process run: rank 0's Coordinator and a WorkerLoop in the same process, joined by
// an in-process channel pair instead of MPI. The coordinator talks to InProcessTransport,
// the loop to InProcessChannel; both sit on rank 0's one thread, which steps the loop at
// every poll and before every wait, so what rank 0 sends reaches the pool before the thread
// sleeps, and there is no thread, lock or copy between them beyond the pool's own.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "core/job_clock.hpp"
#include "runtime/transport.hpp"
#include "runtime/worker_channel.hpp"
#include "runtime/worker_loop.hpp"
#include "tasktrack/kernel.hpp"

namespace tasktrack {

// The worker's end: what rank 0 sent waits in `inbox`, what the worker sent in `reports`,
// until the other side takes it. Nothing is in flight, so flush() has nothing to wait for.
class InProcessChannel final : public WorkerChannel {
 public:
  std::optional<ToWorkerMessage> receive() override;
  void send(std::vector<std::byte> message) override;
  std::size_t sends_in_flight() override { return 0; }
  void flush(std::chrono::milliseconds) override {}

  std::deque<ToWorkerMessage> inbox;
  std::vector<std::vector<std::byte>> reports;  // encoded FromWorkerMessages, in order
};

// The coordinator's end. The worker is rank 0 itself.
class InProcessTransport final : public Transport {
 public:
  // `worker`: what the in-process worker says of itself (its rank is 0).
  InProcessTransport(const Kernel& kernel, Partition partition, WorkerOptions options,
                     WorkerInfo worker, JobClock clock);

  const std::vector<WorkerInfo>& workers() const override { return workers_; }
  void assign(int rank, std::span<const IdRun> runs) override;
  void drain(int rank) override;
  void set_time_limit(int rank, const TimeLimit& limit) override;
  void stop(int rank, bool skip_finalize) override;
  std::size_t poll(const WorkerMessageHandler& handle) override;
  void wait(std::chrono::microseconds timeout) override;
  std::vector<int> take_broken() override { return {}; }

  // Pool threads left inside kernels that ignored their stop token (valid after stop()).
  unsigned threads_left_behind() const { return loop_.ending().threads_left_behind; }

 private:
  // Leaves `message` for the worker; the loop takes it at the next poll or wait.
  void deliver(ToWorkerMessage message);

  std::vector<WorkerInfo> workers_;
  InProcessChannel channel_;
  WorkerLoop loop_;                               // after channel_: it uses it
  std::vector<std::vector<std::byte>> handling_;  // the reports poll() is handing out
};

}  // namespace tasktrack
