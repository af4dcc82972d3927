// What the JobState asks the world to do: its effects. The Coordinator carries them out
// over the Transport, the Journal, the TraceWriter, the kernel's Reduction and stderr; the
// core's tests record them. Called synchronously from inside JobState's event handlers, in
// the order the core decided them; spans and references are valid only during the call.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "journal/journal.hpp"
#include "runtime/protocol.hpp"

namespace tasktrack {

class JobEffects {
 public:
  virtual ~JobEffects() = default;

  // Hand `runs` to the worker (the transport splits them into messages that fit).
  virtual void assign(int rank, std::span<const IdRun> runs) = 0;
  // Ask the worker to drop what it has queued and say when nothing runs any more.
  virtual void drain(int rank) = 0;
  // The per-attempt time limit (--timeout P%) changed.
  virtual void set_time_limit(int rank, const TimeLimit& limit) = 0;

  // A subtask's accepted result (its first completion, or one a journal restored): it goes
  // into the kernel's reduction exactly once.
  virtual void accept_result(SubtaskId id, std::int64_t value,
                             std::span<const std::byte> payload) = 0;

  // Journal records, in the order they must be appended (only when the rules say journaling).
  virtual void journal_attempt(const JournalAttempt& attempt) = 0;
  virtual void journal_run(const JournalRun& run) = 0;

  // Trace events (only when the rules say tracing). Times are job-clock seconds.
  // `report`: the attempt's placement and cost, or null when the job does not track them.
  virtual void trace_attempt(int rank, const StatusRecord& record, const AttemptReport* report,
                             bool duplicate) = 0;
  virtual void trace_dispatch(double seconds, int rank, std::uint32_t count) = 0;
  virtual void trace_instant(double seconds, int rank, const std::string& name,
                             const std::string& detail) = 0;

  // One line for the user ("rank 2 (node3) lost: ..."), without the "tasktrack: " prefix.
  virtual void notice(const std::string& line) = 0;
};

}  // namespace tasktrack
