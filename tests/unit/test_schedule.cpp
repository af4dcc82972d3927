// Scheduling policies: names, and the batch sizes rank 0 hands out (schedule.hpp).
#include "core/schedule_policy.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <stdexcept>

namespace tasktrack {
namespace {

TEST(Schedule, NamesAreWhatUsersType) {
  EXPECT_EQ(to_string(Schedule::static_shares), "static");
  EXPECT_EQ(to_string(Schedule::dynamic), "dynamic");
  EXPECT_EQ(to_string(Schedule::guided), "guided");
}

TEST(Schedule, FromStringRoundTripsAndRefusesOthers) {
  for (const Schedule schedule : {Schedule::static_shares, Schedule::dynamic, Schedule::guided}) {
    EXPECT_EQ(schedule_from_string(to_string(schedule)), schedule);
  }
  EXPECT_EQ(schedule_from_string("static_shares"), std::nullopt);
  EXPECT_EQ(schedule_from_string("Static"), std::nullopt);
  EXPECT_EQ(schedule_from_string(""), std::nullopt);
  EXPECT_EQ(schedule_from_string("guided "), std::nullopt);
}

BatchContext context(std::uint32_t total, std::uint32_t remaining, std::uint32_t total_threads,
                     std::uint32_t worker_threads, std::uint32_t chunk = 0) {
  return BatchContext{.total_subtasks = total,
                      .remaining = remaining,
                      .total_threads = total_threads,
                      .worker_threads = worker_threads,
                      .chunk = chunk};
}

TEST(Schedule, DynamicDefaultIsSixtyFourBatchesPerThread) {
  // ceil(6400 / (64 * 10)) = 10
  EXPECT_EQ(next_batch_size(Schedule::dynamic, context(6400, 6400, 10, 2)), 10u);
  // ceil(6401 / 640) = 11
  EXPECT_EQ(next_batch_size(Schedule::dynamic, context(6401, 3000, 10, 2)), 11u);
  // Few subtasks: one at a time.
  EXPECT_EQ(next_batch_size(Schedule::dynamic, context(100, 100, 10, 2)), 1u);
}

TEST(Schedule, DynamicUsesExplicitChunk) {
  EXPECT_EQ(next_batch_size(Schedule::dynamic, context(1000, 1000, 10, 2, 7)), 7u);
  EXPECT_EQ(next_batch_size(Schedule::dynamic, context(1000, 1, 10, 2, 7)), 1u);
}

TEST(Schedule, DynamicNeverAboveRemaining) {
  EXPECT_EQ(next_batch_size(Schedule::dynamic, context(6400, 3, 10, 2)), 3u);
  EXPECT_EQ(next_batch_size(Schedule::dynamic, context(1000, 5, 10, 2, 50)), 5u);
}

TEST(Schedule, NothingRemainingGivesZero) {
  EXPECT_EQ(next_batch_size(Schedule::dynamic, context(1000, 0, 10, 2)), 0u);
  EXPECT_EQ(next_batch_size(Schedule::dynamic, context(1000, 0, 10, 2, 5)), 0u);
  EXPECT_EQ(next_batch_size(Schedule::guided, context(1000, 0, 10, 2)), 0u);
  EXPECT_EQ(next_batch_size(Schedule::guided, context(1000, 0, 10, 2, 5)), 0u);
}

TEST(Schedule, GuidedIsHalfTheWorkersFairShareOfWhatIsLeft) {
  // ceil(1000 * 4 / (2 * 8)) = 250
  EXPECT_EQ(next_batch_size(Schedule::guided, context(1000, 1000, 8, 4)), 250u);
  // ceil(101 * 1 / (2 * 8)) = 7
  EXPECT_EQ(next_batch_size(Schedule::guided, context(1000, 101, 8, 1)), 7u);
}

TEST(Schedule, GuidedShrinksAndCoversEverything) {
  const std::uint32_t total = 10000;
  std::uint32_t remaining = total;
  std::uint32_t previous = total;
  std::uint64_t handed_out = 0;
  while (remaining > 0) {
    const std::uint32_t size = next_batch_size(Schedule::guided, context(total, remaining, 16, 4));
    ASSERT_GE(size, 1u);
    ASSERT_LE(size, remaining);
    ASSERT_LE(size, previous);
    previous = size;
    remaining -= size;
    handed_out += size;
  }
  EXPECT_EQ(handed_out, total);
  EXPECT_EQ(previous, 1u);  // the tail goes one at a time
}

TEST(Schedule, GuidedRespectsChunkAsFloorButNotAboveRemaining) {
  EXPECT_EQ(next_batch_size(Schedule::guided, context(1000, 40, 8, 1, 10)), 10u);  // 3 -> 10
  EXPECT_EQ(next_batch_size(Schedule::guided, context(1000, 1000, 8, 4, 10)), 250u);
  EXPECT_EQ(next_batch_size(Schedule::guided, context(1000, 4, 8, 1, 10)), 4u);
}

TEST(Schedule, GuidedNeverBelowOneNorAboveRemaining) {
  EXPECT_EQ(next_batch_size(Schedule::guided, context(1000, 1, 1000, 1)), 1u);
  // A single worker holding every thread gets half of what is left.
  EXPECT_EQ(next_batch_size(Schedule::guided, context(1000, 1, 1, 1)), 1u);
  EXPECT_EQ(next_batch_size(Schedule::guided, context(1000, 9, 1, 1)), 5u);
}

TEST(Schedule, GuidedDoesNotOverflowOnHugeJobs) {
  const std::uint32_t huge = std::numeric_limits<std::uint32_t>::max();
  EXPECT_EQ(next_batch_size(Schedule::guided, context(huge, huge, 1000, 1000)), 2147483648u);
}

TEST(Schedule, ZeroThreadCountsDoNotDivideByZero) {
  EXPECT_EQ(next_batch_size(Schedule::dynamic, context(640, 640, 0, 0)), 10u);
  EXPECT_EQ(next_batch_size(Schedule::guided, context(100, 100, 0, 0)), 50u);
}

TEST(Schedule, StaticHasNoBatches) {
  EXPECT_THROW(next_batch_size(Schedule::static_shares, context(100, 100, 4, 1)), std::logic_error);
}

TEST(Schedule, LowWaterMarkKeepsOneQueuedPerThread) {
  static_assert(low_water_mark(4) == 8);
  EXPECT_EQ(low_water_mark(1), 2u);
}

}  // namespace
}  // namespace tasktrack
