#include "runtime/status_batcher.hpp"

namespace tasktrack {

void StatusBatcher::add(const StatusRecord& record, std::span<const std::byte> payload,
                        const AttemptReport* report) {
  const std::size_t added =
      sizeof(StatusRecord) + payload.size() + (report != nullptr ? sizeof(AttemptReportEntry) : 0);
  if (!writer_.empty() && writer_.encoded_bytes() + added > max_status_message_bytes) {
    messages_.push_back(writer_.finish());
  }
  writer_.add(record, payload, report);
}

void StatusBatcher::add(const std::vector<OutboxEntry>& entries) {
  for (const OutboxEntry& entry : entries) add(entry.record, entry.payload, entry.report.get());
}

void StatusBatcher::add(const std::vector<StatusRecord>& running) {
  for (const StatusRecord& record : running) add(record, {});
}

std::vector<std::vector<std::byte>> StatusBatcher::take() {
  if (!writer_.empty()) messages_.push_back(writer_.finish());
  std::vector<std::vector<std::byte>> messages;
  messages.swap(messages_);
  return messages;
}

}  // namespace tasktrack
