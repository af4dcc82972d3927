// Command templates (issue 13) through the real binary: --command with --args, ::: sets and
// --array run real shell commands, with no mpirun and under mpirun with 3 ranks (one CTest
// entry each); what the commands receive is compared byte for byte.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
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

class Templates : public testing::ScratchRunTest {
 protected:
  Templates()
      : ScratchRunTest("tasktrack-templates", testing::RunFrom::scratch_folder,
                       testing::SummaryFlags::before_args) {}

  static std::vector<std::string> sorted_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    std::sort(lines.begin(), lines.end());
    return lines;
  }
};

// The arguments an --args file can hold (one a line): each reaches printf as one argument.
const std::vector<std::string> tricky_lines = {
    "two words",
    "it's \"both\" quotes",
    "$HOME and ${HOME}",
    "`echo injected` $(echo injected)",
    "a; echo injected",
    "back\\slash \\n",
    "\xC3\xBCnic\xC3\xB8"
    "de \xE2\x9C\x93",
    "-n",
    "*",
    "  padded  ",
};

TEST_F(Templates, ArgumentsFromAFileReachTheCommandUnchanged) {
  std::string args;
  for (const std::string& line : tricky_lines) args += line + "\n";
  write("args.txt", args + "\n");  // a blank line: skipped
  const Run r = run({"--command", "printf '%s\\n' {} >> out.txt", "--args", "args.txt"});
  ASSERT_FALSE(r.process.timed_out);
  ASSERT_EQ(r.process.exit_code, 0) << r.process.err;
  EXPECT_EQ(r.summary["subtasks"]["done"], tricky_lines.size());
  std::vector<std::string> expected = tricky_lines;
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(sorted_lines(read(path("out.txt"))), expected);
  // The default output folder sits beside the arguments file.
  EXPECT_TRUE(fs::is_directory(path("args.txt.output")));
}

TEST_F(Templates, SetValuesWithNewlinesArriveByteForByte) {
  const Run r = run({"--command", "printf '<%s>' {} > out-{#}.txt", "--output", "none",
                     ":::", "line one\nline two", "", "'\\''", ":::", "tab\there"});
  ASSERT_EQ(r.process.exit_code, 0) << r.process.err;
  EXPECT_EQ(read(path("out-1.txt")), "<line one\nline two><tab\there>");
  EXPECT_EQ(read(path("out-2.txt")), "<><tab\there>");
  EXPECT_EQ(read(path("out-3.txt")), "<'\\''><tab\there>");
}

TEST_F(Templates, SetsGiveTheCartesianProductInGnuParallelsOrder) {
  const Run r = run({"--command", "echo {1} {2} > task-{#}.txt", "--output", "none", ":::", "0.1",
                     "0.2", "0.5", ":::", "1", "2", "3"});
  ASSERT_EQ(r.process.exit_code, 0) << r.process.err;
  EXPECT_EQ(r.summary["subtasks"]["total"], 9);
  const std::vector<std::string> expected = {"0.1 1", "0.1 2", "0.1 3", "0.2 1", "0.2 2",
                                             "0.2 3", "0.5 1", "0.5 2", "0.5 3"};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(read(path("task-" + std::to_string(i + 1) + ".txt")), expected[i] + "\n") << i;
  }
}

TEST_F(Templates, AnArrayWithAStep) {
  fs::create_directories(path("made"));
  const Run r = run({"--array", "0:10:3", "--command", "touch made/{}", "--output", "none"});
  ASSERT_EQ(r.process.exit_code, 0) << r.process.err;
  std::vector<std::string> made;
  for (const auto& entry : fs::directory_iterator(path("made"))) {
    made.push_back(entry.path().filename().string());
  }
  std::sort(made.begin(), made.end());
  EXPECT_EQ(made, (std::vector<std::string>{"0", "3", "6", "9"}));
  // No --args and no --journal: the output goes to ./tasktrack-output.
  EXPECT_FALSE(fs::exists(path("tasktrack-output")));  // --output none keeps nothing
}

TEST_F(Templates, MoreArgumentsResumeTheSameJobAndRunOnlyTheNewOnes) {
  write("args.txt", "a\nb\n");
  const std::vector<std::string> args = {"--command", "echo {} >> ran.txt", "--args",
                                         "args.txt",  "--journal",          "run.journal"};
  Run r = run(args);
  ASSERT_EQ(r.process.exit_code, 0) << r.process.err;
  EXPECT_EQ(r.summary["subtasks"]["resumed"], 0);
  write("args.txt", "a\nb\nc\nd\n");
  r = run(args);
  ASSERT_EQ(r.process.exit_code, 0) << r.process.err;
  EXPECT_EQ(r.summary["subtasks"]["resumed"], 2);
  EXPECT_EQ(r.summary["subtasks"]["done"], 4);
  EXPECT_EQ(sorted_lines(read(path("ran.txt"))), (std::vector<std::string>{"a", "b", "c", "d"}));
  // status reads the journal of a generated list without a task file to read.
  const auto status =
      testing::run_process({TASKTRACK_BINARY, "status", "--json", path("run.journal")}, 60);
  EXPECT_EQ(status.exit_code, 0) << status.err;
  const json parsed = json::parse(status.out, nullptr, false);
  EXPECT_EQ(parsed["done"], 4) << status.out;
  EXPECT_EQ(parsed["job"]["task_file"], "template:echo {} >> ran.txt") << status.out;
}

TEST_F(Templates, BadInputIsOneLineAndExitCode2) {
  write("args.txt", "a\n");
  write("tasks.txt", "true\n");
  const std::vector<std::vector<std::string>> bad = {
      {"--command", "echo {}"},
      {"--args", "args.txt"},
      {"--command", "x", "--task-file", "tasks.txt"},
      {"--command", "x", "--args", "args.txt", "--array", "0:3"},
      {"--command", "x {", "--args", "args.txt"},
      {"--command", "x {0}", "--array", "0:3"},
      {"--command", "x {2}", "--args", "args.txt"},
      {"--command", "x", "--array", "0:10:0"},
      {"--command", "x", "--args", "missing.txt"},
      {"--command", "x", ":::"},
  };
  for (const auto& args : bad) {
    std::string joined;
    for (const auto& arg : args) joined += " " + arg;
    SCOPED_TRACE("args:" + joined);
    const Run r = run(args);
    EXPECT_EQ(r.process.exit_code, 2) << r.process.err;
    const auto lines = testing::non_empty_lines(r.process.err);
    ASSERT_EQ(lines.size(), 1u) << r.process.err;
    EXPECT_EQ(lines[0].rfind("tasktrack: error: ", 0), 0u) << lines[0];
  }
}

}  // namespace
}  // namespace tasktrack
