// Rank 0's view of every worker's health: heard from when, lost, quarantined, drained,
// gone. Pure data and the health rules; the JobState decides what follows from them.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/worker_info.hpp"
#include "tasktrack/subtask.hpp"

namespace tasktrack {

// active: gets work. lost: went silent or died; its subtasks were reassigned and whatever
// it still reports is a late duplicate. quarantined: alive, but failed too often in a row
// to get more work.
enum class Health : std::uint8_t { active, lost, quarantined };

struct WorkerState {
  WorkerInfo info;
  Health health = Health::active;
  double last_heard = 0;  // job-clock seconds
  bool drained = false;   // said nothing runs any more, after a Drain
  bool said_goodbye = false;
  bool dead = false;                      // its process or connection is gone
  bool reported = false;                  // in JobState's list of ranks to top up
  std::vector<SubtaskId> failure_streak;  // distinct subtasks failed since its last success
};

class WorkerRoster {
 public:
  // `ranks` bounds the rank numbers (processes in the job).
  WorkerRoster(std::span<const WorkerInfo> workers, int ranks);

  // The worker of `rank`; throws ProtocolError when `rank` is not a worker.
  WorkerState& at(int rank);
  std::span<WorkerState> all() { return workers_; }
  std::span<const WorkerState> all() const { return workers_; }

  // Workers whose health is active. O(1): rank 0 asks on every tick.
  std::size_t active_count() const { return active_; }
  // Moves a worker out of `active` (lost, or quarantined); lost is final.
  void set_health(WorkerState& worker, Health health);
  std::uint32_t total_threads() const { return total_threads_; }
  // True once any worker was lost or died.
  bool any_lost_or_dead() const;

  // A bad node fails whatever it gets: after `quarantine_after` failed attempts in a row on
  // that many different subtasks it gets no more work. A retry that fails again says more
  // about the subtask than the node (retries go out ahead of fresh work, so a healthy worker
  // may get several in a row), so only first attempts count; and the last active worker is
  // never benched. Returns true when this failure quarantined the worker.
  bool note_failed_attempt(WorkerState& worker, SubtaskId subtask, std::uint32_t attempt,
                           std::uint32_t quarantine_after);
  static void note_success(WorkerState& worker) { worker.failure_streak.clear(); }

 private:
  std::vector<WorkerState> workers_;
  std::vector<int> index_;  // rank -> index into workers_, -1 for a rank that is no worker
  std::uint32_t total_threads_ = 0;
  std::size_t active_ = 0;
};

}  // namespace tasktrack
