// `tasktrack output` through the real binary: the bytes an attempt wrote, exactly, from a
// packed folder made here frame by frame and from the journal of a real run of real commands;
// --attempt, --stderr, --all's order and header lines; errors as one line and exit 2.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "packed_test_writer.hpp"
#include "run_process.hpp"

namespace tasktrack {
namespace {

namespace fs = std::filesystem;
using packed::Stream;
using testing::non_empty_lines;
using testing::PackedTestWriter;
using testing::ProcessResult;
using testing::run_process;

std::string binary_bytes() {
  return std::string("a\0b\0\xff\xfe\r\n\0tail", 14);
}

std::string big_bytes(std::size_t size) {
  std::mt19937 random(12);
  std::string bytes(size, '\0');
  for (char& byte : bytes) byte = static_cast<char>(random() & 0xff);
  return bytes;
}

ProcessResult tasktrack(std::vector<std::string> args) {
  args.insert(args.begin(), TASKTRACK_BINARY);
  return run_process(args, 120);
}

// Exit 2 and exactly one line on stderr that holds `expected`; nothing on stdout.
void expect_usage_error(const ProcessResult& result, const std::string& expected) {
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_EQ(result.out, "");
  const auto lines = non_empty_lines(result.err);
  ASSERT_EQ(lines.size(), 1u) << result.err;
  EXPECT_NE(lines[0].find(expected), std::string::npos) << lines[0];
}

class OutputCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "tasktrack-output-cli-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string dir_;
};

TEST_F(OutputCommandTest, PrintsAnAttemptsBytesExactlyFromAPackedFolder) {
  const std::string output = dir_ + "/out";
  fs::create_directories(output);
  const std::string five_mb = big_bytes(5 * 1000 * 1000);
  {
    PackedTestWriter rank1(packed::packed_file_name(output, 1));
    PackedTestWriter rank2(packed::packed_file_name(output, 2));
    rank1.data(3, 0, Stream::stdout_stream, binary_bytes());
    rank2.data(1, 0, Stream::stdout_stream, five_mb);
    rank1.data(3, 0, Stream::stderr_stream, "three failed\n");
    rank1.end(3, 0);
    rank2.data(0, 0, Stream::stderr_stream, "stderr only");
    rank2.end(1, 0);
    rank2.data(3, 1, Stream::stdout_stream, "three again\n");  // the retry, on rank 2
    rank2.end(3, 1);
    rank2.end(0, 0);
    rank1.end(9, 0);                  // ran, wrote nothing
    rank1.raw(std::string(7, '\0'));  // a torn tail
  }

  ProcessResult result = tasktrack({"output", output, "3"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "three again\n");
  result = tasktrack({"output", output, "3", "--attempt", "0"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, binary_bytes());
  result = tasktrack({"output", output, "3", "--attempt", "0", "--stderr"});
  EXPECT_EQ(result.out, "three failed\n");
  result = tasktrack({"output", output, "1"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(result.out == five_mb) << result.out.size() << " bytes";
  result = tasktrack({"output", output, "0", "--stderr"});
  EXPECT_EQ(result.out, "stderr only");
  result = tasktrack({"output", output, "0"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out, "");
  result = tasktrack({"output", output, "9"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out, "");

  result = tasktrack({"output", output, "--all", "--stderr"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out,
            "==> subtask 0 attempt 0 stderr <==\nstderr only\n"
            "==> subtask 1 attempt 0 stderr <==\n"
            "==> subtask 3 attempt 0 stderr <==\nthree failed\n"
            "==> subtask 3 attempt 1 stderr <==\n"
            "==> subtask 9 attempt 0 stderr <==\n");
  result = tasktrack({"output", output, "--all"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(result.out ==
              "==> subtask 0 attempt 0 stdout <==\n"
              "==> subtask 1 attempt 0 stdout <==\n" +
                  five_mb + "\n==> subtask 3 attempt 0 stdout <==\n" + binary_bytes() +
                  "\n==> subtask 3 attempt 1 stdout <==\nthree again\n"
                  "==> subtask 9 attempt 0 stdout <==\n");
  result = tasktrack({"output", output, "3", "--all"});
  EXPECT_EQ(result.out, "==> subtask 3 attempt 0 stdout <==\n" + binary_bytes() +
                            "\n==> subtask 3 attempt 1 stdout <==\nthree again\n");

  expect_usage_error(tasktrack({"output", output, "7"}),
                     "no output recorded for subtask 7 in '" + output + "'");
  expect_usage_error(tasktrack({"output", output, "3", "--attempt", "2"}),
                     "attempt 2 of subtask 3 not found in '" + output + "'; its attempts: 0, 1");
  expect_usage_error(tasktrack({"output", dir_ + "/nope", "3"}),
                     "no such output folder or journal: '" + dir_ + "/nope'");
  expect_usage_error(tasktrack({"output", output}), "ID is required");
  expect_usage_error(tasktrack({"output", output, "x"}), "'x'");
  expect_usage_error(tasktrack({"output", output, "3", "--attempt", "-1"}), "--attempt");
  expect_usage_error(tasktrack({"output", output, "--all", "--attempt", "1"}), "--attempt");
  expect_usage_error(tasktrack({"output"}), "FOLDER_OR_JOURNAL");
}

TEST_F(OutputCommandTest, ReadsTheFolderAJournalOfARealRunNames) {
  const std::string tasks = dir_ + "/tasks.txt";
  const std::string marker = dir_ + "/failed-once";
  std::ofstream(tasks) << "printf 'a\\000b\\000no newline'\n"
                       << "head -c 5000000 /dev/zero | tr '\\000' x\n"
                       << "if [ -e " << marker << " ]; then echo second; else touch " << marker
                       << "; echo first; echo first-err >&2; exit 3; fi\n"
                       << "echo only-stderr >&2\n"
                       << "true\n";
  const std::string journal = dir_ + "/job.journal";
  const ProcessResult run =
      tasktrack({"run", "--task-file", tasks, "--output-dir", tasks + ".output", "--journal",
                 journal, "--retries", "1", "--threads", "2", "--quiet"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;

  ProcessResult result = tasktrack({"output", journal, "0"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, std::string("a\0b\0no newline", 14));
  result = tasktrack({"output", journal, "1"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(result.out == std::string(5000000, 'x')) << result.out.size() << " bytes";
  result = tasktrack({"output", journal, "2"});  // the latest attempt
  EXPECT_EQ(result.out, "second\n");
  result = tasktrack({"output", journal, "3", "--stderr"});
  EXPECT_EQ(result.out, "only-stderr\n");
  result = tasktrack({"output", journal, "3"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out, "");

  // Both attempts of line 3, in attempt order.
  result = tasktrack({"output", journal, "2", "--all"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const auto lines = non_empty_lines(result.out);
  ASSERT_EQ(lines.size(), 4u) << result.out;
  EXPECT_EQ(lines[0].rfind("==> subtask 2 attempt ", 0), 0u) << lines[0];
  EXPECT_EQ(lines[1], "first");
  EXPECT_EQ(lines[2].rfind("==> subtask 2 attempt ", 0), 0u) << lines[2];
  EXPECT_EQ(lines[3], "second");
  result = tasktrack({"output", journal, "2", "--all", "--stderr"});
  EXPECT_NE(result.out.find(" stderr <==\nfirst-err\n==> subtask 2 attempt "), std::string::npos)
      << result.out;

  // --all orders by subtask: each subtask's headers come after the one before's.
  result = tasktrack({"output", journal, "--all", "--stderr"});
  std::size_t previous = 0;
  for (int subtask = 0; subtask < 5; ++subtask) {
    const std::size_t at = result.out.find("==> subtask " + std::to_string(subtask) + " attempt ");
    ASSERT_NE(at, std::string::npos) << subtask;
    EXPECT_GE(at, previous);
    previous = at;
  }

  expect_usage_error(tasktrack({"output", journal, "5"}), "no output recorded for subtask 5");
  expect_usage_error(tasktrack({"output", tasks, "0"}), tasks);  // a file, but not a journal
}

}  // namespace
}  // namespace tasktrack
