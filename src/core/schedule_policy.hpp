// Scheduling policies: which subtasks rank 0 hands a worker, and how many at a time. One
// type per policy, all pure (no MPI, no clock); every subtask is tracked individually by
// the Tracker whatever the schedule. A new schedule is a new SchedulePolicy here, a name
// in schedule.hpp, and a case in schedule_policy().
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/schedule.hpp"

namespace tasktrack {

// What a batch decision needs to know about the job and the worker asking.
struct BatchContext {
  std::uint32_t total_subtasks = 0;
  std::uint32_t remaining = 0;       // never-dispatched subtasks left
  std::uint32_t total_threads = 0;   // over all workers
  std::uint32_t worker_threads = 0;  // of the worker being fed
  std::uint32_t chunk = 0;           // --chunk; 0 = the schedule's default
};

// Credits: a worker is topped up while it holds fewer than this many outstanding
// subtasks, so each thread has one running and at least one queued behind it.
constexpr std::uint32_t low_water_mark(std::uint32_t worker_threads) {
  return 2 * worker_threads;
}

// Stateless and immutable: one instance per schedule, shared.
class SchedulePolicy {
 public:
  virtual ~SchedulePolicy() = default;

  // How many never-dispatched subtasks each worker gets at the start, before any top-up,
  // in worker order (`worker_threads` holds each worker's threads): empty when the
  // schedule hands out nothing up front.
  virtual std::vector<std::uint32_t> up_front(std::span<const unsigned> worker_threads,
                                              std::uint32_t remaining) const;

  // Fresh subtasks in one batch of a top-up, in [1, remaining] (0 when nothing remains, or
  // when the schedule hands out fresh work only up front: the top-up then sends retries).
  virtual std::uint32_t batch_size(const BatchContext& context) const = 0;
};

// static: each worker gets one contiguous share of what is left at the start, sized by its
// threads (the Blocks formula over all threads); later top-ups send retries only.
class StaticShares final : public SchedulePolicy {
 public:
  std::vector<std::uint32_t> up_front(std::span<const unsigned> worker_threads,
                                      std::uint32_t remaining) const override;
  std::uint32_t batch_size(const BatchContext&) const override { return 0; }
};

// dynamic: `chunk` per batch, by default ceil(total / (64 * total_threads)).
class DynamicBatches final : public SchedulePolicy {
 public:
  std::uint32_t batch_size(const BatchContext& context) const override;
};

// guided: ceil(remaining * worker_threads / (2 * total_threads)), at least `chunk` (default
// 1): half of this worker's fair share of what is left, so batches shrink near the end.
class GuidedBatches final : public SchedulePolicy {
 public:
  std::uint32_t batch_size(const BatchContext& context) const override;
};

const SchedulePolicy& schedule_policy(Schedule schedule);

// Size of the next batch for a dynamic or guided schedule (see the policies above).
// Throws std::logic_error for static, which hands out shares, not batches.
std::uint32_t next_batch_size(Schedule schedule, const BatchContext& context);

}  // namespace tasktrack
