// The closed, versioned message set between rank 0 and the workers (design.md rules 3, 4).
//
//   rank 0 -> every rank, once:  Job (by broadcast): the job to run, or the exit code
//   worker -> rank 0, once:      Hello: who it is (host, threads, pid)
//   rank 0 -> worker:            Assign, Drain, TimeLimit, Stop, TaskLines (ToWorkerMessage)
//   worker -> rank 0:            StatusBatch, Heartbeat, Drained, Goodbye, TerminalBlock
//                                (FromWorkerMessage) and BatchFollows, which only the MPI
//                                transport sees
//
// Every message starts with a MessageHeader: the protocol version and the message's kind,
// so a message is never read as another and a mismatch is a ProtocolError, never a misread.
// Hot messages are flat byte buffers of fixed-layout, trivially copyable structs; both ends
// run the same build, so host byte order is used. Encoding and decoding happen only here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "core/worker_info.hpp"
#include "tasktrack/attempt_report.hpp"
#include "tasktrack/subtask.hpp"

namespace tasktrack {

// Version 2: every message names its kind; heartbeat, drained, goodbye and "an oversized
// batch follows" became messages of their own (they were flags on an empty batch).
// Version 3: a hello says what the worker owns (cores, GPU ids, memory).
// Version 4: a status batch may end with a table of attempt reports (placement and cost).
// Version 5: TaskLines, the tasks of a growing task list.
// Version 6: the Job message names rank 0's host (a worker's node share needs no collective).
// Version 7: TerminalBlock, a worker's --output stdout block relayed to rank 0 in chunks.
inline constexpr std::uint32_t protocol_version = 7;

// Message tags: one per direction, so that a worker's messages, whatever their kind, are
// received by rank 0's one posted receive in the order they were sent. Fixed values.
enum class Tag : int {
  to_worker = 1,       // rank 0 -> worker: ToWorkerMessage
  to_coordinator = 2,  // worker -> rank 0: Hello, then FromWorkerMessage and BatchFollows
};

enum class MessageKind : std::uint32_t {
  job = 1,
  hello = 2,
  assign = 3,
  drain = 4,
  time_limit = 5,
  stop = 6,
  status_batch = 7,
  heartbeat = 8,
  drained = 9,
  goodbye = 10,
  batch_follows = 11,
  task_lines = 12,
  terminal_block = 13,
};

struct MessageHeader {
  std::uint32_t version = protocol_version;
  MessageKind kind = MessageKind::job;
  std::uint32_t count = 0;  // Assign: IdRuns; StatusBatch: StatusRecords; Hello, Job: text bytes
};

// Rank 0 keeps exactly one receive posted per worker, with a buffer of this size. A status
// batch that does not fit (only a single record with a big payload can make one) is
// announced by a BatchFollows giving its size; rank 0 then posts one receive of that size
// for that worker, so messages from one worker are always read in order.
inline constexpr std::size_t max_status_message_bytes = 256 * 1024;
// Workers keep one receive posted for rank 0's messages with a buffer of this size;
// rank 0 splits an Assign that would not fit.
inline constexpr std::size_t max_assign_message_bytes = 64 * 1024;

class ProtocolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The kind of `message` after checking its header and version (ProtocolError).
MessageKind message_kind(std::span<const std::byte> message);

// ---- once per job ----------------------------------------------------------------------

// Job: what rank 0 decided after reading the command line. Either the job to run (its
// JobSpec as JSON, which the cli layer writes and reads, and the job clock's epoch), or no
// job: then every rank leaves with `exit_code` (bad input, --help, status, ...).
struct JobMessage {
  bool run = false;
  int exit_code = 0;             // when !run
  std::string spec_json;         // when run
  double epoch_unix = 0;         // when run
  std::string coordinator_host;  // when run: rank 0's host name (it takes no share of it)
  friend bool operator==(const JobMessage&, const JobMessage&) = default;
};
std::vector<std::byte> encode(const JobMessage& job);
JobMessage decode_job(std::span<const std::byte> message);  // ProtocolError

// Who a worker is and what it owns (core/worker_info.hpp); its Hello carries exactly this.
struct Hello {
  WorkerInfo worker;
};
std::vector<std::byte> encode(const Hello& hello);
Hello decode_hello(std::span<const std::byte> message);  // ProtocolError

// ---- rank 0 -> worker ------------------------------------------------------------------

// `count` consecutive subtask ids starting at `first`, all at the same attempt.
struct IdRun {
  SubtaskId first = 0;
  std::uint32_t count = 0;
  std::uint32_t attempt = 0;
  friend bool operator==(const IdRun&, const IdRun&) = default;
};

// Assign: queue these subtasks.
struct Assign {
  std::vector<IdRun> runs;
};
// How many runs fit one Assign message.
inline constexpr std::size_t max_runs_per_assign =
    (max_assign_message_bytes - sizeof(MessageHeader)) / sizeof(IdRun);
std::vector<std::byte> encode_assign(std::span<const IdRun> runs);
std::vector<IdRun> decode_assign(std::span<const std::byte> message);  // ProtocolError

// Drain: drop the queued subtasks, finish the running ones, then send Drained.
struct Drain {};
std::vector<std::byte> encode(const Drain&);

// TimeLimit: with --timeout P%, rank 0 sends the limit it computed from the median run
// time of the job's finished attempts whenever it changes much. It applies at once to
// running and queued attempts alike.
struct TimeLimit {
  double seconds = 0;         // the limit; 0 = none
  double percent = 0;         // of the median
  double median_seconds = 0;  // what it was computed from
};
// "the 2.4 s limit (200% of the median run time, 1.2 s)": how a failure's detail names it.
std::string describe(const TimeLimit& limit);
std::vector<std::byte> encode(const TimeLimit& limit);
TimeLimit decode_time_limit(std::span<const std::byte> message);  // ProtocolError

// Stop: finish up, send what is left and a Goodbye, leave. `skip_finalize`: after a rank
// died or was lost, Open MPI 4.1's MPI_Finalize can wait for it forever (measured here, most
// often across hosts), so rank 0 tells every survivor to leave without it (its results are
// all delivered by then).
struct Stop {
  bool skip_finalize = false;
};
std::vector<std::byte> encode(const Stop& stop);
Stop decode_stop(std::span<const std::byte> message);  // ProtocolError

// TaskLines: tasks of a growing task list (issue 13), sent before the Assign that hands
// them to this worker (messages to one worker arrive in order). `json` is what the cli
// layer writes (CommandListKernel::task_lines_messages): the protocol does not read it.
struct TaskLines {
  std::string json;
};
std::vector<std::byte> encode(const TaskLines& lines);
// The largest TaskLines text that fits a worker's receive buffer.
inline constexpr std::size_t max_task_lines_bytes =
    max_assign_message_bytes - sizeof(MessageHeader) - 64;

using ToWorkerMessage = std::variant<Assign, Drain, TimeLimit, Stop, TaskLines>;
ToWorkerMessage decode_to_worker(std::span<const std::byte> message);  // ProtocolError

// ---- worker -> rank 0 ------------------------------------------------------------------

// One report about one attempt of one subtask. Times are seconds since the job's epoch
// (rank 0's clock at the start, shared with every worker).
struct StatusRecord {
  SubtaskId subtask = 0;
  SubtaskState state = SubtaskState::running;  // running, done or failed
  FailureReason reason = FailureReason::none;  // for failed
  std::uint16_t thread = 0;                    // pool thread index on its rank
  std::uint32_t attempt = 0;
  std::uint32_t payload_bytes = 0;  // done: the result's bytes; failed: the detail text
  double start_seconds = 0;
  double end_seconds = 0;  // 0 while running
  std::int64_t value = 0;  // the kernel's result value (done)
};
static_assert(sizeof(StatusRecord) == 40, "StatusRecord is part of the wire format");

// An AttemptReport on the wire: which record of its batch it belongs to, then the report.
struct AttemptReportEntry {
  std::uint32_t record_index = 0;  // increasing within a batch
  std::uint16_t cores = 0;
  // Bit 0: measured (the usage fields hold what was measured). Bit 1: output capped (a
  // stream passed --output-limit and its middle was dropped). Other bits are 0.
  std::uint16_t flags = 0;
  std::uint64_t gpu_mask = 0;
  std::uint64_t max_rss_bytes = 0;
  double user_cpu_seconds = 0;
  double system_cpu_seconds = 0;
};
static_assert(sizeof(AttemptReportEntry) == 40, "AttemptReportEntry is part of the wire format");

// StatusBatch, built: header, records, every record's payload in order, then one
// AttemptReportEntry per record that has a report (none for range jobs: their batches are
// exactly what version 3 sent).
class StatusBatchWriter {
 public:
  void add(const StatusRecord& record, std::span<const std::byte> payload,
           const AttemptReport* report = nullptr);
  std::size_t record_count() const { return records_.size(); }
  // The message size if encoded now.
  std::size_t encoded_bytes() const;
  bool empty() const { return records_.empty(); }
  // Encodes and clears.
  std::vector<std::byte> finish();

