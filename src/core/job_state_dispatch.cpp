// JobState's dispatch: what each worker is handed and when (credits up to the low-water
// mark in the schedule's batch sizes, packing, deadline checks), and how long rank 0 may
// take to answer. The rest of JobState is in job_state.cpp.
#include <algorithm>
#include <limits>

#include "core/job_state.hpp"

namespace tasktrack {

void JobState::send(int rank, double now) {
  if (runs_.empty()) return;
  std::uint32_t count = 0;
  for (const IdRun& run : runs_) count += run.count;
  statistics_.note_dispatch(runs_, now);
  if (rules_.tracing) effects_.trace_dispatch(now, rank, count);
  effects_.assign(rank, runs_);
}

void JobState::top_up(WorkerState& worker, bool alone, double now) {
  runs_.clear();
  const int rank = worker.info.rank;
  if (packer_) {
    if (deadline_.enabled()) {
      packer_->top_up(tracker_, worker, runs_, now, [&](SubtaskId id) {
        if (!deadline_.may_start(id, now, /*queued=*/false)) return false;
        deadline_.note_dispatched(id);
        return true;
      });
    } else {
      packer_->top_up(tracker_, worker, runs_, now);
    }
    send(rank, now);
    return;
  }
  const std::uint32_t wanted = low_water_mark(worker.info.threads);
  while (tracker_.outstanding(rank) < wanted) {
    // Fresh subtasks go out in the schedule's batch sizes; retries (and everything, for a
    // schedule that handed its fresh work out up front) as needed to reach the water mark.
    const BatchContext context{rules_.subtasks, tracker_.never_dispatched(),
                               roster_.total_threads(), worker.info.threads, rules_.chunk};
    std::uint32_t count = schedule_.batch_size(context);
    if (count == 0) count = wanted - tracker_.outstanding(rank);
    const std::uint32_t given = deadline_.enabled()
                                    ? assign_before_deadline(worker, count, alone, now)
                                    : tracker_.assign_next(rank, count, runs_, alone);
    if (given == 0) break;
  }
  send(rank, now);
}

void JobState::top_up_all(double now) {
  const bool alone = roster_.active_count() == 1;
  for (WorkerState& worker : roster_.all()) {
    if (worker.health == Health::active) top_up(worker, alone, now);
  }
  top_up_everyone_ = false;
  for (const int rank : reported_) roster_.at(rank).reported = false;
  reported_.clear();
}

// Only a worker that reported can have room it did not have at the last top-up; every
// worker can when work went back to pending (a retry, a lost worker's subtasks) or when the
// last active worker became alone (it may then take a retry it was kept from). So a tick
// costs O(workers that reported), not O(workers): rank 0 feeds thousands of workers.
void JobState::top_up_reported(double now) {
  if (top_up_everyone_) {
    top_up_all(now);
    return;
  }
  const bool alone = roster_.active_count() == 1;
  for (const int rank : reported_) {
    WorkerState& worker = roster_.at(rank);
    worker.reported = false;
    if (worker.health == Health::active) top_up(worker, alone, now);
  }
  reported_.clear();
}

double JobState::slack_seconds() const {
  const double mean = statistics_.mean_attempt_seconds();
  if (mean <= 0 || roster_.active_count() == 0) return 0;
  double slack = std::numeric_limits<double>::infinity();
  for (const WorkerState& worker : roster_.all()) {
    if (worker.health != Health::active || worker.dead) continue;
    const std::uint32_t held = tracker_.outstanding(worker.info.rank);
    const unsigned threads = std::max(worker.info.threads, 1u);
    if (held <= threads) return 0;
    slack = std::min(slack, static_cast<double>(held - threads) * mean / threads);
  }
  return slack;
}

}  // namespace tasktrack
