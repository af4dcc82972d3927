// The state machine of every subtask of a job. Pure: no MPI, no clock, no I/O, so it is
// unit-tested without mpirun; the Coordinator wires MPI events into it (design.md rule 1).
#pragma once

#include <cstdint>
#include <deque>
#include <stdexcept>
#include <vector>

#include "tasktrack/protocol.hpp"
#include "tasktrack/subtask.hpp"

namespace tasktrack {

// A report that cannot happen in a correct run (an unknown id, a subtask reported before it
// was ever handed out). Rank 0 treats it as a protocol violation.
class IllegalTransition : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

enum class Verdict : std::uint8_t {
  accepted,         // the report changed the subtask's state
  retry,            // a failure with retries left: the subtask is pending again
  failed_for_good,  // a failure with no retries left
  duplicate,        // the subtask had already finished: counted and dropped
  stale,            // about an attempt the tracker no longer waits for: dropped
};

// Tracks N subtasks in 4 bytes each (state, attempt, assigned rank) plus a queue of
// subtasks waiting for another attempt. Not thread-safe: owned by rank 0's main thread.
//
// Dispatch order: subtasks waiting for a retry first, then never-dispatched ones in id
// order. The first completion of a subtask wins; any later report of it is a duplicate.
class Tracker {
 public:
  // `ranks` bounds the rank numbers that may be given (ranks are < 65536).
  Tracker(std::uint32_t subtask_count, std::uint32_t max_retries, int ranks);

  // Hands up to `count` pending subtasks to `rank`, appending them to `out` as runs of
  // consecutive ids with the same attempt. Returns how many were handed out.
  std::uint32_t assign_next(int rank, std::uint32_t count, std::vector<IdRun>& out);

  // Reports from workers. Throw IllegalTransition for an unknown id or a subtask that was
  // never handed out.
  Verdict mark_running(SubtaskId id, int rank, std::uint32_t attempt);
  Verdict complete(SubtaskId id, int rank, std::uint32_t attempt);
  Verdict fail(SubtaskId id, int rank, std::uint32_t attempt);

  SubtaskState state(SubtaskId id) const;
  std::uint32_t attempt(SubtaskId id) const;  // current (or last) attempt number

  std::uint32_t total() const { return static_cast<std::uint32_t>(states_.size()); }
  std::uint32_t done() const { return done_; }
  std::uint32_t failed() const { return failed_; }
  std::uint32_t retried() const { return retried_; }
  std::uint32_t duplicates() const { return duplicates_; }
  std::uint32_t never_dispatched() const { return total() - next_fresh_; }
  std::uint32_t pending() const;  // waiting to be handed out (fresh or retry)
  std::uint32_t outstanding(int rank) const { return outstanding_.at(rank); }
  bool finished() const { return done_ + failed_ == total(); }

 private:
  void check_id(SubtaskId id) const;
  void release(SubtaskId id);  // drops the subtask from its rank's outstanding count

  std::uint32_t max_retries_;
  std::vector<SubtaskState> states_;
  std::vector<std::uint8_t> attempts_;
  std::vector<std::uint16_t> ranks_;
  std::vector<std::uint32_t> outstanding_;  // per rank: assigned or running
  std::deque<SubtaskId> retry_queue_;
  SubtaskId next_fresh_ = 0;
  std::uint32_t done_ = 0;
  std::uint32_t failed_ = 0;
  std::uint32_t retried_ = 0;
  std::uint32_t duplicates_ = 0;
};

}  // namespace tasktrack
