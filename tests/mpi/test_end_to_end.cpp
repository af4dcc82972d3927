// End to end: the real tasktrack binary under real mpirun (or none), every kernel and
// schedule, checked against a reference computed here by running the same kernel directly,
// subtask by subtask, without the engine. One CTest entry per process count.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "run_process.hpp"
#include "tasktrack/kernel.hpp"

namespace tasktrack {
namespace {

using nlohmann::json;
using testing::run_process;

int processes = 0;  // 0: no mpirun, the plain one-process run; set by main from --np=N

struct Job {
  std::string kernel;
  Range range;
  std::uint32_t subtasks;
  std::map<std::string, std::string> params;
};

std::filesystem::path scratch_dir() {
  auto dir = std::filesystem::temp_directory_path() /
             ("tasktrack-e2e-np" + std::to_string(processes) + "-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir;
}

// The job's result computed without the engine: every subtask in id order on this thread.
json reference_result(const Job& job) {
  const KernelInfo* info = kernel_registry().find(job.kernel);
  const auto kernel = info->make(KernelRegistry::validate(*info, job.params));
  const Partition partition(job.range, job.subtasks);
  const auto reduction = kernel->make_reduction(partition);
  for (SubtaskId id = 0; id < partition.count(); ++id) {
    const SubtaskResult result =
        kernel->run(SubtaskContext{id, partition.subtask(id), 0, {}, {}, {}});
    reduction->add(id, partition.subtask(id), result.value, result.payload);
  }
  json result = reduction->finish();
  result.erase("image");  // the path differs; the checksum says whether the pixels agree
  return result;
}

struct JobRun {
  testing::ProcessResult process;
  json summary;
};

JobRun run_job(const Job& job, const std::vector<std::string>& extra) {
  const auto summary_path = scratch_dir() / ("summary-" + std::to_string(std::rand()) + ".json");
  std::vector<std::string> argv;
  if (processes > 0) argv = testing::mpirun_prefix(processes);
  argv.insert(argv.end(),
              {TASKTRACK_BINARY, "run", "--kernel", job.kernel, "--range",
               std::to_string(job.range.lo) + ":" + std::to_string(job.range.hi), "--subtasks",
               std::to_string(job.subtasks), "--summary-json", summary_path.string(), "--quiet"});
  for (const auto& [name, value] : job.params) {
    argv.insert(argv.end(), {"--param", name + "=" + value});
  }
  argv.insert(argv.end(), extra.begin(), extra.end());
  JobRun run{run_process(argv, 90), {}};
  std::ifstream in(summary_path);
  if (in) run.summary = json::parse(in, nullptr, false);
  return run;
}

void expect_summary_adds_up(const JobRun& run, const Job& job) {
  ASSERT_FALSE(run.process.timed_out);
  ASSERT_EQ(run.process.exit_code, 0) << run.process.err;
  ASSERT_TRUE(run.summary.is_object()) << run.process.out << run.process.err;
  const json& s = run.summary;
  EXPECT_EQ(s.at("status"), "completed");
  EXPECT_EQ(s.at("exit_code"), 0);
  EXPECT_EQ(s.at("subtasks").at("total"), job.subtasks);
  EXPECT_EQ(s.at("subtasks").at("done"), job.subtasks);
  EXPECT_EQ(s.at("subtasks").at("failed"), 0);
  const int expected_ranks = processes > 0 ? processes : 1;
  EXPECT_EQ(s.at("ranks"), expected_ranks);
  EXPECT_EQ(s.at("workers"), expected_ranks > 1 ? expected_ranks - 1 : 1);
  std::uint64_t per_rank_done = 0;
  for (const json& rank : s.at("per_rank")) {
    per_rank_done += rank.at("done").get<std::uint64_t>();
    EXPECT_GE(rank.at("threads").get<int>(), 1);
    EXPECT_FALSE(rank.at("host").get<std::string>().empty());
  }
  EXPECT_EQ(per_rank_done, job.subtasks);
  EXPECT_EQ(s.at("per_rank").size(), s.at("workers").get<std::size_t>());
  EXPECT_EQ(s.at("requirements"), json::array()) << "a range job's subtasks need one core each";
  // Rank 0 (or the coordinating thread) did some work, and was measured.
  EXPECT_GT(s.at("coordinator_cpu_seconds").get<double>(), 0.0);
  EXPECT_EQ(s.at("job").at("kernel"), job.kernel);
}

std::vector<Job> jobs() {
  const std::string image = (scratch_dir() / "mandelbrot.png").string();
  return {
      {"primes", {0, 100000}, 97, {}},
      {"pi", {0, 2000000}, 64, {{"seed", "7"}}},
      {"mandelbrot",
       {0, 120},
       40,
       {{"width", "160"}, {"height", "120"}, {"max_iter", "200"}, {"output", image}}},
      {"sleep", {0, 60}, 30, {{"distribution", "exponential"}, {"mean", "0.002"}}},
      {"noop", {0, 100000}, 1000, {}},
  };
}

class EveryKernelAndSchedule : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryKernelAndSchedule, ResultMatchesTheReferenceAndSummaryAddsUp) {
  for (const Job& job : jobs()) {
    SCOPED_TRACE(job.kernel + " schedule " + GetParam());
    const JobRun run = run_job(job, {"--schedule", GetParam()});
    expect_summary_adds_up(run, job);
    if (!run.summary.is_object()) continue;
    json result = run.summary.at("result");
    result.erase("image");
    EXPECT_EQ(result, reference_result(job));
    EXPECT_EQ(run.summary.at("job").at("schedule"), GetParam());
  }
}

INSTANTIATE_TEST_SUITE_P(Schedules, EveryKernelAndSchedule,
                         ::testing::Values("static", "dynamic", "guided"));

TEST(EndToEnd, PrimesBelowOneHundredThousandIs9592InTheTextSummary) {
  const Job job{"primes", {0, 100000}, 50, {}};
  const JobRun run = run_job(job, {});
  expect_summary_adds_up(run, job);
  EXPECT_EQ(run.summary.at("result").at("primes"), 9592);
  EXPECT_NE(run.process.out.find("primes: 9592"), std::string::npos) << run.process.out;
}

TEST(EndToEnd, PrimesAndPiDoNotDependOnTheNumberOfSubtasks) {
  for (const std::string kernel : {"primes", "pi"}) {
    json first;
    for (std::uint32_t subtasks : {1u, 7u, 250u}) {
      SCOPED_TRACE(kernel + " in " + std::to_string(subtasks) + " subtasks");
      const Job job{kernel, {1000, 301000}, subtasks, {}};
      const JobRun run = run_job(job, {"--schedule", "dynamic", "--chunk", "3"});
      expect_summary_adds_up(run, job);
      if (first.is_null()) first = run.summary.at("result");
      EXPECT_EQ(run.summary.at("result"), first);
    }
  }
}

TEST(EndToEnd, ExplicitThreadsAreUsedByEveryWorker) {
  const Job job{"noop", {0, 5000}, 500, {}};
  const JobRun run = run_job(job, {"--threads", "3"});
  expect_summary_adds_up(run, job);
  EXPECT_EQ(run.summary.at("threads_per_worker"), 3);
  for (const json& rank : run.summary.at("per_rank")) EXPECT_EQ(rank.at("threads"), 3);
}

TEST(EndToEnd, ManySmallSubtasksAreEachAccountedOnce) {
  const Job job{"noop", {0, 2000000}, 200000, {}};
  const JobRun run = run_job(job, {"--schedule", "dynamic", "--chunk", "100"});
  expect_summary_adds_up(run, job);
  EXPECT_EQ(run.summary.at("result").at("elements"), 2000000);
  EXPECT_EQ(run.summary.at("subtasks").at("duplicates"), 0);
}

TEST(EndToEnd, AKernelThatThrowsFailsItsSubtasksNotItsRank) {
  // Rows 60..79 lie outside a 60-row image: the mandelbrot kernel throws for those subtasks
  // on every attempt. The others complete; the job ends with exit code 1.
  const std::string image = (scratch_dir() / "partial.png").string();
  const Job job{"mandelbrot",
                {0, 80},
                20,
                {{"width", "40"}, {"height", "60"}, {"max_iter", "50"}, {"output", image}}};
  const JobRun run = run_job(job, {"--retries", "1"});
  ASSERT_FALSE(run.process.timed_out);
  EXPECT_EQ(run.process.exit_code, 1) << run.process.err;
  ASSERT_TRUE(run.summary.is_object()) << run.process.out << run.process.err;
  const json& s = run.summary;
  EXPECT_EQ(s.at("status"), "completed_with_failures");
  EXPECT_EQ(s.at("exit_code"), 1);
  EXPECT_EQ(s.at("subtasks").at("done"), 15);
  EXPECT_EQ(s.at("subtasks").at("failed"), 5);
  EXPECT_EQ(s.at("subtasks").at("retried"), 5);
  ASSERT_EQ(s.at("failures").size(), 5u);
  SubtaskId expected_id = 15;
  for (const json& failure : s.at("failures")) {
    EXPECT_EQ(failure.at("subtask"), expected_id++);
    EXPECT_EQ(failure.at("attempts"), 2);
    EXPECT_EQ(failure.at("reason"), "exception");
    EXPECT_NE(failure.at("detail").get<std::string>().find("height"), std::string::npos)
        << failure.at("detail");
  }
  EXPECT_EQ(s.at("result").at("rows"), 60);
  EXPECT_NE(run.process.out.find("failed for good"), std::string::npos) << run.process.out;
}

TEST(EndToEnd, TheTraceParsesAndHoldsExactlyOneSlicePerAttempt) {
  // 15 subtasks succeed at once; 5 fail twice (--retries 1): 25 attempts in all.
  const std::string trace = (scratch_dir() / "trace.json").string();
  const Job job{"mandelbrot",
                {0, 80},
                20,
                {{"width", "40"},
                 {"height", "60"},
                 {"max_iter", "50"},
                 {"output", (scratch_dir() / "t.png").string()}}};
  const JobRun run = run_job(job, {"--retries", "1", "--trace", trace});
  ASSERT_EQ(run.process.exit_code, 1) << run.process.err;
  std::ifstream in(trace);
  const json events = json::parse(in, nullptr, false);
  ASSERT_TRUE(events.is_object()) << "trace does not parse";
  std::map<SubtaskId, int> slices;
  std::set<std::pair<int, int>> tracks;
  int dispatches = 0;
  for (const json& event : events.at("traceEvents")) {
    if (event.at("ph") == "X") {
      ++slices[event.at("args").at("subtask").get<SubtaskId>()];
      tracks.insert({event.at("pid").get<int>(), event.at("tid").get<int>()});
      EXPECT_EQ(event.at("name"), std::to_string(event.at("args").at("subtask").get<int>()));
    }
    if (event.value("cat", "") == "dispatch") ++dispatches;
  }
  ASSERT_EQ(slices.size(), 20u);
  int total = 0;
  for (const auto& [id, count] : slices) {
    EXPECT_EQ(count, id >= 15 ? 2 : 1) << "subtask " << id;
    total += count;
  }
  EXPECT_EQ(total, 25);
  EXPECT_GE(dispatches, 1);
  for (const auto& [pid, tid] : tracks) EXPECT_EQ(pid >= 1, processes > 1) << pid;
}

TEST(EndToEnd, ASubtaskLongerThanTheWorkerTimeoutDoesNotLoseItsWorker) {
  // The worker sends heartbeats while it computes, in one process as under mpirun (a
  // one-process run used to declare its own pool lost after --worker-timeout).
  const Job job{"sleep", {0, 1}, 1, {{"mean", "2.5"}}};
  const JobRun run = run_job(job, {"--worker-timeout", "1s", "--heartbeat", "0.2s"});
  expect_summary_adds_up(run, job);
  EXPECT_EQ(run.process.err.find("lost"), std::string::npos) << run.process.err;
  EXPECT_EQ(run.summary.at("subtasks").at("reassigned"), 0);
}

TEST(EndToEnd, ProgressLinesGoToStderrWhenItIsNotATerminal) {
  const Job job{"sleep", {0, 40}, 40, {{"mean", "0.02"}}};
  std::vector<std::string> argv;
  if (processes > 0) argv = testing::mpirun_prefix(processes);
  argv.insert(argv.end(),
              {TASKTRACK_BINARY, "run", "--kernel", "sleep", "--range", "0:40", "--subtasks", "40",
               "--param", "mean=0.02", "--threads", "1", "--progress-interval", "0.1s"});
  const auto result = run_process(argv, 90);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  std::size_t progress_lines = 0;
  for (const std::string& line : testing::non_empty_lines(result.err)) {
    if (line.rfind("tasktrack: progress ", 0) == 0) ++progress_lines;
  }
  EXPECT_GE(progress_lines, 1u) << result.err;
  EXPECT_NE(result.out.find("sleep: 0.8 s slept by 40 subtasks"), std::string::npos) << result.out;
}

}  // namespace
}  // namespace tasktrack

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  tasktrack::processes = tasktrack::testing::prepare_mpi_test(argc, argv);
  return RUN_ALL_TESTS();
}
