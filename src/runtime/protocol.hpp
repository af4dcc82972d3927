// The closed, versioned message set between rank 0 and the workers (design.md rules 3, 4).
//
//   rank 0 -> worker: Assign (runs of subtask ids), Drain, Stop
//   worker -> rank 0: StatusBatch (fixed-size records + their payload bytes); an empty one
//                     is a heartbeat, or carries the drained / final flags
//
// Hot messages are flat byte buffers of fixed-layout, trivially copyable structs; both ends
// run the same build, so host byte order is used. Every message starts with a header
// carrying the protocol version; a mismatch is a ProtocolError, never a misread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <vector>

#include "tasktrack/subtask.hpp"

namespace tasktrack {

inline constexpr std::uint32_t protocol_version = 1;

// Message tags. Fixed values: they are part of the protocol.
enum class Tag : int {
  assign = 1,      // rank 0 -> worker: Assign
  stop = 2,        // rank 0 -> worker: StopMessage; finish up, send a final StatusBatch, leave
  status = 3,      // worker -> rank 0: StatusBatch
  drain = 4,       // rank 0 -> worker: empty; drop queued subtasks, finish the running ones,
                   // then send a StatusBatch flagged drained
  time_limit = 5,  // rank 0 -> worker: TimeLimit; the per-attempt limit from now on
};

// Rank 0 keeps exactly one receive posted per worker, with a buffer of this size. A batch
// that does not fit (only a single record with a big payload can make one) is announced by
// an empty batch whose `follow_bytes` gives its size; rank 0 then posts one receive of that
// size for that worker, so messages from one worker are always read in order.
inline constexpr std::size_t max_status_message_bytes = 256 * 1024;
// Workers keep one receive posted for rank 0's messages with a buffer of this size;
// rank 0 splits an Assign that would not fit.
inline constexpr std::size_t max_assign_message_bytes = 64 * 1024;

class ProtocolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// `count` consecutive subtask ids starting at `first`, all at the same attempt.
struct IdRun {
  SubtaskId first = 0;
  std::uint32_t count = 0;
  std::uint32_t attempt = 0;
  friend bool operator==(const IdRun&, const IdRun&) = default;
};

// Stop: whether the worker may call MPI_Finalize. After a rank died or was lost, Open MPI
// 4.1's MPI_Finalize can wait for it forever (measured here, most often across hosts), so
// rank 0 tells every survivor to leave without it (its results are all delivered by then).
inline constexpr std::uint32_t stop_skip_finalize_flag = 1;
std::vector<std::byte> encode_stop(std::uint32_t flags);
std::uint32_t decode_stop(std::span<const std::byte> message);  // flags; ProtocolError

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
std::vector<std::byte> encode_time_limit(const TimeLimit& limit);
TimeLimit decode_time_limit(std::span<const std::byte> message);  // ProtocolError

// Header flags of a StatusBatch.
inline constexpr std::uint32_t final_batch_flag = 1;    // the worker's last message
inline constexpr std::uint32_t drained_batch_flag = 2;  // after Drain: nothing runs any more

struct MessageHeader {
  std::uint32_t version = protocol_version;
  std::uint32_t count = 0;         // IdRuns or StatusRecords that follow
  std::uint32_t flags = 0;         // StatusBatch: final_batch_flag
  std::uint32_t follow_bytes = 0;  // StatusBatch: size of the oversized batch sent next
};

// How many runs fit one Assign message.
inline constexpr std::size_t max_runs_per_assign =
    (max_assign_message_bytes - sizeof(MessageHeader)) / sizeof(IdRun);

std::vector<std::byte> encode_assign(std::span<const IdRun> runs);
std::vector<IdRun> decode_assign(std::span<const std::byte> message);

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

// Builds one StatusBatch message: header, records, then every record's payload in order.
class StatusBatchWriter {
 public:
  void add(const StatusRecord& record, std::span<const std::byte> payload);
  std::size_t record_count() const { return records_.size(); }
  // The message size if encoded now.
  std::size_t encoded_bytes() const;
  bool empty() const { return records_.empty(); }
  // Encodes and clears.
  std::vector<std::byte> finish();

 private:
  std::vector<StatusRecord> records_;
  std::vector<std::byte> payloads_;
};

// A header-only StatusBatch: announces an oversized batch, or says goodbye (final).
std::vector<std::byte> encode_status_notice(std::uint32_t flags, std::uint32_t follow_bytes);

// Reads a StatusBatch in place. Validates sizes on construction (ProtocolError).
class StatusBatchReader {
 public:
  explicit StatusBatchReader(std::span<const std::byte> message);
  std::size_t size() const { return count_; }
  std::uint32_t flags() const { return header_.flags; }
  std::uint32_t follow_bytes() const { return header_.follow_bytes; }
  // Visits records in order with their payloads.
  template <typename Visitor>
  void for_each(Visitor&& visit) const;

 private:
  std::span<const std::byte> message_;
  MessageHeader header_;
  std::size_t count_ = 0;
};

template <typename Visitor>
void StatusBatchReader::for_each(Visitor&& visit) const {
  const std::byte* records = message_.data() + sizeof(MessageHeader);
  std::size_t payload_offset = sizeof(MessageHeader) + count_ * sizeof(StatusRecord);
  for (std::size_t i = 0; i < count_; ++i) {
    StatusRecord record;
    std::memcpy(&record, records + i * sizeof(StatusRecord), sizeof(StatusRecord));
    visit(record, message_.subspan(payload_offset, record.payload_bytes));
    payload_offset += record.payload_bytes;
  }
}

}  // namespace tasktrack
