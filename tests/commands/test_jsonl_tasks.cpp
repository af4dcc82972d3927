// The runner's choices through the real binary (issue 13), with no mpirun and under mpirun
// with 3 ranks: a JSON Lines task file (cmd, argv, cwd, env, name), --shell, a task that is
// an MPI program started as a singleton, and malformed lines refused naming their line.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
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

class JsonLinesTasks : public testing::ScratchRunTest {
 protected:
  JsonLinesTasks() : ScratchRunTest("tasktrack-jsonl") {}
};

TEST_F(JsonLinesTasks, CmdArgvCwdEnvAndNameRun) {
  fs::create_directories(path("work"));
  const std::string tasks =
      write("tasks.jsonl",
            json({{"cmd", "echo \"cmd $GREETING\""}, {"env", {{"GREETING", "hi there"}}}}).dump() +
                "\n\n" +
                json({{"argv", {"printf", "[%s]\n", "a b", "$HOME", "it's"}}, {"name", "quoting"}})
                    .dump() +
                "\n" + json({{"cmd", "pwd -P"}, {"cwd", path("work")}}).dump() + "\n" +
                json({{"argv", {"tasktrack-no-such-program"}}}).dump() + "\n");
  const Run r = run(
      {"--task-file", tasks, "--retries", "0", "--output", "files", "--output-dir", path("out")});
  ASSERT_FALSE(r.process.timed_out);
  EXPECT_EQ(r.process.exit_code, 1) << r.process.err;  // the missing program
  ASSERT_TRUE(r.summary.is_object()) << r.process.out << r.process.err;
  EXPECT_EQ(r.summary["subtasks"]["done"], 3);
  EXPECT_EQ(read(path("out/subtask-000000.attempt-0.out")), "cmd hi there\n");
  EXPECT_EQ(read(path("out/subtask-000001.attempt-0.out")), "[a b]\n[$HOME]\n[it's]\n");
  EXPECT_EQ(read(path("out/subtask-000002.attempt-0.out")),
            fs::canonical(path("work")).string() + "\n");
  ASSERT_EQ(r.summary["failures"].size(), 1u);
  const std::string detail = r.summary["failures"][0]["detail"];
  EXPECT_NE(detail.find("line 5: exit code 127: cannot start 'tasktrack-no-such-program'"),
            std::string::npos)
      << detail;
  EXPECT_EQ(r.summary["failures"][0]["exit_status"], 127);
}

TEST_F(JsonLinesTasks, ANameLabelsItsTaskInTheSummaryAndTheLog) {
  const std::string tasks =
      write("tasks.jsonl", json({{"cmd", "true"}, {"name", "warm-up"}}).dump() + "\n" +
                               json({{"cmd", "exit 4"}, {"name", "lr-0.1"}}).dump() + "\n");
  const std::string journal = path("run.journal");
  const Run r = run({"--task-file", tasks, "--retries", "0", "--journal", journal});
  EXPECT_EQ(r.process.exit_code, 1) << r.process.err;
  ASSERT_EQ(r.summary["failures"].size(), 1u) << r.process.err;
  EXPECT_EQ(r.summary["failures"][0]["name"], "lr-0.1");
  std::map<std::uint64_t, std::string> names;
  for (const json& row : log_rows(journal)) {
    names[row.at("subtask").get<std::uint64_t>()] = row.at("name").get<std::string>();
  }
  EXPECT_EQ(names, (std::map<std::uint64_t, std::string>{{0, "warm-up"}, {1, "lr-0.1"}}));
}

TEST_F(JsonLinesTasks, TaskFormatOptionReadsAnyNameAsJsonLines) {
  const std::string tasks = write("tasks.txt", "{\"cmd\": \"echo from-json\"}\n");
  const Run r = run({"--task-file", tasks, "--task-format", "jsonl", "--output", "files",
                     "--output-dir", path("out")});
  ASSERT_EQ(r.process.exit_code, 0) << r.process.err;
  EXPECT_EQ(read(path("out/subtask-000000.attempt-0.out")), "from-json\n");
}

