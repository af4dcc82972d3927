// replay(): the one reading of a journal's records that resume, `status` and `report` share.
#include "journal/replay.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace tasktrack {
namespace {

std::vector<std::byte> bytes_of(const std::string& text) {
  const auto* begin = reinterpret_cast<const std::byte*>(text.data());
  return std::vector<std::byte>(begin, begin + text.size());
}

JournalAttempt record(SubtaskId subtask, SubtaskState state, std::uint32_t attempt = 0,
                      std::int32_t rank = 1, std::uint64_t key = 0) {
  JournalAttempt a;
  a.subtask = subtask;
  a.state = state;
  a.reason = state == SubtaskState::failed ? FailureReason::exit_code : FailureReason::none;
  a.attempt = attempt;
  a.rank = rank;
  a.start_unix = 1000.0 + subtask;
  a.end_unix = 1000.5 + subtask;
  a.value = 10 * static_cast<std::int64_t>(subtask) + attempt;
  a.key = key;
  return a;
}

JournalAttempt done(SubtaskId subtask, std::uint32_t attempt = 0, std::int32_t rank = 1,
                    std::uint64_t key = 0) {
  return record(subtask, SubtaskState::done, attempt, rank, key);
}

JournalAttempt failed(SubtaskId subtask, std::uint32_t attempt, const std::string& detail,
                      std::uint64_t key = 0) {
  JournalAttempt a = record(subtask, SubtaskState::failed, attempt, 2, key);
  a.payload = bytes_of(detail);
  return a;
}

std::vector<SubtaskId> ids_of(const std::vector<DoneSubtask>& done) {
  std::vector<SubtaskId> ids;
  for (const DoneSubtask& d : done) ids.push_back(d.subtask);
  return ids;
}

std::vector<SubtaskId> ids_of(const std::vector<const JournalAttempt*>& failed) {
  std::vector<SubtaskId> ids;
  for (const JournalAttempt* f : failed) ids.push_back(f->subtask);
  return ids;
}

TEST(Replay, DoneInAnyRecordStaysDoneAndTheFirstDoneRecordIsKept) {
  JournalContents contents;
  contents.attempts.push_back(failed(3, 0, "first try"));
  contents.attempts.push_back(done(3, 1));  // resumed: done now
  contents.attempts.push_back(done(1, 0));
  contents.attempts.push_back(failed(1, 0, "a later failure does not undo it"));
  contents.attempts.push_back(done(1, 2));  // a second done record: the first one counts
  contents.attempts.back().payload = bytes_of("second");
  contents.attempts[2].payload = bytes_of("first");

  const JournalHistory history = replay(contents);
  EXPECT_EQ(history.contents, &contents);
  EXPECT_EQ(ids_of(history.done), (std::vector<SubtaskId>{1, 3}));
  EXPECT_TRUE(history.failed.empty());
  const DoneSubtask& one = history.done[0];
  EXPECT_EQ(one.value, 10);
  EXPECT_EQ(one.record, &contents.attempts[2]);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(one.payload().data()), one.payload().size()),
            "first");
  EXPECT_EQ(history.done[1].value, 31);
  EXPECT_EQ(history.done[1].record, &contents.attempts[1]);
}

TEST(Replay, TheLastFailedRecordOfASubtaskNeverDoneSaysHowItFailed) {
  JournalContents contents;
  contents.attempts.push_back(failed(7, 2, "session one"));
  contents.attempts.push_back(failed(2, 0, "only"));
  contents.attempts.push_back(failed(7, 1, "session two"));

  const JournalHistory history = replay(contents);
  EXPECT_TRUE(history.done.empty());
  ASSERT_EQ(ids_of(history.failed), (std::vector<SubtaskId>{2, 7}));
  EXPECT_EQ(history.failed[1], &contents.attempts[2]);
  EXPECT_EQ(history.failed[1]->attempt, 1u);
  EXPECT_EQ(history.failed[0], &contents.attempts[1]);
}

