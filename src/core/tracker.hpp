// The state machine of every subtask of a job. Pure: no MPI, no clock, no I/O, so it is
// unit-tested without mpirun; the Coordinator wires MPI events into it (design.md rule 1).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "core/resources.hpp"
#include "runtime/protocol.hpp"
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
// Attempt numbers continue across sessions (issue 12): a subtask that failed in an earlier
// run and runs again here starts at the number after its last recorded attempt, so that no
// attempt's output is overwritten. The byte per subtask counts this session's attempts; the
// first number of a session is 0 unless continue_attempts() set it (a vector of 4 bytes per
// subtask, allocated only when a resume needs one).
//
// Dispatch order: subtasks waiting for another attempt first (a retry avoids the rank
// where the last attempt failed when another rank asks), then never-dispatched ones in id
// order. The first completion of a subtask wins; any later report of it is a duplicate.
class Tracker {
 public:
  // `ranks` bounds the rank numbers that may be given (ranks are < 65536).
  Tracker(std::uint32_t subtask_count, std::uint32_t max_retries, int ranks);

  // Hands up to `count` pending subtasks to `rank`, appending them to `out` as runs of
  // consecutive ids with the same attempt. Returns how many were handed out. A retry whose
  // last attempt failed on `rank` is left for another rank unless `rank_is_alone`.
  std::uint32_t assign_next(int rank, std::uint32_t count, std::vector<IdRun>& out,
                            bool rank_is_alone = true);
  // The subtask assign_next(rank, 1, ..., rank_is_alone) would hand out next, without
  // handing it out; nullopt when it would hand out none. (Deadline-aware dispatch looks at
  // it before it lets it go.)
  std::optional<SubtaskId> peek_next(int rank, bool rank_is_alone = true) const;

  // Packing (issue 11), before any dispatch: subtask i needs requirements[class_of[i]].
  // Then dispatch goes through assign_fitting only, and the tracker counts what each rank
  // has in use.
  void set_classes(std::vector<std::uint16_t> class_of, std::vector<Resources> requirements);
  bool packing() const { return !class_of_.empty(); }
  // Hands `rank` the first pending subtask in dispatch order whose requirement fits
  // `available` (only of class `only_class` when >= 0), appending it to `out`, and counts
  // its requirement in use on `rank` until it finishes. Returns its class, or -1 when none
  // fits. A retry that should avoid `rank` is skipped unless `rank` is alone in holding its
  // class (`alone_for_class`, one flag per class). With `may_start` (a deadline), that
  // subtask goes out only when may_start(id) says so; else nothing does (-1): the first
  // that may not start holds back those after it.
  int assign_fitting(int rank, const Resources& available, std::vector<IdRun>& out,
                     std::span<const std::uint8_t> alone_for_class, int only_class = -1,
                     const std::function<bool(SubtaskId)>& may_start = {});
  // What `rank`'s assigned and running subtasks need together (packing only).
  Resources in_use(int rank) const { return in_use_.at(rank); }
  // The pending subtask first in dispatch order (retries, then the lowest id; with
  // packing, over every class); nullopt when nothing is pending.
  std::optional<SubtaskId> first_pending() const;
  // Its class; -1 when nothing is pending.
  int first_pending_class() const;
  // Pending subtasks of a class no worker left can run fail for good. Returns their ids.
  std::vector<SubtaskId> fail_pending_of_class(std::uint16_t class_index);

  // Barriers (issue 13), before any dispatch and before a resume's restore_*: subtask ids
  // are in phase order and `phase_starts[i]` (non-decreasing) is the first id after barrier
  // i. A fresh subtask is handed out only below dispatch_limit(): the first id past the
  // first barrier whose earlier subtasks have not all finished (done or failed for good; a
  // retry of an earlier one still goes). A barrier with `checks[i]` stays closed for good
  // when one of its earlier subtasks failed for good: barrier_stop() then names it.
  void set_barriers(std::vector<SubtaskId> phase_starts, std::vector<bool> checks);
  SubtaskId dispatch_limit() const { return dispatch_limit_; }
  struct BarrierStop {
    std::size_t barrier;     // its index among the barriers
    std::uint32_t failures;  // subtasks before it that failed for good
  };
  std::optional<BarrierStop> barrier_stop() const { return barrier_stop_; }

