// tracker.hpp: every subtask's life as a pure state machine: legal transitions, retries,
// rejected reports, duplicates, stale reports, first completion wins, dispatch order.
#include "core/tracker.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <set>
#include <stdexcept>
#include <vector>

namespace tasktrack {

static void PrintTo(const IdRun& run, std::ostream* out) {
  *out << "{first " << run.first << ", count " << run.count << ", attempt " << run.attempt << "}";
}

namespace {

using testing::ElementsAre;

// Hands out `count` subtasks to `rank` and returns the runs of this call only.
std::vector<IdRun> assign(Tracker& tracker, int rank, std::uint32_t count) {
  std::vector<IdRun> runs;
  tracker.assign_next(rank, count, runs);
  return runs;
}

TEST(Tracker, StartsWithEverythingPending) {
  const Tracker tracker(10, 2, 3);
  EXPECT_EQ(tracker.total(), 10u);
  EXPECT_EQ(tracker.pending(), 10u);
  EXPECT_EQ(tracker.never_dispatched(), 10u);
  EXPECT_EQ(tracker.done(), 0u);
  EXPECT_EQ(tracker.failed(), 0u);
  EXPECT_EQ(tracker.retried(), 0u);
  EXPECT_EQ(tracker.duplicates(), 0u);
  EXPECT_FALSE(tracker.finished());
  for (SubtaskId id = 0; id < 10; ++id) {
    EXPECT_EQ(tracker.state(id), SubtaskState::pending);
    EXPECT_EQ(tracker.attempt(id), 0u);
  }
  for (int rank = 0; rank < 3; ++rank) EXPECT_EQ(tracker.outstanding(rank), 0u);
}

TEST(Tracker, EmptyJobIsFinishedAtOnce) {
  Tracker tracker(0, 2, 2);
  EXPECT_TRUE(tracker.finished());
  std::vector<IdRun> runs;
  EXPECT_EQ(tracker.assign_next(1, 10, runs), 0u);
  EXPECT_TRUE(runs.empty());
}

TEST(Tracker, PendingAssignedRunningDone) {
  Tracker tracker(4, 2, 3);
  EXPECT_THAT(assign(tracker, 1, 2), ElementsAre(IdRun{0, 2, 0}));
  EXPECT_EQ(tracker.state(0), SubtaskState::assigned);
  EXPECT_EQ(tracker.state(1), SubtaskState::assigned);
  EXPECT_EQ(tracker.state(2), SubtaskState::pending);
  EXPECT_EQ(tracker.outstanding(1), 2u);
  EXPECT_EQ(tracker.pending(), 2u);
  EXPECT_EQ(tracker.never_dispatched(), 2u);

  EXPECT_EQ(tracker.mark_running(0, 1, 0), Verdict::accepted);
  EXPECT_EQ(tracker.state(0), SubtaskState::running);
  EXPECT_EQ(tracker.outstanding(1), 2u);  // running is still outstanding

  EXPECT_EQ(tracker.complete(0, 1, 0), Verdict::accepted);
  EXPECT_EQ(tracker.state(0), SubtaskState::done);
  EXPECT_EQ(tracker.done(), 1u);
  EXPECT_EQ(tracker.outstanding(1), 1u);
  EXPECT_FALSE(tracker.finished());
}

TEST(Tracker, AssignedStraightToDone) {
  Tracker tracker(1, 0, 2);
  assign(tracker, 1, 1);
  EXPECT_EQ(tracker.complete(0, 1, 0), Verdict::accepted);
  EXPECT_EQ(tracker.state(0), SubtaskState::done);
  EXPECT_EQ(tracker.done(), 1u);
  EXPECT_EQ(tracker.outstanding(1), 0u);
  EXPECT_TRUE(tracker.finished());
}

TEST(Tracker, FailureWithRetriesLeftGoesBackToPendingAndIsDispatchedFirst) {
  Tracker tracker(10, 2, 3);
  assign(tracker, 1, 4);
  EXPECT_EQ(tracker.mark_running(2, 1, 0), Verdict::accepted);
  EXPECT_EQ(tracker.fail(2, 1, 0), Verdict::retry);
  EXPECT_EQ(tracker.state(2), SubtaskState::pending);
  EXPECT_EQ(tracker.attempt(2), 1u);
  EXPECT_EQ(tracker.retried(), 1u);
  EXPECT_EQ(tracker.failed(), 0u);
  EXPECT_EQ(tracker.outstanding(1), 3u);
  EXPECT_EQ(tracker.pending(), 7u);  // 6 fresh and 1 retry
  EXPECT_EQ(tracker.never_dispatched(), 6u);

  // The retry goes out before the fresh subtasks 4.., with its new attempt number.
  EXPECT_THAT(assign(tracker, 2, 3), ElementsAre(IdRun{2, 1, 1}, IdRun{4, 2, 0}));
  EXPECT_EQ(tracker.state(2), SubtaskState::assigned);
  EXPECT_EQ(tracker.outstanding(2), 3u);
  EXPECT_EQ(tracker.outstanding(1), 3u);
  EXPECT_EQ(tracker.pending(), 4u);

  EXPECT_EQ(tracker.complete(2, 2, 1), Verdict::accepted);
  EXPECT_EQ(tracker.state(2), SubtaskState::done);
  EXPECT_EQ(tracker.outstanding(2), 2u);
}

TEST(Tracker, FailureWithNoRetriesLeftIsFinal) {
  Tracker tracker(3, 1, 3);
  assign(tracker, 1, 3);
  EXPECT_EQ(tracker.fail(0, 1, 0), Verdict::retry);
  EXPECT_THAT(assign(tracker, 2, 5), ElementsAre(IdRun{0, 1, 1}));
  EXPECT_EQ(tracker.mark_running(0, 2, 1), Verdict::accepted);
  EXPECT_EQ(tracker.fail(0, 2, 1), Verdict::failed_for_good);
  EXPECT_EQ(tracker.state(0), SubtaskState::failed);
  EXPECT_EQ(tracker.attempt(0), 1u);
  EXPECT_EQ(tracker.failed(), 1u);
  EXPECT_EQ(tracker.retried(), 1u);
  EXPECT_EQ(tracker.outstanding(2), 0u);
  EXPECT_EQ(tracker.pending(), 0u);
  EXPECT_TRUE(assign(tracker, 2, 5).empty());  // a final failure is not dispatched again

  EXPECT_FALSE(tracker.finished());
  EXPECT_EQ(tracker.complete(1, 1, 0), Verdict::accepted);
  EXPECT_EQ(tracker.complete(2, 1, 0), Verdict::accepted);
  EXPECT_TRUE(tracker.finished());  // done + failed == total
  EXPECT_EQ(tracker.done(), 2u);
}

TEST(Tracker, NoRetriesMeansTheFirstFailureIsFinal) {
  Tracker tracker(2, 0, 2);
  assign(tracker, 1, 2);
  EXPECT_EQ(tracker.fail(1, 1, 0), Verdict::failed_for_good);
  EXPECT_EQ(tracker.state(1), SubtaskState::failed);
  EXPECT_EQ(tracker.retried(), 0u);
  EXPECT_EQ(tracker.failed(), 1u);
}

TEST(Tracker, EveryRetryUsesTheNextAttempt) {
  Tracker tracker(1, 3, 2);
  for (std::uint32_t attempt = 0; attempt < 3; ++attempt) {
    EXPECT_THAT(assign(tracker, 1, 1), ElementsAre(IdRun{0, 1, attempt}));
    EXPECT_EQ(tracker.fail(0, 1, attempt), Verdict::retry) << "attempt " << attempt;
    EXPECT_EQ(tracker.attempt(0), attempt + 1);
  }
  EXPECT_THAT(assign(tracker, 1, 1), ElementsAre(IdRun{0, 1, 3}));
  EXPECT_EQ(tracker.fail(0, 1, 3), Verdict::failed_for_good);
  EXPECT_EQ(tracker.retried(), 3u);
  EXPECT_TRUE(tracker.finished());
}

TEST(Tracker, UnknownIdIsIllegal) {
  Tracker tracker(4, 1, 2);
  assign(tracker, 1, 4);
  EXPECT_THROW(tracker.mark_running(4, 1, 0), IllegalTransition);
  EXPECT_THROW(tracker.complete(4, 1, 0), IllegalTransition);
  EXPECT_THROW(tracker.fail(4, 1, 0), IllegalTransition);
  EXPECT_THROW(tracker.complete(0xFFFFFFFFu, 1, 0), IllegalTransition);
  EXPECT_EQ(tracker.done(), 0u);
  EXPECT_EQ(tracker.duplicates(), 0u);
  EXPECT_EQ(tracker.outstanding(1), 4u);
}

TEST(Tracker, NeverHandedOutIsIllegal) {
  Tracker tracker(6, 1, 2);
  assign(tracker, 1, 2);  // 0 and 1
  for (const SubtaskId id : {2u, 5u}) {
    EXPECT_THROW(tracker.mark_running(id, 1, 0), IllegalTransition) << id;
    EXPECT_THROW(tracker.complete(id, 1, 0), IllegalTransition) << id;
    EXPECT_THROW(tracker.fail(id, 1, 0), IllegalTransition) << id;
    EXPECT_EQ(tracker.state(id), SubtaskState::pending);
  }
  EXPECT_EQ(tracker.done(), 0u);
  EXPECT_EQ(tracker.pending(), 4u);
  // Nothing was consumed by the rejected reports: 2 is still the next to go out.
  EXPECT_THAT(assign(tracker, 1, 1), ElementsAre(IdRun{2, 1, 0}));
}

TEST(Tracker, IllegalTransitionIsALogicError) {
  Tracker tracker(1, 0, 2);
  EXPECT_THROW(tracker.complete(0, 1, 0), std::logic_error);
}

TEST(Tracker, SecondCompletionIsADuplicateAndDropped) {
  Tracker tracker(2, 2, 3);
  assign(tracker, 1, 2);
  EXPECT_EQ(tracker.complete(0, 1, 0), Verdict::accepted);
  EXPECT_EQ(tracker.complete(0, 1, 0), Verdict::duplicate);
  EXPECT_EQ(tracker.complete(0, 2, 3), Verdict::duplicate);
  EXPECT_EQ(tracker.done(), 1u);
  EXPECT_EQ(tracker.duplicates(), 2u);
  EXPECT_EQ(tracker.state(0), SubtaskState::done);
  EXPECT_EQ(tracker.outstanding(1), 1u);  // released once, not per report
  EXPECT_FALSE(tracker.finished());
}

TEST(Tracker, ReportsAfterTheEndDoNotChangeIt) {
  Tracker tracker(2, 2, 2);
  assign(tracker, 1, 2);
  EXPECT_EQ(tracker.complete(0, 1, 0), Verdict::accepted);
  EXPECT_EQ(tracker.fail(0, 1, 0), Verdict::duplicate);
  EXPECT_NE(tracker.mark_running(0, 1, 0), Verdict::accepted);
  EXPECT_EQ(tracker.state(0), SubtaskState::done);
  EXPECT_EQ(tracker.done(), 1u);
  EXPECT_EQ(tracker.retried(), 0u);
  EXPECT_EQ(tracker.failed(), 0u);
  EXPECT_EQ(tracker.pending(), 0u);
}

TEST(Tracker, FailureFromAnotherRankIsStale) {
  Tracker tracker(2, 2, 3);
  assign(tracker, 1, 2);
  EXPECT_EQ(tracker.fail(0, 2, 0), Verdict::stale);
  EXPECT_EQ(tracker.state(0), SubtaskState::assigned);
  EXPECT_EQ(tracker.attempt(0), 0u);
  EXPECT_EQ(tracker.retried(), 0u);
  EXPECT_EQ(tracker.outstanding(1), 2u);
  EXPECT_EQ(tracker.mark_running(0, 2, 0), Verdict::stale);
  EXPECT_EQ(tracker.state(0), SubtaskState::assigned);
}

TEST(Tracker, FailureOfAnEarlierAttemptIsStale) {
  Tracker tracker(3, 3, 3);
  assign(tracker, 1, 3);
  EXPECT_EQ(tracker.fail(1, 1, 0), Verdict::retry);
  // While the retry waits, the old attempt is no longer awaited.
  EXPECT_EQ(tracker.fail(1, 1, 0), Verdict::stale);
  EXPECT_EQ(tracker.mark_running(1, 1, 0), Verdict::stale);
  EXPECT_EQ(tracker.state(1), SubtaskState::pending);
  EXPECT_EQ(tracker.attempt(1), 1u);

  // After the retry went to rank 2, reports about attempt 0 (from either rank) are stale.
  EXPECT_THAT(assign(tracker, 2, 1), ElementsAre(IdRun{1, 1, 1}));
  EXPECT_EQ(tracker.fail(1, 1, 0), Verdict::stale);
  EXPECT_EQ(tracker.fail(1, 2, 0), Verdict::stale);
  EXPECT_EQ(tracker.mark_running(1, 1, 0), Verdict::stale);
  EXPECT_EQ(tracker.mark_running(1, 2, 0), Verdict::stale);
  EXPECT_EQ(tracker.mark_running(1, 1, 1), Verdict::stale);  // right attempt, wrong rank
  EXPECT_EQ(tracker.state(1), SubtaskState::assigned);
  EXPECT_EQ(tracker.attempt(1), 1u);
  EXPECT_EQ(tracker.retried(), 1u);
  EXPECT_EQ(tracker.outstanding(2), 1u);
  EXPECT_EQ(tracker.outstanding(1), 2u);

  EXPECT_EQ(tracker.mark_running(1, 2, 1), Verdict::accepted);
  EXPECT_EQ(tracker.fail(1, 2, 1), Verdict::retry);
  EXPECT_EQ(tracker.attempt(1), 2u);
}

TEST(Tracker, LateFirstCompletionWinsAndTheQueuedRetryIsSkipped) {
  Tracker tracker(6, 2, 3);
  assign(tracker, 1, 3);  // 0, 1, 2
  EXPECT_EQ(tracker.fail(1, 1, 0), Verdict::retry);
  EXPECT_EQ(tracker.pending(), 4u);
  // Attempt 0 finished after all (its failure report was wrong, or a duplicate sent it twice).
  EXPECT_EQ(tracker.complete(1, 1, 0), Verdict::accepted);
  EXPECT_EQ(tracker.state(1), SubtaskState::done);
  EXPECT_EQ(tracker.done(), 1u);
  EXPECT_EQ(tracker.pending(), 3u);
  EXPECT_EQ(tracker.outstanding(1), 2u);

  // The queued retry of 1 is dropped: only fresh subtasks go out.
  EXPECT_THAT(assign(tracker, 2, 10), ElementsAre(IdRun{3, 3, 0}));
  EXPECT_EQ(tracker.state(1), SubtaskState::done);
  EXPECT_EQ(tracker.pending(), 0u);
  EXPECT_TRUE(assign(tracker, 2, 10).empty());
  EXPECT_EQ(tracker.complete(1, 2, 1), Verdict::duplicate);
  EXPECT_EQ(tracker.done(), 1u);
}

TEST(Tracker, LateFirstCompletionWinsOverARunningRetry) {
  Tracker tracker(2, 2, 3);
  assign(tracker, 1, 2);
  EXPECT_EQ(tracker.fail(0, 1, 0), Verdict::retry);
  EXPECT_THAT(assign(tracker, 2, 1), ElementsAre(IdRun{0, 1, 1}));
  EXPECT_EQ(tracker.mark_running(0, 2, 1), Verdict::accepted);

  EXPECT_EQ(tracker.complete(0, 1, 0), Verdict::accepted);  // the old attempt finishes first
  EXPECT_EQ(tracker.state(0), SubtaskState::done);
  EXPECT_EQ(tracker.done(), 1u);
  EXPECT_EQ(tracker.outstanding(2), 0u);

  EXPECT_EQ(tracker.complete(0, 2, 1), Verdict::duplicate);  // the retry is the duplicate
  EXPECT_EQ(tracker.done(), 1u);
  EXPECT_EQ(tracker.duplicates(), 1u);
  EXPECT_EQ(tracker.outstanding(2), 0u);
}

TEST(Tracker, OutstandingCountsPerRank) {
  Tracker tracker(20, 1, 4);
  assign(tracker, 1, 5);  // 0..4
  assign(tracker, 2, 3);  // 5..7
  assign(tracker, 3, 7);  // 8..14
  EXPECT_EQ(tracker.outstanding(0), 0u);
  EXPECT_EQ(tracker.outstanding(1), 5u);
  EXPECT_EQ(tracker.outstanding(2), 3u);
  EXPECT_EQ(tracker.outstanding(3), 7u);

  EXPECT_EQ(tracker.complete(6, 2, 0), Verdict::accepted);
  EXPECT_EQ(tracker.mark_running(9, 3, 0), Verdict::accepted);
  EXPECT_EQ(tracker.fail(9, 3, 0), Verdict::retry);
  EXPECT_EQ(tracker.fail(3, 1, 0), Verdict::retry);
  EXPECT_EQ(tracker.outstanding(1), 4u);
  EXPECT_EQ(tracker.outstanding(2), 2u);
  EXPECT_EQ(tracker.outstanding(3), 6u);

  std::vector<IdRun> runs;
  EXPECT_EQ(tracker.assign_next(2, 3, runs), 3u);
  EXPECT_THAT(runs, ElementsAre(IdRun{9, 1, 1}, IdRun{3, 1, 1}, IdRun{15, 1, 0}));
  EXPECT_EQ(tracker.outstanding(2), 5u);
  EXPECT_EQ(tracker.outstanding(1), 4u);
  EXPECT_EQ(tracker.outstanding(3), 6u);

  EXPECT_EQ(tracker.complete(5, 2, 0), Verdict::accepted);
  EXPECT_EQ(tracker.complete(5, 2, 0), Verdict::duplicate);
  EXPECT_EQ(tracker.outstanding(2), 4u);
}

TEST(Tracker, AssignNextReturnsHowManyAndStopsAtCount) {
  Tracker tracker(10, 1, 2);
  std::vector<IdRun> runs;
  EXPECT_EQ(tracker.assign_next(1, 4, runs), 4u);
  EXPECT_EQ(tracker.assign_next(1, 0, runs), 0u);
  EXPECT_EQ(tracker.assign_next(1, 100, runs), 6u);
  EXPECT_EQ(tracker.assign_next(1, 100, runs), 0u);
  EXPECT_EQ(tracker.never_dispatched(), 0u);
  EXPECT_EQ(tracker.pending(), 0u);
  EXPECT_EQ(tracker.outstanding(1), 10u);
  // Appending continues the same run: ids 0..9 all at attempt 0.
  EXPECT_THAT(runs, ElementsAre(IdRun{0, 10, 0}));
}

TEST(Tracker, AssignNextMergesConsecutiveIdsWithTheSameAttempt) {
  Tracker tracker(20, 3, 3);
  assign(tracker, 1, 10);
  for (const SubtaskId id : {3u, 4u, 5u, 8u}) EXPECT_EQ(tracker.fail(id, 1, 0), Verdict::retry);
  EXPECT_EQ(tracker.pending(), 14u);

  const std::vector<IdRun> runs = assign(tracker, 2, 7);
  EXPECT_THAT(runs, ElementsAre(IdRun{3, 3, 1}, IdRun{8, 1, 1}, IdRun{10, 3, 0}));
  std::uint32_t given = 0;
  for (const IdRun& run : runs) given += run.count;
  EXPECT_EQ(given, 7u);
  for (const SubtaskId id : {3u, 4u, 5u, 8u, 10u, 11u, 12u}) {
    EXPECT_EQ(tracker.state(id), SubtaskState::assigned) << id;
  }
  EXPECT_EQ(tracker.state(13), SubtaskState::pending);

  // Consecutive ids at different attempts stay apart.
  EXPECT_EQ(tracker.fail(4, 2, 1), Verdict::retry);   // attempt 2
  EXPECT_EQ(tracker.fail(11, 2, 0), Verdict::retry);  // attempt 1
  EXPECT_EQ(tracker.fail(12, 2, 0), Verdict::retry);  // attempt 1
  EXPECT_THAT(assign(tracker, 1, 4), ElementsAre(IdRun{4, 1, 2}, IdRun{11, 2, 1}, IdRun{13, 1, 0}));
}

TEST(Tracker, RetriesAreLimitedByCountToo) {
  Tracker tracker(10, 2, 2);
  assign(tracker, 1, 10);
  for (const SubtaskId id : {1u, 2u, 3u, 7u}) EXPECT_EQ(tracker.fail(id, 1, 0), Verdict::retry);
  const std::vector<IdRun> first = assign(tracker, 1, 3);
  const std::vector<IdRun> second = assign(tracker, 1, 3);
  std::set<SubtaskId> ids;
  for (const auto* runs : {&first, &second}) {
    for (const IdRun& run : *runs) {
      EXPECT_EQ(run.attempt, 1u);
      for (std::uint32_t i = 0; i < run.count; ++i) EXPECT_TRUE(ids.insert(run.first + i).second);
    }
  }
  EXPECT_EQ(ids, (std::set<SubtaskId>{1, 2, 3, 7}));
  EXPECT_EQ(tracker.pending(), 0u);
}

TEST(Tracker, FinishedWhenEverySubtaskIsDoneOrFailed) {
  Tracker tracker(100, 1, 3);
  std::vector<IdRun> runs;
  tracker.assign_next(1, 60, runs);
  tracker.assign_next(2, 60, runs);
  ASSERT_EQ(tracker.pending(), 0u);
  for (SubtaskId id = 0; id < 100; ++id) {
    const int rank = id < 60 ? 1 : 2;
    if (id % 10 == 0) {
      EXPECT_EQ(tracker.fail(id, rank, 0), Verdict::retry);
    } else {
      EXPECT_EQ(tracker.complete(id, rank, 0), Verdict::accepted);
    }
  }
  EXPECT_FALSE(tracker.finished());
  EXPECT_EQ(tracker.pending(), 10u);
  runs.clear();
  EXPECT_EQ(tracker.assign_next(2, 100, runs), 10u);
  for (SubtaskId id = 0; id < 100; id += 10) {
    EXPECT_FALSE(tracker.finished());
    EXPECT_EQ(tracker.fail(id, 2, 1), Verdict::failed_for_good);
  }
  EXPECT_TRUE(tracker.finished());
  EXPECT_EQ(tracker.done(), 90u);
  EXPECT_EQ(tracker.failed(), 10u);
  EXPECT_EQ(tracker.retried(), 10u);
  EXPECT_EQ(tracker.outstanding(1), 0u);
  EXPECT_EQ(tracker.outstanding(2), 0u);
}

TEST(Tracker, LargeJobGoesOutAsOneRun) {
  Tracker tracker(1'000'000, 1, 2);
  EXPECT_THAT(assign(tracker, 1, 2'000'000), ElementsAre(IdRun{0, 1'000'000, 0}));
  EXPECT_EQ(tracker.state(999'999), SubtaskState::assigned);
  EXPECT_EQ(tracker.outstanding(1), 1'000'000u);
  EXPECT_EQ(tracker.complete(999'999, 1, 0), Verdict::accepted);
  EXPECT_EQ(tracker.outstanding(1), 999'999u);
}

TEST(Tracker, ResumedFailuresNumberTheirAttemptsOnFromTheLastRecordedOne) {
  Tracker tracker(4, 1, 2);
  // Subtask 1 failed for good at attempt 2 in an earlier run, subtask 3 at attempt 0.
  EXPECT_TRUE(tracker.continue_attempts(1, 2));
  EXPECT_TRUE(tracker.continue_attempts(3, 0));
  EXPECT_EQ(tracker.attempt(0), 0u);
  EXPECT_EQ(tracker.attempt(1), 3u);
  EXPECT_THAT(assign(tracker, 1, 4),
              ElementsAre(IdRun{0, 1, 0}, IdRun{1, 1, 3}, IdRun{2, 1, 0}, IdRun{3, 1, 1}));
  // Reports name the continued number; the session's own first number is stale.
  EXPECT_EQ(tracker.mark_running(1, 1, 0), Verdict::stale);
  EXPECT_EQ(tracker.mark_running(1, 1, 3), Verdict::accepted);
  // --retries 1 gives this session one more attempt, numbered on.
  EXPECT_EQ(tracker.fail(1, 1, 3), Verdict::retry);
  EXPECT_EQ(tracker.attempt(1), 4u);
  EXPECT_THAT(assign(tracker, 1, 1), ElementsAre(IdRun{1, 1, 4}));
  EXPECT_EQ(tracker.fail(1, 1, 4), Verdict::failed_for_good);
  EXPECT_EQ(tracker.attempt(1), 4u);
  EXPECT_EQ(tracker.retried(), 1u);
  EXPECT_EQ(tracker.complete(3, 1, 1), Verdict::accepted);
}

TEST(Tracker, ContinuedAttemptNumbersNeverWrap) {
  constexpr std::uint32_t max = Tracker::max_attempt_number;
  Tracker tracker(3, 2, 2);
  // Three attempts (1 + 2 retries) must fit: the last may be max itself, never beyond.
  EXPECT_TRUE(tracker.continue_attempts(0, max - 3));
  EXPECT_FALSE(tracker.continue_attempts(1, max - 2));
  EXPECT_FALSE(tracker.continue_attempts(2, max));
  EXPECT_EQ(tracker.attempt(1), 0u);  // refused: unchanged
  tracker.restore_failed(1, max - 2);
  EXPECT_EQ(tracker.state(1), SubtaskState::failed);
  EXPECT_EQ(tracker.attempt(1), max - 2);
  std::vector<IdRun> runs;
  EXPECT_EQ(tracker.assign_next(1, 3, runs), 2u);
  EXPECT_THAT(runs, ElementsAre(IdRun{0, 1, max - 2}, IdRun{2, 1, 0}));
  for (std::uint32_t attempt = max - 2; attempt < max; ++attempt) {
    EXPECT_EQ(tracker.fail(0, 1, attempt), Verdict::retry);
    runs.clear();
    tracker.assign_next(1, 1, runs);
  }
  EXPECT_THAT(runs, ElementsAre(IdRun{0, 1, max}));
  EXPECT_EQ(tracker.fail(0, 1, max), Verdict::failed_for_good);
  EXPECT_EQ(tracker.attempt(0), max);
}

TEST(Tracker, ContinuingAttemptsAfterDispatchIsABug) {
  Tracker tracker(3, 0, 2);
  assign(tracker, 1, 1);
  EXPECT_THROW(tracker.continue_attempts(2, 0), std::logic_error);
}

}  // namespace
}  // namespace tasktrack
