// Scheduling policies: how many subtasks rank 0 hands a worker at a time. Pure functions,
// no MPI; every subtask is tracked individually whatever the schedule.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace tasktrack {

// static:  each worker gets one contiguous share of the subtasks up front.
// dynamic: fixed-size batches on demand.
// guided:  batches that shrink as the job nears its end (OpenMP's guided).
enum class Schedule : std::uint8_t { static_shares, dynamic, guided };

std::string_view to_string(Schedule schedule);
std::optional<Schedule> schedule_from_string(std::string_view text);

// What a batch decision needs to know about the job and the worker asking.
struct BatchContext {
  std::uint32_t total_subtasks = 0;
  std::uint32_t remaining = 0;       // never-dispatched subtasks left
  std::uint32_t total_threads = 0;   // over all workers
  std::uint32_t worker_threads = 0;  // of the worker being fed
  std::uint32_t chunk = 0;           // --chunk; 0 = the schedule's default
};

// Size of the next batch for a dynamic or guided schedule, in [1, remaining] (0 when
// nothing remains).
//   dynamic: `chunk`, by default ceil(total / (64 * total_threads)).
//   guided:  ceil(remaining * worker_threads / (2 * total_threads)), at least `chunk`
//            (default 1): half of this worker's fair share of what is left.
std::uint32_t next_batch_size(Schedule schedule, const BatchContext& context);

// Credits: a worker is topped up while it holds fewer than this many outstanding
// subtasks, so each thread has one running and at least one queued behind it.
constexpr std::uint32_t low_water_mark(std::uint32_t worker_threads) {
  return 2 * worker_threads;
}

}  // namespace tasktrack
