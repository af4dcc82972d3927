// Directives of a plain task file through the real binary (issue 13): barriers ordering
// real commands across workers, `barrier check` stopping a job, `repeat`, disBatch's
// README task file and a TACC launcher job file with the variables their commands use,
// and malformed directives as bad input. With no mpirun and under mpirun with 3 ranks (two
// workers), one CTest entry each.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "run_process.hpp"
#include "scratch_run_test.hpp"

namespace tasktrack {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

using testing::processes;  // set by main from --np=N

class Directives : public testing::ScratchRunTest {
 protected:
  Directives() : ScratchRunTest("tasktrack-directives", testing::RunFrom::scratch_folder) {}
};

TEST_F(Directives, NoTaskAfterABarrierStartsBeforeEveryTaskBeforeItEnded) {
  // Phase 0: four slow commands; phase 1: four that count what phase 0 left; phase 2 one
  // more. Without the barriers the counting ones would run beside the slow ones.
  write("tasks.txt",
        "#TASKTRACK barrier\n"
        "#TASKTRACK repeat 4 sleep 0.3 && touch slow{#}\n"
        "#TASKTRACK barrier\n"
        "#TASKTRACK repeat 4 ls slow* | wc -l > count{#}\n"
        "#TASKTRACK barrier\n"
        "ls count* | wc -l > last\n");
  const Run r = run({"--task-file", "tasks.txt", "--journal", "run.journal"});
  ASSERT_EQ(r.process.exit_code, 0) << r.process.err;
  EXPECT_EQ(r.summary.at("subtasks").at("done"), 9);
  // `wc -l` counts what `ls` listed: every slow command had finished.
  const auto number_in = [&](const std::string& name) { return std::stoi(read(path(name))); };
  for (int i = 1; i <= 4; ++i) EXPECT_EQ(number_in("count" + std::to_string(i)), 4) << i;
  EXPECT_EQ(number_in("last"), 4);

  // From the journal: the phases' start and end times do not overlap. Its times are
  // rounded to the millisecond, hence the 2 ms of slack.
  std::map<int, double> earliest_start;
  std::map<int, double> latest_end;
  std::map<int, int> count;
  for (const json& row : log_rows(path("run.journal"))) {
    const int line = row.at("line").get<int>();
    const int phase = line == 2 ? 0 : line == 4 ? 1 : 2;
    const double start = row.at("Starttime").get<double>();
    const double end = start + row.at("JobRuntime").get<double>();
    earliest_start[phase] = count[phase] == 0 ? start : std::min(earliest_start[phase], start);
    latest_end[phase] = count[phase] == 0 ? end : std::max(latest_end[phase], end);
    ++count[phase];
  }
  EXPECT_EQ(count, (std::map<int, int>{{0, 4}, {1, 4}, {2, 1}}));
  EXPECT_GE(earliest_start[1], latest_end[0] - 0.002);
  EXPECT_GE(earliest_start[2], latest_end[1] - 0.002);
}

TEST_F(Directives, ABarrierCheckAfterAFailureStopsTheJob) {
  write("tasks.txt",
        "true\n"
        "false\n"
        "#TASKTRACK barrier check\n"
        "touch never\n"
        "touch never2\n");
  const Run r = run({"--task-file", "tasks.txt", "--retries", "0"});
  EXPECT_EQ(r.process.exit_code, 1) << r.process.err;
  EXPECT_EQ(r.summary.at("subtasks").at("done"), 1);
  EXPECT_EQ(r.summary.at("subtasks").at("failed"), 1);
  EXPECT_EQ(r.summary.at("subtasks").at("not_run"), 2);
  EXPECT_NE(r.summary.at("stop_reason").get<std::string>().find("barrier check at line 3"),
            std::string::npos)
      << r.summary.at("stop_reason");
  EXPECT_NE(r.process.out.find("barrier check at line 3"), std::string::npos) << r.process.out;
  EXPECT_FALSE(fs::exists(path("never")));
  EXPECT_FALSE(fs::exists(path("never2")));

  // A plain barrier runs on after a failure; the job still ends with 1.
  write("plain.txt", "false\n#TASKTRACK barrier\ntouch after\n");
  const Run plain = run({"--task-file", "plain.txt", "--retries", "0"});
  EXPECT_EQ(plain.process.exit_code, 1) << plain.process.err;
  EXPECT_TRUE(fs::exists(path("after")));
}

TEST_F(Directives, BarriersHoldAcrossAResume) {
  write("tasks.txt",
        "true\n"
        "test -e ok\n"
        "#TASKTRACK barrier check\n"
        "touch after\n");
  const std::vector<std::string> args{"--task-file", "tasks.txt", "--journal",
                                      "run.journal", "--retries", "0"};
  const Run first = run(args);
  EXPECT_EQ(first.process.exit_code, 1) << first.process.err;
  EXPECT_FALSE(fs::exists(path("after")));
  // Fixed: the resumed run runs the failed task again, and only then the one past the
  // barrier; the done one is not run again.
  write("ok", "");
  const Run second = run(args);
  ASSERT_EQ(second.process.exit_code, 0) << second.process.err;
  EXPECT_EQ(second.summary.at("subtasks").at("resumed"), 1);
  EXPECT_TRUE(fs::exists(path("after")));
  double fixed_end = 0;
  double after_start = 0;
  int runs_of_line_1 = 0;
  for (const json& row : log_rows(path("run.journal"))) {
    const int line = row.at("line").get<int>();
    const double start = row.at("Starttime").get<double>();
    runs_of_line_1 += line == 1 ? 1 : 0;
    if (line == 2 && row.at("state") == "done")
      fixed_end = start + row.at("JobRuntime").get<double>();
    if (line == 4) after_start = start;
  }
  EXPECT_EQ(runs_of_line_1, 1);
  ASSERT_GT(fixed_end, 0);
  EXPECT_GE(after_start, fixed_end - 0.002);  // the journal's times are in milliseconds
}

TEST_F(Directives, RepeatPrefixAndSuffixMakeTheCommands) {
  write("tasks.txt",
        "#TASKTRACK prefix echo\n"
        "#TASKTRACK suffix > out{#}.txt\n"
        "#TASKTRACK repeat 5 task {#} of 5\n"
        "#TASKTRACK prefix\n"
        "#TASKTRACK suffix\n"
        "echo plain > plain.txt\n");
  const Run r = run({"--task-file", "tasks.txt"});
  ASSERT_EQ(r.process.exit_code, 0) << r.process.err;
  EXPECT_EQ(r.summary.at("subtasks").at("total"), 6);
  for (int i = 1; i <= 5; ++i) {
    EXPECT_EQ(read(path("out" + std::to_string(i) + ".txt")),
              "task " + std::to_string(i) + " of 5\n");
  }
  EXPECT_EQ(read(path("plain.txt")), "plain\n");
}

TEST_F(Directives, DisbatchsReadmeTaskFileRunsWithItsVariables) {
  // The README's PREFIX/SUFFIX example, REPEAT with start and step, BARRIER and BARRIER
  // CHECK, as disBatch reads them (PREFIX and SUFFIX joined as written). POSIX redirection
  // instead of the README's `&>`: /bin/sh runs the lines here.
  fs::create_directories(dir_ / "work");
  write("Tasks",
        "#DISBATCH PREFIX ( cd work ; echo \n"
        "#DISBATCH SUFFIX  \"$DISBATCH_TASKID $DISBATCH_STREAM_INDEX $DISBATCH_REPEAT_INDEX "
        "$DISBATCH_TASKID_ZP $DISBATCH_REPEAT_INDEX_ZP $DISBATCH_NAMETASKS\" ) > "
        "task_${DISBATCH_TASKID}.log 2>&1\n"
        "-a 0 -b 0\n"
        "-a 0 -b 1\n"
        "#DISBATCH BARRIER\n"
        "#DISBATCH REPEAT 3 start 100 step 50 -r\n"
        "#DISBATCH BARRIER CHECK\n"
        "#DISBATCH PREFIX \n"
        "#DISBATCH SUFFIX \n"
        "echo $DISBATCH_TASKID $DISBATCH_REPEAT_INDEX > final.txt\n");
  const Run r = run({"--task-file", "Tasks"});
  ASSERT_EQ(r.process.exit_code, 0) << r.process.err;
  EXPECT_EQ(r.summary.at("subtasks").at("total"), 6);
  // What disBatch sets: ids count barriers as tasks, streams are line numbers.
  const std::map<int, std::string> expected{
      {0, "-a 0 -b 0 0 3 -1 000000 -00001 Tasks\n"}, {1, "-a 0 -b 1 1 4 -1 000001 -00001 Tasks\n"},
      {3, "-r 3 6 100 000003 000100 Tasks\n"},       {4, "-r 4 6 150 000004 000150 Tasks\n"},
      {5, "-r 5 6 200 000005 000200 Tasks\n"},
  };
  for (const auto& [id, text] : expected) {
    EXPECT_EQ(read(path("task_" + std::to_string(id) + ".log")), text) << "task " << id;
  }
  EXPECT_EQ(read(path("final.txt")), "7 -1\n");
}

TEST_F(Directives, ATaccLauncherJobFileRunsWithItsVariables) {
  const std::string line =
      "echo $LAUNCHER_JID $LAUNCHER_NJOBS $LAUNCHER_TSK_ID $LAUNCHER_NPROCS $TASKTRACK_SLOT > "
      "job_$LAUNCHER_JID.out\n";
  write("jobfile", line + line + line + line);
  const Run r = run({"--task-file", "jobfile"});
  ASSERT_EQ(r.process.exit_code, 0) << r.process.err;
  for (int jid = 1; jid <= 4; ++jid) {
    std::istringstream words(read(path("job_" + std::to_string(jid) + ".out")));
    int seen_jid = 0;
    int jobs = 0;
    int slot = -1;
    int slots = 0;
    int tasktrack_slot = -2;
    ASSERT_TRUE(words >> seen_jid >> jobs >> slot >> slots >> tasktrack_slot) << "job " << jid;
    EXPECT_EQ(seen_jid, jid);
    EXPECT_EQ(jobs, 4);
    EXPECT_GE(slot, 0);
    EXPECT_LT(slot, slots);
    EXPECT_EQ(slot, tasktrack_slot);
  }
}

TEST_F(Directives, AMalformedDirectiveIsBadInputNamingItsLine) {
  const std::vector<std::pair<std::string, std::string>> bad{
      {"echo a\n#TASKTRACK barrier now\necho b\n", "line 2:"},
      {"#TASKTRACK repeat many echo\n", "line 1:"},
      {"#DISBATCH PERENGINE START echo hi\necho a\n", "line 1:"},
      {"echo a\n\n#DISBATCH SOMETHING\n", "line 3:"},
  };
  for (const auto& [content, where] : bad) {
    write("tasks.txt", content);
    const Run r = run({"--task-file", "tasks.txt"});
    EXPECT_EQ(r.process.exit_code, 2) << content;
    const auto lines = testing::non_empty_lines(r.process.err);
    ASSERT_EQ(lines.size(), 1u) << r.process.err;
    EXPECT_NE(lines[0].find(where), std::string::npos) << lines[0];
    EXPECT_NE(lines[0].find("tasks.txt"), std::string::npos) << lines[0];
  }
}

}  // namespace
}  // namespace tasktrack
