// job_state.hpp: the pure core driven by scripted events, no MPI, no clock, no processes
// (as HyperQueue tests its reactor against a test Comm). Each test feeds hellos, status
// batches, ticks, lost workers and signals with made-up times and checks the effects the
// core asked for: assignments, drains, time limits, results, journal records, notices.
#include "core/job_state.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "core_test_harness.hpp"
#include "journal/journal.hpp"
#include "journal/replay.hpp"
#include "runtime/protocol.hpp"

namespace tasktrack {
namespace {

using testing::HasSubstr;

using namespace testing_core;

TEST(JobState, StaticGivesEachWorkerItsShareUpFrontByThreads) {
  RecordedEffects effects;
  std::vector<WorkerInfo> list = workers(2);
  list[1].threads = 3;  // rank 2 has three threads: three quarters of the work
  JobState state(rules(10, Schedule::static_shares), list, 3, effects);
  state.start(0);
  // Blocks over 4 threads: 3, 3, 2, 2 -> rank 1 gets the first block, rank 2 the rest.
  EXPECT_EQ(effects.ids_for(1), (std::vector<SubtaskId>{0, 1, 2}));
  EXPECT_EQ(effects.ids_for(2), (std::vector<SubtaskId>{3, 4, 5, 6, 7, 8, 9}));
  // A tick sends nothing more: static hands out fresh work only up front.
  effects.clear_assignments();
  EXPECT_FALSE(state.handle_tick(1));
  EXPECT_TRUE(effects.assigned.empty());
}

TEST(JobState, DynamicFillsEachWorkerToItsWaterMarkAndTopsUpAsResultsArrive) {
  RecordedEffects effects;
  JobState state(rules(100), workers(2, 2), 3, effects);
  state.start(0);
  EXPECT_EQ(effects.count_for(1), low_water_mark(2));
  EXPECT_EQ(effects.count_for(2), low_water_mark(2));
  std::set<SubtaskId> seen;
  complete_all(state, effects, 1, seen, 1);
  EXPECT_EQ(state.done(), 4u);
  state.handle_tick(1);
  EXPECT_EQ(effects.count_for(1), 8u);  // topped up again
  EXPECT_EQ(effects.count_for(2), 4u);  // still holds its four
  EXPECT_EQ(effects.results.at(3), 30);
}

TEST(JobState, GuidedBatchesShrinkAndEveryWorkerIsFed) {
  RecordedEffects effects;
  JobRules r = rules(1000, Schedule::guided);
  r.chunk = 0;
  JobState state(r, workers(4), 5, effects);
  state.start(0);
  // The first worker gets half its fair share of 1000 over 4 threads (125), the later
  // ones a little less as what is left shrinks.
  EXPECT_EQ(effects.count_for(1), 125u);
  EXPECT_LT(effects.count_for(4), effects.count_for(1));
  for (int rank = 1; rank <= 4; ++rank) EXPECT_GT(effects.count_for(rank), 0u);
}

TEST(JobState, RunsEveryJobToTheEndAndStopsWhenAllAreDone) {
  for (const Schedule schedule : {Schedule::static_shares, Schedule::dynamic, Schedule::guided}) {
    RecordedEffects effects;
    JobState state(rules(57, schedule), workers(3), 4, effects);
    state.start(0);
    std::set<SubtaskId> seen;
    double now = 0;
    while (!state.handle_tick(now) && now < 1000) {
      for (int rank = 1; rank <= 3; ++rank) complete_all(state, effects, rank, seen, now);
      now += 1;
    }
    EXPECT_TRUE(state.over()) << to_string(schedule);
    EXPECT_EQ(state.done(), 57u) << to_string(schedule);
    EXPECT_EQ(effects.results_accepted, 57) << to_string(schedule);
  }
}

TEST(JobState, ARetryAvoidsTheRankWhereItFailed) {
  RecordedEffects effects;
  JobState state(rules(4), workers(2), 3, effects);
  state.start(0);
  ASSERT_EQ(effects.ids_for(1), (std::vector<SubtaskId>{0, 1}));
  report(state, 1, {record(0, SubtaskState::failed)}, 1);
  effects.clear_assignments();
  state.handle_tick(1);
  // Rank 1 asks first, but subtask 0's retry waits for rank 2.
  EXPECT_EQ(effects.ids_for(1), (std::vector<SubtaskId>{}));
  report(state, 2, {record(2, SubtaskState::done)}, 2);
  state.handle_tick(2);
  ASSERT_FALSE(effects.assigned[2].empty());
  EXPECT_EQ(effects.assigned[2].front(), (IdRun{0, 1, 1}));  // attempt 1, on rank 2
}

TEST(JobState, ALostWorkersSubtasksAreReassignedWithoutARetryAndItsLateReportsAreDuplicates) {
  RecordedEffects effects;
  JobRules r = rules(4);
  r.worker_timeout = 5;
  JobState state(r, workers(2), 3, effects);
  state.start(0);
  ASSERT_EQ(effects.ids_for(1), (std::vector<SubtaskId>{0, 1}));
  // Rank 2 keeps talking; rank 1 goes silent past the worker timeout.
  report(state, 2, {record(2, SubtaskState::done, 0, 3, 4)}, 4);
  effects.clear_assignments();
  state.handle_tick(6);
  ASSERT_EQ(state.workers()[0].health, Health::lost);
  ASSERT_EQ(effects.notices.size(), 1u);
  EXPECT_THAT(effects.notices[0], HasSubstr("rank 1 (node1) lost: silent for 6.0 s"));
  EXPECT_THAT(effects.notices[0], HasSubstr("2 subtasks reassigned"));
  // Its subtasks go to rank 2, first in line and at the same attempt: a lost worker costs
  // no retry. Rank 2 holds one (subtask 3) below its water mark of two, so it gets one now.
  ASSERT_EQ(effects.assigned[2].size(), 1u);
  const IdRun first = effects.assigned[2][0];
  ASSERT_TRUE(first.first <= 1 && first.count == 1 && first.attempt == 0) << first.first;
  const SubtaskId other = 1 - first.first;
  // Rank 1 comes back and reports its subtasks done: late duplicates, dropped.
  report(state, 1, {record(first.first, SubtaskState::done)}, 7);
  EXPECT_EQ(effects.results.count(first.first), 0u);
  report(state, 2, {record(first.first, SubtaskState::done)}, 8);
  state.handle_tick(8);
  EXPECT_EQ(effects.assigned[2].back(), (IdRun{other, 1, 0}));
  EXPECT_TRUE(effects.assigned[1].empty());  // a lost worker gets nothing
  report(state, 2, {record(other, SubtaskState::done)}, 8);
  EXPECT_EQ(effects.results.at(0), 0);
  EXPECT_EQ(effects.results.at(1), 10);
  Summary summary;
  state.fill_summary(summary, 0, 8);
  EXPECT_EQ(summary.duplicates, 1u);
  EXPECT_EQ(summary.retried, 0u);
  EXPECT_EQ(summary.reassigned, 2u);
  EXPECT_TRUE(summary.per_rank[0].lost);
  EXPECT_TRUE(state.any_lost_or_dead());
}

TEST(JobState, AWorkerWhoseProcessIsGoneIsLostAtOnce) {
  RecordedEffects effects;
  JobState state(rules(4), workers(2), 3, effects);
  state.start(0);
  state.handle_worker_gone(1, "its process is gone", 0.5);
  EXPECT_EQ(state.workers()[0].health, Health::lost);
  EXPECT_TRUE(state.workers()[0].dead);
  EXPECT_THAT(effects.notices.at(0), HasSubstr("lost: its process is gone; 2 subtasks"));
  // A status batch from a rank that is no worker is a protocol error.
  EXPECT_THROW(state.handle_message(0, Heartbeat{}, 1), ProtocolError);
  EXPECT_THROW(state.handle_message(7, Heartbeat{}, 1), ProtocolError);
}

TEST(JobState, AWorkerThatFailsDifferentSubtasksInARowIsQuarantinedButNeverTheLastOne) {
  RecordedEffects effects;
  JobRules r = rules(20);
  r.quarantine_after = 2;
  JobState state(r, workers(2, 2), 3, effects);
  state.start(0);
  ASSERT_EQ(effects.ids_for(1), (std::vector<SubtaskId>{0, 1, 2, 3}));
  report(state, 1, {record(0, SubtaskState::failed)}, 1);
  EXPECT_EQ(state.workers()[0].health, Health::active);
  report(state, 1, {record(1, SubtaskState::failed)}, 1);
  EXPECT_EQ(state.workers()[0].health, Health::quarantined);
  EXPECT_THAT(effects.notices.at(0), HasSubstr("rank 1 (node1) quarantined after 2 failed"));
  effects.clear_assignments();
  state.handle_tick(2);
  EXPECT_TRUE(effects.ids_for(1).empty());  // no more work for it
  // Rank 2, now the only active worker, fails as often: it is never benched.
  report(state, 2,
         {record(4, SubtaskState::failed), record(5, SubtaskState::failed),
          record(6, SubtaskState::failed)},
         3);
  EXPECT_EQ(state.workers()[1].health, Health::active);
}

TEST(JobState, MaxFailuresDrainsAndTheJobEndsWhenEveryWorkerDrained) {
  RecordedEffects effects;
  JobRules r = rules(10);
  r.retries = 0;
  r.max_failures = 1;
  JobState state(r, workers(2), 3, effects);
  state.start(0);
  report(state, 1, {record(0, SubtaskState::failed)}, 1);
  EXPECT_FALSE(state.handle_tick(1));
  EXPECT_EQ(effects.drained, (std::vector<int>{1, 2}));
  effects.clear_assignments();
  state.handle_message(1, Drained{}, 2);
  EXPECT_FALSE(state.handle_tick(2));  // rank 2 still runs
  report(state, 2, {record(2, SubtaskState::done)}, 3);
  state.handle_message(2, Drained{}, 3);
  EXPECT_TRUE(state.handle_tick(3));
  EXPECT_TRUE(effects.assigned.empty());  // nothing new went out while draining
  Summary summary;
  state.fill_summary(summary, 0, 3);
  EXPECT_EQ(summary.failed, 1u);
  EXPECT_EQ(summary.done, 1u);
  EXPECT_EQ(summary.not_run, 8u);
  EXPECT_FALSE(summary.interrupted);
  EXPECT_THAT(summary.stop_reason, HasSubstr("1 subtasks failed for good (--max-failures 1)"));
}

TEST(JobState, AGracefulSignalDrainsAndTheGraceEndsTheJob) {
  RecordedEffects effects;
  JobState state(rules(10), workers(2), 3, effects);
  state.start(0);
  state.handle_signal(StopKind::graceful, 10, 5);
  EXPECT_EQ(effects.drained, (std::vector<int>{1, 2}));
  EXPECT_FALSE(state.handle_tick(6));
  state.handle_signal(StopKind::graceful, 10, 7);  // a repeat changes nothing
  EXPECT_EQ(effects.drained.size(), 2u);
  EXPECT_FALSE(state.handle_tick(14.9));
  EXPECT_TRUE(state.handle_tick(15.0));  // 10 s of grace from the signal
  EXPECT_TRUE(state.interrupted());
  Summary summary;
  state.fill_summary(summary, 0, 15);
  EXPECT_THAT(summary.stop_reason, HasSubstr("signal 10: running subtasks given 10 s"));
}

TEST(JobState, AFastStopEndsTheJobAtOnce) {
  RecordedEffects effects;
  JobState state(rules(10), workers(2), 3, effects);
  state.start(0);
  state.handle_signal(StopKind::graceful, 15, 1);
  state.handle_signal(StopKind::fast, 15, 2);
  EXPECT_TRUE(state.over());
  EXPECT_TRUE(state.handle_tick(2));
  Summary summary;
  state.fill_summary(summary, 0, 2);
  EXPECT_TRUE(summary.interrupted);
  EXPECT_EQ(summary.stop_reason, "signal 15: stopped at once");
}

TEST(JobState, WorkNoWorkerCanRunFailsForGoodWithReasonWorkerLost) {
  RecordedEffects effects;
  JobRules r = rules(6);
  r.journaling = true;
  JobState state(r, workers(1), 2, effects);
  state.start(0);
  state.handle_worker_gone(1, "its connection failed", 1);
  EXPECT_FALSE(state.handle_tick(1));
  EXPECT_TRUE(state.handle_tick(1));
  EXPECT_EQ(state.failed(), 6u);
  ASSERT_EQ(effects.attempts.size(), 6u);
  EXPECT_EQ(effects.attempts[0].reason, FailureReason::worker_lost);
  EXPECT_EQ(effects.attempts[0].rank, 0);
}

TEST(JobState, ResumeSkipsWhatAnEarlierRunFinishedAndKeepsFailuresWhenAsked) {
  JournalContents earlier;
  JournalRun run;
  run.first = 0;
  run.values = {100, 101, 102};
  earlier.runs.push_back(run);
  JournalAttempt failed;
  failed.subtask = 5;
  failed.state = SubtaskState::failed;
  failed.reason = FailureReason::timeout;
  failed.attempt = 2;
  earlier.attempts.push_back(failed);
  JournalAttempt other_work = failed;  // a record whose key no longer matches: new work
  other_work.subtask = 6;
  other_work.state = SubtaskState::done;
  other_work.key = 99;
  earlier.attempts.push_back(other_work);

  RecordedEffects effects;
  JobRules r = rules(8);
  r.retry_failed = false;
  JobState state(r, workers(1, 4), 2, effects);
  const CurrentWork work{8, [](SubtaskId) { return std::uint64_t{0}; }};
  state.restore(replay(earlier, work));
  EXPECT_EQ(state.resumed(), 3u);
  EXPECT_EQ(effects.results.at(2), 102);
  state.start(0);
  // Subtasks 0-2 are done and 5 failed for good: 3, 4, 6 and 7 are left to run.
  EXPECT_EQ(effects.ids_for(1), (std::vector<SubtaskId>{3, 4, 6, 7}));
  Summary summary;
  state.fill_summary(summary, 0, 1);
  EXPECT_EQ(summary.failed, 1u);
  ASSERT_EQ(summary.failures.size(), 1u);
  EXPECT_EQ(summary.failures[0].attempts, 3u);
  EXPECT_EQ(summary.failures[0].reason, FailureReason::timeout);

  // With retry_failed (the default), subtask 5 runs again.
  RecordedEffects again;
  JobState retrying(rules(8), workers(1, 4), 2, again);
  retrying.restore(replay(earlier, work));
  retrying.start(0);
  EXPECT_EQ(again.ids_for(1), (std::vector<SubtaskId>{3, 4, 5, 6, 7}));
}

TEST(JobState, AResumedFailureRunsAgainAtTheNextAttemptNumber) {
  JournalContents earlier;
  JournalAttempt failed;
  failed.subtask = 1;
  failed.state = SubtaskState::failed;
  failed.reason = FailureReason::exit_code;
  failed.attempt = 0;  // run 1 had --retries 0
  earlier.attempts.push_back(failed);

  RecordedEffects effects;
  JobRules r = rules(3);
  r.retries = 1;
  r.journaling = true;
  JobState state(r, workers(1, 4), 2, effects);
  const CurrentWork work{3, [](SubtaskId) { return std::uint64_t{0}; }};
  state.restore(replay(earlier, work));
  state.start(0);
  // Subtask 1 goes out at attempt 1, never at 0 again; the others at 0.
  std::map<SubtaskId, std::uint32_t> attempt_of;
  for (const auto& [rank, runs] : effects.assigned) {
    for (const IdRun& run : runs) {
      for (SubtaskId id = run.first; id < run.first + run.count; ++id) attempt_of[id] = run.attempt;
    }
  }
  EXPECT_EQ(attempt_of, (std::map<SubtaskId, std::uint32_t>{{0, 0}, {1, 1}, {2, 0}}));
  // It fails again: --retries 1 gives it attempt 2 in this run, then it fails for good there.
  StatusRecord again = record(1, SubtaskState::failed);
  again.attempt = 1;
  report(state, 1, {again}, 1);
  state.handle_tick(2);
  StatusRecord last = record(1, SubtaskState::failed);
  last.attempt = 2;
  report(state, 1, {last}, 3);
  Summary summary;
  state.fill_summary(summary, 0, 4);
  ASSERT_EQ(summary.failures.size(), 1u);
  EXPECT_EQ(summary.failures[0].attempts, 3u);
  EXPECT_EQ(summary.retried, 1u);
  ASSERT_FALSE(effects.attempts.empty());
  EXPECT_EQ(effects.attempts.back().attempt, 2u);
}

TEST(JobState, FastDoneSubtasksShareOneJournalRunAndFailuresGetARecordEach) {
  RecordedEffects effects;
  JobRules r = rules(8);
  r.journaling = true;
  r.retries = 0;
  JobState state(r, workers(1, 4), 2, effects);
  state.start(0);
  report(state, 1,
         {record(0, SubtaskState::done, 0, 1.0, 1.0001),
          record(1, SubtaskState::done, 0, 1.0001, 1.0002),
          record(2, SubtaskState::done, 0, 1.0002, 1.0003), record(3, SubtaskState::failed)},
         2);
  ASSERT_EQ(effects.runs.size(), 1u);
  EXPECT_EQ(effects.runs[0].first, 0u);
  EXPECT_EQ(effects.runs[0].values, (std::vector<std::int64_t>{0, 10, 20}));
  ASSERT_EQ(effects.attempts.size(), 1u);
  EXPECT_EQ(effects.attempts[0].subtask, 3u);
  EXPECT_EQ(effects.attempts[0].state, SubtaskState::failed);
}

TEST(JobState, AnAttemptsReportGivesItARecordNamingItsGpusByTheWorkersIds) {
  RecordedEffects effects;
  JobRules r = rules(4);
  r.journaling = true;
  r.retries = 0;
  std::vector<WorkerInfo> list = workers(1, 4);
  list[0].gpus = {"3", "5", "GPU-aa", "7"};
  JobState state(r, list, 2, effects);
  state.start(0);
  AttemptReport placed;
  placed.cores = 2;
  placed.gpu_mask = 0b0101;  // the worker's 1st and 3rd GPUs
  placed.measured = true;
  placed.usage = AttemptUsage{1u << 30, 2.0, 0.5};
  AttemptReport failed_on;
  failed_on.cores = 1;
  failed_on.gpu_mask = 0b1000;
  StatusBatchWriter writer;
  // Fast and without a payload: without its report it would go into a run record.
  writer.add(record(0, SubtaskState::done, 0, 1.0, 1.0001), {}, &placed);
  writer.add(record(1, SubtaskState::done, 0, 1.0001, 1.0002), {});
  writer.add(record(2, SubtaskState::failed), {}, &failed_on);
  const std::vector<std::byte> message = writer.finish();
  state.handle_message(1, StatusBatchReader(message), 2);
  state.handle_tick(2);

  ASSERT_EQ(effects.attempts.size(), 3u);  // subtask 1 alone is not worth a run
  EXPECT_EQ(effects.attempts[0].subtask, 0u);
  EXPECT_EQ(effects.attempts[0].cores, 2u);
  EXPECT_EQ(effects.attempts[0].gpus, (std::vector<std::string>{"3", "GPU-aa"}));
  EXPECT_EQ(effects.attempts[0].usage, placed.usage);
  EXPECT_EQ(effects.attempts[1].subtask, 1u);
  EXPECT_EQ(effects.attempts[1].cores, 0u);
  EXPECT_TRUE(effects.attempts[1].gpus.empty());
  EXPECT_EQ(effects.attempts[2].subtask, 2u);
  EXPECT_EQ(effects.attempts[2].state, SubtaskState::failed);
  EXPECT_EQ(effects.attempts[2].gpus, (std::vector<std::string>{"7"}));
  EXPECT_FALSE(effects.attempts[2].usage.has_value());
}

TEST(JobState, TimeoutPercentSendsALimitOnceThreeAttemptsFinished) {
  RecordedEffects effects;
  JobRules r = rules(20);
  r.timeout_percent = 300;
  JobState state(r, workers(2, 2), 3, effects);
  state.start(0);
  report(state, 1, {record(0, SubtaskState::done, 0, 0, 2)}, 2);
  report(state, 1, {record(1, SubtaskState::done, 0, 0, 2)}, 2);
  EXPECT_TRUE(effects.limits.empty());
  report(state, 2, {record(4, SubtaskState::done, 0, 0, 2)}, 2);
  ASSERT_EQ(effects.limits.size(), 2u);  // both workers hear it
  EXPECT_NEAR(effects.limits[0].second.seconds, 6.0, 0.3);
  EXPECT_EQ(effects.limits[0].second.percent, 300);
}

TEST(JobState, TheGoodbyeIsNoticedAfterTheJob) {
  RecordedEffects effects;
  JobState state(rules(1), workers(1), 2, effects);
  state.start(0);
  report(state, 1, {record(0, SubtaskState::done)}, 1);
  EXPECT_TRUE(state.handle_tick(1));
  EXPECT_FALSE(state.workers()[0].said_goodbye);
  state.handle_goodbye(1);
  EXPECT_TRUE(state.workers()[0].said_goodbye);
}

TEST(JobState, AWorkerGoneAfterTheJobIsNotedOnceAndLosesNothing) {
  RecordedEffects effects;
  JobState state(rules(1), workers(2), 3, effects);
  state.start(0);
  report(state, 1, {record(0, SubtaskState::done)}, 1);
  EXPECT_TRUE(state.handle_tick(1));
  state.handle_gone_at_end(2);
  state.handle_gone_at_end(2);  // the process check and MPI may both see it
  EXPECT_TRUE(state.workers()[1].dead);
  EXPECT_EQ(state.workers()[1].health, Health::active);  // not lost: the job was over
  ASSERT_EQ(effects.notices.size(), 1u);
  EXPECT_THAT(effects.notices[0], HasSubstr("rank 2 (node2) died after the job's last result"));
  EXPECT_EQ(state.done(), 1u);
  // One that said goodbye and then went away has simply left.
  state.handle_goodbye(1);
  state.handle_gone_at_end(1);
  EXPECT_TRUE(state.workers()[0].dead);
  EXPECT_EQ(effects.notices.size(), 1u);
}

TEST(JobState, SlackIsHowLongTheLeastFedWorkerCanRunWhatItHoldsAtTheMeanAttemptTime) {
  RecordedEffects effects;
  JobRules r = rules(100, Schedule::guided);
  r.chunk = 0;
  JobState state(r, workers(2), 3, effects);
  state.start(0);
  ASSERT_EQ(effects.count_for(1), 25u);  // half of its fair share of 100 over 2 threads
  ASSERT_EQ(effects.count_for(2), 19u);  // of the 75 left
  EXPECT_EQ(state.slack_seconds(), 0);   // no attempt finished: nothing known
  report(state, 1, {record(0, SubtaskState::done, 0, 1.0, 1.010)}, 1.010);
  report(state, 2, {record(25, SubtaskState::done, 0, 1.0, 1.030)}, 1.030);
  // Mean 20 ms; rank 2 holds 18, one of them running: 17 queued, 0.34 s of work.
  EXPECT_NEAR(state.slack_seconds(), 17 * 0.020, 1e-9);

  // A worker that holds nothing beyond its running subtask waits on rank 0: no slack.
  RecordedEffects dynamic_effects;
  JobState dynamic(rules(100), workers(2), 3, dynamic_effects);
  dynamic.start(0);
  ASSERT_EQ(dynamic_effects.count_for(1), low_water_mark(1));
  report(dynamic, 1, {record(0, SubtaskState::done, 0, 1.0, 1.010)}, 1.010);
  EXPECT_EQ(dynamic.slack_seconds(), 0);
}

}  // namespace
}  // namespace tasktrack