 private:
  std::vector<StatusRecord> records_;
  std::vector<std::byte> payloads_;
  std::vector<AttemptReportEntry> reports_;
};

// StatusBatch, read in place: a view of the message, which must outlive it. Validates the
// kind and the sizes on construction (ProtocolError).
class StatusBatchReader {
 public:
  explicit StatusBatchReader(std::span<const std::byte> message);
  std::size_t size() const { return count_; }
  // Visits records in order with their payloads: visit(record, payload), or, for a visitor
  // that takes it, visit(record, payload, report) with the record's AttemptReport or null.
  template <typename Visitor>
  void for_each(Visitor&& visit) const;

 private:
  std::span<const std::byte> message_;
  std::size_t count_ = 0;
  std::size_t reports_offset_ = 0;  // where the report table starts
  std::size_t report_count_ = 0;
};

// Heartbeat: the worker is alive; sent when nothing else went out for --heartbeat.
struct Heartbeat {};
// Drained: after Drain, nothing runs on the worker any more.
struct Drained {};
// Goodbye: after Stop, the worker's last message.
struct Goodbye {};
std::vector<std::byte> encode(const Heartbeat&);
std::vector<std::byte> encode(const Drained&);
std::vector<std::byte> encode(const Goodbye&);

// TerminalBlock: with --output stdout on an MPI worker rank, each finished attempt's block
// (output/terminal_writer.hpp) is relayed to rank 0, which prints it whole on its stdout:
// mpirun forwards each rank's stdout in pieces, so blocks two ranks printed themselves would
// interleave. A block travels as one or more chunks, each a message of at most
// max_status_message_bytes (rank 0's receive buffer), sent back to back and the last one
// flagged; rank 0 joins a worker's chunks (its messages arrive in order) and prints the
// block when the last one arrives. A worker sends a block before the status record of the
// attempt it belongs to, so rank 0 has printed it before it counts the attempt as finished.
struct TerminalChunk {
  std::string_view bytes;  // as decoded: views the message, valid only while it lives
  bool last = false;       // the block's last chunk
};
inline constexpr std::size_t max_terminal_chunk_bytes =
    max_status_message_bytes - sizeof(MessageHeader) - sizeof(std::uint32_t);
// The messages that carry `block`, in order: at least one (an empty block is one empty,
// last chunk).
std::vector<std::vector<std::byte>> encode_terminal_block(std::string_view block);
TerminalChunk decode_terminal_chunk(std::span<const std::byte> message);  // ProtocolError

// What rank 0's handler is given, one message at a time, in the order the worker sent them.
// A TerminalChunk views `message` like a StatusBatchReader.
using FromWorkerMessage =
    std::variant<StatusBatchReader, Heartbeat, Drained, Goodbye, TerminalChunk>;
// A StatusBatchReader in the result views `message`. ProtocolError for anything else,
// BatchFollows included (the transport handles that one itself).
FromWorkerMessage decode_from_worker(std::span<const std::byte> message);

// BatchFollows: the worker's next message is a StatusBatch of `bytes`, more than
// max_status_message_bytes. A transport detail of MPI: the in-process channel never sends it.
struct BatchFollows {
  std::uint64_t bytes = 0;
};
std::vector<std::byte> encode(const BatchFollows& follows);
BatchFollows decode_batch_follows(std::span<const std::byte> message);  // ProtocolError

inline constexpr std::uint16_t attempt_measured_flag = 1u << 0;
inline constexpr std::uint16_t attempt_output_capped_flag = 1u << 1;
inline constexpr std::uint16_t attempt_left_processes_flag = 1u << 2;

AttemptReport to_report(const AttemptReportEntry& entry);

template <typename Visitor>
void StatusBatchReader::for_each(Visitor&& visit) const {
  constexpr bool wants_report =
      std::is_invocable_v<Visitor&, const StatusRecord&, std::span<const std::byte>,
                          const AttemptReport*>;
  const std::byte* records = message_.data() + sizeof(MessageHeader);
  std::size_t payload_offset = sizeof(MessageHeader) + count_ * sizeof(StatusRecord);
  std::size_t next_report = 0;
  for (std::size_t i = 0; i < count_; ++i) {
    StatusRecord record;
    std::memcpy(&record, records + i * sizeof(StatusRecord), sizeof(StatusRecord));
    const std::span<const std::byte> payload =
        message_.subspan(payload_offset, record.payload_bytes);
    payload_offset += record.payload_bytes;
    if constexpr (wants_report) {
      // Range jobs' batches have no table: their records skip the decoding altogether.
      if (next_report == report_count_) {
        visit(record, payload, static_cast<const AttemptReport*>(nullptr));
        continue;
      }
      AttemptReportEntry entry;
      std::memcpy(&entry,
                  message_.data() + reports_offset_ + next_report * sizeof(AttemptReportEntry),
                  sizeof entry);
      if (entry.record_index != i) {
        visit(record, payload, static_cast<const AttemptReport*>(nullptr));
        continue;
      }
      ++next_report;
      const AttemptReport decoded = to_report(entry);
      visit(record, payload, &decoded);
    } else {
      visit(record, payload);
    }
  }
}

}  // namespace tasktrack
