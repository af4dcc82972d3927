// A task list that grows while the job runs (issue 13), through the real binary: tasks
// from a slow producer on standard input (`--task-file -`) and from a file that is still
// being written (`--follow`) run as they arrive, each once, and the job ends with its input;
// a barrier holds across arrivals; a bad line ends input with exit 2 after the tasks before
// it ran. With no mpirun and under mpirun with 3 ranks (two workers; only rank 0 reads
// the input), one CTest entry each.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
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

std::string quoted(const std::string& word) {
  std::string out(1, '\'');
  for (const char c : word) {
    if (c == '\'') {
      out.append("'\\''");
    } else {
      out.push_back(c);
    }
  }
  out.push_back('\'');
  return out;
}

class GrowingLists : public testing::ScratchRunTest {
 protected:
  GrowingLists() : ScratchRunTest("tasktrack-growing", testing::RunFrom::scratch_folder) {}

  // `producer | tasktrack run ARGS --summary-json summary.json --quiet` (under mpirun when
  // the test program was given --np), from the scratch folder.
  Run run_fed_by(const std::string& producer, const std::vector<std::string>& args) const {
    std::string command;
    if (processes > 0) {
      for (const std::string& word : testing::mpirun_prefix(processes)) {
        command.append(quoted(word)).append(" ");
      }
    }
    command.append(quoted(TASKTRACK_BINARY)).append(" run");
    for (const std::string& arg : args) command.append(" ").append(quoted(arg));
    command += " --summary-json summary.json --quiet";
    std::string script = "cd ";
    script.append(quoted(dir_.string())).append(" && ( ").append(producer).append(" ) | ");
    script.append(command);
    std::filesystem::remove(path("summary.json"));
    Run result{testing::run_process({"/bin/sh", "-c", script}, 180), {}};
    const std::string summary = read(path("summary.json"));
    if (!summary.empty()) result.summary = json::parse(summary, nullptr, false);
    return result;
  }
};

TEST_F(GrowingLists, TasksFromASlowProducerRunAsTheyArriveEachOnce) {
  // Twelve tasks, one every 0.3 s; the producer notes the time it wrote its last one.
  const std::string producer =
      "for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo \"echo task \\$TASKTRACK_SUBTASK > "
      "out-$i.txt\"; sleep 0.3; done; date +%s.%N > producer-ended";
  const Run r = run_fed_by(producer, {"--task-file", "-", "--journal", "run.journal"});
  ASSERT_EQ(r.process.exit_code, 0) << r.process.err;
  EXPECT_EQ(r.summary.at("subtasks").at("total"), 12);
  EXPECT_EQ(r.summary.at("subtasks").at("done"), 12);
  for (int i = 1; i <= 12; ++i) {
    EXPECT_EQ(read(path("out-" + std::to_string(i) + ".txt")),
              "task " + std::to_string(i - 1) + "\n")
        << i;
  }
  const std::vector<json> rows = log_rows(path("run.journal"));
  ASSERT_EQ(rows.size(), 12u);
  std::set<std::uint64_t> subtasks;
  double first_start = 1e300;
  for (const json& row : rows) {
    EXPECT_EQ(row.at("state"), "done");
    EXPECT_EQ(row.at("attempt"), 0);
    subtasks.insert(row.at("subtask").get<std::uint64_t>());
    first_start = std::min(first_start, row.at("Starttime").get<double>());
  }
  EXPECT_EQ(subtasks.size(), 12u) << "a task ran twice or not at all";
  // Dispatched as they arrived: the first ran long before the producer's last line.
  EXPECT_LT(first_start, std::stod(read(path("producer-ended"))));
}

