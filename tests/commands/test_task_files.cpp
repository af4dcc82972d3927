// Task files through the real binary: real shell commands as real processes, with no
// mpirun and under mpirun with 3 ranks (one CTest entry each).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "run_process.hpp"
#include "scratch_run_test.hpp"

namespace tasktrack {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

using testing::processes;  // set by main from --np=N

class TaskFiles : public testing::ScratchRunTest {
 protected:
  TaskFiles() : ScratchRunTest("tasktrack-tasks") {}
};

TEST_F(TaskFiles, SuccessesFailuresAndSignalsAreReportedWithTheirLineNumbers) {
  const std::string tasks = write("tasks.txt",
                                  "# a comment, then a blank line\n"
                                  "\n"
                                  "true\n"
                                  "exit 3\n"
                                  "kill -SEGV $$\n"
                                  "echo fine\n");
  const Run r = run({"--task-file", tasks, "--retries", "0", "--output-dir", path("out")});
  ASSERT_FALSE(r.process.timed_out);
  EXPECT_EQ(r.process.exit_code, 1) << r.process.err;
  ASSERT_TRUE(r.summary.is_object()) << r.process.out << r.process.err;
  EXPECT_EQ(r.summary["subtasks"]["total"], 4);
  EXPECT_EQ(r.summary["subtasks"]["done"], 2);
  EXPECT_EQ(r.summary["subtasks"]["failed"], 2);
  EXPECT_EQ(r.summary["result"]["commands_succeeded"], 2);
  const json& failures = r.summary["failures"];
  ASSERT_EQ(failures.size(), 2u);
  EXPECT_EQ(failures[0]["subtask"], 1);
  EXPECT_EQ(failures[0]["reason"], "exit_code");
  EXPECT_NE(failures[0]["detail"].get<std::string>().find("line 4: exit code 3"), std::string::npos)
      << failures[0]["detail"];
  EXPECT_EQ(failures[1]["reason"], "signal");
  EXPECT_NE(failures[1]["detail"].get<std::string>().find("line 5"), std::string::npos);
  EXPECT_NE(failures[1]["detail"].get<std::string>().find("SIGSEGV"), std::string::npos);
}

TEST_F(TaskFiles, OutputFilesHoldEachAttemptsStdoutAndStderrAndTheEnvironment) {
  const std::string tasks =
      write("tasks.txt",
            "echo \"subtask=$TASKTRACK_SUBTASK attempt=$TASKTRACK_ATTEMPT omp=$OMP_NUM_THREADS\"\n"
            "echo to-stderr >&2; echo job=$TASKTRACK_JOB rank-set=${TASKTRACK_RANK:+yes}\n");
  const Run r = run({"--task-file", tasks, "--output-dir", path("out"), "--output", "files"});
  ASSERT_EQ(r.process.exit_code, 0) << r.process.err;
  EXPECT_EQ(read(path("out/subtask-000000.attempt-0.out")), "subtask=0 attempt=0 omp=1\n");
  EXPECT_EQ(read(path("out/subtask-000001.attempt-0.err")), "to-stderr\n");
  const std::string second = read(path("out/subtask-000001.attempt-0.out"));
  EXPECT_EQ(second.rfind("job=", 0), 0u) << second;
  EXPECT_NE(second.find("rank-set=yes"), std::string::npos) << second;
  EXPECT_EQ(fs::status(path("out/subtask-000000.attempt-0.out")).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                fs::perms::others_read);
}

TEST_F(TaskFiles, FailureRecordsCarryTheTailOfStderr) {
  const std::string tasks =
      write("tasks.txt", "for i in $(seq 1 400); do echo line-$i >&2; done; exit 2\n");
  const Run r = run({"--task-file", tasks, "--retries", "0", "--output-dir", path("out")});
  ASSERT_EQ(r.process.exit_code, 1) << r.process.err;
  const std::string detail = r.summary["failures"][0]["detail"];
  EXPECT_NE(detail.find("line-400"), std::string::npos);
  EXPECT_EQ(detail.find("line-1\n"), std::string::npos);  // only the last KiB
}

TEST_F(TaskFiles, ATimeoutKillsTheWholeProcessGroup) {
  const std::string marker = "tasktrack-orphan-check-" + std::to_string(::getpid());
  const std::string tasks = write("tasks.txt", "sleep 100 & sleep 100; : " + marker + "\ntrue\n");
  const Run r =
      run({"--task-file", tasks, "--timeout", "1s", "--retries", "0", "--output-dir", path("o")});
  ASSERT_FALSE(r.process.timed_out);
  EXPECT_EQ(r.process.exit_code, 1) << r.process.err;
  ASSERT_TRUE(r.summary.is_object());
  EXPECT_EQ(r.summary["failures"][0]["reason"], "timeout");
  EXPECT_EQ(r.summary["subtasks"]["done"], 1);
  // No process of the group survives: nothing whose command line holds the marker.
  const auto left = testing::run_process({"pgrep", "-f", marker}, 30);
  EXPECT_NE(left.exit_code, 0) << "left behind:\n" << left.out;
}

TEST_F(TaskFiles, QuotesPipesRedirectionsUtf8AndAHugeLineRunAsWritten) {
  const std::string big(100 * 1024, 'x');
  const std::string tasks =
      write("tasks.txt", "printf '%s\\n' \"héllo wörld\" 'single \"quoted\"' | tr a-z A-Z > " +
                             path("pipe.txt") +
                             "\n"
                             "echo " +
                             big + " | wc -c > " + path("big.txt") + "\n");
  const Run r = run({"--task-file", tasks, "--output-dir", path("out")});
  ASSERT_EQ(r.process.exit_code, 0) << r.process.err;
  EXPECT_EQ(read(path("pipe.txt")), "HéLLO WöRLD\nSINGLE \"QUOTED\"\n");
  EXPECT_EQ(read(path("big.txt")), std::to_string(big.size() + 1) + "\n");
}

TEST_F(TaskFiles, FiveThousandTrueLinesAreEachAccountedOnce) {
  std::string text;
  for (int i = 0; i < 5000; ++i) text += "true\n";
  const Run r = run({"--task-file", write("tasks.txt", text), "--output-dir", path("out")});
  ASSERT_EQ(r.process.exit_code, 0) << r.process.err;
  EXPECT_EQ(r.summary["subtasks"]["total"], 5000);
  EXPECT_EQ(r.summary["subtasks"]["done"], 5000);
  EXPECT_EQ(r.summary["subtasks"]["duplicates"], 0);
  EXPECT_EQ(r.summary["result"]["commands_succeeded"], 5000);
  std::uint64_t per_rank = 0;
  for (const json& rank : r.summary["per_rank"]) per_rank += rank["done"].get<std::uint64_t>();
  EXPECT_EQ(per_rank, 5000u);
}

TEST_F(TaskFiles, AppendedAndEditedLinesAreTheOnlyWorkOnResume) {
  const std::string log = path("ran.log");
  std::string text;
  for (int i = 0; i < 10; ++i) text += "echo " + std::to_string(i) + " >> " + log + "\n";
  const std::string tasks = write("tasks.txt", text);
  const std::vector<std::string> args{"--task-file",         tasks,          "--journal",
                                      path("tasks.journal"), "--output-dir", path("out")};
  Run r = run(args);
  ASSERT_EQ(r.process.exit_code, 0) << r.process.err;
  EXPECT_EQ(r.summary["subtasks"]["resumed"], 0);

  // Append two lines and edit one (line 3): only those three run again.
  text += "echo 10 >> " + log + "\necho 11 >> " + log + "\n";
  text.replace(text.find("echo 2 "), 7, "echo 2b ");
  write("tasks.txt", text);
  r = run(args);
  ASSERT_EQ(r.process.exit_code, 0) << r.process.err;
  EXPECT_EQ(r.summary["subtasks"]["total"], 12);
  EXPECT_EQ(r.summary["subtasks"]["resumed"], 9);
  EXPECT_EQ(r.summary["subtasks"]["done"], 12);
  std::istringstream lines(read(log));
  std::multiset<std::string> ran;
  for (std::string line; std::getline(lines, line);) ran.insert(line);
  EXPECT_EQ(ran.count("2"), 1u);
  EXPECT_EQ(ran.count("2b"), 1u);
  EXPECT_EQ(ran.count("10"), 1u);
  EXPECT_EQ(ran.count("11"), 1u);
  for (int i : {0, 1, 3, 9}) EXPECT_EQ(ran.count(std::to_string(i)), 1u) << i;
  EXPECT_NE(r.process.out.find("9 resumed"), std::string::npos) << r.process.out;
}

// A line's identity is its text and the #TASKTRACK directive over it: editing a directive
// makes the lines under it new work on resume; changing the per-task flags does not.
TEST_F(TaskFiles, AnEditedDirectiveMakesItsLinesTheOnlyWorkOnResume) {
  const std::string log = path("ran.log");
  const auto file = [&log](const std::string& directive) {
    return "echo above >> " + log + "\n#TASKTRACK " + directive + "\necho under >> " + log +
           "\necho also-under >> " + log + "\n#TASKTRACK\necho after >> " + log + "\n";
  };
  const std::string tasks = write("tasks.txt", file("cores=1 mem=1M"));
  const std::vector<std::string> args{"--task-file",         tasks,          "--journal",
                                      path("tasks.journal"), "--output-dir", path("out")};
  Run r = run(args);
  ASSERT_EQ(r.process.exit_code, 0) << r.process.err;
  EXPECT_EQ(r.summary["subtasks"]["done"], 4);

  std::vector<std::string> other_flags = args;
  other_flags.insert(other_flags.end(), {"--mem-per-task", "2M", "--gpus-per-task", "0"});
  r = run(other_flags);
  ASSERT_EQ(r.process.exit_code, 0) << r.process.err;
  EXPECT_EQ(r.summary["subtasks"]["resumed"], 4);

  write("tasks.txt", file("cores=1 mem=2M"));
  r = run(args);
  ASSERT_EQ(r.process.exit_code, 0) << r.process.err;
  EXPECT_EQ(r.summary["subtasks"]["resumed"], 2);
  EXPECT_EQ(r.summary["subtasks"]["done"], 4);
  std::istringstream lines(read(log));
  std::multiset<std::string> ran;
  for (std::string line; std::getline(lines, line);) ran.insert(line);
  EXPECT_EQ(ran.count("above"), 1u);
  EXPECT_EQ(ran.count("under"), 2u);
  EXPECT_EQ(ran.count("also-under"), 2u);
  EXPECT_EQ(ran.count("after"), 1u);
}

// The journal belongs to the task file, not to how its path was typed, and options that do
// not change the work may change between runs.
TEST_F(TaskFiles, ResumeIgnoresHowThePathIsSpelledAndOptionsThatKeepTheWork) {
  const std::string log = path("ran.log");
  std::string text;
  for (int i = 0; i < 6; ++i) text += "echo " + std::to_string(i) + " >> " + log + "\n";
  write("exit.tasks", text);
  const std::string journal = path("exit.journal");
  Run r = run({"--task-file", "exit.tasks", "--journal", journal}, dir_.string());
  ASSERT_EQ(r.process.exit_code, 0) << r.process.err;
  EXPECT_EQ(r.summary["subtasks"]["resumed"], 0);

  const std::vector<std::vector<std::string>> respelled = {
      // --threads 2: under mpirun each worker would own 1 core, and a line no worker can
      // hold is bad input (issue 11).
      {"--task-file", "./exit.tasks", "--cores-per-task", "2", "--threads", "2"},
      {"--task-file", path("exit.tasks"), "--timeout", "1m", "--threads", "1"},
      {"--task-file", "../" + dir_.filename().string() + "/exit.tasks", "--output-dir", "o2"},
  };
  for (std::vector<std::string> args : respelled) {
    args.insert(args.end(), {"--journal", journal});
    r = run(args, dir_.string());
    ASSERT_EQ(r.process.exit_code, 0) << args[1] << ": " << r.process.err;
    EXPECT_EQ(r.summary["subtasks"]["resumed"], 6) << args[1];
  }
  std::istringstream lines(read(log));
  std::multiset<std::string> ran;
  for (std::string line; std::getline(lines, line);) ran.insert(line);
  EXPECT_EQ(ran.size(), 6u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(ran.count(std::to_string(i)), 1u) << i;

  // Another file's journal is still refused.
  write("other.tasks", text);
  r = run({"--task-file", "other.tasks", "--journal", journal}, dir_.string());
  EXPECT_EQ(r.process.exit_code, 2);
  EXPECT_NE(r.process.err.find("belongs to another job"), std::string::npos) << r.process.err;
}

// Threads in the job: 2 workers x 1 under mpirun, 2 in one process.
std::vector<std::string> two_threads() {
  return {"--threads", processes > 0 ? "1" : "2"};
}

// --max-failures withdraws what is queued at once: past the failure, only commands already
// running (one per thread at most) start, however much was handed out in advance.
TEST_F(TaskFiles, MaxFailuresWithdrawsQueuedCommandsAtOnce) {
  const std::string started = path("started.log");
  std::string text = "exit 1\n";
  for (int i = 2; i <= 20; ++i) {
    text += "echo $TASKTRACK_SUBTASK >> " + started + "; sleep 0.5\n";
  }
  write("mf.tasks", text);
  std::vector<std::string> args{"--task-file",    path("mf.tasks"),
                                "--output-dir",   path("out"),
                                "--max-failures", "5%",
                                "--retries",      "0"};
  for (const std::string& arg : two_threads()) args.push_back(arg);
  const Run r = run(args);
  ASSERT_EQ(r.process.exit_code, 1) << r.process.err;
  EXPECT_EQ(r.summary["subtasks"]["failed"], 1);
  EXPECT_NE(r.summary["stop_reason"].get<std::string>().find("(--max-failures 1)"),
            std::string::npos)  // 5% of 20
      << r.summary["stop_reason"];
  const std::vector<std::string> ran = testing::non_empty_lines(read(started));
  EXPECT_LE(ran.size(), 2u) << read(started);
  EXPECT_EQ(r.summary["subtasks"]["done"], ran.size());
  EXPECT_EQ(r.summary["subtasks"]["not_run"], 19 - ran.size());
}

// --timeout P%: a command far slower than the median of those that finished is stopped,
// whether it started before the limit was known or after.
TEST_F(TaskFiles, ARelativeTimeoutStopsTheOutlier) {
  std::string text;
  for (int i = 0; i < 6; ++i) text += "sleep 0.2\n";
  text += "sleep 60\n";
  for (int i = 0; i < 6; ++i) text += "sleep 0.2\n";
  write("outlier.tasks", text);
  std::vector<std::string> args{"--task-file",  path("outlier.tasks"),
                                "--output-dir", path("out"),
                                "--timeout",    "300%",
                                "--retries",    "0"};
  for (const std::string& arg : two_threads()) args.push_back(arg);
  const Run r = run(args);
  ASSERT_EQ(r.process.exit_code, 1) << r.process.err;
  EXPECT_EQ(r.summary["subtasks"]["done"], 12);
  EXPECT_EQ(r.summary["subtasks"]["timed_out"], 1);
  ASSERT_EQ(r.summary["failures"].size(), 1u) << r.summary.dump();
  const json& failure = r.summary["failures"][0];
  EXPECT_EQ(failure["subtask"], 6);
  EXPECT_EQ(failure["reason"], "timeout");
  EXPECT_NE(failure["detail"].get<std::string>().find("300% of the median run time"),
            std::string::npos)
      << failure["detail"];
}

TEST_F(TaskFiles, KernelLinesMixWithCommands) {
  const std::string tasks = write("tasks.txt",
                                  "@primes 0:100000\n"
                                  "echo between\n"
                                  "@pi 0:100000 seed=3\n");
  const Run r = run({"--task-file", tasks, "--output-dir", path("out")});
  ASSERT_EQ(r.process.exit_code, 0) << r.process.err;
  const json& lines = r.summary["result"]["kernel_lines"];
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["line"], 1);
  EXPECT_EQ(lines[0]["kernel"], "primes");
  EXPECT_EQ(lines[0]["result"]["primes"], 9592);
  EXPECT_EQ(lines[1]["kernel"], "pi");
  EXPECT_EQ(lines[1]["result"]["samples"], 100000);
  EXPECT_EQ(r.summary["result"]["commands_succeeded"], 1);
}

TEST_F(TaskFiles, BadKernelLinesAreBadInput) {
  const std::string tasks = write("tasks.txt", "true\n@nosuch 0:10\n");
  const Run r = run({"--task-file", tasks});
  EXPECT_EQ(r.process.exit_code, 2);
  const auto lines = testing::non_empty_lines(r.process.err);
  ASSERT_EQ(lines.size(), 1u) << r.process.err;
  EXPECT_NE(lines[0].find("line 2"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("nosuch"), std::string::npos) << lines[0];
}

// Issue 12: without --output-dir the output goes beside the task file, wherever the job
// was started from.
TEST_F(TaskFiles, OutputGoesBesideTheTaskFileByDefault) {
  fs::create_directories(path("data"));
  fs::create_directories(path("elsewhere"));
  const std::string tasks = write("data/tasks.txt", "echo hello\n");
  const Run r = run({"--task-file", "../data/tasks.txt"}, path("elsewhere"));
  ASSERT_EQ(r.process.exit_code, 0) << r.process.err;
  EXPECT_TRUE(fs::is_directory(path("data/tasks.txt.output")));
  EXPECT_TRUE(fs::is_empty(path("elsewhere"))) << "output landed in the current folder";
  bool packed = false;
  for (const auto& entry : fs::directory_iterator(path("data/tasks.txt.output"))) {
    packed = packed || entry.path().extension() == ".pack";
  }
  EXPECT_TRUE(packed) << "--output packed is the default";
}

// Issue 12: a job of any size makes a handful of files. 20,000 commands in one process
// (2,000 under mpirun, where each command also travels between ranks) leave one packed
// file per worker rank at most, and every attempt's `end` frame is in them.
TEST_F(TaskFiles, PackedOutputMakesOneFilePerWorkerRank) {
  const int count = processes == 0 ? 20000 : 2000;
  std::string text;
  for (int i = 0; i < count; ++i) text += "true\n";
  const std::string tasks = write("many.txt", text);
  const Run r = run({"--task-file", tasks, "--output", "packed"});
  ASSERT_EQ(r.process.exit_code, 0) << r.process.err;
  EXPECT_EQ(r.summary["subtasks"]["done"], count);
  std::size_t files = 0;
  std::size_t end_frames = 0;
  for (const auto& entry : fs::directory_iterator(path("many.txt.output"))) {
    ++files;
    const std::string bytes = read(entry.path().string());
    // FileHeader (16 bytes), then frames: a 20-byte header (kind at byte 13, length at 16).
    ASSERT_GE(bytes.size(), 16u);
    ASSERT_EQ(bytes.compare(0, 8, "TTPACK01"), 0) << entry.path();
    std::size_t at = 16;
    while (at + 20 <= bytes.size()) {
      std::uint32_t length = 0;
      std::memcpy(&length, bytes.data() + at + 16, sizeof length);
      if (bytes[at + 13] == 1) ++end_frames;
      at += 20 + length;
    }
    EXPECT_EQ(at, bytes.size()) << entry.path();
  }
  const std::size_t workers = processes <= 1 ? 1 : static_cast<std::size_t>(processes - 1);
  EXPECT_GE(files, 1u);
  EXPECT_LE(files, workers);
  EXPECT_EQ(end_frames, static_cast<std::size_t>(count));
}

TEST_F(TaskFiles, BadOutputSettingsAreBadInput) {
  const std::string tasks = write("tasks.txt", "true\n");
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"--output", "everything"},
        std::vector<std::string>{"--output-limit", "lots"}, std::vector<std::string>{"--tag"}}) {
    std::vector<std::string> args{"--task-file", tasks};
    args.insert(args.end(), bad.begin(), bad.end());
    const Run r = run(args);
    EXPECT_EQ(r.process.exit_code, 2) << bad[0];
    const auto lines = testing::non_empty_lines(r.process.err);
    ASSERT_EQ(lines.size(), 1u) << r.process.err;
    EXPECT_NE(lines[0].find(bad[0]), std::string::npos) << lines[0];
  }
}

}  // namespace
}  // namespace tasktrack