// A retried attempt is history, not a verdict: the subtask's last record decides.
TEST(Replay, ASubtaskWhoseLastRecordIsARetriedAttemptIsWorkLeft) {
  const auto retried = [](SubtaskId subtask, std::uint32_t attempt) {
    JournalAttempt a = failed(subtask, attempt, "line 1: exit code 1");
    a.retried = true;
    return a;
  };
  JournalContents contents;
  contents.attempts.push_back(retried(1, 0));  // then done: done
  contents.attempts.push_back(done(1, 1));
  contents.attempts.push_back(retried(2, 0));  // then failed for good: failed
  contents.attempts.push_back(failed(2, 1, "for good"));
  contents.attempts.push_back(failed(3, 0, "for good in run one"));  // retried in run two,
  contents.attempts.push_back(retried(3, 1));                        // cut off: work left
  contents.attempts.push_back(retried(4, 0));                        // cut off: work left
  for (const bool sparse : {false, true}) {
    // Ids far apart take the sorting path; the same rules hold there.
    JournalContents checked = contents;
    if (sparse) checked.attempts.push_back(retried(4000000000u, 5));
    const JournalHistory history = replay(checked);
    EXPECT_EQ(ids_of(history.done), (std::vector<SubtaskId>{1}));
    ASSERT_EQ(ids_of(history.failed), (std::vector<SubtaskId>{2}));
    EXPECT_EQ(history.failed[0]->attempt, 1u);
    std::vector<SubtaskId> interrupted = {3, 4};
    if (sparse) interrupted.push_back(4000000000u);
    ASSERT_EQ(ids_of(history.interrupted), interrupted);
    EXPECT_EQ(history.interrupted[0]->attempt, 1u);  // the next attempt is numbered 2
  }
}

TEST(Replay, RunRecordsCountAsDoneRecordsWithoutPayload) {
  JournalContents contents;
  contents.attempts.push_back(failed(5, 2, "failed before the run did it"));
  contents.attempts.push_back(done(4, 0, 3));
  JournalRun run;
  run.first = 4;
  run.rank = 2;
  run.thread = 1;
  run.start_unix = 2000;
  run.end_unix = 2003;
  run.values = {40, 50, 60};
  contents.runs.push_back(run);

  const JournalHistory history = replay(contents);
  ASSERT_EQ(ids_of(history.done), (std::vector<SubtaskId>{4, 5, 6}));
  EXPECT_TRUE(history.failed.empty());
  // Subtask 4: the single record comes first (for_each_attempt's order).
  EXPECT_EQ(history.done[0].record, &contents.attempts[1]);
  EXPECT_EQ(history.done[0].rank, 3);
  EXPECT_EQ(history.done[1].record, nullptr);
  EXPECT_EQ(history.done[1].value, 50);
  EXPECT_EQ(history.done[1].rank, 2);
  EXPECT_TRUE(history.done[2].payload().empty());
  EXPECT_DOUBLE_EQ(history.last_end_unix, 2003);
}

TEST(Replay, OnlyRecordsOfTheCurrentWorkCount) {
  JournalContents contents;
  contents.attempts.push_back(done(0, 0, 1, /*key=*/100));
  contents.attempts.push_back(done(1, 0, 1, /*key=*/999));  // its line was edited since
  contents.attempts.push_back(failed(2, 1, "old line failed", /*key=*/999));
  contents.attempts.push_back(failed(2, 0, "this line failed", /*key=*/102));
  contents.attempts.push_back(done(3, 0, 1, /*key=*/103));  // beyond the end of the file now
  contents.attempts.back().end_unix = 5000;
  JournalRun run;
  run.first = 1;
  run.values = {1, 2, 3};
  run.keys = {777, 888, 103};  // 1 and 2 edited since; 3 gone
  contents.runs.push_back(run);

  std::vector<SubtaskId> asked;
  const CurrentWork work{3, [&](SubtaskId id) {
                           asked.push_back(id);
                           return 100 + std::uint64_t{id};
                         }};
  const JournalHistory history = replay(contents, work);
  EXPECT_EQ(ids_of(history.done), (std::vector<SubtaskId>{0}));
  ASSERT_EQ(ids_of(history.failed), (std::vector<SubtaskId>{2}));
  EXPECT_EQ(history.failed[0], &contents.attempts[3]);
  for (const SubtaskId id : asked) EXPECT_LT(id, 3u) << "key() asked beyond the total";
  // Every record's end, counted or not.
  EXPECT_DOUBLE_EQ(history.last_end_unix, 5000);

  // Without a CurrentWork every record counts.
  const JournalHistory all = replay(contents);
  EXPECT_EQ(ids_of(all.done), (std::vector<SubtaskId>{0, 1, 2, 3}));
  EXPECT_TRUE(all.failed.empty());
}

// Ids far wider than the records (a hostile journal) take the sorting path: same rules.
TEST(Replay, SparseIdsFollowTheSameRules) {
  const SubtaskId far = 4000000000u;
  JournalContents contents;
  contents.attempts.push_back(failed(far, 0, "first"));
  contents.attempts.push_back(done(7, 0));
  contents.attempts.push_back(failed(far, 1, "last"));
  contents.attempts.push_back(done(7, 1));
  contents.attempts.push_back(failed(9, 0, "then done"));
  contents.attempts.push_back(done(9, 2));

  const JournalHistory history = replay(contents);
  ASSERT_EQ(ids_of(history.done), (std::vector<SubtaskId>{7, 9}));
  EXPECT_EQ(history.done[0].record, &contents.attempts[1]);
  EXPECT_EQ(history.done[1].record, &contents.attempts[5]);
  ASSERT_EQ(ids_of(history.failed), (std::vector<SubtaskId>{far}));
  EXPECT_EQ(history.failed[0], &contents.attempts[2]);
}

