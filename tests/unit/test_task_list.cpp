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

void expect_line(const TaskLine& line, std::uint32_t number, const std::string& text,
                 const Resources& requirement, const std::string& directive = "") {
  SCOPED_TRACE(text);
  EXPECT_EQ(line.line_number, number);
  EXPECT_EQ(line.text, text);
  EXPECT_EQ(line.requirement, requirement) << describe(line.requirement);
  EXPECT_EQ(line.directive, directive);
}

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
  expect_line(lines[0], 1, "echo a", flags);
  expect_line(lines[1], 4, "echo b", flags);
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
  expect_line(lines[0], 1, "echo first", flags);
  const std::string big = "cores=8 gpus=1 mem=17179869184";
  expect_line(lines[1], 3, "python train.py --fold 1", {8, 1, 16 * gib}, big);
  expect_line(lines[2], 5, "python train.py --fold 2", {8, 1, 16 * gib}, big);
  // Not 8 cores and 16G from the directive before: the flags' 2 cores and no memory.
  expect_line(lines[3], 7, "python big.py", {2, 2, 0}, "gpus=2");
  // A kernel line takes its requirement as a command does.
  expect_line(lines[4], 9, "@primes 0:100", {2, 0, 2 * gib}, "mem=2147483648");
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
  expect_line(lines[0], 4, "echo a", {});
  expect_line(lines[1], 6, "echo b", {3, 0, 0}, "cores=3");
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

TEST(TaskLineKey, ALineNoDirectiveCoversKeepsTheOldTextHash) {
  // Journals from before directives hold FNV-1a 64 of the text: they must still resume,
  // whatever --cores-per-task, --gpus-per-task or --mem-per-task they ran with.
  EXPECT_EQ(task_line_key(TaskLine{1, "echo a", {}}), fnv1a64("echo a"));
  EXPECT_EQ(task_line_key(TaskLine{7, "echo a", {1, 0, 0}}), 0xbc16c3245f1664b7ULL);
  EXPECT_EQ(task_line_key(TaskLine{7, "echo a", {4, 2, 8 * gib}}), 0xbc16c3245f1664b7ULL);
  EXPECT_EQ(task_line_key(TaskLine{1, "", {}}), fnv1a64(""));
}

TEST_F(TaskFile, ADirectiveIsPartOfItsLinesKeyAndTheFlagsAreNot) {
  const auto key_of_last_line = [this](const std::string& content, const Resources& flags = {}) {
    return task_line_key(read_task_file(write(content), flags).back());
  };
  const std::uint64_t plain = key_of_last_line("python train.py\n");
  EXPECT_EQ(plain, fnv1a64("python train.py"));
  EXPECT_EQ(key_of_last_line("python train.py\n", {8, 1, gib}), plain);

  const std::uint64_t one_gpu = key_of_last_line("#TASKTRACK cores=8 gpus=1\npython train.py\n");
  EXPECT_NE(one_gpu, plain);
  // Editing gpus= makes the lines under it new work.
  EXPECT_NE(key_of_last_line("#TASKTRACK cores=8 gpus=2\npython train.py\n"), one_gpu);
  EXPECT_NE(key_of_last_line("#TASKTRACK cores=8\npython train.py\n"), one_gpu);
  // The same directive written otherwise, or elsewhere, is the same work; so are new flags.
  EXPECT_EQ(key_of_last_line("echo first\n#TASKTRACK  gpus=1\tcores=8\n\npython train.py\n"),
            one_gpu);
  EXPECT_EQ(key_of_last_line("#TASKTRACK cores=8 gpus=1\npython train.py\n", {2, 0, gib}), one_gpu);
  const std::uint64_t sixteen_gib = key_of_last_line("#TASKTRACK mem=16G\nx\n");
  EXPECT_EQ(key_of_last_line("#TASKTRACK mem=16384M\nx\n"), sixteen_gib);
  EXPECT_NE(key_of_last_line("#TASKTRACK mem=16385M\nx\n"), sixteen_gib);
  // A bare #TASKTRACK goes back to the flags: the text's own key again.
  EXPECT_EQ(key_of_last_line("#TASKTRACK gpus=1\nx\n#TASKTRACK\npython train.py\n"), plain);
}

}  // namespace
}  // namespace tasktrack
