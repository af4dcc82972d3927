// What a journal holds, as read back: the records of finished attempts and sessions. The
// bytes they are stored as are in journal_format.hpp; reading, writing and replaying them
// are in journal_reader.hpp, journal_writer.hpp and replay.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tasktrack/attempt_report.hpp"
#include "tasktrack/subtask.hpp"

namespace tasktrack {

// One finished attempt as the journal keeps it: done, failed for good, or (journals of format
// version 3 on) failed and retried, so that every attempt a log or a status counts is here.
struct JournalAttempt {
  SubtaskId subtask = 0;
  SubtaskState state = SubtaskState::done;  // done or failed
  FailureReason reason = FailureReason::none;
  std::uint16_t thread = 0;
  std::uint32_t attempt = 0;
  std::int32_t rank = 0;
  double start_unix = 0;  // seconds since the Unix epoch
  double end_unix = 0;
  std::int64_t value = 0;
  std::uint64_t key = 0;           // Kernel::subtask_key: what the subtask's work was
  std::vector<std::byte> payload;  // done: the result bytes; failed: the detail text
  // Where it ran and what it cost, for jobs that track it (task lists): the cores it was
  // given (0 = not recorded), its GPUs' ids, and what its kernel measured. Journals of
  // format version 1 hold none of these.
  std::uint16_t cores = 0;
  std::vector<std::string> gpus;
  std::optional<AttemptUsage> usage;
  // Its output passed --output-limit (the middle of a stream was dropped). Journals before
  // format version 3 never say so.
  bool output_capped = false;
  // A failed attempt after which the subtask was given another: not a failure for good. The
  // subtask's later records say how it ended; with none (the run was cut off), it is work left.
  bool retried = false;
  friend bool operator==(const JournalAttempt&, const JournalAttempt&) = default;
};

// Consecutive subtasks first..first+count-1 done by one thread at one attempt, recorded as
// one record: fast subtasks cost the journal 8 bytes each (their value) instead of a record
// each. A run has one time span; its subtasks' own start and end times are not kept.
struct JournalRun {
  SubtaskId first = 0;
  std::uint16_t thread = 0;
  std::uint32_t attempt = 0;
  std::int32_t rank = 0;
  double start_unix = 0;             // the first subtask's start
  double end_unix = 0;               // the last subtask's end
  std::vector<std::int64_t> values;  // one per subtask
  std::vector<std::uint64_t> keys;   // one per subtask, or empty when all keys are 0
  friend bool operator==(const JournalRun&, const JournalRun&) = default;
};

// Everything a journal file holds, as read back.
struct JournalContents {
  std::string fingerprint;
  std::uint32_t format_version = 0;      // the header's (journal_format.hpp)
  std::vector<nlohmann::json> sessions;  // in file order
  std::vector<JournalAttempt> attempts;  // single records, in file order
  std::vector<JournalRun> runs;          // run records (all done), in file order
  std::uint64_t valid_bytes = 0;         // where the last good record ends
  std::optional<std::string> warning;    // set when a torn or corrupt tail was cut off
};

// The time span for_each_attempt() gives subtask `i` of `run`: the run's span spread evenly
// over its subtasks.
struct TimeSpan {
  double start_unix = 0;
  double end_unix = 0;
};
inline TimeSpan run_subtask_span(const JournalRun& run, std::size_t i) {
  const std::size_t count = run.values.size();
  const double step = count > 0 ? (run.end_unix - run.start_unix) / count : 0;
  const double start = run.start_unix + step * static_cast<double>(i);
  return TimeSpan{start, start + step};
}

// Calls `visit` for every attempt of `contents`: the single records, then each run's subtasks
// as attempts (done, no payload, the run's span spread evenly over its subtasks). A
// subtask done in any record is done: order between the two kinds does not matter.
void for_each_attempt(const JournalContents& contents,
                      const std::function<void(const JournalAttempt&)>& visit);

}  // namespace tasktrack
