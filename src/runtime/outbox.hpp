// Where pool threads leave finished attempts for the one thread that talks to rank 0.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <vector>

#include "runtime/protocol.hpp"

namespace tasktrack {

// A finished attempt: its status record and its payload (result bytes or failure detail).
struct OutboxEntry {
  StatusRecord record;
  std::vector<std::byte> payload;
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