TEST_F(JsonLinesTasks, ShellRunsPlainLines) {
  const std::string tasks = write("tasks.txt", "[[ 1 == 1 ]] && echo {a,b}\n");
  const Run bash = run({"--task-file", tasks, "--shell", "/bin/bash", "--output", "files",
                        "--output-dir", path("bash")});
  ASSERT_EQ(bash.process.exit_code, 0) << bash.process.err;
  EXPECT_EQ(read(path("bash/subtask-000000.attempt-0.out")), "a b\n");
  // The same line under the default /bin/sh (dash here) is not bash: a different result.
  const Run sh = run(
      {"--task-file", tasks, "--retries", "0", "--output", "files", "--output-dir", path("sh")});
  EXPECT_NE(read(path("sh/subtask-000000.attempt-0.out")), "a b\n") << sh.process.err;
}

// A plain command line runs without the shell (plain_command.hpp) and gives what the shell
// would; naming a shell with --shell sends every line to it. The shell here records each
// line it is given.
TEST_F(JsonLinesTasks, PlainLinesRunWithoutAShellUnlessOneIsNamed) {
  const std::string shell = write("shell", "#!/bin/sh\nprintf '%s\\n' \"$2\" >> '" +
                                               path("shell.log") + "'\nexec /bin/sh \"$@\"\n");
  fs::permissions(shell, fs::perms::owner_all);
  const std::string script = write("script", "echo no shebang \"$1\"\n");
  fs::permissions(script, fs::perms::owner_all);
  const std::string tasks =
      write("tasks.txt", "seq 3\n" + script + " arg\n" + "tasktrack-no-such-program x\n" +
                             "echo $((6 * 7))\n" + "/usr/bin/printf '<%s>' 'a  $b' \"c | d\"\n");
  for (const bool named : {false, true}) {
    const std::string out = path(named ? "named" : "default");
    std::vector<std::string> arguments{"--task-file", tasks,   "--retries",    "0",
                                       "--output",    "files", "--output-dir", out};
    if (named) arguments.insert(arguments.end(), {"--shell", shell});
    const Run r = run(arguments);
    ASSERT_FALSE(r.process.timed_out);
    EXPECT_EQ(r.process.exit_code, 1) << r.process.err;  // the missing program
    ASSERT_TRUE(r.summary.is_object()) << r.process.out << r.process.err;
    EXPECT_EQ(r.summary["subtasks"]["done"], 4);
    EXPECT_EQ(read(out + "/subtask-000000.attempt-0.out"), "1\n2\n3\n");
    EXPECT_EQ(read(out + "/subtask-000001.attempt-0.out"), "no shebang arg\n");
    EXPECT_EQ(read(out + "/subtask-000003.attempt-0.out"), "42\n");
    EXPECT_EQ(read(out + "/subtask-000004.attempt-0.out"), "<a  $b><c | d>");
    // The shell's own message and status, either way.
    EXPECT_NE(
        read(out + "/subtask-000002.attempt-0.err").find("tasktrack-no-such-program: not found"),
        std::string::npos);
    ASSERT_EQ(r.summary["failures"].size(), 1u);
    EXPECT_EQ(r.summary["failures"][0]["exit_status"], 127);
  }
  // Named, the shell got every line, the plain ones too (under np3 in any order). (That the
  // default run started the plain ones without /bin/sh is test_plain_command.cpp's to show:
  // the result is the same by design.)
  const std::string log = read(path("shell.log"));
  std::multiset<std::string> lines;
  std::istringstream text(log);
  for (std::string line; std::getline(text, line);) lines.insert(line);
  EXPECT_EQ(lines, (std::multiset<std::string>{"seq 3", script + " arg",
                                               "tasktrack-no-such-program x", "echo $((6 * 7))",
                                               "/usr/bin/printf '<%s>' 'a  $b' \"c | d\""}))
      << log;
}

