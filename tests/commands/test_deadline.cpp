// Deadline-aware dispatch through the real binary (issue 14 item 3): a job of sleeps of a
// known length under --deadline +Ns starts no task that could not end before the deadline,
// kills none, drains by itself and ends with exit 3; a resume with the same journal and no
// deadline finishes the rest. Durations learned from finished attempts and declared in a
// JSON Lines file. With no mpirun and under mpirun with 3 ranks (two workers), one CTest
// entry each. What is checked of time is only what the deadline logic guarantees: every
// attempt's start plus run time (the journal's, via `tasktrack log`) is before the deadline.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "run_process.hpp"
#include "scratch_run_test.hpp"

namespace tasktrack {
namespace {

using nlohmann::json;

using testing::processes;  // set by main from --np=N

// The journal's times are rounded to the millisecond.
constexpr double journal_rounding = 0.002;

class Deadline : public testing::ScratchRunTest {
 protected:
  Deadline() : ScratchRunTest("tasktrack-deadline", testing::RunFrom::scratch_folder) {}

  // Two task slots whatever the process count: one worker of two threads, or two of one.
  static std::vector<std::string> two_slots() { return {"--threads", processes > 0 ? "1" : "2"}; }

  // Every attempt so far ended (done, not killed) by `deadline` (Unix seconds); returns the
  // lines of the attempts that started before `deadline`.
  std::multiset<int> attempts_before(const std::vector<json>& rows, double deadline) const {
    std::multiset<int> lines;
    for (const json& row : rows) {
      const double start = row.at("Starttime").get<double>();
      if (start >= deadline) continue;
      const double end = start + row.at("JobRuntime").get<double>();
      EXPECT_LE(end, deadline + journal_rounding) << row.dump();
      EXPECT_EQ(row.at("state"), "done") << row.dump();
      lines.insert(row.at("line").get<int>());
    }
    return lines;
  }
};

TEST_F(Deadline, LearnedDurationsStartOnlyWhatCanEndThenTheJobDrainsAndAResumeFinishes) {
  std::string tasks;
  for (int i = 0; i < 24; ++i) tasks += "sleep 0.5\n";
  write("tasks.txt", tasks);
  std::vector<std::string> args{"--task-file", "tasks.txt", "--journal",
                                "run.journal", "--grace",   "0.2s"};
  const std::vector<std::string> slots = two_slots();
  args.insert(args.end(), slots.begin(), slots.end());

  std::vector<std::string> first = args;
  first.insert(first.end(), {"--deadline", "+3s"});
  const Run r = run(first);
  ASSERT_EQ(r.process.exit_code, 3) << r.process.err;
  const json& summary = r.summary;
  EXPECT_EQ(summary.at("status"), "interrupted");
  EXPECT_NE(summary.at("stop_reason").get<std::string>().find("deadline"), std::string::npos);
  const json& deadline = summary.at("deadline");
  ASSERT_TRUE(deadline.is_object()) << summary.dump();
  EXPECT_EQ(deadline.at("drained"), true);
  const int done = summary.at("subtasks").at("done").get<int>();
  EXPECT_GT(done, 0);
  EXPECT_LT(done, 24);  // two slots cannot run 12 s of sleeps in 3 s
  EXPECT_EQ(deadline.at("held_back").get<int>(), 24 - done);
  EXPECT_EQ(summary.at("subtasks").at("failed"), 0);
  const std::vector<json> rows = log_rows(path("run.journal"));
  EXPECT_EQ(attempts_before(rows, deadline.at("unix").get<double>()).size(),
            static_cast<std::size_t>(done));
  EXPECT_EQ(rows.size(), static_cast<std::size_t>(done));  // none killed, none failed

  std::vector<std::string> resume = args;
  resume.insert(resume.end(), {"--deadline", "none"});
  const Run again = run(resume);
  ASSERT_EQ(again.process.exit_code, 0) << again.process.err;
  EXPECT_EQ(again.summary.at("subtasks").at("done"), 24);
  EXPECT_EQ(again.summary.at("subtasks").at("resumed"), done);
  EXPECT_TRUE(again.summary.at("deadline").is_null());
  std::multiset<int> lines;
  for (const json& row : log_rows(path("run.journal"))) lines.insert(row.at("line").get<int>());
  EXPECT_EQ(lines.size(), 24u);  // each line once: nothing ran twice
  EXPECT_EQ(std::set<int>(lines.begin(), lines.end()).size(), 24u);
}

TEST_F(Deadline, DeclaredTimesHoldBackTasksThatCannotEndAndAResumeWithANewDeadlineRunsThem) {
  // Eight short tasks that say so, then four that say they take 100 s: with a deadline
  // 20 s away those four must not start (they really take 0.2 s, which only their `time`
  // hides).
  std::string tasks;
  for (int i = 0; i < 8; ++i)
    tasks += R"({"cmd": "sleep 0.2", "time": "1s"})"
             "\n";
  for (int i = 0; i < 4; ++i)
    tasks += R"({"cmd": "sleep 0.2", "time": 100})"
             "\n";
  write("tasks.jsonl", tasks);
  std::vector<std::string> args{"--task-file", "tasks.jsonl", "--journal",
                                "run.journal", "--grace",     "1s"};
  const std::vector<std::string> slots = two_slots();
  args.insert(args.end(), slots.begin(), slots.end());

  std::vector<std::string> first = args;
  first.insert(first.end(), {"--deadline", "+20s"});
  const Run r = run(first);
  ASSERT_EQ(r.process.exit_code, 3) << r.process.err;
  EXPECT_EQ(r.summary.at("subtasks").at("done"), 8);
  EXPECT_EQ(r.summary.at("deadline").at("held_back"), 4);
  const std::vector<json> rows = log_rows(path("run.journal"));
  const std::multiset<int> lines =
      attempts_before(rows, r.summary.at("deadline").at("unix").get<double>());
  EXPECT_EQ(lines, (std::multiset<int>{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(rows.size(), 8u);

  // A new deadline far enough for 100 s tasks: the rest runs.
  std::vector<std::string> resume = args;
  resume.insert(resume.end(), {"--deadline", "+200s"});
  const Run again = run(resume);
  ASSERT_EQ(again.process.exit_code, 0) << again.process.err;
  EXPECT_EQ(again.summary.at("subtasks").at("done"), 12);
  EXPECT_EQ(again.summary.at("subtasks").at("resumed"), 8);
  EXPECT_EQ(again.summary.at("deadline").at("drained"), false);
  EXPECT_EQ(log_rows(path("run.journal")).size(), 12u);
}

TEST_F(Deadline, DirectiveTimesHoldBackPackedLinesAndAnEditedTimeKeepsTheResume) {
  // A plain task file: eight one-core lines that say they take 1 s, then two lines of two
  // cores that say 100 s (issue 11's packing: a worker of two cores runs either two small
  // ones or one large one). Under a deadline 20 s away the large ones must not start.
  const auto task_file = [](const std::string& large_time) {
    std::string tasks = "#TASKTRACK time=1s\n";
    for (int i = 0; i < 8; ++i) tasks += "sleep 0.2\n";
    tasks += "#TASKTRACK cores=2 time=" + large_time + "\n";
    for (int i = 0; i < 2; ++i) tasks += "sleep 0.2\n";
    return tasks;
  };
  write("tasks.txt", task_file("100"));
  const std::vector<std::string> args{"--task-file", "tasks.txt", "--journal", "run.journal",
                                      "--grace",     "1s",        "--threads", "2"};
  std::vector<std::string> first = args;
  first.insert(first.end(), {"--deadline", "+20s"});
  const Run r = run(first);
  ASSERT_EQ(r.process.exit_code, 3) << r.process.err;
  EXPECT_EQ(r.summary.at("subtasks").at("done"), 8);
  EXPECT_EQ(r.summary.at("deadline").at("held_back"), 2);
  const std::vector<json> rows = log_rows(path("run.journal"));
  EXPECT_EQ(attempts_before(rows, r.summary.at("deadline").at("unix").get<double>()),
            (std::multiset<int>{2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(rows.size(), 8u);

  // The user corrects the estimate: the lines stay the same lines, so the eight done ones
  // are resumed and only the two large ones run.
  write("tasks.txt", task_file("1s"));
  const Run again = run(first);
  ASSERT_EQ(again.process.exit_code, 0) << again.process.err;
  EXPECT_EQ(again.summary.at("subtasks").at("done"), 10);
  EXPECT_EQ(again.summary.at("subtasks").at("resumed"), 8);
  std::multiset<int> lines;
  for (const json& row : log_rows(path("run.journal"))) lines.insert(row.at("line").get<int>());
  EXPECT_EQ(lines, (std::multiset<int>{2, 3, 4, 5, 6, 7, 8, 9, 11, 12}));
}

TEST_F(Deadline, AMalformedDeadlineIsBadInput) {
  write("tasks.txt", "true\n");
  const Run r = run({"--task-file", "tasks.txt", "--deadline", "tomorrow"});
  EXPECT_EQ(r.process.exit_code, 2);
  EXPECT_NE(r.process.err.find("bad deadline 'tomorrow'"), std::string::npos) << r.process.err;
  EXPECT_EQ(testing::non_empty_lines(r.process.err).size(), 1u) << r.process.err;
}

}  // namespace
}  // namespace tasktrack
