#include "tasktrack/in_process_transport.hpp"

namespace tasktrack {

InProcessTransport::InProcessTransport(const Kernel& kernel, Partition partition,
                                       unsigned threads, std::string host, JobClock clock)
    : workers_{WorkerInfo{0, std::move(host), threads}},
      pool_(kernel, partition, threads, outbox_, clock) {}

void InProcessTransport::assign(int, std::span<const IdRun> runs) { pool_.enqueue(runs); }

std::size_t InProcessTransport::poll(const StatusHandler& handle) {
  running_.clear();
  pool_.collect_newly_running(running_);
  outbox_.take(finished_);
  batcher_.add(running_);
  batcher_.add(finished_);
  std::size_t handled = 0;
  for (const auto& message : batcher_.take()) {
    handle(0, message);
    ++handled;
  }
  return handled;
}

void InProcessTransport::wait(std::chrono::microseconds timeout) { outbox_.wait_for(timeout); }

void InProcessTransport::stop_workers(const StatusHandler& handle, std::chrono::milliseconds) {
  pool_.stop();
  poll(handle);
}

}  // namespace tasktrack
