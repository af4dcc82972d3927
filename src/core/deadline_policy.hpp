// Deadline-aware dispatch (issue 14): which subtask may still start before the job's
// deadline, and when nothing more can. Pure: the deadline comes in as job-clock seconds
// (rank 0 resolved it before the job started: --deadline, runtime/job_deadline.hpp), every
// question carries `now`. Owned by the JobState; not thread-safe.
//
// A subtask's expected duration is its declared time (a JSON Lines task's `time`) or,
// without one, an estimate learned from the attempts of this job that finished done, in this run
// and in the earlier runs its journal holds (a job is one kind of work: one kernel over a range, or
// one task list). The estimate is the 90th percentile of those run times times a margin of 1.2: a
// high quantile, so that one fast outlier does not let long tasks start late and one slow one does
// not hold every task back. Before any attempt finished, a subtask with no declared time counts as
// taking no time: nothing is known, so it may start until deadline - grace.
//
// The rule: a subtask is handed out at `now` only when its expected end is at or before
// deadline - grace (the grace is what the drain and the journal's flush need after it). A
// subtask queued behind running ones (its worker's threads all busy) is expected to start
// only once the longest expected subtask so far has run, so its end counts that too.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "core/quantiles.hpp"
#include "tasktrack/subtask.hpp"

namespace tasktrack {

class DeadlinePolicy {
 public:
  static constexpr double no_deadline = std::numeric_limits<double>::infinity();
  static constexpr double quantile = 0.9;
  static constexpr double margin = 1.2;

  // `deadline` in job-clock seconds (no_deadline: none); `declared[id]` a subtask's declared
  // duration in seconds, 0 (or past the vector's end) when it declares none.
  DeadlinePolicy(double deadline, double grace, std::vector<double> declared);

  bool enabled() const { return deadline_ != no_deadline; }
  double deadline() const { return deadline_; }
  // The latest time a subtask may be expected to end: deadline - grace.
  double latest_end() const { return latest_end_; }

  // A done attempt's run time, this run's or an earlier run's (a journal record).
  void note_run_time(double seconds);
  // The learned estimate (margin included); 0 while no attempt finished.
  double learned_seconds() const;
  // The subtask's expected duration: declared, else learned, else 0 (not known).
  double expected_seconds(SubtaskId id) const;

  // May `id` start at `now` on a worker with a free thread (`queued` false), or wait there
  // behind running ones (`queued` true)?
  bool may_start(SubtaskId id, double now, bool queued) const;
  // `id` was handed out: its expected duration counts toward what a queued one waits for.
  void note_dispatched(SubtaskId id);

 private:
  double deadline_;
  double latest_end_;
  std::vector<double> declared_;
  LogHistogram run_times_;
  double longest_declared_dispatched_ = 0;
};

}  // namespace tasktrack
