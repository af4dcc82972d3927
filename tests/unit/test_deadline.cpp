// Deadline-aware dispatch (issue 14 item 3): the policy (core/deadline_policy.hpp) and the
// JobState driven by scripted events with made-up times, and how rank 0 resolves --deadline
// (cli/deadline_setting.hpp, runtime/job_deadline.hpp) with a scripted environment and
// squeue.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cli/deadline_setting.hpp"
#include "core/deadline_policy.hpp"
#include "core_test_harness.hpp"
#include "runtime/job_deadline.hpp"
#include "tasktrack/error.hpp"

namespace tasktrack {
namespace {

using testing::HasSubstr;
using namespace testing_core;

TEST(DeadlinePolicy, ExpectsTheDeclaredTimeElseALearnedHighQuantileWithAMargin) {
  DeadlinePolicy policy(100, 10, {0, 30});
  EXPECT_EQ(policy.expected_seconds(0), 0);  // nothing known yet
  EXPECT_EQ(policy.expected_seconds(1), 30);
  EXPECT_EQ(policy.expected_seconds(7), 0);  // past the declared ones
  for (int i = 0; i < 9; ++i) policy.note_run_time(1.0);
  policy.note_run_time(20.0);  // one slow outlier among ten: p90 stays near 1 s
  EXPECT_NEAR(policy.expected_seconds(0), 1.2, 0.05);
  EXPECT_EQ(policy.expected_seconds(1), 30);  // declared wins over learned
  for (int i = 0; i < 10; ++i) policy.note_run_time(20.0);
  EXPECT_NEAR(policy.expected_seconds(0), 24, 1);
}

TEST(DeadlinePolicy, LetsATaskStartOnlyWhenItsExpectedEndIsBeforeDeadlineLessGrace) {
  DeadlinePolicy policy(100, 10, {50, 40, 10});
  EXPECT_TRUE(policy.may_start(0, 40, false));   // ends at 90
  EXPECT_FALSE(policy.may_start(0, 41, false));  // ends at 91 > 100 - 10
  EXPECT_TRUE(policy.may_start(2, 80, false));
  policy.note_dispatched(0);
  // Queued behind running ones: it waits about the longest expected task so far.
  EXPECT_FALSE(policy.may_start(2, 40, true));  // 40 + 50 + 10 > 90
  EXPECT_TRUE(policy.may_start(2, 30, true));
  EXPECT_TRUE(policy.may_start(5, 89.9, false));  // nothing known: it may start
  EXPECT_FALSE(policy.may_start(5, 90.1, false));
  const DeadlinePolicy none(DeadlinePolicy::no_deadline, 10, {1e9});
  EXPECT_FALSE(none.enabled());
  EXPECT_TRUE(none.may_start(0, 1e6, true));
}

// One worker that runs what it is handed in order, `threads` at a time, each task taking
// `seconds_of(id)`, and answers a drain as a worker does (queued ones dropped, Drained once
// nothing runs). Steps the job clock by `step` until the job is over; returns when it ended.
struct ScriptedWorker {
  int rank = 1;
  unsigned threads = 1;
  std::map<SubtaskId, double> started;  // id -> start
  std::map<SubtaskId, double> ended;    // id -> end
  std::deque<SubtaskId> queue;
  std::size_t seen = 0;
  bool drained_sent = false;

