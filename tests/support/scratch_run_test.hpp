// Test support: a GoogleTest fixture for end-to-end tests that run the real tasktrack binary
// (under mpirun when the program was given --np=N with N > 0) in a scratch folder of its own.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "run_process.hpp"

namespace tasktrack::testing {

// The process count given as --np=N (0: no mpirun); each test program's main sets it from
// prepare_mpi_test before RUN_ALL_TESTS.
inline int processes = 0;

// Where run() starts tasktrack when the test names no folder.
enum class RunFrom {
  test_program_folder,  // the test program's own working folder
  scratch_folder,       // the test's scratch folder, so relative paths in commands land there
};

// Where run() puts `--summary-json FILE --quiet` among the test's arguments.
enum class SummaryFlags {
  after_args,
  before_args,  // for ::: sets, which take every word after them
};

// Each test gets an empty folder, temp_directory_path()/"<prefix>-<pid>-<test name>", made in
// SetUp and removed in TearDown unless the test failed (left for a look at what went wrong).
class ScratchRunTest : public ::testing::Test {
 protected:
  explicit ScratchRunTest(std::string folder_prefix,
                          RunFrom run_from = RunFrom::test_program_folder,
                          SummaryFlags summary_flags = SummaryFlags::after_args)
      : folder_prefix_(std::move(folder_prefix)),
        run_from_(run_from),
        summary_flags_(summary_flags) {}

  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           (folder_prefix_ + "-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  // `name` inside the scratch folder.
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // Writes `text` (bytes as given) to `name` inside the scratch folder; returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path(name), std::ios::binary) << text;
    return path(name);
  }

  // The whole of `file`, bytes as they are; empty when it cannot be read.
  static std::string read(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

  struct Run {
    ProcessResult process;
    nlohmann::json summary;  // the --summary-json file; null when tasktrack wrote none
  };

  // Runs `tasktrack run ARGS` plus `--summary-json <scratch>/summary.json --quiet` (placed as
  // the fixture's SummaryFlags say), under mpirun when `processes` > 0, from `cwd` when given
  // and else from the folder the fixture's RunFrom names. A summary left by an earlier run is
  // removed first, so the one read back is this run's.
  Run run(const std::vector<std::string>& args, const std::string& cwd = "") const {
    std::vector<std::string> argv;
    const std::string folder = !cwd.empty()                           ? cwd
                               : run_from_ == RunFrom::scratch_folder ? dir_.string()
                                                                      : "";
    if (!folder.empty()) argv = {"/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", folder};
    if (processes > 0) {
      const auto prefix = mpirun_prefix(processes);
      argv.insert(argv.end(), prefix.begin(), prefix.end());
    }
    argv.push_back(TASKTRACK_BINARY);
    argv.push_back("run");
    const std::string summary = path("summary.json");
    std::filesystem::remove(summary);
    const std::vector<std::string> summary_args{"--summary-json", summary, "--quiet"};
    if (summary_flags_ == SummaryFlags::before_args)
      argv.insert(argv.end(), summary_args.begin(), summary_args.end());
    argv.insert(argv.end(), args.begin(), args.end());
    if (summary_flags_ == SummaryFlags::after_args)
      argv.insert(argv.end(), summary_args.begin(), summary_args.end());
    Run result{run_process(argv, 180), {}};
    std::ifstream in(summary);
    if (in) result.summary = nlohmann::json::parse(in, nullptr, false);
    return result;
  }

  // The journal's attempts, one per row, as `tasktrack log --format jsonl` writes them.
  static std::vector<nlohmann::json> log_rows(const std::string& journal) {
    const ProcessResult r =
        run_process({TASKTRACK_BINARY, "log", "--format", "jsonl", journal}, 60);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<nlohmann::json> rows;
    for (const std::string& line : non_empty_lines(r.out))
      rows.push_back(nlohmann::json::parse(line));
    return rows;
  }

  std::filesystem::path dir_;  // the test's scratch folder

 private:
  std::string folder_prefix_;
  RunFrom run_from_;
  SummaryFlags summary_flags_;
};

}  // namespace tasktrack::testing
