// What the summary reports beyond the Tracker's counters: per-rank work, dispatch-to-start
// latency, the slowest attempts, the failures. Pure bookkeeping, fed by the JobState.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/quantiles.hpp"
#include "core/worker_info.hpp"
#include "core/worker_roster.hpp"
#include "report/summary.hpp"
#include "runtime/protocol.hpp"

namespace tasktrack {

class Tracker;

class JobStatistics {
 public:
  JobStatistics(std::span<const WorkerInfo> workers, int ranks, std::uint32_t subtasks);

  RankSummary& rank(int rank) { return per_rank_.at(rank); }

  // Every attempt a worker reports finished (duplicates included: it ran) adds its time to
  // its rank's busy seconds and to the mean attempt time.
  void note_busy(int rank, double seconds);
  // The mean time of the attempts reported so far; 0 before the first.
  double mean_attempt_seconds() const {
    return attempts_reported_ > 0 ? seconds_reported_ / static_cast<double>(attempts_reported_) : 0;
  }

  // Handing out `runs` at `now`: each subtask's dispatch time, for its start latency.
  void note_dispatch(std::span<const IdRun> runs, double now);
  // A growing task list's new subtasks (issue 13).
  void add_subtasks(std::uint32_t count) {
    dispatched_at_.resize(dispatched_at_.size() + count, 0.0);
  }
  // An attempt that finished (done first, or failed and counted): how long it waited.
  void note_started(const StatusRecord& record);
  // A completed attempt: kept when among the slowest.
  void note_completed(SubtaskId id, int rank, double seconds);
  void note_failure(FailureSummary failure) { failures_.push_back(std::move(failure)); }
  // A finished attempt's report (done or failed, counted or not: it ran and cost what it
  // cost). `class_index`: its requirement class (0 when the job has one).
  void note_attempt(const StatusRecord& record, int rank, const AttemptReport& report,
                    std::size_t class_index);
  // The measured cost of the attempts of each class, by class index.
  const std::vector<AttemptCost>& class_costs() const { return class_costs_; }

  std::uint32_t timed_out = 0;        // attempts that ran past their limit
  std::uint32_t resumed = 0;          // subtasks a journal said were done
  std::uint32_t late_duplicates = 0;  // reports from lost workers

  // Fills the summary's statistics for a job that ran `wall_seconds` from `started`.
  void fill(Summary& summary, const Tracker& tracker, std::span<const WorkerState> workers,
            double started, double wall_seconds) const;

 private:
  std::vector<RankSummary> per_rank_;  // indexed by rank
  std::vector<double> dispatched_at_;  // job-clock seconds, by subtask
  double seconds_reported_ = 0;        // summed over every finished attempt reported
  std::uint64_t attempts_reported_ = 0;
  double last_dispatch_ = 0;
  LogHistogram start_latency_;        // dispatch to start of each attempt
  std::vector<SlowSubtask> slowest_;  // a min-heap on seconds, at most slowest_kept long
  std::vector<FailureSummary> failures_;
  AttemptCost cost_;
  std::vector<AttemptCost> class_costs_;
  std::vector<AttemptRef> capped_;
  std::uint32_t left_processes_ = 0;  // attempts whose leftover processes were ended
};

}  // namespace tasktrack
