// Reading a task file (commands/task_list.hpp): its commands, the requirement each takes
// from the flags and the #TASKTRACK directives above it, and a line's key in the journal.
#include "commands/task_list.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>  // mkdtemp

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

#include "core/fnv1a.hpp"
#include "tasktrack/error.hpp"

namespace tasktrack {
namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t gib = 1024ULL * 1024 * 1024;

class TaskFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "tasktrack_task_list_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    directory_ = pattern;
  }
  void TearDown() override { fs::remove_all(directory_); }

  std::string write(const std::string& content) {
    const fs::path path = directory_ / "tasks.txt";
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  }

  void expect_refused(const std::string& content, std::initializer_list<std::string> parts) {
    SCOPED_TRACE(content);
    const std::string path = write(content);
    try {
      read_task_file(path, {});
      ADD_FAILURE() << "no UsageError";
    } catch (const UsageError& error) {
      const std::string message = error.what();
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
      EXPECT_EQ(message.rfind("task file '" + path + "', line ", 0), 0u) << message;
      for (const auto& part : parts) {
        EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' not in: " << message;
      }
    }
  }

  fs::path directory_;
};

TEST_F(TaskFile, LinesWithoutDirectivesTakeTheFlags) {
  const Resources flags{2, 1, 4 * gib};
  const auto lines = read_task_file(write("echo a\n# a comment\n\necho b\n"), flags);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], (TaskLine{1, "echo a", flags}));
  EXPECT_EQ(lines[1], (TaskLine{4, "echo b", flags}));
  // Without flags: 1 core, no GPU, no memory.
  EXPECT_EQ(read_task_file(write("true\n")).front().requirement, Resources{});
}

TEST_F(TaskFile, ADirectiveSetsTheLinesUntilTheNextAndLeavesOutWhatTheFlagsSay) {
  const Resources flags{2, 0, 0};
  const auto lines = read_task_file(write("echo first\n"
                                          "#TASKTRACK cores=8 gpus=1 mem=16G\n"
                                          "python train.py --fold 1\n"
                                          "# a comment keeps the directive\n"
                                          "python train.py --fold 2\n"
                                          "#TASKTRACK gpus=2\n"
                                          "python big.py\n"
                                          "#TASKTRACK mem=2G\n"
                                          "@primes 0:100\n"),
                                    flags);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0], (TaskLine{1, "echo first", flags}));
  EXPECT_EQ(lines[1], (TaskLine{3, "python train.py --fold 1", {8, 1, 16 * gib}}));
  EXPECT_EQ(lines[2], (TaskLine{5, "python train.py --fold 2", {8, 1, 16 * gib}}));
  // Not 8 cores and 16G from the directive before: the flags' 2 cores and no memory.
  EXPECT_EQ(lines[3], (TaskLine{7, "python big.py", {2, 2, 0}}));
  // A kernel line takes its requirement as a command does.
  EXPECT_EQ(lines[4], (TaskLine{9, "@primes 0:100", {2, 0, 2 * gib}}));
}

TEST_F(TaskFile, OtherHashLinesStayComments) {
  const auto lines =
      read_task_file(write("#TASKTRACKx cores=0\n"
                           "# TASKTRACK nonsense\n"
                           "#tasktrack cores=8\n"
                           "echo a\n"
                           "  #TASKTRACK cores=3\r\n"
                           "echo b\r\n"));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], (TaskLine{4, "echo a", {}}));
  EXPECT_EQ(lines[1], (TaskLine{6, "echo b", {3, 0, 0}}));
}

TEST_F(TaskFile, ADirectiveIsNoCommand) {
  const std::string path = write("#TASKTRACK cores=2\n# and a comment\n");
  try {
    read_task_file(path);
    ADD_FAILURE() << "no UsageError";
  } catch (const UsageError& error) {
    EXPECT_EQ(std::string(error.what()), "task file '" + path + "' holds no command");
  }
}

TEST_F(TaskFile, BadDirectivesNameTheFileAndLine) {
  expect_refused("echo a\n#TASKTRACK cpus=2\necho b\n", {"line 2:", "'cpus=2'", "cores=N"});
  expect_refused("\n\n\n#TASKTRACK cores=0\necho b\n", {"line 4:", "'cores=0'", "at least 1"});
  expect_refused("#TASKTRACK mem=12X\necho b\n", {"line 1:", "'mem=12X'"});
  expect_refused("#TASKTRACK gpus=1 gpus=2\necho b\n", {"line 1:", "given twice"});
}

TEST(TaskLineKey, TheDefaultRequirementKeepsTheOldTextHash) {
  // Journals from before requirements hold FNV-1a 64 of the text: they must still resume.
  EXPECT_EQ(task_line_key(TaskLine{1, "echo a", {}}), fnv1a64("echo a"));
  EXPECT_EQ(task_line_key(TaskLine{7, "echo a", {1, 0, 0}}), 0xbc16c3245f1664b7ULL);
  EXPECT_EQ(task_line_key(TaskLine{1, "", {}}), fnv1a64(""));
}

TEST(TaskLineKey, AnyOtherRequirementMakesTheLineNewWork) {
  const std::uint64_t plain = task_line_key(TaskLine{1, "python train.py", {}});
  const std::vector<Resources> others{{2, 0, 0}, {1, 1, 0}, {1, 0, 1}, {8, 1, 16 * gib}};
  std::vector<std::uint64_t> keys{plain};
  for (const Resources& need : others) {
    const std::uint64_t key = task_line_key(TaskLine{1, "python train.py", need});
    for (const std::uint64_t seen : keys) EXPECT_NE(key, seen) << describe(need);
    keys.push_back(key);
    // The same line and requirement: the same key, wherever the line is.
    EXPECT_EQ(key, task_line_key(TaskLine{40, "python train.py", need}));
  }
  // Editing gpus= in the directive above a line changes its key.
  EXPECT_NE(task_line_key(TaskLine{3, "x", {8, 1, 16 * gib}}),
            task_line_key(TaskLine{3, "x", {8, 2, 16 * gib}}));
}

}  // namespace
}  // namespace tasktrack