  double run(JobState& state, RecordedEffects& effects, double step,
             const std::function<double(SubtaskId)>& seconds_of, double give_up = 1000) {
    double now = 0;
    state.start(now);
    while (!state.handle_tick(now)) {
      const std::vector<SubtaskId> ids = effects.ids_for(rank);
      for (; seen < ids.size(); ++seen) queue.push_back(ids[seen]);
      const bool draining = !effects.drained.empty();
      if (draining) queue.clear();
      // Start what fits, report what ended by now.
      std::vector<StatusRecord> records;
      for (auto& [id, start] : started) {
        if (!ended.contains(id) && start + seconds_of(id) <= now + 1e-9) {
          ended[id] = start + seconds_of(id);
          records.push_back(record(id, SubtaskState::done, 0, start, ended[id]));
        }
      }
      std::size_t running = started.size() - ended.size();
      while (running < threads && !queue.empty()) {
        started[queue.front()] = now;
        records.push_back(record(queue.front(), SubtaskState::running, 0, now, 0));
        queue.pop_front();
        ++running;
      }
      if (!records.empty()) report(state, rank, records, now);
      if (draining && running == 0 && !drained_sent) {
        state.handle_message(rank, Drained{}, now);
        drained_sent = true;
      }
      now += step;
      if (now > give_up) break;
    }
    return now;
  }
};

TEST(JobStateDeadline, LearnedDurationsHoldBackWhatCouldNotEndAndTheJobDrainsByItself) {
  RecordedEffects effects;
  JobRules r = rules(20);
  r.grace = 0;
  r.deadline = 10;
  r.deadline_unix = 1e9 + 10;
  JobState state(r, workers(1), 2, effects);
  ScriptedWorker worker;
  const double ended = worker.run(state, effects, 0.25, [](SubtaskId) { return 1.0; });
  // Every task that started could end by the deadline; none was cut off.
  for (const auto& [id, start] : worker.started) {
    EXPECT_LE(start + 1.0, 10.0) << "subtask " << id;
    EXPECT_TRUE(worker.ended.contains(id)) << "subtask " << id;
  }
  EXPECT_GE(worker.started.size(), 7u);  // the learned estimate (1.2 s) let most of them run
  EXPECT_LE(ended, 10.25);
  EXPECT_TRUE(state.interrupted());
  Summary summary;
  state.fill_summary(summary, 0, ended);
  EXPECT_TRUE(summary.interrupted);
  EXPECT_EQ(summary.exit_code(), 3);
  EXPECT_TRUE(summary.deadline_stop);
  EXPECT_EQ(summary.deadline_unix, 1e9 + 10);
  EXPECT_EQ(summary.held_back, 20 - summary.done);
  EXPECT_EQ(summary.done, worker.started.size());
  EXPECT_THAT(summary.stop_reason, HasSubstr("deadline"));
}

TEST(JobStateDeadline, DeclaredTimesRuleAndARunningTaskRunsUntilTheDeadline) {
  RecordedEffects effects;
  JobRules r = rules(6);
  r.grace = 1;
  r.deadline = 12;
  r.expected_seconds = {5, 5, 5, 5, 5, 5};
  JobState state(r, workers(1, 2), 2, effects);
  ScriptedWorker worker;
  worker.threads = 2;
  // Each task really takes 5.5 s: the last two run from 5.5 to 11 and end before 12.
  const double ended = worker.run(state, effects, 0.5, [](SubtaskId) { return 5.5; });
  EXPECT_EQ(worker.started.size(), 4u);
  for (const auto& [id, start] : worker.started) EXPECT_TRUE(worker.ended.contains(id));
  EXPECT_GE(ended, 11.0);  // the drain waited for the running ones
  Summary summary;
  state.fill_summary(summary, 0, ended);
  EXPECT_EQ(summary.done, 4u);
  EXPECT_EQ(summary.held_back, 2u);
  EXPECT_EQ(summary.exit_code(), 3);
  EXPECT_EQ(summary.status_text(), "interrupted");
}

TEST(JobStateDeadline, PackedLinesOfDifferentSizesAreHeldBackToo) {
  // Lines of 1 and 2 cores alternate (issue 11's packing) on a worker of 2 cores: each
  // task handed out starts at once, and none may start that could not end in time.
  RecordedEffects effects;
  JobRules r = rules(6);
  r.grace = 1;
  r.deadline = 12;
  r.requirements = {Resources{1, 0, 0}, Resources{2, 0, 0}};
  r.class_of = {0, 1, 0, 1, 0, 1};
  r.expected_seconds = {5, 5, 5, 5, 5, 5};
  JobState state(r, workers(1, 2), 2, effects);
  ScriptedWorker worker;
  worker.threads = 2;
  const double ended = worker.run(state, effects, 0.5, [](SubtaskId) { return 5.0; });
  // 0 and 2 (one core each) from 0 to 5, then 1 (two cores) from 5 to 10; 3 would end at
  // 15, past 12 - 1, and holds back the rest.
  EXPECT_EQ(worker.started.size(), 3u);
  for (const auto& [id, start] : worker.started) {
    EXPECT_LE(start + 5.0, 11.0) << "subtask " << id;
    EXPECT_TRUE(worker.ended.contains(id)) << "subtask " << id;
  }
  EXPECT_TRUE(worker.started.contains(1));
  Summary summary;
  state.fill_summary(summary, 0, ended);
  EXPECT_EQ(summary.done, 3u);
  EXPECT_EQ(summary.held_back, 3u);
  EXPECT_EQ(summary.exit_code(), 3);
  EXPECT_TRUE(summary.deadline_stop);
}

TEST(JobStateDeadline, TheDrainEndsAtTheDeadlineNotBeforeWhileATaskRuns) {
  RecordedEffects effects;
  JobRules r = rules(3);
  r.grace = 2;
  r.deadline = 20;
  r.expected_seconds = {10, 10, 10};
  JobState state(r, workers(1), 2, effects);
  state.start(0);
  EXPECT_EQ(effects.ids_for(1), (std::vector<SubtaskId>{0}));  // 0 + 10 + 10 > 18: one
  report(state, 1, {record(0, SubtaskState::running, 0, 0, 0)}, 0.1);
  EXPECT_FALSE(state.handle_tick(7));    // id 1 could still end by 18 if id 0 ended now
  EXPECT_FALSE(state.handle_tick(8.5));  // 8.5 + 10 > 18: it never can
  EXPECT_TRUE(effects.drained.empty());  // but id 0 runs: nothing to withdraw yet
  EXPECT_FALSE(state.handle_tick(18));   // deadline - grace: nothing can start, drain
  EXPECT_EQ(effects.drained, (std::vector<int>{1}));
  EXPECT_EQ(effects.ids_for(1), (std::vector<SubtaskId>{0}));
  // Id 0 still runs: the drain ends at the deadline itself, not before.
  EXPECT_FALSE(state.handle_tick(19.9));
  EXPECT_TRUE(state.handle_tick(20));
}

TEST(JobStateDeadline, ASignalDuringTheDeadlineDrainBringsItsEndForward) {
  RecordedEffects effects;
  JobRules r = rules(2);
  r.grace = 5;
  r.deadline = 100;
  r.expected_seconds = {50, 80};
  r.worker_timeout = 1000;  // the worker stays quiet while it runs
  JobState state(r, workers(1), 2, effects);
  state.start(0);
  report(state, 1, {record(0, SubtaskState::running, 0, 0, 0)}, 1);
  EXPECT_EQ(effects.ids_for(1), (std::vector<SubtaskId>{0}));  // 80 s cannot wait behind 50 s
  EXPECT_FALSE(state.handle_tick(1));
  EXPECT_TRUE(effects.drained.empty());  // it could still start now
  report(state, 1, {record(0, SubtaskState::done, 0, 1, 20)}, 20);
  EXPECT_FALSE(state.handle_tick(20));  // 20 + 80 > 95: drain
  EXPECT_EQ(effects.drained.size(), 1u);
  // The worker does not answer the drain (hung): the drain would last until the deadline.
  state.handle_signal(StopKind::graceful, 10, 30);
  EXPECT_EQ(effects.drained.size(), 1u);  // no second Drain
  EXPECT_FALSE(state.handle_tick(34.9));
  EXPECT_TRUE(state.handle_tick(35));  // the signal's grace, not the deadline
  Summary summary;
  state.fill_summary(summary, 0, 35);
  EXPECT_THAT(summary.stop_reason, HasSubstr("deadline"));
  EXPECT_THAT(summary.stop_reason, HasSubstr("signal 10"));
}

TEST(JobStateDeadline, WithoutADeadlineNothingIsHeldBack) {
  RecordedEffects effects;
  JobRules r = rules(4);
  r.expected_seconds = {1e6, 1e6, 1e6, 1e6};
  JobState state(r, workers(1), 2, effects);
  state.start(0);
  EXPECT_EQ(effects.count_for(1), 2u);
  EXPECT_FALSE(state.handle_tick(1));
  EXPECT_TRUE(effects.drained.empty());
}

TEST(DeadlineSetting, ParsesAutoNoneRelativeDatesAndEpochSeconds) {
  EXPECT_EQ(parse_deadline("auto").kind, DeadlineSetting::Kind::automatic);
  EXPECT_EQ(parse_deadline("none").kind, DeadlineSetting::Kind::none);
  const DeadlineSetting after = parse_deadline("+2h");
  EXPECT_EQ(after.kind, DeadlineSetting::Kind::after);
  EXPECT_EQ(after.seconds, 7200);
  const DeadlineSetting epoch = parse_deadline("1700000000");
  EXPECT_EQ(epoch.kind, DeadlineSetting::Kind::at);
  EXPECT_EQ(epoch.seconds, 1700000000);
  const DeadlineSetting date = parse_deadline("2030-01-02T03:04:05");
  EXPECT_EQ(date.kind, DeadlineSetting::Kind::at);
  EXPECT_EQ(parse_deadline("2030-01-02T03:04").seconds + 5, date.seconds);
  EXPECT_EQ(parse_date_time("2030-01-02 03:04:05"), date.seconds);
  EXPECT_FALSE(parse_date_time("N/A"));
  EXPECT_FALSE(parse_date_time("Unknown"));
  EXPECT_THROW(parse_deadline("+0s"), UsageError);
  EXPECT_THROW(parse_deadline("+-3s"), UsageError);
  EXPECT_THROW(parse_deadline("tomorrow"), UsageError);
  EXPECT_THROW(parse_deadline("2030-13-02T03:04:05"), UsageError);
  EXPECT_THROW(parse_deadline("2030-01-02T03:04:05junk"), UsageError);
}

TEST(JobDeadline, AutoAsksSlurmOnlyUnderSlurmAndWarnsWhenItCannotSay) {
  std::map<std::string, std::string> variables;
  const EnvironmentLookup environment = [&](const char* name) -> std::optional<std::string> {
    const auto found = variables.find(name);
    if (found == variables.end()) return std::nullopt;
    return found->second;
  };
  int queries = 0;
  std::optional<std::string> answer;
  const SlurmEndTimeQuery query = [&](const std::string& id) {
    ++queries;
    EXPECT_EQ(id, "42");
    return answer;
  };
  const DeadlineSetting automatic = parse_deadline("auto");
  EXPECT_FALSE(resolve_deadline(automatic, 1000, environment, query).unix_seconds);
  EXPECT_EQ(queries, 0);  // outside Slurm squeue is not asked
  variables["SLURM_JOB_ID"] = "42";
  variables["SLURM_JOB_END_TIME"] = "1700000600";
  EXPECT_EQ(resolve_deadline(automatic, 1000, environment, query).unix_seconds, 1700000600);
  EXPECT_EQ(queries, 0);
  variables.erase("SLURM_JOB_END_TIME");
  answer = "1700000900";
  EXPECT_EQ(resolve_deadline(automatic, 1000, environment, query).unix_seconds, 1700000900);
  answer = std::nullopt;
  const ResolvedDeadline failed = resolve_deadline(automatic, 1000, environment, query);
  EXPECT_FALSE(failed.unix_seconds);
  EXPECT_THAT(failed.warning, HasSubstr("without a deadline"));
  EXPECT_EQ(failed.warning.find('\n'), std::string::npos);
  // Explicit settings ignore Slurm.
  EXPECT_EQ(resolve_deadline(parse_deadline("+10s"), 1000, environment, query).unix_seconds, 1010);
  EXPECT_FALSE(resolve_deadline(parse_deadline("none"), 1000, environment, query).unix_seconds);
}

}  // namespace
}  // namespace tasktrack
