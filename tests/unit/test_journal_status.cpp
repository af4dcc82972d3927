// `tasktrack status` of a task list with failures (issue 12): it speaks of commands and
// lines, names each failed command beside its line and how it ended, and its JSON carries
// them as numbers; `--watch`'s block and line say the same.
#include "journal/journal_status.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/status_watch.hpp"
#include "commands/task_list.hpp"
#include "journal/journal.hpp"

namespace tasktrack {
namespace {

namespace fs = std::filesystem;

class TaskListFailures : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "tasktrack_status_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    directory_ = pattern;
    tasks_ = (directory_ / "list.tasks").string();
    journal_ = (directory_ / "list.journal").string();
    const std::string long_command = "echo " + std::string(200, 'x');
    std::ofstream(tasks_) << "echo ok\n# comment\nexit 3\n" << long_command << "\n";
    JobSpec job;
    job.work = TaskListJob{};
    job.task_list()->task_file = tasks_;
    const std::vector<TaskLine> lines = read_task_file(tasks_);
    JournalWriter writer(journal_, job_fingerprint(job));
    writer.append_session({{"workers", {{{"rank", 1}, {"host", "node-a"}}}}});
    writer.append(record(0, lines[0], SubtaskState::done, ""));
    writer.append(record(1, lines[1], SubtaskState::failed, "line 3: exit code 3; stderr: no"));
    writer.append(record(2, lines[2], SubtaskState::failed, "line 4: killed by SIGKILL"));
  }
  void TearDown() override { fs::remove_all(directory_); }

  static JournalAttempt record(SubtaskId id, const TaskLine& line, SubtaskState state,
                               const std::string& detail) {
    JournalAttempt attempt;
    attempt.subtask = id;
    attempt.state = state;
    attempt.reason = state == SubtaskState::done ? FailureReason::none : FailureReason::exit_code;
    attempt.rank = 1;
    attempt.start_unix = 1700000000 + id;
    attempt.end_unix = attempt.start_unix + 1;
    attempt.key = task_line_key(line);
    for (const char c : detail) attempt.payload.push_back(static_cast<std::byte>(c));
    return attempt;
  }

  fs::path directory_;
  std::string tasks_;
  std::string journal_;
};

TEST_F(TaskListFailures, TextSpeaksOfCommandsAndNamesEachFailedCommand) {
  std::ostringstream out;
  print_status_text(journal_status(journal_), out);
  const std::string text = out.str();
  SCOPED_TRACE(text);
  EXPECT_NE(text.find("3 commands"), std::string::npos);
  EXPECT_NE(text.find("commands  1 done, 2 failed, 0 left, of 3"), std::string::npos);
  EXPECT_NE(text.find("failed commands: 2"), std::string::npos);
  EXPECT_EQ(text.find("subtasks"), std::string::npos);
  EXPECT_NE(text.find("exit 3    exit 3\n"), std::string::npos);  // how it ended, the command
  EXPECT_NE(text.find("SIGKILL"), std::string::npos);
  // The long command: its first 120 characters, then "...".
  EXPECT_NE(text.find("echo " + std::string(115, 'x') + "...\n"), std::string::npos);
  EXPECT_EQ(text.find(std::string(116, 'x')), std::string::npos);
}

TEST_F(TaskListFailures, JsonCarriesLineCommandAndEndingAsNumbers) {
  const nlohmann::json status = status_to_json(journal_status(journal_));
  ASSERT_EQ(status["failures"].size(), 2u);
  const nlohmann::json& exited = status["failures"][0];
  EXPECT_EQ(exited["line"], 3);
  EXPECT_EQ(exited["command"], "exit 3");
  EXPECT_EQ(exited["exit_status"], 3);
  EXPECT_TRUE(exited["signal"].is_null());
  const nlohmann::json& killed = status["failures"][1];
  EXPECT_EQ(killed["line"], 4);
  EXPECT_EQ(killed["signal"], SIGKILL);
  EXPECT_EQ(killed["signal_name"], "SIGKILL");
  EXPECT_TRUE(killed["exit_status"].is_null());
  EXPECT_EQ(killed["command"].get<std::string>().size(), 123u);
  EXPECT_EQ(status["per_rank"][0]["failed"], 2);
}

TEST_F(TaskListFailures, WatchSaysTheJobEndedAndHowFast) {
  const JournalStatus status = journal_status(journal_);
  const WatchRate rate = watch_rate(1, status, 2.0);  // 1 finished at the start, 3 now
  ASSERT_TRUE(rate.per_second.has_value());
  EXPECT_DOUBLE_EQ(*rate.per_second, 1.0);
  EXPECT_DOUBLE_EQ(rate.eta_seconds.value_or(-1), 0.0);
  EXPECT_FALSE(watch_rate(3, status, 2.0).per_second.has_value());  // nothing since

  const std::vector<std::string> block = watch_block(status, rate, 2.0);
  std::string joined;
  for (const std::string& line : block) joined += line + "\n";
  SCOPED_TRACE(joined);
  EXPECT_NE(joined.find("1 done, 2 failed, 0 left of 3"), std::string::npos);
  EXPECT_NE(joined.find("#1 line 3 (exit 3): exit 3"), std::string::npos);
  EXPECT_NE(joined.find("ended     failed"), std::string::npos);
  EXPECT_NE(watch_line(status, rate).find("ended: failed"), std::string::npos);
}

}  // namespace
}  // namespace tasktrack
