// `tasktrack status` of a task list whose lines ask for resources: a record counts while its
// line's text and requirement are unchanged, with the per-task flags the latest session
// recorded ("per_task") for the lines no #TASKTRACK directive covers.
#include <gtest/gtest.h>
#include <stdlib.h>  // mkdtemp

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/job_spec.hpp"
#include "commands/task_list.hpp"
#include "journal/fingerprint.hpp"
#include "journal/journal_reader.hpp"
#include "journal/journal_status.hpp"
#include "journal/journal_writer.hpp"

namespace tasktrack {
namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t gib = 1ULL << 30;

class TaskListStatus : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "tasktrack_list_status_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    directory_ = pattern;
    tasks_ = (directory_ / "gpu.tasks").string();
    journal_ = (directory_ / "gpu.journal").string();
    job_.work = TaskListJob{};
    job_.task_list()->task_file = tasks_;
  }
  void TearDown() override { fs::remove_all(directory_); }

  void write_tasks(const std::string& content) { std::ofstream(tasks_) << content; }

  // Appends a session (with `per_task` unless null) and, for each line, a done record
  // keyed as a run with that requirement would key it.
  void record(const nlohmann::json& per_task, const std::vector<TaskLine>& finished) {
    const std::uint64_t valid = fs::exists(journal_) ? read_journal(journal_).valid_bytes : 0;
    JournalWriter writer(journal_, job_fingerprint(job_), valid);
    nlohmann::json session{{"started_unix", 1700000000.0}, {"ranks", 1}};
    if (!per_task.is_null()) session["per_task"] = per_task;
    writer.append_session(session);
    for (std::size_t id = 0; id < finished.size(); ++id) {
      JournalAttempt attempt;
      attempt.subtask = static_cast<SubtaskId>(id);
      attempt.key = task_line_key(finished[id]);
      writer.append(attempt);
    }
  }

  fs::path directory_;
  std::string tasks_;
  std::string journal_;
  JobSpec job_;
};

TEST_F(TaskListStatus, LinesNoDirectiveCoversTakeTheRecordedPerTaskFlags) {
  write_tasks("train a\n#TASKTRACK cores=8 gpus=1\ntrain b\n");
  // Run with --gpus-per-task 2 --mem-per-task 1G: line 1 asked for {1, 2, 1G}.
  record({{"cores", 1}, {"gpus", 2}, {"memory_bytes", gib}},
         {{1, "train a", {1, 2, gib}}, {3, "train b", {8, 1, gib}}});
  const JournalStatus status = journal_status(journal_);
  EXPECT_EQ(status.total, 2u);
  EXPECT_EQ(status.done, 2u) << status.task_file_problem.value_or("");
  EXPECT_EQ(status.state(), JournalStatus::State::done);
}

TEST_F(TaskListStatus, AnEditedDirectiveMakesItsLinesWorkLeft) {
  write_tasks("train a\n#TASKTRACK cores=8 gpus=1\ntrain b\n");
  record({{"cores", 1}, {"gpus", 0}, {"memory_bytes", 0}},
         {{1, "train a", {}}, {3, "train b", {8, 1, 0}}});
  EXPECT_EQ(journal_status(journal_).done, 2u);
  write_tasks("train a\n#TASKTRACK cores=8 gpus=2\ntrain b\n");
  const JournalStatus status = journal_status(journal_);
  EXPECT_EQ(status.done, 1u);
  EXPECT_EQ(status.left(), 1u);
}

TEST_F(TaskListStatus, SessionsWithoutPerTaskMeanTheDefaults) {
  // A journal from before issue 11: records keyed by the text alone.
  write_tasks("echo a\necho b\n");
  record(nullptr, {{1, "echo a", {}}, {2, "echo b", {}}});
  EXPECT_EQ(journal_status(journal_).done, 2u);
  // A value that is not a count reads as the default, and the latest session decides.
  record({{"cores", "many"}, {"gpus", -1}}, {});
  EXPECT_EQ(journal_status(journal_).done, 2u);
  record({{"cores", 4}}, {});
  EXPECT_EQ(journal_status(journal_).done, 0u);  // those lines now ask for 4 cores
}

}  // namespace
}  // namespace tasktrack