  // A growing task list (issue 13): `count` fresh subtasks after the last one, in the
  // phase after the last barrier. Not with packing (every task of a growing list asks for
  // the same).
  void add_subtasks(std::uint32_t count);
  // A barrier after every subtask so far: the subtasks added after it start once every one
  // before it finished (with `check`, the job stops there when one failed for good).
  void add_barrier(bool check);

  // A lost worker: its assigned and running subtasks go back to pending, first in line,
  // at the same attempt (a lost worker does not use up a retry). Returns how many.
  std::uint32_t release_rank(int rank);

  // Crash limit (issue 14). A subtask that was running (reported running, state running) on
  // a worker when it was lost is charged one crash; at `limit` crashes (0: no limit) it
  // fails for good instead of going back to pending: a poison subtask takes down at most
  // `limit` workers. Subtasks only assigned to the lost worker (queued there, not started)
  // are not charged: they did not run when it went. Set before any dispatch.
  void set_crash_limit(std::uint32_t limit) { crash_limit_ = limit; }
  std::uint32_t crash_limit() const { return crash_limit_; }
  struct LostRankRelease {
    std::uint32_t released = 0;          // back to pending, as release_rank()
    std::vector<SubtaskId> charged;      // were running: charged one crash each
    std::vector<SubtaskId> crashed_out;  // of those, at the crash limit: failed for good
  };
  // release_rank() for a lost worker, charging what it was running.
  LostRankRelease release_lost_rank(int rank);
  // Crashes charged to the subtask so far (this session's and restore_crashes()'s).
  std::uint32_t crashes(SubtaskId id) const;
  // Resuming, before any dispatch: crashes an earlier run charged to a subtask still to
  // run. It keeps counting from there; at the limit already, it fails at its next crash.
  void restore_crashes(SubtaskId id, std::uint32_t crashes);

  // Resuming from a journal, before any dispatch: the subtask finished in an earlier run.
  // restore_done returns false when it was already restored (a duplicate record).
  bool restore_done(SubtaskId id);
  void restore_failed(SubtaskId id, std::uint32_t attempt);
  // The subtask failed for good in an earlier run at attempt `last_attempt` and runs again
  // here: its attempts are numbered on from last_attempt + 1, with 1 + max_retries of them
  // as in any session. Returns false, changing nothing, when the numbers would pass
  // max_attempt_number (the wire's and the journal's u32): the caller keeps it failed.
  bool continue_attempts(SubtaskId id, std::uint32_t last_attempt);
  // The largest attempt number the protocol and the journal carry.
  static constexpr std::uint32_t max_attempt_number = 0xffffffffu;

  // No worker is left to run the pending subtasks: they fail for good. Returns their ids.
  std::vector<SubtaskId> fail_pending();

  // Reports from workers. Throw IllegalTransition for an unknown id or a subtask that was
  // never handed out.
  Verdict mark_running(SubtaskId id, int rank, std::uint32_t attempt);
  Verdict complete(SubtaskId id, int rank, std::uint32_t attempt);
  Verdict fail(SubtaskId id, int rank, std::uint32_t attempt);

  SubtaskState state(SubtaskId id) const;
  std::uint32_t attempt(SubtaskId id) const;  // current (or last) attempt number
  // The extra attempts a failure may still get in this session (--retries, capped at 255).
  std::uint32_t max_retries() const { return max_retries_; }

