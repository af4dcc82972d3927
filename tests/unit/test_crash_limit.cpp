// The crash limit (issue 14) in the pure core: a subtask running on a worker when it is lost
// is charged a crash; at --crash-limit crashes it fails for good with reason crashed_worker,
// naming the workers it took down; the journal records each crash so a resume keeps the
// count. Tracker and JobState driven by scripted events, no MPI.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "core/job_state.hpp"
#include "core/tracker.hpp"
#include "core_test_harness.hpp"
#include "journal/journal.hpp"
#include "journal/replay.hpp"

namespace tasktrack {
namespace {

using testing::ElementsAre;
using testing::HasSubstr;

using namespace testing_core;

std::vector<IdRun> assign(Tracker& tracker, int rank, std::uint32_t count) {
  std::vector<IdRun> runs;
  tracker.assign_next(rank, count, runs);
  return runs;
}

// ---- Tracker ---------------------------------------------------------------------------

TEST(CrashLimitTracker, OnlyWhatWasRunningIsChargedAndGoesBackToPending) {
  Tracker tracker(4, 2, 3);
  tracker.set_crash_limit(2);
  assign(tracker, 1, 3);  // 0, 1, 2
  tracker.mark_running(1, 1, 0);
  const Tracker::LostRankRelease release = tracker.release_lost_rank(1);
  EXPECT_EQ(release.released, 3u);
  EXPECT_THAT(release.charged, ElementsAre(1u));
  EXPECT_TRUE(release.crashed_out.empty());
  EXPECT_EQ(tracker.crashes(1), 1u);
  EXPECT_EQ(tracker.crashes(0), 0u);  // queued on the worker, not started: not charged
  EXPECT_EQ(tracker.state(1), SubtaskState::pending);
  EXPECT_EQ(tracker.attempt(1), 0u);  // a lost worker still costs no retry
  EXPECT_EQ(tracker.retried(), 0u);
  EXPECT_EQ(tracker.reassigned(), 3u);
  EXPECT_EQ(tracker.outstanding(1), 0u);
}

TEST(CrashLimitTracker, AtTheLimitTheSubtaskFailsForGood) {
  Tracker tracker(3, 2, 4);
  tracker.set_crash_limit(2);
  assign(tracker, 1, 1);  // 0
  tracker.mark_running(0, 1, 0);
  EXPECT_TRUE(tracker.release_lost_rank(1).crashed_out.empty());
  EXPECT_THAT(assign(tracker, 2, 2), ElementsAre(IdRun{0, 2, 0}));  // 0 again, then 1
  tracker.mark_running(0, 2, 0);
  const Tracker::LostRankRelease second = tracker.release_lost_rank(2);
  EXPECT_THAT(second.charged, ElementsAre(0u));
  EXPECT_THAT(second.crashed_out, ElementsAre(0u));
  EXPECT_EQ(second.released, 1u);  // subtask 1, queued behind it
  EXPECT_EQ(tracker.state(0), SubtaskState::failed);
  EXPECT_EQ(tracker.failed(), 1u);
  EXPECT_EQ(tracker.crashes(0), 2u);
  // The others still run on the worker that is left.
  EXPECT_THAT(assign(tracker, 3, 5), ElementsAre(IdRun{1, 2, 0}));
  tracker.complete(1, 3, 0);
  tracker.complete(2, 3, 0);
  EXPECT_TRUE(tracker.finished());
}

TEST(CrashLimitTracker, ZeroMeansNoLimitAndReleaseRankChargesNothing) {
  Tracker tracker(1, 2, 8);
  tracker.set_crash_limit(0);
  for (int rank = 1; rank <= 5; ++rank) {
    assign(tracker, rank, 1);
    tracker.mark_running(0, rank, 0);
    EXPECT_TRUE(tracker.release_lost_rank(rank).crashed_out.empty());
  }
  EXPECT_EQ(tracker.crashes(0), 5u);
  EXPECT_EQ(tracker.state(0), SubtaskState::pending);
  // release_rank (no charge) leaves the count as it is.
  assign(tracker, 6, 1);
  tracker.mark_running(0, 6, 0);
  EXPECT_EQ(tracker.release_rank(6), 1u);
  EXPECT_EQ(tracker.crashes(0), 5u);
}

TEST(CrashLimitTracker, RestoredCrashesCountTowardTheLimit) {
  Tracker tracker(2, 2, 3);
  tracker.set_crash_limit(2);
  tracker.restore_crashes(1, 1);
  assign(tracker, 1, 2);
  tracker.mark_running(1, 1, 0);
  EXPECT_THAT(tracker.release_lost_rank(1).crashed_out, ElementsAre(1u));
  EXPECT_THROW(tracker.restore_crashes(0, 1), std::logic_error);  // after dispatch: a bug
}

// ---- JobState --------------------------------------------------------------------------

JobRules crash_rules(std::uint32_t subtasks, std::uint32_t limit) {
  JobRules r = rules(subtasks);
  r.crash_limit = limit;
  r.journaling = true;
  return r;
}

std::vector<const JournalAttempt*> crash_records(const RecordedEffects& effects) {
  std::vector<const JournalAttempt*> found;
  for (const JournalAttempt& attempt : effects.attempts) {
    if (attempt.reason == FailureReason::crashed_worker) found.push_back(&attempt);
  }
  return found;
}

std::string text_of(const std::vector<std::byte>& bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// Subtask 0 kills every worker that runs it: two go, the third finishes the rest.
TEST(CrashLimitJobState, APoisonSubtaskTakesDownAtMostTheLimitAndNamesThem) {
  RecordedEffects effects;
  JobState state(crash_rules(4, 2), workers(3), 4, effects);
  state.start(0);
  ASSERT_EQ(effects.ids_for(1), (std::vector<SubtaskId>{0, 1}));
  report(state, 1, {record(0, SubtaskState::running)}, 0.1);
  state.handle_worker_gone(1, "its process is gone", 0.5);
  EXPECT_EQ(state.failed(), 0u);
  // It is pending again: ranks 2 and 3 finish what they hold until one of them gets it.
  std::set<SubtaskId> seen{0};
  int poisoned = 0;
  for (double now = 0.6; now < 5 && poisoned == 0; now += 0.1) {
    for (int rank : {2, 3}) {
      const std::vector<SubtaskId> held = effects.ids_for(rank);
      if (std::find(held.begin(), held.end(), 0u) != held.end()) poisoned = rank;
    }
    if (poisoned != 0) break;
    complete_all(state, effects, 2, seen, now);
    complete_all(state, effects, 3, seen, now);
    state.handle_tick(now);
  }
  ASSERT_NE(poisoned, 0);
  report(state, poisoned, {record(0, SubtaskState::running, 0, 0.7)}, 0.7);
  state.handle_worker_gone(poisoned, "its connection failed", 0.8);
  EXPECT_EQ(state.failed(), 1u);
  const int survivor = 5 - poisoned;
  // Everything else ends on the survivor.
  for (double now = 1; now < 5 && !state.handle_tick(now); now += 1) {
    complete_all(state, effects, survivor, seen, now);
  }
  EXPECT_TRUE(state.over());
  EXPECT_EQ(state.done(), 3u);
  EXPECT_EQ(state.failed(), 1u);

  Summary summary;
  state.fill_summary(summary, 0, 5);
  ASSERT_EQ(summary.failures.size(), 1u);
  const FailureSummary& failure = summary.failures[0];
  EXPECT_EQ(failure.subtask, 0u);
  EXPECT_EQ(failure.reason, FailureReason::crashed_worker);
  EXPECT_EQ(failure.detail, "took down 2 workers: rank 1 (node1), rank " +
                                std::to_string(poisoned) + " (node" + std::to_string(poisoned) +
                                ") (--crash-limit 2)");
  EXPECT_EQ(summary.retried, 0u);
  EXPECT_THAT(effects.notices.back(), HasSubstr("subtask 0 failed for good: it took down 2"));

  // The journal: a retried crash record for the first, a failure for good for the second.
  const std::vector<const JournalAttempt*> crashes = crash_records(effects);
  ASSERT_EQ(crashes.size(), 2u);
  EXPECT_TRUE(crashes[0]->retried);
  EXPECT_EQ(crashes[0]->rank, 1);
  EXPECT_EQ(text_of(crashes[0]->payload),
            "rank 1 (node1) lost while running it: its process is gone (crash 1 of "
            "--crash-limit 2)");
  EXPECT_FALSE(crashes[1]->retried);
  EXPECT_EQ(crashes[1]->rank, poisoned);
  EXPECT_EQ(crashes[1]->state, SubtaskState::failed);
}

TEST(CrashLimitJobState, AWorkerLostWhileIdleChargesNothing) {
  RecordedEffects effects;
  JobRules r = crash_rules(2, 1);
  r.worker_timeout = 5;
  JobState state(r, workers(2), 3, effects);
  state.start(0);
  // Rank 1 finishes what it had and falls silent; rank 2 keeps talking.
  report(state, 1, {record(0, SubtaskState::done), record(1, SubtaskState::done)}, 1);
  report(state, 2, {}, 6);
  state.handle_tick(7);
  ASSERT_EQ(state.workers()[0].health, Health::lost);
  EXPECT_TRUE(crash_records(effects).empty());
  EXPECT_EQ(state.failed(), 0u);
}

TEST(CrashLimitJobState, QueuedSubtasksOfALostWorkerAreNotCharged) {
  RecordedEffects effects;
  JobState state(crash_rules(4, 1), workers(2), 3, effects);
  state.start(0);
  ASSERT_EQ(effects.ids_for(1), (std::vector<SubtaskId>{0, 1}));
  report(state, 1, {record(1, SubtaskState::running)}, 0.1);
  state.handle_worker_gone(1, "its process is gone", 0.2);
  // --crash-limit 1: the running one fails at once, the queued one runs elsewhere.
  EXPECT_EQ(state.failed(), 1u);
  ASSERT_EQ(crash_records(effects).size(), 1u);
  EXPECT_EQ(crash_records(effects)[0]->subtask, 1u);
}

TEST(CrashLimitJobState, CrashesAfterAStopSignalAreNotCharged) {
  RecordedEffects effects;
  JobState state(crash_rules(2, 1), workers(2), 3, effects);
  state.start(0);
  report(state, 1, {record(0, SubtaskState::running)}, 0.1);
  state.handle_signal(StopKind::graceful, 15, 0.2);
  state.handle_worker_gone(1, "its process is gone", 0.3);
  EXPECT_EQ(state.failed(), 0u);
  EXPECT_TRUE(crash_records(effects).empty());
}

// Run 1 is cut off after one crash; run 2 reads it from the journal and fails the subtask
// at its next crash, naming both workers.
TEST(CrashLimitJobState, AResumeKeepsTheCrashCount) {
  RecordedEffects first;
  JobState run_1(crash_rules(3, 2), workers(2), 3, first);
  run_1.start(0);
  report(run_1, 1, {record(0, SubtaskState::running)}, 0.1);
  run_1.handle_worker_gone(1, "its process is gone", 0.2);
  ASSERT_EQ(crash_records(first).size(), 1u);

  JournalContents journal;
  for (const JournalAttempt& attempt : first.attempts) journal.attempts.push_back(attempt);
  const CurrentWork work{3, [](SubtaskId) { return std::uint64_t{0}; }};
  const JournalHistory history = replay(journal, work);
  ASSERT_EQ(history.crashes.size(), 1u);
  EXPECT_EQ(history.crashes[0].subtask, 0u);
  EXPECT_EQ(history.crashes[0].records.size(), 1u);

  RecordedEffects second;
  JobState run_2(crash_rules(3, 2), workers(2), 3, second);
  run_2.restore(history);
  run_2.start(0);
  ASSERT_FALSE(second.ids_for(1).empty());
  ASSERT_EQ(second.ids_for(1).front(), 0u);
  StatusRecord running = record(0, SubtaskState::running);
  running.attempt = 1;  // numbered on from the crash record's attempt
  report(run_2, 1, {running}, 0.1);
  run_2.handle_worker_gone(1, "its process is gone", 0.2);
  EXPECT_EQ(run_2.failed(), 1u);
  Summary summary;
  run_2.fill_summary(summary, 0, 1);
  ASSERT_EQ(summary.failures.size(), 1u);
  EXPECT_EQ(summary.failures[0].detail,
            "took down 2 workers: rank 1 (node1) in an earlier run, rank 1 (node1) "
            "(--crash-limit 2)");
}

TEST(CrashLimitReplay, AFailureForGoodStartsTheCountOver) {
  JournalContents journal;
  JournalAttempt crash;
  crash.subtask = 0;
  crash.state = SubtaskState::failed;
  crash.reason = FailureReason::crashed_worker;
  crash.retried = true;
  journal.attempts.push_back(crash);
  JournalAttempt final_failure = crash;
  final_failure.retried = false;
  journal.attempts.push_back(final_failure);  // run 1 failed it for good
  JournalAttempt later = crash;
  later.attempt = 1;
  journal.attempts.push_back(later);  // run 2 ran it again and it crashed once
  const JournalHistory history = replay(journal);
  ASSERT_EQ(history.crashes.size(), 1u);
  ASSERT_EQ(history.crashes[0].records.size(), 1u);
  EXPECT_EQ(history.crashes[0].records[0]->attempt, 1u);
}

// ---- the journal -----------------------------------------------------------------------

class CrashLimitJournal : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("tasktrack-crash-limit-" + std::to_string(::getpid()) + ".journal"))
                .string();
    std::filesystem::remove(path_);
  }
  void TearDown() override { std::filesystem::remove(path_); }
  static JournalAttempt crash(bool retried) {
    JournalAttempt attempt;
    attempt.subtask = 3;
    attempt.state = SubtaskState::failed;
    attempt.reason = FailureReason::crashed_worker;
    attempt.rank = 2;
    attempt.retried = retried;
    return attempt;
  }
  std::string path_;
  const std::string fingerprint_ = R"({"kernel":"noop"})";
};

