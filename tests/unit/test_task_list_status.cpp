// `tasktrack status` of a task list with #TASKTRACK directives: a record counts while its
// line's text and the directive over it are unchanged, as on resume.
#include <gtest/gtest.h>
#include <stdlib.h>  // mkdtemp

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli/job_spec.hpp"
#include "commands/task_list.hpp"
#include "journal/fingerprint.hpp"
#include "journal/job_commands.hpp"
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

  // Appends a session and a done record for each line, keyed as a run of them keys it.
  void record(const std::vector<TaskLine>& finished) {
    JournalWriter writer(journal_, job_fingerprint(job_));
    writer.append_session({{"started_unix", 1700000000.0}, {"ranks", 1}});
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

// Records keyed as a run with --gpus-per-task 2 --mem-per-task 1G keys them: status need
// not know those flags, which change no line's key.
TEST_F(TaskListStatus, CountsTheLinesWhoseTextAndDirectiveAreUnchanged) {
  write_tasks("train a\n#TASKTRACK cores=8 gpus=1\ntrain b\ntrain c\n");
  record(read_task_file(tasks_, {1, 2, gib}));
  JournalStatus status = journal_status(journal_);
  EXPECT_EQ(status.total, 3u);
  EXPECT_EQ(status.done, 3u) << status.task_file_problem.value_or("");
  EXPECT_EQ(status.state(), JournalStatus::State::done);

  // Editing gpus= makes the lines under the directive work left; the line above it stays.
  write_tasks("train a\n#TASKTRACK cores=8 gpus=2\ntrain b\ntrain c\n");
  status = journal_status(journal_);
  EXPECT_EQ(status.done, 1u);
  EXPECT_EQ(status.left(), 2u);
  EXPECT_EQ(status.state(), JournalStatus::State::work_left);
}

TEST(RecordedTaskFormat, TheLastSessionThatSaysHowTheFileWasReadWins) {
  JournalContents journal;
  EXPECT_EQ(recorded_task_format(journal), TaskFormat::automatic);
  journal.sessions.push_back({{"task_format", "jsonl"}});
  journal.sessions.push_back({{"ranks", 1}});  // an older session record says nothing
  EXPECT_EQ(recorded_task_format(journal), TaskFormat::jsonl);
  journal.sessions.push_back({{"task_format", "plain"}});
  EXPECT_EQ(recorded_task_format(journal), TaskFormat::plain);
  journal.sessions.push_back({{"task_format", 7}});  // the wrong type: absent
  EXPECT_EQ(recorded_task_format(journal), TaskFormat::plain);
}

}  // namespace
}  // namespace tasktrack