TEST(Replay, LastEndSkipsNaNAndIsMinusOneWithoutRecords) {
  JournalContents contents;
  EXPECT_EQ(replay(contents).last_end_unix, -1);
  contents.attempts.push_back(done(0));
  contents.attempts.push_back(done(1));
  contents.attempts.back().end_unix = std::numeric_limits<double>::quiet_NaN();
  EXPECT_DOUBLE_EQ(replay(contents).last_end_unix, 1000.5);
}

TEST(Replay, ReadsSessionsAndTheJobDefensively) {
  JournalContents contents;
  contents.fingerprint = R"({"kernel":"primes","params":{"a":"x","b":2},"range":[0,100],)"
                         R"("subtasks":10})";
  contents.sessions.push_back(nlohmann::json::parse(
      R"({"started_unix":1700000000.5,"ranks":3,"resumed":4,"SLURM_JOB_ID":"77",
          "workers":[{"rank":1,"host":"node-a","threads":2},
                     {"rank":2,"host":12,"threads":-1},
                     {"rank":4294967296,"host":"too big"},
                     {"host":"no rank"}]})"));
  contents.sessions.push_back(nlohmann::json::parse(R"({"ranks":"three","resumed":-2})"));
  contents.sessions.push_back(nlohmann::json::parse(R"([1, 2])"));

  const JournalHistory history = replay(contents);
  EXPECT_EQ(history.job.kernel, "primes");
  EXPECT_FALSE(history.job.task_file.has_value());
  ASSERT_TRUE(history.job.range.has_value());
  EXPECT_EQ(history.job.range->second, 100);
  EXPECT_EQ(history.job.subtasks, 10u);
  EXPECT_EQ(history.job.params,
            (std::vector<std::pair<std::string, std::string>>{{"a", "x"}, {"b", "2"}}));

  ASSERT_EQ(history.sessions.size(), 3u);
  const JournalSession& first = history.sessions[0];
  EXPECT_DOUBLE_EQ(first.started_unix, 1700000000.5);
  EXPECT_EQ(first.ranks, 3);
  EXPECT_EQ(first.resumed, 4u);
  EXPECT_EQ(first.slurm_job_id, "77");
  ASSERT_EQ(first.workers.size(), 2u);
  EXPECT_EQ(first.workers[0].host, "node-a");
  EXPECT_EQ(first.workers[0].threads, 2u);
  EXPECT_EQ(first.workers[1].rank, 2);
  EXPECT_EQ(first.workers[1].host, "12");
  EXPECT_EQ(first.workers[1].threads, 0u);
  EXPECT_TRUE(std::isnan(history.sessions[1].started_unix));
  EXPECT_EQ(history.sessions[1].ranks, 0);
  EXPECT_EQ(history.sessions[1].resumed, 0u);
  EXPECT_TRUE(history.sessions[2].workers.empty());

  JournalContents task_list;
  task_list.fingerprint = R"({"task_file":"/data/tasks.txt"})";
  EXPECT_EQ(replay(task_list).job.task_file, "/data/tasks.txt");
  JournalContents not_json;
  not_json.fingerprint = "{not json";
  EXPECT_FALSE(replay(not_json).job.kernel.has_value());
}

// Resume's rules, as a coordinator's restore writes them against the history: a subtask
// done in any earlier run stays done (counted once), one whose latest word is "failed for
// good" is restored as failed with that attempt number.
TEST(Replay, ResumeIsALoopOverTheHistory) {
  JournalContents contents;
  contents.attempts.push_back(done(0));
  contents.attempts.push_back(failed(1, 2, "exit code 1"));
  contents.attempts.push_back(failed(2, 2, "exit code 1"));
  contents.attempts.push_back(done(2, 0));  // --retry-failed ran it again: done now
  JournalRun run;
  run.first = 3;
  run.values = {30, 40};
  contents.runs.push_back(run);

  const JournalHistory history = replay(contents, CurrentWork{5, [](SubtaskId) { return 0; }});
  std::int64_t reduced = 0;
  std::uint64_t resumed = 0;
  for (const DoneSubtask& d : history.done) {
    reduced += d.value;
    ++resumed;
  }
  EXPECT_EQ(resumed, 4u);
  EXPECT_EQ(reduced, 0 + 20 + 30 + 40);
  ASSERT_EQ(history.failed.size(), 1u);
  EXPECT_EQ(history.failed[0]->subtask, 1u);
  EXPECT_EQ(history.failed[0]->attempt, 2u);
  EXPECT_EQ(history.failed[0]->reason, FailureReason::exit_code);
}

}  // namespace
}  // namespace tasktrack
