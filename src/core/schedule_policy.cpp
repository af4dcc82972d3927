#include "core/schedule_policy.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>

#include "core/blocks.hpp"

namespace tasktrack {

namespace {

// ceil(numerator / denominator) for denominator > 0, in 64 bits so that
// remaining * worker_threads cannot overflow.
std::uint64_t ceil_div(std::uint64_t numerator, std::uint64_t denominator) {
  return (numerator + denominator - 1) / denominator;
}

// A zero thread count (a context not filled in) counts as one thread, so that a mistake
// costs batch size, never a division by zero.
std::uint64_t worker_threads_of(const BatchContext& context) {
  return std::max<std::uint32_t>(context.worker_threads, 1);
}
std::uint64_t total_threads_of(const BatchContext& context) {
  return std::max<std::uint64_t>(context.total_threads, worker_threads_of(context));
}

std::uint32_t clamp_to_remaining(std::uint64_t size, const BatchContext& context) {
  return static_cast<std::uint32_t>(std::clamp<std::uint64_t>(size, 1, context.remaining));
}

}  // namespace

std::vector<std::uint32_t> SchedulePolicy::up_front(std::span<const unsigned>,
                                                    std::uint32_t) const {
  return {};
}

std::vector<std::uint32_t> StaticShares::up_front(std::span<const unsigned> worker_threads,
                                                  std::uint32_t remaining) const {
  const std::int64_t threads = std::accumulate(worker_threads.begin(), worker_threads.end(), 0LL);
  std::vector<std::uint32_t> shares;
  if (threads == 0) return shares;
  const Blocks per_thread(remaining, threads);
  std::int64_t threads_before = 0;
  for (const unsigned own : worker_threads) {
    const std::int64_t first = per_thread.first(threads_before);
    threads_before += own;
    shares.push_back(static_cast<std::uint32_t>(per_thread.first(threads_before) - first));
  }
  return shares;
}

std::uint32_t DynamicBatches::batch_size(const BatchContext& context) const {
  if (context.remaining == 0) return 0;
  // 64 batches per thread by default: enough to balance, few enough that a batch still
  // amortizes its message.
  const std::uint64_t size = context.chunk != 0
                                 ? context.chunk
                                 : ceil_div(context.total_subtasks, 64 * total_threads_of(context));
  return clamp_to_remaining(size, context);
}

std::uint32_t GuidedBatches::batch_size(const BatchContext& context) const {
  if (context.remaining == 0) return 0;
  const std::uint64_t size = std::max<std::uint64_t>(
      ceil_div(std::uint64_t{context.remaining} * worker_threads_of(context),
               2 * total_threads_of(context)),
      std::max<std::uint32_t>(context.chunk, 1));
  return clamp_to_remaining(size, context);
}

const SchedulePolicy& schedule_policy(Schedule schedule) {
  static const StaticShares static_shares;
  static const DynamicBatches dynamic;
  static const GuidedBatches guided;
  switch (schedule) {
    case Schedule::static_shares:
      return static_shares;
    case Schedule::dynamic:
      return dynamic;
    case Schedule::guided:
      return guided;
  }
  throw std::logic_error("schedule_policy: unknown schedule");
}

std::uint32_t next_batch_size(Schedule schedule, const BatchContext& context) {
  if (context.remaining == 0) return 0;
  if (schedule == Schedule::static_shares) {
    throw std::logic_error("next_batch_size: the static schedule hands out shares, not batches");
  }
  return schedule_policy(schedule).batch_size(context);
}

}  // namespace tasktrack