TEST_F(JsonLinesTasks, BadShellOrTaskFormatIsBadInput) {
  const std::string tasks = write("tasks.txt", "true\n");
  for (const std::string shell : {"/no/such/shell", "/etc/passwd", "tasktrack-no-such-shell"}) {
    const Run r = run({"--task-file", tasks, "--shell", shell});
    EXPECT_EQ(r.process.exit_code, 2) << shell << ": " << r.process.err;
    EXPECT_NE(r.process.err.find("--shell"), std::string::npos) << r.process.err;
  }
  const Run format = run({"--task-file", tasks, "--task-format", "json"});
  EXPECT_EQ(format.process.exit_code, 2) << format.process.err;
  EXPECT_NE(format.process.err.find("unknown task format 'json'"), std::string::npos)
      << format.process.err;
}

TEST_F(JsonLinesTasks, TaskThatIsAnMpiProgramStartsAsASingleton) {
  const std::string tasks =
      write("tasks.jsonl",
            json({{"argv", {TASKTRACK_MPI_HELLO}}}).dump() + "\n" +
                json({{"cmd", std::string(TASKTRACK_MPI_HELLO) + " && echo again"}}).dump() + "\n");
  const Run r = run(
      {"--task-file", tasks, "--retries", "0", "--output", "files", "--output-dir", path("out")});
  ASSERT_FALSE(r.process.timed_out);
  EXPECT_EQ(r.process.exit_code, 0)
      << r.process.err << read(path("out/subtask-000000.attempt-0.err"));
  EXPECT_EQ(read(path("out/subtask-000000.attempt-0.out")), "hello 0 of 1\n");
  EXPECT_EQ(read(path("out/subtask-000001.attempt-0.out")), "hello 0 of 1\nagain\n");
}

TEST_F(JsonLinesTasks, BackgroundProcessesAreEndedAndCounted) {
  const std::string tasks =
      write("tasks.jsonl", json({{"cmd", "sleep 60 > /dev/null 2>&1 & echo $! > \"$PID_FILE\""},
                                 {"env", {{"PID_FILE", path("pid.txt")}}}})
                                   .dump() +
                               "\n" + json({{"cmd", "true"}}).dump() + "\n");
  const Run r = run({"--task-file", tasks});
  ASSERT_EQ(r.process.exit_code, 0) << r.process.err;
  EXPECT_EQ(r.summary["left_processes"], 1);
  std::string pid = read(path("pid.txt"));
  ASSERT_FALSE(pid.empty());
  pid.pop_back();
  // Gone, or a zombie nobody reaps (a container's init), or the pid reused by another program.
  const std::string stat = read("/proc/" + pid + "/stat");
  EXPECT_TRUE(stat.empty() || stat.find("(sleep) Z") != std::string::npos ||
              stat.find("(sleep)") == std::string::npos)
      << "the background sleep outlived its attempt: " << stat;
}

TEST_F(JsonLinesTasks, MalformedLinesAreBadInputNamingTheLine) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{\"cmd\": \"true\"}\n{\"cmd\": \"true\", \"cpus\": 2}\n", "line 2: unknown key 'cpus'"},
      {"{\"cmd\": \"true\"}\n\n{\"cmd\": \n", "line 3: bad JSON"},
      {"[\"true\"]\n", "line 1: expected a JSON object"},
      {"{\"cmd\": \"true\", \"argv\": [\"true\"]}\n", "line 1: give 'cmd' or 'argv', not both"},
  };
  for (const auto& [content, expected] : cases) {
    const std::string tasks = write("bad.jsonl", content);
    const Run r = run({"--task-file", tasks});
    EXPECT_EQ(r.process.exit_code, 2) << content << r.process.err;
    EXPECT_NE(r.process.err.find("bad.jsonl', " + expected), std::string::npos) << r.process.err;
  }
}

}  // namespace
}  // namespace tasktrack
