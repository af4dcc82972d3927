// Packing (issue 11): rank 0's rule for task lists whose lines ask for different cores,
// GPUs and memory. A worker gets a task only when its free resources cover the task's
// requirement, so no worker is ever oversubscribed; what it gets is the first pending task
// in dispatch order (retries, then line order) that fits, so no worker sits idle while a
// task that fits it waits.
//
// The starvation rule: a large task could wait forever behind a stream of small ones that
// always fill the room it needs. Once the task first in line has waited `reserve_after`
// seconds and fits no worker's free resources, it reserves one worker (of those that could
// ever hold it, the one with the most free room): that worker takes nothing new until the
// task fits, then takes it. One reservation at a time, as in EASY backfilling. Pure: no
// clock (every call carries `now`), owned by JobState.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "core/resources.hpp"
#include "core/tracker.hpp"
#include "core/worker_roster.hpp"

namespace tasktrack {

class Packer {
 public:
  // `requirements`: one per class (the tracker's classes).
  Packer(std::vector<Resources> requirements, double reserve_after);

  // The job starts: every class starts waiting.
  void start(double now);

  // Hands `worker` (active) what fits its free resources, appending to `runs`. With
  // `may_start` (a deadline: each task handed out starts at once, nothing queues), only
  // while the task next in line may start (Tracker::assign_fitting).
  void top_up(Tracker& tracker, const WorkerState& worker, std::vector<IdRun>& runs, double now,
              const std::function<bool(SubtaskId)>& may_start = {});

  // After the workers' health changed (and at the start): which classes only one active
  // worker can hold (a retry may then go back to the worker where it failed).
  void note_workers(std::span<const WorkerState> workers);

  // A tick. Drops a reservation whose worker is no longer active, and reserves a worker
  // for the task first in line when the rule above says so. Returns true when that task
  // fits some worker's free resources now (every worker should then be topped up).
  bool check_reservation(const Tracker& tracker, std::span<const WorkerState> workers, double now);

  // Classes with a requirement no active worker can ever hold (their capacity, not what is
  // free): their pending tasks can never run in this job.
  std::vector<std::uint16_t> unrunnable_classes(std::span<const WorkerState> workers) const;

  int reserved_rank() const { return reserved_rank_; }
  const Resources& requirement(std::size_t class_index) const {
    return requirements_.at(class_index);
  }

 private:
  std::vector<Resources> requirements_;
  double reserve_after_;
  std::vector<double> waiting_since_;          // per class: its last dispatch, or the start
  std::vector<std::uint8_t> alone_for_class_;  // per class: at most one active worker holds it
  int reserved_rank_ = -1;
  int reserved_class_ = -1;
};

}  // namespace tasktrack
