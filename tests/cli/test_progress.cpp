// Progress as a user sees it, through the real binary under real mpirun: a bar when
// mpirun's stderr is a terminal (a pseudo-terminal made by script(1)), lines in a batch
// job's output file, the first within a second, and nothing when asked for none.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "run_process.hpp"

namespace tasktrack {
namespace {

using testing::run_process;

// 60 subtasks of exactly 50 ms on 2 one-thread workers: at least 1.5 s, so a first line
// due after 1 s must be printed however fast the machine is.
std::vector<std::string> sleep_job(std::vector<std::string> more = {}) {
  std::vector<std::string> argv = testing::mpirun_prefix(3);
  for (const char* arg : {TASKTRACK_BINARY, "run", "--kernel", "sleep", "--range", "0:60",
                          "--param", "mean=0.05", "--threads", "1"}) {
    argv.push_back(arg);
  }
  argv.insert(argv.end(), more.begin(), more.end());
  return argv;
}

std::string shell_quoted(const std::vector<std::string>& argv) {
  std::string text;
  for (const std::string& arg : argv) {
    std::string quoted = "'";
    for (char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    text += (text.empty() ? "" : " ") + quoted + "'";
  }
  return text;
}

TEST(Progress, LinesWhenStderrIsAFileTheFirstWithinASecond) {
  const auto result = run_process(sleep_job(), 120);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("tasktrack: progress "), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find('\r'), std::string::npos) << result.err;
}

TEST(Progress, ABarUnderMpirunOnATerminal) {
  if (::access("/usr/bin/script", X_OK) != 0) GTEST_SKIP() << "script(1) is not installed";
  const auto typescript = std::filesystem::temp_directory_path() /
                          ("tasktrack-progress-" + std::to_string(::getpid()) + ".typescript");
  // script gives mpirun a pseudo-terminal for stdin, stdout and stderr.
  const auto result =
      run_process({"/usr/bin/script", "-qec", shell_quoted(sleep_job()), typescript.string()}, 120);
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  std::ifstream in(typescript, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  std::filesystem::remove(typescript);
  EXPECT_NE(text.str().find("\r[##############################] 100.0% 60/60 done"),
            std::string::npos)
      << text.str();
  EXPECT_EQ(text.str().find("tasktrack: progress "), std::string::npos) << text.str();
}

TEST(Progress, BarOrNoneWhenAsked) {
  auto result = run_process(sleep_job({"--progress", "bar"}), 120);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("\r[##############################] 100.0% 60/60 done"),
            std::string::npos)
      << result.err;
  result = run_process(sleep_job({"--progress", "none"}), 120);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.err, "");
}

}  // namespace
}  // namespace tasktrack