TEST_F(GrowingLists, AFollowedFileRunsTheLinesAppendedToItUntilTheEndLine) {
  write("tasks.txt", "echo a > a.txt\n");
  const std::string appender =
      "sleep 0.5; echo 'echo b > b.txt' >> tasks.txt; sleep 0.5; "
      "printf 'echo c > c.txt\\n#TASKTRACK end\\necho never > never.txt\\n' >> tasks.txt";
  // The appender runs beside the job; the job's stdin stays /dev/null.
  const Run r =
      run_fed_by("(" + appender + ") >/dev/null 2>&1 &", {"--task-file", "tasks.txt", "--follow"});
  ASSERT_EQ(r.process.exit_code, 0) << r.process.err;
  EXPECT_EQ(r.summary.at("subtasks").at("done"), 3);
  EXPECT_EQ(read(path("a.txt")), "a\n");
  EXPECT_EQ(read(path("b.txt")), "b\n");
  EXPECT_EQ(read(path("c.txt")), "c\n");
  EXPECT_FALSE(std::filesystem::exists(path("never.txt")));
  EXPECT_TRUE(std::filesystem::is_directory(path("tasks.txt.output")));
}

TEST_F(GrowingLists, ABarrierHoldsTheTasksThatArriveAfterIt) {
  const std::string producer =
      "echo 'sleep 0.4; touch slow1'; echo 'sleep 0.4; touch slow2'; "
      "echo '#TASKTRACK barrier'; sleep 0.2; "
      "echo 'ls slow* | wc -l > count1'; echo 'ls slow* | wc -l > count2'";
  const Run r = run_fed_by(producer, {"--task-file", "-"});
  ASSERT_EQ(r.process.exit_code, 0) << r.process.err;
  EXPECT_EQ(r.summary.at("subtasks").at("done"), 4);
  EXPECT_EQ(std::stoi(read(path("count1"))), 2);
  EXPECT_EQ(std::stoi(read(path("count2"))), 2);
}

TEST_F(GrowingLists, ABadLineEndsInputTheTasksBeforeItRunAndTheExitCodeIsTwo) {
  const std::string producer =
      "echo '{\"cmd\": \"echo one > one.txt\"}'; sleep 0.3; "
      "echo '{\"cmd\": \"echo two\", \"colour\": \"red\"}'; "
      "echo '{\"cmd\": \"echo three > three.txt\"}'";
  const Run r = run_fed_by(producer, {"--task-file", "-", "--task-format", "jsonl"});
  EXPECT_EQ(r.process.exit_code, 2) << r.process.err;
  EXPECT_EQ(read(path("one.txt")), "one\n");
  EXPECT_FALSE(std::filesystem::exists(path("three.txt")));
  EXPECT_NE(r.process.err.find("standard input, line 2"), std::string::npos) << r.process.err;
  EXPECT_NE(r.process.err.find("colour"), std::string::npos) << r.process.err;
  ASSERT_TRUE(r.summary.is_object()) << r.process.err;
  EXPECT_EQ(r.summary.at("status"), "bad_input");
  EXPECT_EQ(r.summary.at("subtasks").at("done"), 1);
}

TEST_F(GrowingLists, NoTaskAtAllIsBadInput) {
  const Run r = run_fed_by("true", {"--task-file", "-"});
  EXPECT_EQ(r.process.exit_code, 2) << r.process.err;
  EXPECT_NE(r.process.err.find("standard input held no task"), std::string::npos) << r.process.err;
}

TEST_F(GrowingLists, AJournalOfAnEarlierRunIsRefusedBeforeAnythingStarts) {
  ASSERT_EQ(run_fed_by("echo true", {"--task-file", "-", "--journal", "j"}).process.exit_code, 0);
  const Run again = run_fed_by("echo 'touch ran'", {"--task-file", "-", "--journal", "j"});
  EXPECT_EQ(again.process.exit_code, 2);
  const auto lines = testing::non_empty_lines(again.process.err);
  ASSERT_EQ(lines.size(), 1u) << again.process.err;
  EXPECT_NE(lines[0].find("--fresh"), std::string::npos) << lines[0];
  EXPECT_FALSE(std::filesystem::exists(path("ran")));
}

}  // namespace
}  // namespace tasktrack
