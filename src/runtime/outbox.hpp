// Where pool threads leave finished attempts for the one thread that talks to rank 0.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "runtime/protocol.hpp"

namespace tasktrack {

// A finished attempt: its status record, its payload (result bytes or failure detail) and,
// for jobs that track them, its placement and cost (null for range jobs, whose subtasks are
// too many and too small to report on one by one).
// A pointer rather than a member: a range job's entries stay 64 bytes.
struct OutboxEntry {
  StatusRecord record;
  std::vector<std::byte> payload;
  std::unique_ptr<AttemptReport> report;

  OutboxEntry() = default;
  OutboxEntry(const StatusRecord& status, std::vector<std::byte> bytes)
      : record(status), payload(std::move(bytes)) {}
  OutboxEntry(OutboxEntry&&) noexcept = default;
  OutboxEntry& operator=(OutboxEntry&&) noexcept = default;
  // Copies copy the report too (tests copy entries; the pool only moves them).
  OutboxEntry(const OutboxEntry& other)
      : record(other.record),
        payload(other.payload),
        report(other.report ? std::make_unique<AttemptReport>(*other.report) : nullptr) {}
  OutboxEntry& operator=(const OutboxEntry& other) {
    if (this != &other) *this = OutboxEntry(other);
    return *this;
  }
};

// Many producers (pool threads) append in bulk; one consumer (the main thread, the only one
// that calls MPI) takes everything at once. The consumer sleeps in wait_for() instead of
// polling, so a worker's main thread costs no CPU while its pool computes.
class Outbox {
 public:
  // Producers. Moves the entries out of `entries` (left empty) and wakes the consumer.
  void push(std::vector<OutboxEntry>& entries);

  // Consumer. Returns when entries are waiting, wake() was called, or `timeout` passed.
  void wait_for(std::chrono::microseconds timeout);
  // Consumer. Returns when wake() was called or `timeout` passed: entries pushed meanwhile
  // wait. For a consumer with nothing urgent to do (its producers have queued work).
  void wait_for_wake(std::chrono::microseconds timeout);
  // Consumer. Replaces the contents of `out` with everything waiting.
  void take(std::vector<OutboxEntry>& out);

  // Any thread: ends the consumer's current or next wait early.
  void wake();

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::vector<OutboxEntry> entries_;
  bool woken_ = false;
};

}  // namespace tasktrack