  std::uint32_t total() const { return static_cast<std::uint32_t>(states_.size()); }
  std::uint32_t done() const { return done_; }
  std::uint32_t failed() const { return failed_; }
  std::uint32_t retried() const { return retried_; }
  std::uint32_t duplicates() const { return duplicates_; }
  std::uint32_t reassigned() const { return reassigned_; }
  std::uint32_t never_dispatched() const { return fresh_left_; }
  std::uint32_t pending() const;  // waiting to be handed out (fresh or retry)
  std::uint32_t outstanding(int rank) const { return outstanding_.at(rank); }
  bool finished() const { return done_ + failed_ == total(); }
  // Subtasks handed out to any rank and not yet reported finished.
  std::uint32_t outstanding_total() const;

 private:
  void check_id_range(SubtaskId id) const;  // a known id
  void check_id(SubtaskId id) const;        // a known id that was handed out
  void release(SubtaskId id);               // drops the subtask from its rank's outstanding count
  // A lost rank's assigned and running subtasks back to pending (those at the crash limit
  // failed instead, when `charge_running`).
  LostRankRelease release_of(int rank, bool charge_running);
  void give(int rank, SubtaskId id, std::vector<IdRun>& out);  // pending -> assigned
  // The next fresh subtask of a class (skipping ones a journal finished); none: total().
  SubtaskId next_fresh_of_class(std::size_t class_index);
  // The subtask's current attempt number: its session's first plus the attempts used here.
  std::uint32_t attempt_number(SubtaskId id) const {
    return first_attempt_.empty() ? attempts_[id] : first_attempt_[id] + attempts_[id];
  }
  // The subtask just finished (done or failed for good): counts it against its phase and
  // opens the barriers that are now met. Nothing without barriers.
  void note_finished(SubtaskId id) {
    if (!phase_starts_.empty()) note_finished_in_phase(id);
  }
  void note_finished_in_phase(SubtaskId id);
  std::size_t phase_of(SubtaskId id) const;  // barriers at or below it
  // Passes every barrier whose earlier subtasks all finished, up to one that stops the job.
  void open_barriers();

  std::uint32_t max_retries_;
  std::vector<SubtaskState> states_;
  std::vector<std::uint8_t> attempts_;        // attempts used in this session, minus one
  std::vector<std::uint32_t> first_attempt_;  // by id, or empty: every session starts at 0
  std::vector<std::uint16_t> ranks_;
  std::vector<std::uint32_t> outstanding_;  // per rank: assigned or running
  struct Retry {
    SubtaskId id;
    int avoid_rank;  // -1: any rank
  };
  std::deque<Retry> retry_queue_;
  SubtaskId next_fresh_ = 0;      // no subtask below it is fresh
  std::uint32_t fresh_left_ = 0;  // pending subtasks never handed out
  std::uint32_t reassigned_ = 0;
  std::uint32_t crash_limit_ = 0;
  // Crashes by subtask: only subtasks that were running on a lost worker have an entry.
  std::unordered_map<SubtaskId, std::uint32_t> crashes_;
  // Packing: each subtask's class, each class's requirement, its fresh ids in order and how
  // far dispatch has come through them, and what each rank has in use.
  std::vector<std::uint16_t> class_of_;
  std::vector<Resources> requirements_;
  std::vector<std::vector<SubtaskId>> fresh_of_class_;
  std::vector<std::size_t> fresh_cursor_;
  std::vector<Resources> in_use_;
  // Barriers: where each phase after the first starts, which barriers check, how many
  // subtasks of each phase have not finished, the first barrier not yet passed, and the
  // first id not to hand out (total() when no barrier holds).
  std::vector<SubtaskId> phase_starts_;
  std::vector<bool> barrier_checks_;
  std::vector<std::uint32_t> unfinished_in_phase_;
  std::size_t next_barrier_ = 0;
  SubtaskId dispatch_limit_;
  std::optional<BarrierStop> barrier_stop_;
  std::uint32_t done_ = 0;
  std::uint32_t failed_ = 0;
  std::uint32_t retried_ = 0;
  std::uint32_t duplicates_ = 0;
};

}  // namespace tasktrack
