#include "runtime/protocol.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <type_traits>

namespace tasktrack {

namespace {

const char* name_of(MessageKind kind) {
  switch (kind) {
    case MessageKind::job:
      return "job";
    case MessageKind::hello:
      return "hello";
    case MessageKind::assign:
      return "assign";
    case MessageKind::drain:
      return "drain";
    case MessageKind::time_limit:
      return "time limit";
    case MessageKind::stop:
      return "stop";
    case MessageKind::status_batch:
      return "status batch";
    case MessageKind::heartbeat:
      return "heartbeat";
    case MessageKind::drained:
      return "drained";
    case MessageKind::goodbye:
      return "goodbye";
    case MessageKind::batch_follows:
      return "batch follows";
    case MessageKind::task_lines:
      return "task lines";
    case MessageKind::terminal_block:
      return "terminal block";
  }
  return nullptr;  // not a kind of this protocol version
}

MessageHeader read_any_header(std::span<const std::byte> message) {
  if (message.size() < sizeof(MessageHeader)) {
    throw ProtocolError("message of " + std::to_string(message.size()) +
                        " bytes is shorter than its header");
  }
  MessageHeader header;
  std::memcpy(&header, message.data(), sizeof header);
  if (header.version != protocol_version) {
    throw ProtocolError("protocol version " + std::to_string(header.version) + ", expected " +
                        std::to_string(protocol_version) + " (mixed tasktrack builds?)");
  }
  if (name_of(header.kind) == nullptr) {
    throw ProtocolError("unknown message kind " +
                        std::to_string(static_cast<std::uint32_t>(header.kind)));
  }
  return header;
}

// The header of a message that must be of `kind`.
MessageHeader read_header(std::span<const std::byte> message, MessageKind kind) {
  MessageHeader header;
  try {
    header = read_any_header(message);
  } catch (const ProtocolError& error) {
    throw ProtocolError(std::string(name_of(kind)) + ": " + error.what());
  }
  if (header.kind != kind) {
    throw ProtocolError(std::string(name_of(kind)) + ": got a " + name_of(header.kind) +
                        " message instead");
  }
  return header;
}

// header, then the fixed-layout `body`, then `tail` (whose size goes into header.count).
template <typename Body>
std::vector<std::byte> encode_with_body(MessageKind kind, const Body& body,
                                        std::span<const std::byte> tail = {}) {
  static_assert(std::is_trivially_copyable_v<Body>);
  const MessageHeader header{protocol_version, kind, static_cast<std::uint32_t>(tail.size())};
  std::vector<std::byte> message(sizeof header + sizeof body + tail.size());
  std::memcpy(message.data(), &header, sizeof header);
  std::memcpy(message.data() + sizeof header, &body, sizeof body);
  if (!tail.empty())
    std::memcpy(message.data() + sizeof header + sizeof body, tail.data(), tail.size());
  return message;
}

// The body of a message encoded by encode_with_body; `tail` gets what follows it.
template <typename Body>
Body decode_body(std::span<const std::byte> message, MessageKind kind,
                 std::string* tail = nullptr) {
  const MessageHeader header = read_header(message, kind);
  const std::size_t tail_bytes = tail != nullptr ? header.count : 0;
  if (message.size() != sizeof header + sizeof(Body) + tail_bytes) {
    throw ProtocolError(fmt::format("{}: {} bytes, expected {}", name_of(kind), message.size(),
                                    sizeof header + sizeof(Body) + tail_bytes));
  }
  Body body;
  std::memcpy(&body, message.data() + sizeof header, sizeof body);
  if (tail != nullptr) {
    tail->assign(reinterpret_cast<const char*>(message.data()) + sizeof header + sizeof body,
                 tail_bytes);
  }
  return body;
}

std::vector<std::byte> encode_header_only(MessageKind kind) {
  const MessageHeader header{protocol_version, kind, 0};
  std::vector<std::byte> message(sizeof header);
  std::memcpy(message.data(), &header, sizeof header);
  return message;
}

void check_header_only(std::span<const std::byte> message, MessageKind kind) {
  read_header(message, kind);
  if (message.size() != sizeof(MessageHeader)) {
    throw ProtocolError(fmt::format("{}: {} bytes, expected {}", name_of(kind), message.size(),
                                    sizeof(MessageHeader)));
  }
}

std::span<const std::byte> bytes_of(const std::string& text) {
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

// The tail is the coordinator's host name (`host_bytes`), then the spec's JSON.
struct JobBody {
  std::uint32_t run;
  std::int32_t exit_code;
  double epoch_unix;
  std::uint32_t host_bytes;
  std::uint32_t unused = 0;
};

struct HelloBody {
  std::int32_t rank;
  std::uint32_t threads;
  std::int64_t pid;
  std::uint32_t cores;
  std::uint32_t reserved = 0;
  std::uint64_t memory_bytes;
};

// A hello's text: the host name, then a newline and the GPU ids joined by commas (host
// names hold neither; CUDA_VISIBLE_DEVICES ids hold no comma).
std::string hello_text(const WorkerInfo& worker) {
  std::string text = worker.host + "\n";
  for (std::size_t i = 0; i < worker.gpus.size(); ++i) {
    if (i > 0) text += ',';
    text += worker.gpus[i];
  }
  return text;
}

void read_hello_text(const std::string& text, WorkerInfo& worker) {
  const auto newline = text.find('\n');
  if (newline == std::string::npos) throw ProtocolError("hello without its GPU list");
  worker.host = text.substr(0, newline);
  worker.gpus.clear();
  for (std::size_t start = newline + 1; start < text.size();) {
    const auto comma = std::min(text.find(',', start), text.size());
    worker.gpus.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
}

}  // namespace

MessageKind message_kind(std::span<const std::byte> message) {
  return read_any_header(message).kind;
}

std::vector<std::byte> encode(const JobMessage& job) {
  const JobBody body{job.run ? 1u : 0u, job.exit_code, job.epoch_unix,
                     static_cast<std::uint32_t>(job.coordinator_host.size())};
  return encode_with_body(MessageKind::job, body, bytes_of(job.coordinator_host + job.spec_json));
}

JobMessage decode_job(std::span<const std::byte> message) {
  JobMessage job;
  const auto body = decode_body<JobBody>(message, MessageKind::job, &job.spec_json);
  if (body.host_bytes > job.spec_json.size()) {
    throw ProtocolError(fmt::format("job: a host name of {} bytes in a tail of {}", body.host_bytes,
                                    job.spec_json.size()));
  }
  job.coordinator_host = job.spec_json.substr(0, body.host_bytes);
  job.spec_json.erase(0, body.host_bytes);
  job.run = body.run != 0;
  job.exit_code = body.exit_code;
  job.epoch_unix = body.epoch_unix;
  return job;
}

std::vector<std::byte> encode(const Hello& hello) {
  const HelloBody body{hello.worker.rank,
                       hello.worker.threads,
                       static_cast<std::int64_t>(hello.worker.pid),
                       hello.worker.cores,
                       0,
                       hello.worker.memory_bytes};
  return encode_with_body(MessageKind::hello, body, bytes_of(hello_text(hello.worker)));
}

Hello decode_hello(std::span<const std::byte> message) {
  Hello hello;
  std::string text;
  const auto body = decode_body<HelloBody>(message, MessageKind::hello, &text);
  read_hello_text(text, hello.worker);
  hello.worker.cores = body.cores;
  hello.worker.memory_bytes = body.memory_bytes;
  hello.worker.rank = body.rank;
  hello.worker.threads = body.threads;
  hello.worker.pid = static_cast<long>(body.pid);
  return hello;
}

std::vector<std::byte> encode_assign(std::span<const IdRun> runs) {
  const MessageHeader header{protocol_version, MessageKind::assign,
                             static_cast<std::uint32_t>(runs.size())};
  std::vector<std::byte> message(sizeof header + runs.size_bytes());
  std::memcpy(message.data(), &header, sizeof header);
  if (!runs.empty()) std::memcpy(message.data() + sizeof header, runs.data(), runs.size_bytes());
  return message;
}

std::vector<IdRun> decode_assign(std::span<const std::byte> message) {
  const MessageHeader header = read_header(message, MessageKind::assign);
  if (message.size() != sizeof header + std::size_t{header.count} * sizeof(IdRun)) {
    throw ProtocolError("assign: " + std::to_string(message.size()) + " bytes for " +
                        std::to_string(header.count) + " runs");
  }
  std::vector<IdRun> runs(header.count);
  if (header.count > 0) {
    std::memcpy(runs.data(), message.data() + sizeof header, header.count * sizeof(IdRun));
  }
  return runs;
}

std::vector<std::byte> encode(const Drain&) {
  return encode_header_only(MessageKind::drain);
}

std::string describe(const TimeLimit& limit) {
  return fmt::format("the {:.3g} s limit ({:g}% of the median run time, {:.3g} s)", limit.seconds,
                     limit.percent, limit.median_seconds);
}

std::vector<std::byte> encode(const TimeLimit& limit) {
  return encode_with_body(MessageKind::time_limit, limit);
}

TimeLimit decode_time_limit(std::span<const std::byte> message) {
  return decode_body<TimeLimit>(message, MessageKind::time_limit);
}

std::vector<std::byte> encode(const Stop& stop) {
  const std::uint32_t skip_finalize = stop.skip_finalize ? 1 : 0;
  return encode_with_body(MessageKind::stop, skip_finalize);
}

Stop decode_stop(std::span<const std::byte> message) {
  return Stop{decode_body<std::uint32_t>(message, MessageKind::stop) != 0};
}

std::vector<std::byte> encode(const TaskLines& lines) {
  const MessageHeader header{protocol_version, MessageKind::task_lines,
                             static_cast<std::uint32_t>(lines.json.size())};
  std::vector<std::byte> message(sizeof header + lines.json.size());
  std::memcpy(message.data(), &header, sizeof header);
  std::memcpy(message.data() + sizeof header, lines.json.data(), lines.json.size());
  return message;
}

namespace {
TaskLines decode_task_lines(std::span<const std::byte> message) {
  const MessageHeader header = read_header(message, MessageKind::task_lines);
  if (message.size() != sizeof header + header.count) {
    throw ProtocolError(fmt::format("task lines: {} bytes, expected {}", message.size(),
                                    sizeof header + header.count));
  }
  return TaskLines{
      std::string(reinterpret_cast<const char*>(message.data()) + sizeof header, header.count)};
}
}  // namespace

ToWorkerMessage decode_to_worker(std::span<const std::byte> message) {
  switch (const MessageKind kind = message_kind(message)) {
    case MessageKind::assign:
      return Assign{decode_assign(message)};
    case MessageKind::drain:
      check_header_only(message, kind);
      return Drain{};
    case MessageKind::time_limit:
      return decode_time_limit(message);
    case MessageKind::stop:
      return decode_stop(message);
    case MessageKind::task_lines:
      return decode_task_lines(message);
    default:
      throw ProtocolError(std::string("a worker got a ") + name_of(kind) + " message");
  }
}

AttemptReport to_report(const AttemptReportEntry& entry) {
  AttemptReport report;
  report.cores = entry.cores;
  report.gpu_mask = entry.gpu_mask;
  report.measured = (entry.flags & attempt_measured_flag) != 0;
  report.output_capped = (entry.flags & attempt_output_capped_flag) != 0;
  report.left_processes = (entry.flags & attempt_left_processes_flag) != 0;
  report.usage =
      AttemptUsage{entry.max_rss_bytes, entry.user_cpu_seconds, entry.system_cpu_seconds};
  return report;
}

void StatusBatchWriter::add(const StatusRecord& record, std::span<const std::byte> payload,
                            const AttemptReport* report) {
  if (report != nullptr) {
    AttemptReportEntry entry;
    entry.record_index = static_cast<std::uint32_t>(records_.size());
    entry.cores = report->cores;
    entry.flags =
        static_cast<std::uint16_t>((report->measured ? attempt_measured_flag : 0u) |
                                   (report->output_capped ? attempt_output_capped_flag : 0u) |
                                   (report->left_processes ? attempt_left_processes_flag : 0u));
    entry.gpu_mask = report->gpu_mask;
    entry.max_rss_bytes = report->usage.max_rss_bytes;
    entry.user_cpu_seconds = report->usage.user_cpu_seconds;
    entry.system_cpu_seconds = report->usage.system_cpu_seconds;
    reports_.push_back(entry);
  }
  StatusRecord stored = record;
  stored.payload_bytes = static_cast<std::uint32_t>(payload.size());
  records_.push_back(stored);
  payloads_.insert(payloads_.end(), payload.begin(), payload.end());
}

std::size_t StatusBatchWriter::encoded_bytes() const {
  return sizeof(MessageHeader) + records_.size() * sizeof(StatusRecord) + payloads_.size() +
         reports_.size() * sizeof(AttemptReportEntry);
}

std::vector<std::byte> StatusBatchWriter::finish() {
  const MessageHeader header{protocol_version, MessageKind::status_batch,
                             static_cast<std::uint32_t>(records_.size())};
  std::vector<std::byte> message(encoded_bytes());
  std::byte* out = message.data();
  std::memcpy(out, &header, sizeof header);
  out += sizeof header;
  if (!records_.empty()) {
    std::memcpy(out, records_.data(), records_.size() * sizeof(StatusRecord));
    out += records_.size() * sizeof(StatusRecord);
  }
  if (!payloads_.empty()) {
    std::memcpy(out, payloads_.data(), payloads_.size());
    out += payloads_.size();
  }
  if (!reports_.empty()) {
    std::memcpy(out, reports_.data(), reports_.size() * sizeof(AttemptReportEntry));
  }
  records_.clear();
  payloads_.clear();
  reports_.clear();
  return message;
}

StatusBatchReader::StatusBatchReader(std::span<const std::byte> message) : message_(message) {
  const MessageHeader header = read_header(message, MessageKind::status_batch);
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
  if (message.size() < records_end + payload_total ||
      (message.size() - records_end - payload_total) % sizeof(AttemptReportEntry) != 0) {
    throw ProtocolError("status batch: payload sizes do not add up to the message size");
  }
  reports_offset_ = records_end + payload_total;
  report_count_ = (message.size() - reports_offset_) / sizeof(AttemptReportEntry);
  std::uint32_t previous = 0;
  for (std::size_t i = 0; i < report_count_; ++i) {
    AttemptReportEntry entry;
    std::memcpy(&entry, message.data() + reports_offset_ + i * sizeof entry, sizeof entry);
    if (entry.record_index >= count_ || (i > 0 && entry.record_index <= previous)) {
      throw ProtocolError("status batch: attempt report " + std::to_string(i) + " names record " +
                          std::to_string(entry.record_index) + " of " + std::to_string(count_) +
                          ", out of order");
    }
    previous = entry.record_index;
  }
}

std::vector<std::byte> encode(const Heartbeat&) {
  return encode_header_only(MessageKind::heartbeat);
}

std::vector<std::byte> encode(const Drained&) {
  return encode_header_only(MessageKind::drained);
}

std::vector<std::byte> encode(const Goodbye&) {
  return encode_header_only(MessageKind::goodbye);
}

FromWorkerMessage decode_from_worker(std::span<const std::byte> message) {
  switch (const MessageKind kind = message_kind(message)) {
    case MessageKind::status_batch:
      return StatusBatchReader(message);
    case MessageKind::heartbeat:
      check_header_only(message, kind);
      return Heartbeat{};
    case MessageKind::drained:
      check_header_only(message, kind);
      return Drained{};
    case MessageKind::goodbye:
      check_header_only(message, kind);
      return Goodbye{};
    case MessageKind::terminal_block:
      return decode_terminal_chunk(message);
    default:
      throw ProtocolError(std::string("rank 0 got a ") + name_of(kind) +
                          " message among a worker's reports");
  }
}

namespace {

// A TerminalBlock chunk: header (count: the chunk's bytes), this, then the bytes.
struct TerminalChunkFields {
  std::uint32_t last = 0;  // 1 on a block's last chunk, else 0
};
static_assert(max_terminal_chunk_bytes + sizeof(MessageHeader) + sizeof(TerminalChunkFields) ==
              max_status_message_bytes);

}  // namespace

std::vector<std::vector<std::byte>> encode_terminal_block(std::string_view block) {
  std::vector<std::vector<std::byte>> messages;
  messages.reserve(block.size() / max_terminal_chunk_bytes + 1);
  do {
    const std::string_view chunk = block.substr(0, max_terminal_chunk_bytes);
    block.remove_prefix(chunk.size());
    const TerminalChunkFields fields{block.empty() ? 1u : 0u};
    messages.push_back(encode_with_body(MessageKind::terminal_block, fields,
                                        std::as_bytes(std::span(chunk.data(), chunk.size()))));
  } while (!block.empty());
  return messages;
}

TerminalChunk decode_terminal_chunk(std::span<const std::byte> message) {
  const MessageHeader header = read_header(message, MessageKind::terminal_block);
  const std::size_t expected =
      sizeof header + sizeof(TerminalChunkFields) + std::size_t{header.count};
  if (message.size() != expected) {
    throw ProtocolError(
        fmt::format("terminal block: {} bytes, expected {}", message.size(), expected));
  }
  TerminalChunkFields fields;
  std::memcpy(&fields, message.data() + sizeof header, sizeof fields);
  if (fields.last > 1) {
    throw ProtocolError(fmt::format("terminal block: last flag {}", fields.last));
  }
  const auto* bytes = reinterpret_cast<const char*>(message.data()) + sizeof header + sizeof fields;
  return TerminalChunk{std::string_view(bytes, header.count), fields.last == 1};
}

std::vector<std::byte> encode(const BatchFollows& follows) {
  return encode_with_body(MessageKind::batch_follows, follows);
}

BatchFollows decode_batch_follows(std::span<const std::byte> message) {
  return decode_body<BatchFollows>(message, MessageKind::batch_follows);
}

}  // namespace tasktrack
