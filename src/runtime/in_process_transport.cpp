#include "runtime/in_process_transport.hpp"

#include <unistd.h>

#include <algorithm>

namespace tasktrack {

namespace {
constexpr std::chrono::microseconds longest_idle_wait{5000};
}  // namespace

std::optional<ToWorkerMessage> InProcessChannel::receive() {
  if (inbox.empty()) return std::nullopt;
  ToWorkerMessage message = std::move(inbox.front());
  inbox.pop_front();
  return message;
}

void InProcessChannel::send(std::vector<std::byte> message) {
  reports.push_back(std::move(message));
}

InProcessTransport::InProcessTransport(const Kernel& kernel, Partition partition,
                                       WorkerOptions options, WorkerInfo worker, JobClock clock)
    : workers_{std::move(worker)}, loop_(channel_, kernel, partition, options, clock) {}

void InProcessTransport::deliver(ToWorkerMessage message) {
  channel_.inbox.push_back(std::move(message));
}

void InProcessTransport::assign(int, std::span<const IdRun> runs) {
  deliver(Assign{std::vector<IdRun>(runs.begin(), runs.end())});
}

void InProcessTransport::drain(int) {
  deliver(Drain{});
}

void InProcessTransport::set_time_limit(int, const TimeLimit& limit) {
  deliver(limit);
}

void InProcessTransport::stop(int, bool skip_finalize) {
  deliver(Stop{skip_finalize});
}

std::size_t InProcessTransport::poll(const WorkerMessageHandler& handle) {
  loop_.step();
  // The handler may send the worker something, which steps the loop and adds reports:
  // those wait for the next poll, after the ones handed out here.
  handling_.clear();
  handling_.swap(channel_.reports);
  for (const auto& message : handling_) handle(0, decode_from_worker(message));
  return handling_.size();
}

void InProcessTransport::wait(std::chrono::microseconds timeout) {
  // What rank 0 sent since the last poll reaches the pool before this thread sleeps. Only
  // then: a step also gathers from the pool, whose locks its threads share, and poll()
  // has just done that (measured: stepping here every time cost 20% of W1's wall).
  if (!channel_.inbox.empty()) {
    loop_.step();
    if (!channel_.reports.empty()) return;
  }
  // The pool wakes this wait whenever it pushes results, so unlike an MPI rank 0 it need
  // not poll often: the coordinator's short back-off is only its floor. Waking every few
  // milliseconds still catches deadlines, drains and signals in good time, and keeps the
  // coordinating thread from costing its pool threads CPU (measured: primes over [0, 2e7)
  // in one process, 0.12 -> 0.01 CPU s on this thread and 5% less wall).
  loop_.wait(std::max(timeout, longest_idle_wait));
}

}  // namespace tasktrack
