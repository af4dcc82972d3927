// Status batches larger than rank 0's posted receive (max_status_message_bytes) and far past
// Open MPI's eager limit, end to end under real mpirun: a worker announces each with a
// BatchFollows, rank 0 posts one receive of that size, and the payloads arrive intact, in
// the reduction and in the journal a resume reads them back from. One CTest entry per
// process count, each with a TIMEOUT.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "run_process.hpp"

namespace tasktrack {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

int processes = 0;  // 0: no mpirun; set by main from --np=N

constexpr std::uint64_t mebibyte = 1 << 20;

fs::path scratch_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const fs::path dir =
      fs::temp_directory_path() / ("tasktrack-oversized-np" + std::to_string(processes) + "-" +
                                   std::to_string(::getpid()) + "-" + info->name());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

struct JobRun {
  testing::ProcessResult process;
  json summary;
};

JobRun run_big_payload(const fs::path& dir, std::uint32_t subtasks, std::uint64_t bytes,
                       const std::vector<std::string>& extra) {
  const std::string summary_path = (dir / "summary.json").string();
  fs::remove(summary_path);
  std::vector<std::string> argv;
  if (processes > 0) argv = testing::mpirun_prefix(processes);
  argv.insert(argv.end(),
              {TASKTRACK_BIG_PAYLOAD_BINARY, "run", "--kernel", "big_payload", "--range",
               "0:" + std::to_string(subtasks), "--subtasks", std::to_string(subtasks), "--param",
               "bytes=" + std::to_string(bytes), "--summary-json", summary_path, "--quiet"});
  argv.insert(argv.end(), extra.begin(), extra.end());
  JobRun run{testing::run_process(argv, 120), {}};
  std::ifstream in(summary_path);
  if (in) run.summary = json::parse(in, nullptr, false);
  return run;
}

void expect_every_payload_intact(const JobRun& run, std::uint32_t subtasks, std::uint64_t bytes) {
  ASSERT_FALSE(run.process.timed_out) << "hung";
  ASSERT_EQ(run.process.exit_code, 0) << run.process.err;
  ASSERT_TRUE(run.summary.is_object()) << run.process.out << run.process.err;
  EXPECT_EQ(run.summary.at("subtasks").at("done"), subtasks);
  const json& result = run.summary.at("result");
  EXPECT_EQ(result.at("subtasks"), subtasks);
  EXPECT_EQ(result.at("intact"), subtasks) << result;
  EXPECT_EQ(result.at("bytes"), subtasks * bytes);
}

TEST(OversizedBatch, PayloadsOfMebibytesArriveIntact) {
  const fs::path dir = scratch_dir();
  // 2 MiB, and 3 MiB + 1 (not a multiple of anything a buffer could round to).
  for (const std::uint64_t bytes : {2 * mebibyte, 3 * mebibyte + 1}) {
    SCOPED_TRACE(std::to_string(bytes) + " bytes per payload");
    const JobRun run = run_big_payload(dir, 8, bytes, {"--threads", "2"});
    expect_every_payload_intact(run, 8, bytes);
  }
}

TEST(OversizedBatch, TheJournalHoldsThemAndAResumeReadsThemBack) {
  const fs::path dir = scratch_dir();
  const std::string journal = (dir / "journal").string();
  const JobRun first = run_big_payload(dir, 6, 2 * mebibyte, {"--journal", journal});
  expect_every_payload_intact(first, 6, 2 * mebibyte);
  ASSERT_TRUE(first.summary.is_object());
  EXPECT_GT(fs::file_size(journal), 6 * 2 * mebibyte);

  const JobRun resumed = run_big_payload(dir, 6, 2 * mebibyte, {"--journal", journal});
  expect_every_payload_intact(resumed, 6, 2 * mebibyte);
  ASSERT_TRUE(resumed.summary.is_object());
  EXPECT_EQ(resumed.summary.at("subtasks").at("resumed"), 6);
  EXPECT_EQ(resumed.summary.at("result").at("checksum"), first.summary.at("result").at("checksum"));
}

}  // namespace
}  // namespace tasktrack

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  tasktrack::processes = tasktrack::testing::prepare_mpi_test(argc, argv);
  return RUN_ALL_TESTS();
}
