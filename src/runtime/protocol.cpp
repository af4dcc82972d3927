#include "runtime/protocol.hpp"

#include <fmt/format.h>

#include <cstring>
#include <string>

namespace tasktrack {

namespace {

MessageHeader read_header(std::span<const std::byte> message, const char* what) {
  if (message.size() < sizeof(MessageHeader)) {
    throw ProtocolError(std::string(what) + ": message of " + std::to_string(message.size()) +
                        " bytes is shorter than its header");
  }
  MessageHeader header;
  std::memcpy(&header, message.data(), sizeof header);
  if (header.version != protocol_version) {
    throw ProtocolError(std::string(what) + ": protocol version " + std::to_string(header.version) +
                        ", expected " + std::to_string(protocol_version) +
                        " (mixed tasktrack builds?)");
  }
  return header;
}

}  // namespace

std::vector<std::byte> encode_assign(std::span<const IdRun> runs) {
  const MessageHeader header{protocol_version, static_cast<std::uint32_t>(runs.size()), 0, 0};
  std::vector<std::byte> message(sizeof header + runs.size_bytes());
  std::memcpy(message.data(), &header, sizeof header);
  if (!runs.empty()) std::memcpy(message.data() + sizeof header, runs.data(), runs.size_bytes());
  return message;
}

std::vector<IdRun> decode_assign(std::span<const std::byte> message) {
  const MessageHeader header = read_header(message, "assign");
  if (message.size() != sizeof header + header.count * sizeof(IdRun)) {
    throw ProtocolError("assign: " + std::to_string(message.size()) + " bytes for " +
                        std::to_string(header.count) + " runs");
  }
  std::vector<IdRun> runs(header.count);
  if (header.count > 0) {
    std::memcpy(runs.data(), message.data() + sizeof header, header.count * sizeof(IdRun));
  }
  return runs;
}

void StatusBatchWriter::add(const StatusRecord& record, std::span<const std::byte> payload) {
  StatusRecord stored = record;
  stored.payload_bytes = static_cast<std::uint32_t>(payload.size());
  records_.push_back(stored);
  payloads_.insert(payloads_.end(), payload.begin(), payload.end());
}

std::size_t StatusBatchWriter::encoded_bytes() const {
  return sizeof(MessageHeader) + records_.size() * sizeof(StatusRecord) + payloads_.size();
}

std::vector<std::byte> StatusBatchWriter::finish() {
  const MessageHeader header{protocol_version, static_cast<std::uint32_t>(records_.size()), 0, 0};
  std::vector<std::byte> message(encoded_bytes());
  std::byte* out = message.data();
  std::memcpy(out, &header, sizeof header);
  out += sizeof header;
  if (!records_.empty()) {
    std::memcpy(out, records_.data(), records_.size() * sizeof(StatusRecord));
    out += records_.size() * sizeof(StatusRecord);
  }
  if (!payloads_.empty()) std::memcpy(out, payloads_.data(), payloads_.size());
  records_.clear();
  payloads_.clear();
  return message;
}

std::vector<std::byte> encode_status_notice(std::uint32_t flags, std::uint32_t follow_bytes) {
  const MessageHeader header{protocol_version, 0, flags, follow_bytes};
  std::vector<std::byte> message(sizeof header);
  std::memcpy(message.data(), &header, sizeof header);
  return message;
}

std::vector<std::byte> encode_stop(std::uint32_t flags) {
  const MessageHeader header{protocol_version, 0, flags, 0};
  std::vector<std::byte> message(sizeof header);
  std::memcpy(message.data(), &header, sizeof header);
  return message;
}

std::uint32_t decode_stop(std::span<const std::byte> message) {
  return read_header(message, "stop").flags;
}

std::string describe(const TimeLimit& limit) {
  return fmt::format("the {:.3g} s limit ({:g}% of the median run time, {:.3g} s)", limit.seconds,
                     limit.percent, limit.median_seconds);
}

std::vector<std::byte> encode_time_limit(const TimeLimit& limit) {
  const MessageHeader header{protocol_version, 1, 0, 0};
  std::vector<std::byte> message(sizeof header + sizeof limit);
  std::memcpy(message.data(), &header, sizeof header);
  std::memcpy(message.data() + sizeof header, &limit, sizeof limit);
  return message;
}

TimeLimit decode_time_limit(std::span<const std::byte> message) {
  const MessageHeader header = read_header(message, "time limit");
  if (header.count != 1 || message.size() != sizeof header + sizeof(TimeLimit)) {
    throw ProtocolError("time limit: " + std::to_string(message.size()) + " bytes");
  }
  TimeLimit limit;
  std::memcpy(&limit, message.data() + sizeof header, sizeof limit);
  return limit;
}

StatusBatchReader::StatusBatchReader(std::span<const std::byte> message)
    : message_(message), header_(read_header(message, "status batch")) {
  const MessageHeader& header = header_;
  count_ = header.count;
  const std::size_t records_end = sizeof header + count_ * sizeof(StatusRecord);
  if (message.size() < records_end) {
    throw ProtocolError("status batch: " + std::to_string(message.size()) + " bytes for " +
                        std::to_string(count_) + " records");
  }
  std::size_t payload_total = 0;
  for (std::size_t i = 0; i < count_; ++i) {
    StatusRecord record;
    std::memcpy(&record, message.data() + sizeof header + i * sizeof(StatusRecord), sizeof record);
    payload_total += record.payload_bytes;
  }
  if (message.size() != records_end + payload_total) {
    throw ProtocolError("status batch: payload sizes do not add up to the message size");
  }
}

}  // namespace tasktrack
