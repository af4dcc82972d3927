#include "core/schedule.hpp"

#include <algorithm>
#include <stdexcept>

namespace tasktrack {

std::string_view to_string(Schedule schedule) {
  switch (schedule) {
    case Schedule::static_shares:
      return "static";  // the name users type; static_shares only dodges the keyword
    case Schedule::dynamic:
      return "dynamic";
    case Schedule::guided:
      return "guided";
  }
  return "unknown";
}

std::optional<Schedule> schedule_from_string(std::string_view text) {
  for (const Schedule schedule : {Schedule::static_shares, Schedule::dynamic, Schedule::guided}) {
    if (text == to_string(schedule)) return schedule;
  }
  return std::nullopt;
}

namespace {

// ceil(numerator / denominator) for denominator > 0, in 64 bits so that
// remaining * worker_threads cannot overflow.
std::uint64_t ceil_div(std::uint64_t numerator, std::uint64_t denominator) {
  return (numerator + denominator - 1) / denominator;
}

}  // namespace

// A zero thread count (a context not filled in) counts as one thread, so that a
// mistake costs batch size, never a division by zero.
std::uint32_t next_batch_size(Schedule schedule, const BatchContext& context) {
  if (context.remaining == 0) return 0;
  const std::uint64_t worker_threads = std::max<std::uint32_t>(context.worker_threads, 1);
  const std::uint64_t total_threads =
      std::max<std::uint64_t>(context.total_threads, worker_threads);

  std::uint64_t size = 0;
  switch (schedule) {
    case Schedule::dynamic:
      // 64 batches per thread by default: enough to balance, few enough that a batch
      // still amortizes its message.
      size =
          context.chunk != 0 ? context.chunk : ceil_div(context.total_subtasks, 64 * total_threads);
      break;
    case Schedule::guided:
      size = std::max<std::uint64_t>(
          ceil_div(std::uint64_t{context.remaining} * worker_threads, 2 * total_threads),
          std::max<std::uint32_t>(context.chunk, 1));
      break;
    case Schedule::static_shares:
      throw std::logic_error("next_batch_size: the static schedule hands out shares, not batches");
  }
  return static_cast<std::uint32_t>(std::clamp<std::uint64_t>(size, 1, context.remaining));
}

}  // namespace tasktrack
