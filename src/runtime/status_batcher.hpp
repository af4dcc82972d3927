// Packs a worker's finished attempts and running notices into StatusBatch messages.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "runtime/outbox.hpp"
#include "runtime/protocol.hpp"

namespace tasktrack {

// Builds messages of at most max_status_message_bytes; a single record too big for that
// gets a message of its own (the sender announces it, see protocol.hpp). Not thread-safe.
class StatusBatcher {
 public:
  void add(const StatusRecord& record, std::span<const std::byte> payload,
           const AttemptReport* report = nullptr);
  void add(const std::vector<OutboxEntry>& entries);
  void add(const std::vector<StatusRecord>& running);
  bool empty() const { return messages_.empty() && writer_.empty(); }
  // Every message built so far, in order; leaves the batcher empty.
  std::vector<std::vector<std::byte>> take();

 private:
  StatusBatchWriter writer_;
  std::vector<std::vector<std::byte>> messages_;
};

}  // namespace tasktrack