TEST_F(CrashLimitJournal, CrashRecordsRoundTripFromVersionFourOn) {
  {
    JournalWriter writer(path_, fingerprint_);
    writer.append(crash(true));
    writer.append(crash(false));
  }
  const JournalContents contents = read_journal(path_);
  EXPECT_EQ(contents.format_version, journal_format_version);
  EXPECT_FALSE(contents.warning.has_value());
  EXPECT_EQ(contents.attempts, (std::vector<JournalAttempt>{crash(true), crash(false)}));
}

TEST_F(CrashLimitJournal, AnOlderJournalGetsWorkerLostAndRejectsTheNewReason) {
  // Appending to a version-3 journal: its readers know no crashed_worker.
  {
    std::ofstream out(path_, std::ios::binary);
    const std::vector<std::byte> header = journal_format::encode_header(fingerprint_, 3);
    out.write(reinterpret_cast<const char*>(header.data()),
              static_cast<std::streamsize>(header.size()));
  }
  {
    const JournalContents before = read_journal(path_);
    JournalWriter writer(path_, fingerprint_, before.valid_bytes, std::chrono::milliseconds(200),
                         before.format_version);
    writer.append(crash(false));
  }
  JournalContents contents = read_journal(path_);
  EXPECT_EQ(contents.format_version, 3u);
  ASSERT_EQ(contents.attempts.size(), 1u);
  EXPECT_EQ(contents.attempts[0].reason, FailureReason::worker_lost);
  // A version-3 record that says crashed_worker was written by no tasktrack: malformed.
  std::vector<std::byte> bytes = journal_format::encode_header(fingerprint_, 3);
  journal_format::append_framed(bytes, journal_format::RecordKind::attempt,
                                journal_format::encode_attempt(crash(false)));
  EXPECT_TRUE(parse_journal(bytes, path_).attempts.empty());
}

}  // namespace
}  // namespace tasktrack
