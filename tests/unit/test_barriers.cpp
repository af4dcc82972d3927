// Barriers in the pure core (issue 13): a subtask of phase p is not handed out while one
// of a lower phase is unfinished; retries of an earlier phase still go; `barrier check`
// stops the job after a failure for good; restored work counts as a resume says.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/job_spec.hpp"
#include "core/job_state.hpp"
#include "core/tracker.hpp"
#include "core_test_harness.hpp"
#include "journal/journal.hpp"
#include "journal/replay.hpp"

namespace tasktrack {
namespace {

using testing::HasSubstr;
using namespace testing_core;

TEST(TrackerBarriers, NothingPastABarrierGoesOutUntilEverythingBeforeItFinished) {
  // Phases: {0, 1, 2} | {3, 4} | {5}.
  Tracker tracker(6, 1, 3);
  tracker.set_barriers({3, 5}, {false, false});
  EXPECT_EQ(tracker.dispatch_limit(), 3u);
  std::vector<IdRun> out;
  EXPECT_EQ(tracker.assign_next(1, 10, out), 3u);
  EXPECT_EQ(ids_of(out), (std::vector<SubtaskId>{0, 1, 2}));
  out.clear();
  EXPECT_EQ(tracker.assign_next(2, 10, out), 0u);  // phase 1 waits
  EXPECT_EQ(tracker.complete(0, 1, 0), Verdict::accepted);
  EXPECT_EQ(tracker.complete(2, 1, 0), Verdict::accepted);
  // Subtask 1 fails with a retry left: its retry still goes, phase 1 still waits.
  EXPECT_EQ(tracker.fail(1, 1, 0), Verdict::retry);
  EXPECT_EQ(tracker.assign_next(2, 10, out), 1u);
  EXPECT_EQ(out, (std::vector<IdRun>{{1, 1, 1}}));
  out.clear();
  EXPECT_EQ(tracker.assign_next(1, 10, out), 0u);
  // It fails for good: finished, so the (plain) barrier opens.
  EXPECT_EQ(tracker.fail(1, 2, 1), Verdict::failed_for_good);
  EXPECT_FALSE(tracker.barrier_stop());
  EXPECT_EQ(tracker.dispatch_limit(), 5u);
  EXPECT_EQ(tracker.assign_next(1, 10, out), 2u);
  EXPECT_EQ(ids_of(out), (std::vector<SubtaskId>{3, 4}));
  EXPECT_EQ(tracker.complete(3, 1, 0), Verdict::accepted);
  EXPECT_EQ(tracker.complete(4, 1, 0), Verdict::accepted);
  EXPECT_EQ(tracker.dispatch_limit(), 6u);
  out.clear();
  EXPECT_EQ(tracker.assign_next(2, 10, out), 1u);
  EXPECT_EQ(ids_of(out), (std::vector<SubtaskId>{5}));
}

TEST(TrackerBarriers, WithoutBarriersEverythingMayGo) {
  Tracker tracker(4, 0, 2);
  EXPECT_EQ(tracker.dispatch_limit(), 4u);
  std::vector<IdRun> out;
  EXPECT_EQ(tracker.assign_next(1, 10, out), 4u);
}

TEST(TrackerBarriers, EmptyPhasesAndBarriersAtTheEdgesPassAtOnce) {
  // A barrier before any task, two in a row, and one after the last task.
  Tracker tracker(2, 0, 2);
  tracker.set_barriers({0, 1, 1, 2}, {true, false, true, true});
  EXPECT_EQ(tracker.dispatch_limit(), 1u);
  std::vector<IdRun> out;
  EXPECT_EQ(tracker.assign_next(1, 10, out), 1u);
  EXPECT_EQ(tracker.complete(0, 1, 0), Verdict::accepted);
  EXPECT_EQ(tracker.dispatch_limit(), 2u);
  EXPECT_EQ(tracker.assign_next(1, 10, out), 1u);
  EXPECT_EQ(tracker.complete(1, 1, 0), Verdict::accepted);
  EXPECT_TRUE(tracker.finished());
  EXPECT_FALSE(tracker.barrier_stop());
}

TEST(TrackerBarriers, ACheckBarrierStaysClosedAfterAFailureForGood) {
  Tracker tracker(4, 0, 2);
  tracker.set_barriers({2}, {true});
  std::vector<IdRun> out;
  EXPECT_EQ(tracker.assign_next(1, 10, out), 2u);
  EXPECT_EQ(tracker.fail(0, 1, 0), Verdict::failed_for_good);
  EXPECT_FALSE(tracker.barrier_stop());  // subtask 1 still runs
  EXPECT_EQ(tracker.complete(1, 1, 0), Verdict::accepted);
  ASSERT_TRUE(tracker.barrier_stop());
  EXPECT_EQ(tracker.barrier_stop()->barrier, 0u);
  EXPECT_EQ(tracker.barrier_stop()->failures, 1u);
  EXPECT_EQ(tracker.dispatch_limit(), 2u);
  out.clear();
  EXPECT_EQ(tracker.assign_next(1, 10, out), 0u);
}

TEST(TrackerBarriers, PackingHonoursTheLimitToo) {
  Tracker tracker(4, 0, 2);
  tracker.set_classes({0, 1, 0, 1}, {Resources{1, 0, 0}, Resources{2, 0, 0}});
  tracker.set_barriers({2}, {false});
  std::vector<IdRun> out;
  const std::vector<std::uint8_t> alone{1, 1};
  EXPECT_EQ(tracker.assign_fitting(1, Resources{8, 0, 0}, out, alone), 0);
  EXPECT_EQ(tracker.assign_fitting(1, Resources{8, 0, 0}, out, alone), 1);
  EXPECT_EQ(tracker.assign_fitting(1, Resources{8, 0, 0}, out, alone), -1);
  EXPECT_EQ(tracker.first_pending_class(), -1);
  EXPECT_EQ(tracker.complete(0, 1, 0), Verdict::accepted);
  EXPECT_EQ(tracker.complete(1, 1, 0), Verdict::accepted);
  EXPECT_EQ(tracker.first_pending_class(), 0);
  EXPECT_EQ(tracker.assign_fitting(1, Resources{8, 0, 0}, out, alone), 0);
}

JobRules barrier_rules(std::uint32_t subtasks, std::vector<BarrierRule> barriers) {
  JobRules r = rules(subtasks);
  r.retries = 0;
  r.barriers = std::move(barriers);
  return r;
}

TEST(JobStateBarriers, IdleWorkersGetThePhaseAfterABarrierOnceItOpens) {
  RecordedEffects effects;
  JobState state(barrier_rules(6, {{2, false, 7}}), workers(2), 3, effects);
  state.start(0);
  // Two tasks before the barrier; rank 2 gets nothing yet.
  EXPECT_EQ(effects.ids_for(1), (std::vector<SubtaskId>{0, 1}));
  EXPECT_TRUE(effects.ids_for(2).empty());
  state.handle_tick(1);
  EXPECT_TRUE(effects.ids_for(2).empty());
  report(state, 1, {record(0, SubtaskState::done), record(1, SubtaskState::done)}, 2);
  state.handle_tick(2);
  // Rank 2 did not report, yet it gets work past the barrier.
  std::vector<SubtaskId> after = effects.ids_for(1);
  for (const SubtaskId id : effects.ids_for(2)) after.push_back(id);
  EXPECT_THAT(after, testing::IsSupersetOf({2u, 3u, 4u, 5u}));
  EXPECT_FALSE(effects.ids_for(2).empty());
}

TEST(JobStateBarriers, ABarrierCheckAfterAFailureStopsTheJobNamingItsLine) {
  RecordedEffects effects;
  JobState state(barrier_rules(5, {{2, true, 12}}), workers(2), 3, effects);
  state.start(0);
  report(state, 1, {record(0, SubtaskState::failed)}, 1);
  EXPECT_FALSE(state.handle_tick(1));
  EXPECT_TRUE(effects.drained.empty());  // subtask 1 still runs
  report(state, 2, {record(1, SubtaskState::done)}, 2);
  effects.clear_assignments();
  EXPECT_FALSE(state.handle_tick(2));
  EXPECT_EQ(effects.drained, (std::vector<int>{1, 2}));
  state.handle_message(1, Drained{}, 3);
  state.handle_message(2, Drained{}, 3);
  EXPECT_TRUE(state.handle_tick(3));
  EXPECT_TRUE(effects.assigned.empty());
  Summary summary;
  state.fill_summary(summary, 0, 3);
  EXPECT_EQ(summary.failed, 1u);
  EXPECT_EQ(summary.done, 1u);
  EXPECT_EQ(summary.not_run, 3u);
  EXPECT_EQ(summary.exit_code(), 1);
  EXPECT_THAT(summary.stop_reason, HasSubstr("barrier check at line 12: 1 task before it failed"));
}

TEST(JobStateBarriers, APlainBarrierRunsOnAfterAFailure) {
  RecordedEffects effects;
  JobState state(barrier_rules(3, {{1, false, 3}}), workers(1), 2, effects);
  state.start(0);
  report(state, 1, {record(0, SubtaskState::failed)}, 1);
  state.handle_tick(1);
  EXPECT_TRUE(effects.drained.empty());
  EXPECT_THAT(effects.ids_for(1), testing::Contains(1u));
}

JournalAttempt journal_attempt(SubtaskId id, SubtaskState state) {
  JournalAttempt attempt;
  attempt.subtask = id;
  attempt.state = state;
  attempt.reason = state == SubtaskState::failed ? FailureReason::exit_code : FailureReason{};
  return attempt;
}

TEST(JobStateBarriers, BarriersHoldAcrossAResume) {
  // Phases {0, 1} | {2, 3}. The earlier run finished 0 and failed 1 for good.
  JournalContents earlier;
  earlier.attempts.push_back(journal_attempt(0, SubtaskState::done));
  earlier.attempts.push_back(journal_attempt(1, SubtaskState::failed));
  const CurrentWork work{4, [](SubtaskId) { return std::uint64_t{0}; }};

  // Subtask 1 runs again (retry_failed): the barrier holds until it finished.
  RecordedEffects effects;
  JobState state(barrier_rules(4, {{2, false, 3}}), workers(1, 4), 2, effects);
  state.restore(replay(earlier, work));
  state.start(0);
  EXPECT_EQ(effects.ids_for(1), (std::vector<SubtaskId>{1}));
  report(state, 1, {record(1, SubtaskState::done, 1)}, 1);
  state.handle_tick(1);
  EXPECT_EQ(effects.ids_for(1), (std::vector<SubtaskId>{1, 2, 3}));

  // Restored done tasks count as finished: with everything before it done, it is open.
  JournalContents all_done = earlier;
  all_done.attempts[1] = journal_attempt(1, SubtaskState::done);
  RecordedEffects open;
  JobState resumed(barrier_rules(4, {{2, true, 3}}), workers(1, 4), 2, open);
  resumed.restore(replay(all_done, work));
  resumed.start(0);
  EXPECT_EQ(open.ids_for(1), (std::vector<SubtaskId>{2, 3}));

  // Not run again (--no-retry-failed): a check barrier after it stops the resumed job.
  RecordedEffects stopped;
  JobRules no_retry = barrier_rules(4, {{2, true, 3}});
  no_retry.retry_failed = false;
  JobState kept(no_retry, workers(1, 4), 2, stopped);
  kept.restore(replay(earlier, work));
  kept.start(0);
  EXPECT_TRUE(stopped.ids_for(1).empty());
  kept.handle_tick(0);
  EXPECT_EQ(stopped.drained, (std::vector<int>{1}));
}

TEST(BarrierJobJson, ATaskListsBarriersTravelInTheJobJson) {
  JobSpec job;
  job.work = TaskListJob{.task_file = "t.txt",
                         .tasks = {TaskLine{1, "true", {1, 0, 0}}},
                         .output_dir = "out",
                         .barriers = {{2, false}, {5, true}}};
  job.subtasks = 1;
  const nlohmann::json json = job;
  const JobSpec back = nlohmann::json::parse(json.dump()).get<JobSpec>();
  ASSERT_TRUE(back.is_task_list());
  EXPECT_EQ(back.task_list()->barriers, (std::vector<TaskBarrier>{{2, false}, {5, true}}));
}

}  // namespace
}  // namespace tasktrack
