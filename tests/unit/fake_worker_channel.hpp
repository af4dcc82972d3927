// A WorkerChannel for unit tests of the worker's loop: rank 0 as the loop sees it. `inbox`
// is what the loop will receive, `sent` everything it sent; `in_flight` is what
// sends_in_flight() reports, and `flushes` counts flush() calls. Single-threaded.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>
#include <utility>
#include <vector>

#include "runtime/protocol.hpp"
#include "runtime/worker_channel.hpp"

namespace tasktrack::testing_worker {

class FakeChannel final : public WorkerChannel {
 public:
  std::optional<ToWorkerMessage> receive() override {
    if (inbox.empty()) return std::nullopt;
    ToWorkerMessage message = std::move(inbox.front());
    inbox.pop_front();
    return message;
  }
  void send(std::vector<std::byte> message) override { sent.push_back(std::move(message)); }
  std::size_t sends_in_flight() override { return in_flight; }
  void flush(std::chrono::milliseconds) override { ++flushes; }

  std::deque<ToWorkerMessage> inbox;
  std::vector<std::vector<std::byte>> sent;
  std::size_t in_flight = 0;
  int flushes = 0;
};

}  // namespace tasktrack::testing_worker
