// Fault injection (issue 3): the real tasktrack_fault program (tasktrack plus kernels that
// fail, hang, crash their rank or fail on one node; see fault_kernels.cpp), as one process
// and under real mpirun, with failures injected from inside (kernels) and from outside
// (SIGKILL, SIGSTOP, SIGUSR1, SIGTERM, damaged journals). Each scenario checks the summary's
// numbers where the configuration determines them, and the job's result against an
// uninterrupted run's.
//
// Rules: every wait has a deadline; nothing asserts on a wall-clock duration except "ended
// before a generous deadline"; every test works in its own temporary directory (kept when
// the test fails, for a post-mortem).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cli/command_line.hpp"
#include "journal/journal.hpp"
#include "run_process.hpp"
#include "tasktrack/kernel.hpp"

extern char** environ;

namespace tasktrack {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using Seconds = std::chrono::duration<double>;
namespace fs = std::filesystem;

// ---- files and directories ---------------------------------------------------------------

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A fresh directory for the running test; removed when the test passed, kept otherwise.
class ScratchDir {
 public:
  ScratchDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info->test_suite_name()) + "." + info->name();
    for (char& c : name) {
      if (c == '/') c = '_';
    }
    path_ =
        fs::temp_directory_path() / ("tasktrack-fault-" + std::to_string(::getpid()) + "-" + name);
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~ScratchDir() {
    if (!::testing::Test::HasFailure()) {
      std::error_code ignored;
      fs::remove_all(path_, ignored);
    } else {
      std::fprintf(stderr, "kept %s for inspection\n", path_.c_str());
    }
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const fs::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

// ---- processes ---------------------------------------------------------------------------

// The pids of `pid`'s children (every thread's list: mpirun starts ranks from a thread).
std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> children;
  std::error_code error;
  const fs::path tasks = fs::path("/proc") / std::to_string(pid) / "task";
  for (const auto& task : fs::directory_iterator(tasks, error)) {
    std::ifstream in(task.path() / "children");
    for (pid_t child = 0; in >> child;) children.push_back(child);
  }
  return children;
}

std::vector<pid_t> descendants_of(pid_t pid) {
  std::vector<pid_t> all;
  for (pid_t child : children_of(pid)) {
    all.push_back(child);
    for (pid_t grandchild : descendants_of(child)) all.push_back(grandchild);
  }
  return all;
}

// True while `pid` exists and is not a zombie.
bool is_running(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z' &&
         line[close + 2] != 'X';
}

// The MPI rank a process runs as (from its environment), or -1.
int rank_of(pid_t pid) {
  const std::string environment = read_text("/proc/" + std::to_string(pid) + "/environ");
  const std::string key = "OMPI_COMM_WORLD_RANK=";
  std::size_t start = 0;
  while (start < environment.size()) {
    const std::size_t end = environment.find('\0', start);
    const std::string entry =
        environment.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (entry.rfind(key, 0) == 0) return std::atoi(entry.c_str() + key.size());
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return -1;
}

bool wait_until(Clock::time_point deadline, const std::function<bool()>& condition) {
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}

Clock::time_point in_seconds(double seconds) {
  return Clock::now() + std::chrono::duration_cast<Clock::duration>(Seconds(seconds));
}

// A program started in its own process group that the test watches and signals while it
// runs (run_process() blocks until the end). stdout and stderr go to files in the test's
// directory. The destructor SIGKILLs whatever is left of it, MPI ranks included.
class Spawned {
 public:
  Spawned(const std::vector<std::string>& argv, const ScratchDir& dir, const std::string& name)
      : out_path_(dir.file(name + ".out")), err_path_(dir.file(name + ".err")) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_addopen(&actions, 2, err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attributes, 0);
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    const int spawned = ::posix_spawnp(&pid_, args[0], &actions, &attributes, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (spawned != 0) throw std::runtime_error("cannot start " + argv[0]);
  }

  ~Spawned() {
    if (!exit_code_) {
      kill_everything();
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }

  Spawned(const Spawned&) = delete;
  Spawned& operator=(const Spawned&) = delete;

  pid_t pid() const { return pid_; }

  // The exit code (128 + signal when killed) once it ended; nullopt while it runs.
  std::optional<int> poll() {
    if (exit_code_) return exit_code_;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    return exit_code_;
  }

  // Waits for the end until `deadline`; nullopt when it still runs then (it is left running).
  std::optional<int> wait(Clock::time_point deadline) {
    wait_until(deadline, [&] { return poll().has_value(); });
    return poll();
  }

  void signal(int number) const { ::kill(pid_, number); }

  // SIGKILL to the process group and to every descendant (MPI ranks have their own groups),
  // as when a node or the batch system ends the job. Waits (bounded) until they are gone.
  void kill_everything() {
    const std::vector<pid_t> descendants = descendants_of(pid_);
    ::kill(-pid_, SIGKILL);
    for (pid_t pid : descendants) ::kill(pid, SIGKILL);
    wait_until(in_seconds(20), [&] {
      for (pid_t pid : descendants) {
        if (is_running(pid)) return false;
      }
      return true;
    });
  }

  // rank -> pid of every MPI rank mpirun started, once all `ranks` are there.
  std::map<int, pid_t> rank_pids(int ranks, Clock::time_point deadline) const {
    std::map<int, pid_t> found;
    wait_until(deadline, [&] {
      found.clear();
      for (pid_t child : children_of(pid_)) {
        const int rank = rank_of(child);
        if (rank >= 0) found[rank] = child;
      }
      return static_cast<int>(found.size()) == ranks;
    });
    return found;
  }

  std::string out() const { return read_text(out_path_); }
  std::string err() const { return read_text(err_path_); }

  bool wait_for_stderr(const std::string& text, Clock::time_point deadline) const {
    return wait_until(deadline, [&] { return contains(err(), text); });
  }

 private:
  std::string out_path_;
  std::string err_path_;
  pid_t pid_ = 0;
  std::optional<int> exit_code_;
};

// ---- jobs --------------------------------------------------------------------------------

// How a job is launched: `ranks` 0 is the plain one-process run (no mpirun).
struct Launch {
  int ranks = 0;
  bool recovery = false;  // mpirun --enable-recovery: a dead rank does not end the job
};

std::string launch_name(const Launch& launch) {
  return launch.ranks == 0 ? "one_process" : "mpirun_np" + std::to_string(launch.ranks);
}

void PrintTo(const Launch& launch, std::ostream* out) {
  *out << launch_name(launch);
}

struct Job {
  std::string kernel;
  std::string range;  // "LO:HI"
  int subtasks = 0;
  std::vector<std::string> params;  // NAME=VALUE
  std::vector<std::string> flags;   // anything else: --retries 2 ...

  // `tasktrack_fault run ...` for this job, without the launcher.
  std::vector<std::string> run_args() const {
    std::vector<std::string> args{
        TASKTRACK_FAULT_BINARY,  "run", "--kernel", kernel, "--range", range, "--subtasks",
        std::to_string(subtasks)};
    for (const std::string& param : params) args.insert(args.end(), {"--param", param});
    args.insert(args.end(), flags.begin(), flags.end());
    return args;
  }

  Job with(std::vector<std::string> more) const {
    Job job = *this;
    job.flags.insert(job.flags.end(), more.begin(), more.end());
    return job;
  }
};

std::vector<std::string> command(const Launch& launch, const Job& job) {
  std::vector<std::string> argv;
  if (launch.ranks > 0) {
    argv = testing::mpirun_prefix(launch.ranks);
    if (launch.recovery) argv.push_back("--enable-recovery");
  }
  const std::vector<std::string> args = job.run_args();
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

struct Finished {
  testing::ProcessResult process;
  json summary;  // null when no JSON summary was written
};

json read_summary(const std::string& path) {
  std::ifstream in(path);
  if (!in) return nullptr;
  json summary = json::parse(in, nullptr, false);
  return summary.is_discarded() ? json(nullptr) : summary;
}

// Runs `job` to the end (SIGKILL after `timeout` seconds) with a JSON summary in `dir`.
Finished run_job(const ScratchDir& dir, const Launch& launch, const Job& job,
                 double timeout = 120) {
  static int runs = 0;
  const std::string summary_path = dir.file("summary-" + std::to_string(++runs) + ".json");
  fs::remove(summary_path);
  Finished finished{
      testing::run_process(command(launch, job.with({"--summary-json", summary_path})), timeout),
      nullptr};
  finished.summary = read_summary(summary_path);
  return finished;
}

std::string describe(const Finished& run) {
  return "exit " + std::to_string(run.process.exit_code) +
         (run.process.timed_out ? " (killed: timed out)" : "") + "\n--- stdout\n" +
         run.process.out + "--- stderr\n" + run.process.err;
}

// The result of `job` run as one process with plenty of threads and nothing injected from
// outside: what every interrupted, resumed or reassigned run of it must reproduce.
json uninterrupted_result(const Job& job) {
  static std::map<std::vector<std::string>, json> cache;
  const Job clean{job.kernel, job.range, job.subtasks, job.params, {"--threads", "16", "--quiet"}};
  const auto key = clean.run_args();
  if (const auto found = cache.find(key); found != cache.end()) return found->second;
  const std::string summary_path =
      (fs::temp_directory_path() / ("tasktrack-fault-reference-" + std::to_string(::getpid()) +
                                    "-" + std::to_string(cache.size()) + ".json"))
          .string();
  const auto process =
      testing::run_process(command(Launch{}, clean.with({"--summary-json", summary_path})), 120);
  const json summary = read_summary(summary_path);
  fs::remove(summary_path);
  EXPECT_EQ(process.exit_code, 0) << process.err;
  if (!summary.is_object()) {
    ADD_FAILURE() << "the reference run wrote no summary\n" << process.out << process.err;
    return nullptr;
  }
  return cache[key] = summary.at("result");
}

const json& rank_entry(const json& summary, int rank) {
  for (const json& entry : summary.at("per_rank")) {
    if (entry.at("rank") == rank) return entry;
  }
  throw std::out_of_range("no per_rank entry for rank " + std::to_string(rank));
}

std::uint64_t per_rank_sum(const json& summary, const char* key) {
  std::uint64_t sum = 0;
  for (const json& entry : summary.at("per_rank")) sum += entry.at(key).get<std::uint64_t>();
  return sum;
}

int count_lost(const json& summary) {
  int lost = 0;
  for (const json& entry : summary.at("per_rank")) lost += entry.at("lost").get<bool>() ? 1 : 0;
  return lost;
}

// Finished attempts in a journal: subtask -> how many times it is recorded done (single
// records and run records alike).
std::map<SubtaskId, int> done_records(const std::string& journal) {
  std::map<SubtaskId, int> done;
  for_each_attempt(read_journal(journal), [&](const JournalAttempt& attempt) {
    if (attempt.state == SubtaskState::done) ++done[attempt.subtask];
  });
  return done;
}

// The number after "subtasks  " in `tasktrack status`: done subtasks the journal holds.
std::optional<int> status_done(const std::string& status_text) {
  const std::string key = "subtasks  ";
  const auto at = status_text.find(key);
  if (at == std::string::npos) return std::nullopt;
  return std::atoi(status_text.c_str() + at + key.size());
}

// Waits until the journal holds at least `count` done subtasks (committed by its writer).
bool wait_for_journal(const std::string& journal, std::size_t count, Clock::time_point deadline) {
  return wait_until(deadline, [&] {
    std::error_code missing;
    if (fs::file_size(journal, missing) == 0 || missing) return false;
    try {
      return done_records(journal).size() >= count;
    } catch (const std::exception&) {
      return false;  // the header is being written
    }
  });
}

// After a resume, each subtask is done in the journal exactly once: nothing recorded
// before an interruption ran again, and nothing is missing.
void expect_each_subtask_journaled_done_once(const std::string& journal, int total) {
  const auto done = done_records(journal);
  EXPECT_EQ(done.size(), static_cast<std::size_t>(total));
  for (const auto& [subtask, records] : done) {
    EXPECT_EQ(records, 1) << "subtask " << subtask << " is done " << records
                          << " times in the journal";
  }
}

#define ASSERT_RAN(run)                                      \
  do {                                                       \
    ASSERT_FALSE((run).process.timed_out) << describe(run);  \
    ASSERT_TRUE((run).summary.is_object()) << describe(run); \
  } while (false)

// The summary of a job that completed with every subtask done.
void expect_completed(const Finished& run, int total) {
  const json& s = run.summary;
  EXPECT_EQ(run.process.exit_code, 0) << describe(run);
  EXPECT_EQ(s.at("status"), json("completed"));
  EXPECT_EQ(s.at("exit_code"), 0);
  EXPECT_EQ(s.at("subtasks").at("total"), total);
  EXPECT_EQ(s.at("subtasks").at("done"), total);
  EXPECT_EQ(s.at("subtasks").at("failed"), 0);
  EXPECT_EQ(s.at("subtasks").at("not_run"), 0);
  EXPECT_TRUE(s.at("failures").empty()) << s.at("failures");
}

class ByLaunch : public ::testing::TestWithParam<Launch> {};

std::string param_name(const ::testing::TestParamInfo<Launch>& info) {
  return launch_name(info.param);
}

// ---- retries -----------------------------------------------------------------------------

class Retries : public ByLaunch {};

TEST_P(Retries, FlakySubtasksSucceedOnTheirRetry) {
  ScratchDir dir;
  const Job job{"flaky", "0:1000", 100, {"every=5"}, {"--retries", "2", "--quiet"}};
  const Finished run = run_job(dir, GetParam(), job);
  ASSERT_RAN(run);
  expect_completed(run, 100);
  const json& s = run.summary;
  EXPECT_EQ(s.at("subtasks").at("retried"), 20);
  EXPECT_EQ(s.at("subtasks").at("timed_out"), 0);
  EXPECT_EQ(s.at("subtasks").at("reassigned"), 0);
  EXPECT_EQ(per_rank_sum(s, "failed"), 20u);  // failed attempts, each retried once
  EXPECT_EQ(per_rank_sum(s, "done"), 100u);
  EXPECT_EQ(s.at("result"), json({{"elements", 1000}}));
}

void expect_failing_every_10(const Finished& run, int attempts) {
  const json& s = run.summary;
  EXPECT_EQ(run.process.exit_code, 1) << describe(run);
  EXPECT_EQ(s.at("status"), json("completed_with_failures"));
  EXPECT_EQ(s.at("exit_code"), 1);
  EXPECT_EQ(s.at("subtasks").at("done"), 90);
  EXPECT_EQ(s.at("subtasks").at("failed"), 10);
  EXPECT_EQ(s.at("subtasks").at("not_run"), 0);
  EXPECT_EQ(s.at("subtasks").at("retried"), 10 * (attempts - 1));
  EXPECT_EQ(per_rank_sum(s, "failed"), 10u * attempts);
  EXPECT_EQ(s.at("result"), json({{"elements", 900}}));
  ASSERT_EQ(s.at("failures").size(), 10u) << s.at("failures");
  SubtaskId expected = 0;
  for (const json& failure : s.at("failures")) {
    EXPECT_EQ(failure.at("subtask"), expected);
    EXPECT_EQ(failure.at("attempts"), attempts);
    EXPECT_EQ(failure.at("reason"), json("exception"));
    EXPECT_EQ(failure.at("detail"), "injected failure on subtask " + std::to_string(expected));
    expected += 10;
  }
  EXPECT_TRUE(contains(run.process.out, "10 subtasks failed for good")) << run.process.out;
}

// Quarantine off: these tests are about retries alone. (With it on, healthy workers get
// benched by retries of subtasks that fail everywhere: see Quarantine below.)
std::vector<std::string> retry_flags(const std::string& retries) {
  return {"--retries", retries, "--quarantine-after", "0", "--quiet"};
}

TEST_P(Retries, FailingSubtasksFailForGoodAfterEveryAttempt) {
  ScratchDir dir;
  const Job job{"failing", "0:1000", 100, {"every=10"}, retry_flags("2")};
  const Finished run = run_job(dir, GetParam(), job);
  ASSERT_RAN(run);
  expect_failing_every_10(run, 3);
}

TEST_P(Retries, WithoutRetriesAFailureIsFinalAtOnce) {
  ScratchDir dir;
  const Job job{"failing", "0:1000", 100, {"every=10"}, retry_flags("0")};
  const Finished run = run_job(dir, GetParam(), job);
  ASSERT_RAN(run);
  expect_failing_every_10(run, 1);
}

INSTANTIATE_TEST_SUITE_P(Launches, Retries, ::testing::Values(Launch{0}, Launch{3}), param_name);

// ---- --max-failures ----------------------------------------------------------------------

class MaxFailures : public ByLaunch {};

TEST_P(MaxFailures, StopsDispatchingAfterThatManyFailedForGood) {
  ScratchDir dir;
  const Job job{"failing",
                "0:200",
                200,
                {"every=2"},
                {"--max-failures", "3", "--schedule", "dynamic", "--chunk", "1", "--threads", "1",
                 "--quarantine-after", "0", "--quiet"}};
  const Finished run = run_job(dir, GetParam(), job);
  ASSERT_RAN(run);
  const json& s = run.summary;
  EXPECT_EQ(run.process.exit_code, 1) << describe(run);
  EXPECT_EQ(s.at("status"), json("completed_with_failures"));
  EXPECT_EQ(s.at("exit_code"), 1);
  EXPECT_GE(s.at("subtasks").at("failed").get<int>(), 3);
  EXPECT_GT(s.at("subtasks").at("not_run").get<int>(), 0);
  EXPECT_EQ(s.at("subtasks").at("done").get<int>() + s.at("subtasks").at("failed").get<int>() +
                s.at("subtasks").at("not_run").get<int>(),
            200);
  EXPECT_TRUE(contains(s.at("stop_reason").get<std::string>(), "--max-failures 3"))
      << s.at("stop_reason");
  EXPECT_EQ(s.at("failures").size(), s.at("subtasks").at("failed").get<std::size_t>());
}

INSTANTIATE_TEST_SUITE_P(Launches, MaxFailures, ::testing::Values(Launch{0}, Launch{3}),
                         param_name);

// ---- timeouts ----------------------------------------------------------------------------

// hang: subtasks 0, 10, 20, 30 take 30 s on their first attempt. With a 0.5 s timeout and
// one retry each is timed out once and then succeeds, so the job ends long before the 30 s
// a hanging attempt would hold it: the process deadline (25 s) is below that. Four threads
// per worker: a pool replaces a thread stuck in a deaf kernel up to once per thread.
class Timeouts : public ByLaunch {};

void expect_four_timeouts_then_success(const Finished& run) {
  ASSERT_RAN(run);
  expect_completed(run, 40);
  const json& s = run.summary;
  EXPECT_EQ(s.at("subtasks").at("timed_out"), 4);
  EXPECT_EQ(s.at("subtasks").at("retried"), 4);
  EXPECT_EQ(per_rank_sum(s, "failed"), 4u);
  EXPECT_EQ(s.at("result"), json({{"elements", 40}}));
}

Job hang_job(const std::string& honor, std::vector<std::string> schedule = {}) {
  Job job{"hang",
          "0:40",
          40,
          {"every=10", "seconds=30", "honor=" + honor},
          {"--timeout", "0.5s", "--retries", "1", "--threads", "4", "--quiet"}};
  return job.with(std::move(schedule));
}

// Dynamic batches of one keep each pool thread's run to a single subtask, so nothing waits
// behind the deaf kernel on its thread (see the disabled test below for what else happens).
TEST_P(Timeouts, AKernelThatIgnoresItsStopTokenIsTimedOutAndRetried) {
  ScratchDir dir;
  const Finished run =
      run_job(dir, GetParam(), hang_job("0", {"--schedule", "dynamic", "--chunk", "1"}), 25);
  expect_four_timeouts_then_success(run);
  // Threads still asleep inside the deaf kernel do not hold the process.
  EXPECT_TRUE(contains(run.process.err, "ignored its stop token")) << run.process.err;
}

TEST_P(Timeouts, AKernelThatHonoursItsStopTokenIsTimedOutAndRetried) {
  ScratchDir dir;
  const Finished run = run_job(dir, GetParam(), hang_job("1"), 25);
  expect_four_timeouts_then_success(run);
  EXPECT_FALSE(contains(run.process.err, "ignored its stop token")) << run.process.err;
}

// A pool thread takes a run of several queued subtasks at once; when its kernel ignores the
// stop token, the watchdog hands the rest of that run to the replacement thread at once,
// not when the stuck kernel returns (30 s here). Matters whenever a pool holds more than
// 2 x threads queued subtasks: the one-process run's guided batches, a static share.
TEST(Timeouts, SubtasksQueuedBehindADeafKernelAreNotHeldUntilItReturns) {
  for (const auto& [launch, schedule] :
       std::vector<std::pair<Launch, std::string>>{{Launch{0}, "guided"}, {Launch{3}, "static"}}) {
    SCOPED_TRACE(launch_name(launch) + ", schedule " + schedule);
    ScratchDir dir;
    const Finished run = run_job(dir, launch, hang_job("0", {"--schedule", schedule}), 25);
    expect_four_timeouts_then_success(run);
  }
}

INSTANTIATE_TEST_SUITE_P(Launches, Timeouts, ::testing::Values(Launch{0}, Launch{3}), param_name);

// ---- lost workers ------------------------------------------------------------------------

const Launch recovering_np3{3, true};
const std::vector<std::string> health_flags{"--threads", "1",           "--worker-timeout",
                                            "3s",        "--heartbeat", "0.5s"};

// After a rank died (SIGKILL) under mpirun --enable-recovery, Open MPI 4.1's MPI_Finalize
// can wait forever on the survivors (measured before a74b960: 1 run in 6 idle, most under
// load). Since a74b960 no rank calls MPI_Finalize once a worker was lost, and a hang after
// the summary fails these tests. Should it have to be tolerated again (a platform where the
// way out does not work), set this to true: the tests then check the summary and report a
// hang without failing, and EverySurvivorExitsAfterARankDied alone fails on it.
constexpr bool finalize_hang_after_a_dead_rank_is_known = false;

// How long a job's processes get to exit once its summary is written.
constexpr double exit_after_summary_seconds = 20;

// A job launched with `Spawned` in which ranks die or are stopped: waits (bounded) for its
// summary, then for its exit. `hung` when the summary came but the processes did not end.
struct Watched {
  std::optional<int> exit_code;
  bool hung = false;
  json summary;
  std::string out;
  std::string err;
};

Watched watch(Spawned& process, const std::string& summary_path, double timeout) {
  Watched watched;
  const auto deadline = in_seconds(timeout);
  wait_until(deadline, [&] { return process.poll() || fs::exists(summary_path); });
  if (!process.poll() && fs::exists(summary_path)) {
    watched.exit_code = process.wait(in_seconds(exit_after_summary_seconds));
  } else {
    watched.exit_code = process.wait(deadline);
  }
  watched.summary = read_summary(summary_path);
  watched.hung = !watched.exit_code && watched.summary.is_object();
  if (!watched.exit_code) process.kill_everything();
  watched.out = process.out();
  watched.err = process.err();
  return watched;
}

std::string describe(const Watched& run) {
  return "exit " + (run.exit_code ? std::to_string(*run.exit_code) : std::string("none")) +
         (run.hung ? " (hung after its summary)" : "") + "\n--- stdout\n" + run.out +
         "--- stderr\n" + run.err;
}

// Fails unless the job ended; a hang after the summary is reported and tolerated while it
// is the known bug.
::testing::AssertionResult ended(const Watched& run, bool a_rank_died = true) {
  if (run.exit_code) return ::testing::AssertionSuccess();
  if (run.hung && a_rank_died && finalize_hang_after_a_dead_rank_is_known) {
    std::cout << "KNOWN ISSUE: the job wrote its summary but did not exit within "
              << exit_after_summary_seconds << " s (MPI_Finalize after a rank died)\n";
    ::testing::Test::RecordProperty("hung_in_finalize", "true");
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << describe(run);
}

Watched run_losing_ranks(const ScratchDir& dir, const Job& job, double timeout = 90) {
  const std::string summary_path = dir.file("summary.json");
  Spawned process(command(recovering_np3, job.with({"--summary-json", summary_path})), dir, "job");
  return watch(process, summary_path, timeout);
}

// Rank 1 SIGKILLs itself on subtask 50 (static schedule: rank 1 owns 0..149, rank 2
// 150..299). Its subtasks go to rank 2 without using up a retry; the result is unchanged.
// Under --enable-recovery mpirun exits 0 whatever rank 0 returns (Open MPI 4.1), so the
// summary's exit_code is the one that says how the job went.
Job crash_rank_1_job() {
  return Job{"crash", "0:300", 300, {"id=50", "rank=1", "mean=0.02"}, health_flags}.with(
      {"--schedule", "static"});
}

TEST(LostWorker, ARankThatDiesCostsItsSubtasksAReassignment) {
  ScratchDir dir;
  const Job job = crash_rank_1_job();
  const Watched run = run_losing_ranks(dir, job);
  ASSERT_TRUE(ended(run));
  ASSERT_TRUE(run.summary.is_object()) << describe(run);
  EXPECT_EQ(run.exit_code.value_or(0), 0) << describe(run);  // none: the known hang
  const json& s = run.summary;
  EXPECT_EQ(s.at("status"), json("completed"));
  EXPECT_EQ(s.at("exit_code"), 0);
  EXPECT_EQ(s.at("subtasks").at("done"), 300);
  EXPECT_EQ(s.at("subtasks").at("failed"), 0);
  EXPECT_EQ(s.at("subtasks").at("not_run"), 0);
  EXPECT_EQ(count_lost(s), 1);
  EXPECT_TRUE(rank_entry(s, 1).at("lost").get<bool>());
  EXPECT_FALSE(rank_entry(s, 2).at("lost").get<bool>());
  EXPECT_GE(s.at("subtasks").at("reassigned").get<int>(), 1);
  EXPECT_EQ(s.at("subtasks").at("retried"), 0);  // a lost worker costs no retry
  EXPECT_EQ(per_rank_sum(s, "done"), 300u);
  EXPECT_EQ(s.at("result"), uninterrupted_result(job));
  EXPECT_EQ(s.at("result"), json({{"elements", 300}}));
  EXPECT_TRUE(contains(run.err, "rank 1 (")) << run.err;
  EXPECT_TRUE(contains(run.err, "lost")) << run.err;
}

// The finalize hang above, on its own: the same job three times, each must end.
TEST(LostWorker, EverySurvivorExitsAfterARankDied) {
  for (int round = 1; round <= 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    ScratchDir dir;
    const Watched run = run_losing_ranks(dir, crash_rank_1_job());
    EXPECT_TRUE(run.exit_code.has_value()) << describe(run);
  }
}

// A subtask whose first attempt kills any worker that runs it (a poison pill): each rank it
// reaches dies, and it goes on to the next one without using up a retry (design.md: a lost
// worker costs its subtasks a retry "and nothing more"). Here both workers die; what they
// held and what is left fails with worker_lost. The job must still end and account for
// every subtask.
TEST(LostWorker, ASubtaskThatKillsEveryWorkerEndsTheJobWithoutHanging) {
  ScratchDir dir;
  // --crash-limit 0: as before the crash limit (issue 14), nothing stops the poison.
  const Job job =
      Job{"crash", "0:100", 100, {"id=10", "mean=0.01"}, health_flags}.with({"--crash-limit", "0"});
  const Watched run = run_losing_ranks(dir, job);
  ASSERT_TRUE(ended(run));
  ASSERT_TRUE(run.summary.is_object()) << describe(run);
  const json& s = run.summary;
  std::cout << "poison subtask: mpirun exit "
            << (run.exit_code ? std::to_string(*run.exit_code) : std::string("none"))
            << ", summary exit " << s.at("exit_code") << ", " << s.at("subtasks") << "\n";
  EXPECT_EQ(s.at("exit_code"), 1);
  EXPECT_EQ(s.at("status"), json("completed_with_failures"));
  EXPECT_EQ(count_lost(s), 2);
  EXPECT_EQ(s.at("subtasks").at("not_run"), 0);
  EXPECT_EQ(s.at("subtasks").at("retried"), 0);
  EXPECT_EQ(s.at("subtasks").at("done").get<int>() + s.at("subtasks").at("failed").get<int>(), 100);
  bool poison_failed = false;
  for (const json& failure : s.at("failures")) {
    EXPECT_EQ(failure.at("reason"), json("worker_lost")) << failure;
    poison_failed = poison_failed || failure.at("subtask") == 10;
  }
  EXPECT_TRUE(poison_failed) << s.at("failures");
  EXPECT_EQ(s.at("result").at("elements"), s.at("subtasks").at("done"));
}

// A worker SIGSTOPped mid-job falls silent; rank 0 declares it lost after --worker-timeout
// and reassigns its subtasks. Continued later, its reports are late duplicates, dropped.
class StoppedWorker {
 public:
  explicit StoppedWorker(const ScratchDir& dir)
      : job_{"sleep",
             "0:400",
             400,
             {"distribution=exponential", "mean=0.02"},
             {"--threads", "1", "--worker-timeout", "2s", "--heartbeat", "0.5s",
              "--progress-interval", "1h", "--journal", dir.file("job.journal")}},
        journal_path_(dir.file("job.journal")),
        summary_path_(dir.file("summary.json")),
        job_process_(command(recovering_np3, job_.with({"--summary-json", summary_path_})), dir,
                     "job") {}

  // SIGSTOPs rank 1 once the job is under way (20 subtasks journaled, about half a second
  // in: stopped before MPI start-up completes, it would hold rank 0 in its first collective);
  // true when it was then declared lost.
  ::testing::AssertionResult stop_rank_1_until_lost() {
    const auto ranks = job_process_.rank_pids(3, in_seconds(30));
    if (ranks.size() != 3) return ::testing::AssertionFailure() << "ranks never all started";
    rank_1_ = ranks.at(1);
    if (!wait_for_journal(journal_path_, 20, in_seconds(60))) {
      return ::testing::AssertionFailure() << "no progress in the journal\n" << job_process_.err();
    }
    ::kill(rank_1_, SIGSTOP);
    if (!job_process_.wait_for_stderr("rank 1 (", in_seconds(30)) ||
        !job_process_.wait_for_stderr("lost", in_seconds(1))) {
      return ::testing::AssertionFailure() << "rank 1 never declared lost\n" << job_process_.err();
    }
    return ::testing::AssertionSuccess();
  }

  void continue_rank_1() const { ::kill(rank_1_, SIGCONT); }

  // Waits (bounded) for the summary and the end.
  Watched finish() { return watch(job_process_, summary_path_, 90); }

  const Job& job() const { return job_; }
  const std::string& journal() const { return journal_path_; }

 private:
  Job job_;
  std::string journal_path_;
  std::string summary_path_;
  Spawned job_process_;
  pid_t rank_1_ = 0;
};

TEST(LostWorker, AStoppedWorkerIsLostAndItsLateReportsAreDropped) {
  ScratchDir dir;
  StoppedWorker stopped(dir);
  ASSERT_TRUE(stopped.stop_rank_1_until_lost());
  // Rank 2 takes over the reassigned work before rank 1 comes back, so that rank 1's late
  // reports cover subtasks already done elsewhere.
  const std::size_t at_loss = done_records(stopped.journal()).size();
  ASSERT_TRUE(wait_for_journal(stopped.journal(), at_loss + 20, in_seconds(60)));
  stopped.continue_rank_1();
  const Watched run = stopped.finish();
  ASSERT_TRUE(ended(run, /*a_rank_died=*/false));  // every rank lives to finalize
  ASSERT_TRUE(run.summary.is_object()) << describe(run);
  EXPECT_EQ(run.exit_code.value_or(-1), 0) << describe(run);
  const json& s = run.summary;
  EXPECT_EQ(s.at("status"), json("completed"));
  EXPECT_EQ(s.at("subtasks").at("done"), 400);
  EXPECT_EQ(s.at("subtasks").at("failed"), 0);
  EXPECT_TRUE(rank_entry(s, 1).at("lost").get<bool>());
  EXPECT_FALSE(rank_entry(s, 2).at("lost").get<bool>());
  EXPECT_GE(s.at("subtasks").at("reassigned").get<int>(), 1);
  // It was stopped inside a subtask: it finishes and reports it, late.
  EXPECT_GE(s.at("subtasks").at("duplicates").get<int>(), 1);
  RecordProperty("duplicates", s.at("subtasks").at("duplicates").get<int>());
  std::cout << "SIGSTOP then SIGCONT: " << s.at("subtasks") << "\n";
  EXPECT_EQ(per_rank_sum(s, "done"), 400u);
  EXPECT_EQ(s.at("result"), uninterrupted_result(stopped.job()));
  expect_each_subtask_journaled_done_once(stopped.journal(), 400);  // duplicates dropped
  // Continued before the end, it answered Stop: rank 0 had no reason to kill it.
  EXPECT_FALSE(contains(run.err, "ending it with SIGKILL")) << run.err;
}

TEST(LostWorker, AWorkerStoppedForGoodIsEndedByRankZero) {
  ScratchDir dir;
  StoppedWorker stopped(dir);
  ASSERT_TRUE(stopped.stop_rank_1_until_lost());
  const Watched run = stopped.finish();
  ASSERT_TRUE(ended(run));  // rank 0 SIGKILLs rank 1, then nobody may wait for it
  ASSERT_TRUE(run.summary.is_object()) << describe(run);
  EXPECT_EQ(run.exit_code.value_or(0), 0) << describe(run);  // none: the known hang
  const json& s = run.summary;
  EXPECT_EQ(s.at("status"), json("completed"));
  EXPECT_EQ(s.at("subtasks").at("done"), 400);
  EXPECT_TRUE(rank_entry(s, 1).at("lost").get<bool>());
  EXPECT_EQ(count_lost(s), 1);
  EXPECT_EQ(per_rank_sum(s, "done"), 400u);
  EXPECT_EQ(s.at("result"), uninterrupted_result(stopped.job()));
  expect_each_subtask_journaled_done_once(stopped.journal(), 400);
  EXPECT_TRUE(contains(run.err, "rank 1 (pid ")) << run.err;
  EXPECT_TRUE(contains(run.err, "never answered Stop; ending it with SIGKILL")) << run.err;
}

// A worker that dies after the last result (issue 14, item 4): it is stopped (SIGSTOP)
// before the end, so it cannot answer Stop, then killed while rank 0 waits for its goodbye.
// Rank 0 notices the process is gone and ends at once, instead of waiting out its goodbye
// deadline and warning that the rank never answered Stop. Line 2 stops and kills the worker
// that runs it from a background process (--keep-background: not ended with its attempt);
// the static schedule gives each worker one line.
TEST(LostWorker, AWorkerThatDiesAfterTheLastResultDoesNotHoldTheEnd) {
  ScratchDir dir;
  const std::string tasks = dir.file("tasks.txt");
  {
    std::ofstream out(tasks);
    out << "sleep 1\n"
        << "w=$PPID; setsid sh -c \"sleep 0.3; kill -STOP $w; sleep 4; kill -9 $w\" "
           "</dev/null >/dev/null 2>&1 &\n";
  }
  const std::string summary_path = dir.file("summary.json");
  std::vector<std::string> argv = testing::mpirun_prefix(recovering_np3.ranks);
  argv.push_back("--enable-recovery");
  argv.insert(argv.end(),
              {TASKTRACK_FAULT_BINARY, "run", "--task-file", tasks, "--output-dir", dir.file("out"),
               "--threads", "1", "--worker-timeout", "10s", "--schedule", "static",
               "--keep-background", "--summary-json", summary_path});
  Spawned process(argv, dir, "job");
  const Watched run = watch(process, summary_path, 60);
  ASSERT_TRUE(ended(run));
  ASSERT_TRUE(run.summary.is_object()) << describe(run);
  const json& s = run.summary;
  EXPECT_EQ(s.at("exit_code"), 0) << describe(run);
  EXPECT_EQ(s.at("status"), json("completed"));
  EXPECT_EQ(s.at("subtasks").at("done"), 2);
  EXPECT_EQ(count_lost(s), 0) << describe(run);  // it died after the job: nothing was lost
  EXPECT_EQ(rank_entry(s, 2).at("done"), 1);     // it ran line 2 (the static schedule)
  EXPECT_TRUE(contains(run.err, "rank 2 (")) << run.err;
  EXPECT_TRUE(contains(run.err, "died after the job's last result; nothing was lost")) << run.err;
  EXPECT_FALSE(contains(run.err, "never answered Stop")) << run.err;
}

// ---- crash limit (issue 14) ----------------------------------------------------------------

const Launch recovering_np4{4, true};

Watched run_np4(const ScratchDir& dir, const std::vector<std::string>& args, double timeout = 120) {
  const std::string summary_path = dir.file("summary.json");
  std::vector<std::string> argv = testing::mpirun_prefix(recovering_np4.ranks);
  argv.push_back("--enable-recovery");
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--summary-json", summary_path});
  Spawned process(argv, dir, "job");
  return watch(process, summary_path, timeout);
}

// What a poison subtask leaves under --crash-limit 2 with three workers: it alone failed
// for good (crashed_worker), naming the two workers it took down; the third finished
// everything else.
void expect_poison_contained(const Watched& run, int total, SubtaskId poison) {
  ASSERT_TRUE(ended(run));
  ASSERT_TRUE(run.summary.is_object()) << describe(run);
  const json& s = run.summary;
  EXPECT_EQ(s.at("exit_code"), 1) << describe(run);
  EXPECT_EQ(s.at("status"), json("completed_with_failures"));
  EXPECT_EQ(s.at("subtasks").at("done"), total - 1) << describe(run);
  EXPECT_EQ(s.at("subtasks").at("failed"), 1);
  EXPECT_EQ(s.at("subtasks").at("not_run"), 0);
  EXPECT_EQ(count_lost(s), 2) << describe(run);  // two workers died, one is alive
  ASSERT_EQ(s.at("failures").size(), 1u) << s.at("failures");
  const json& failure = s.at("failures")[0];
  EXPECT_EQ(failure.at("subtask"), poison);
  EXPECT_EQ(failure.at("reason"), json("crashed_worker"));
  const std::string detail = failure.at("detail").get<std::string>();
  EXPECT_TRUE(contains(detail, "took down 2 workers: rank ")) << detail;
  EXPECT_TRUE(contains(detail, "(--crash-limit 2)")) << detail;
  for (const json& entry : s.at("per_rank")) {
    const int rank = entry.at("rank").get<int>();
    if (rank == 0) continue;
    const bool lost = entry.at("lost").get<bool>();
    // The lost ones are the ones the detail names, and they died (their process is gone).
    EXPECT_EQ(contains(detail, "rank " + std::to_string(rank) + " ("), lost) << detail;
  }
  EXPECT_TRUE(contains(run.err, "lost: its process is gone")) << run.err;
}

// The poison list: 61 lines, one of which kills the worker that runs it (the
// shell's parent is the worker: commands are spawned by the worker process itself).
TEST(CrashLimit, APoisonLineKillsTwoWorkersFailsAloneAndTheRestIsDone) {
  ScratchDir dir;
  const std::string tasks = dir.file("tasks.txt");
  {
    std::ofstream out(tasks);
    for (int line = 1; line <= 61; ++line) {
      out << (line == 31 ? std::string("kill -9 $PPID") : "sleep 0.02") << "\n";
    }
  }
  const Watched run = run_np4(
      dir, {TASKTRACK_FAULT_BINARY, "run", "--task-file", tasks, "--output-dir", dir.file("out"),
            "--threads", "1", "--worker-timeout", "5s", "--heartbeat", "0.5s"});
  expect_poison_contained(run, 61, 30);
}

// The same with an in-process kernel: subtask 7 segfaults every worker rank it runs on.
TEST(CrashLimit, AKernelThatSegfaultsOnOneSubtaskFailsItAloneAndTheRestIsDone) {
  ScratchDir dir;
  const Job job{"segfault", "0:60", 60, {"id=7"}, health_flags};
  const Watched run = run_np4(dir, job.run_args());
  expect_poison_contained(run, 60, 7);
  ASSERT_TRUE(run.summary.is_object());
  EXPECT_EQ(run.summary.at("result"), json({{"elements", 59}}));
}

// ---- a bounded start (issue 14) ------------------------------------------------------------

// A worker that stops (SIGSTOP) while it builds its kernel, after MPI_Init and before its
// hello: rank 0 waits --worker-timeout for it, no longer, and the job runs on the others.
// The stopped rank is on rank 0's host, so rank 0 ends it (found among its siblings: it has
// no pid on record) and mpirun exits.
TEST(StartTimeout, AWorkerThatNeverSaysHelloIsLostAndTheJobRunsOnTheRest) {
  ScratchDir dir;
  const Job job{"late_start", "0:400", 40, {"rank=2", "seconds=0"}, health_flags};
  const Watched run = run_np4(dir, job.run_args());
  ASSERT_TRUE(ended(run)) << describe(run);
  ASSERT_TRUE(run.summary.is_object()) << describe(run);
  const json& s = run.summary;
  EXPECT_EQ(s.at("exit_code"), 0) << describe(run);
  EXPECT_EQ(s.at("status"), json("completed"));
  EXPECT_EQ(s.at("subtasks").at("done"), 40);
  EXPECT_EQ(s.at("result"), json({{"elements", 400}}));
  EXPECT_EQ(count_lost(s), 1);
  const json& never = rank_entry(s, 2);
  EXPECT_TRUE(never.at("lost").get<bool>());
  EXPECT_EQ(never.at("done"), 0);
  EXPECT_EQ(never.at("host"), json("?"));
  EXPECT_EQ(per_rank_sum(s, "done"), 40u);
  EXPECT_TRUE(contains(run.err, "rank 2 (?) lost: it never said hello within --worker-timeout"))
      << run.err;
  EXPECT_TRUE(contains(run.err, "never answered Stop; ending it with SIGKILL")) << run.err;
}

// With no worker at all, nothing can run: one line, exit code 2, and every rank gone.
TEST(StartTimeout, NoWorkerSayingHelloIsExitCode2) {
  ScratchDir dir;
  const Job job{"late_start", "0:40", 4, {"rank=1", "seconds=0"}, health_flags};
  std::vector<std::string> argv = testing::mpirun_prefix(2);
  const std::vector<std::string> args = job.run_args();
  argv.insert(argv.end(), args.begin(), args.end());
  Spawned process(argv, dir, "job");
  const std::optional<int> exit_code = process.wait(in_seconds(60));
  if (!exit_code) process.kill_everything();
  ASSERT_TRUE(exit_code.has_value()) << process.err();
  EXPECT_EQ(*exit_code, 2) << process.err();
  EXPECT_TRUE(contains(process.err(),
                       "tasktrack: error: no worker said hello within "
                       "--worker-timeout (3 s) of the start"))
      << process.err();
}

// A rank stopped before MPI_Init holds every rank inside Open MPI's MPI_Init: tasktrack
// cannot run on the rest, but the start watchdog ends the job, with one line and exit code
// 2, under a plain mpirun (which then ends every rank) and under --enable-recovery (where
// the watchdogs end this host's ranks, the stopped one too).
TEST(StartTimeout, ARankStoppedBeforeMpiInitEndsTheJobWithExitCode2) {
  for (const bool recovery : {false, true}) {
    ScratchDir dir;
    std::vector<std::string> argv = testing::mpirun_prefix(3);
    if (recovery) argv.push_back("--enable-recovery");
    const std::string wrapper =
        "if [ \"$OMPI_COMM_WORLD_RANK\" = 2 ]; then kill -STOP $$; fi; "
        "exec env TASKTRACK_MPI_START_TIMEOUT=3 \"$@\"";
    argv.insert(argv.end(), {"sh", "-c", wrapper, "sh", TASKTRACK_FAULT_BINARY, "run", "--kernel",
                             "primes", "--range", "0:1000"});
    Spawned process(argv, dir, "job");
    const std::optional<int> exit_code = process.wait(in_seconds(60));
    if (!exit_code) process.kill_everything();
    ASSERT_TRUE(exit_code.has_value()) << "recovery " << recovery << ": " << process.err();
    // Under --enable-recovery mpirun's own exit code is 0 whatever the ranks' were.
    if (!recovery) {
      EXPECT_EQ(*exit_code, 2) << process.err();
    }
    EXPECT_TRUE(contains(process.err(), "tasktrack: error: MPI did not finish starting within 3 s"))
        << "recovery " << recovery << ": " << process.err();
  }
}

// ---- quarantine --------------------------------------------------------------------------

TEST(Quarantine, ANodeThatFailsEverythingIsBenchedAndItsSubtasksRunElsewhere) {
  ScratchDir dir;
  const Job job{"bad_node",
                "0:200",
                200,
                {"rank=2", "mean=0.005"},
                {"--quarantine-after", "3", "--retries", "3", "--threads", "1"}};
  const Finished run = run_job(dir, Launch{4}, job);
  ASSERT_RAN(run);
  expect_completed(run, 200);
  const json& s = run.summary;
  const json& bad = rank_entry(s, 2);
  EXPECT_TRUE(bad.at("quarantined").get<bool>()) << s.at("per_rank");
  EXPECT_FALSE(bad.at("lost").get<bool>());
  EXPECT_EQ(bad.at("done"), 0);
  EXPECT_GE(bad.at("failed").get<int>(), 3);
  EXPECT_FALSE(rank_entry(s, 1).at("quarantined").get<bool>());
  EXPECT_FALSE(rank_entry(s, 3).at("quarantined").get<bool>());
  EXPECT_EQ(s.at("subtasks").at("retried"), bad.at("failed"));
  EXPECT_EQ(s.at("result"), json({{"elements", 200}}));
  EXPECT_TRUE(contains(run.process.err, "rank 2 (")) << run.process.err;
  EXPECT_TRUE(contains(run.process.err, "quarantined")) << run.process.err;
}

// Subtasks that fail on every node say nothing about the node that runs them. Yet their
// retries go out ahead of fresh work, so a healthy worker receives several of them in a
// row; if that benched it, once both workers were, the healthy subtasks still pending would
// "fail" with worker_lost and the result would be wrong. Only first attempts count toward
// quarantine, and the last active worker is never benched.
TEST(Quarantine, SubtasksThatFailEverywhereDoNotBenchHealthyWorkers) {
  ScratchDir dir;
  const Job job{"failing", "0:1000", 100, {"every=5"}, {"--retries", "2", "--quiet"}};
  const Finished run = run_job(dir, Launch{3}, job);
  ASSERT_RAN(run);
  const json& s = run.summary;
  EXPECT_EQ(run.process.exit_code, 1) << describe(run);
  for (const json& rank : s.at("per_rank")) EXPECT_FALSE(rank.at("quarantined").get<bool>());
  EXPECT_EQ(s.at("subtasks").at("done"), 80);
  EXPECT_EQ(s.at("subtasks").at("failed"), 20);
  for (const json& failure : s.at("failures")) EXPECT_EQ(failure.at("reason"), json("exception"));
  EXPECT_EQ(s.at("result"), json({{"elements", 800}}));
}

// ---- journal -----------------------------------------------------------------------------

Job journaled_sleep_job(const ScratchDir& dir, int subtasks) {
  return Job{"sleep",
             "0:" + std::to_string(subtasks),
             subtasks,
             {"distribution=exponential", "mean=0.02"},
             {"--threads", "1", "--journal", dir.file("job.journal"), "--quiet"}};
}

// The resumed run of an interrupted job: completes, resumes exactly what the journal held,
// runs only the rest, and reproduces the uninterrupted result.
void expect_resumed(const Finished& run, const Job& job, std::size_t journaled_before) {
  ASSERT_RAN(run);
  expect_completed(run, job.subtasks);
  const json& s = run.summary;
  EXPECT_GT(journaled_before, 0u);
  EXPECT_EQ(s.at("subtasks").at("resumed"), journaled_before);
  EXPECT_EQ(s.at("subtasks").at("resumed").get<std::uint64_t>() + per_rank_sum(s, "done"),
            static_cast<std::uint64_t>(job.subtasks));
  EXPECT_EQ(s.at("result"), uninterrupted_result(job));
}

TEST(Journal, AJobWhoseMpirunWasKilledResumesWithoutRedoingFinishedWork) {
  ScratchDir dir;
  const Job job = journaled_sleep_job(dir, 500);
  const std::string journal = dir.file("job.journal");
  {
    Spawned first(command(Launch{3}, job), dir, "killed");
    ASSERT_TRUE(wait_for_journal(journal, 20, in_seconds(60))) << first.err();
    ASSERT_FALSE(first.poll().has_value()) << "the job ended before it could be killed";
    first.kill_everything();
    ASSERT_EQ(first.wait(in_seconds(20)), 128 + SIGKILL);
  }
  const std::size_t before = done_records(journal).size();
  ASSERT_LT(before, 500u);
  const Finished resumed = run_job(dir, Launch{3}, job);
  expect_resumed(resumed, job, before);
  expect_each_subtask_journaled_done_once(journal, 500);
}

// A finished job's journal, damaged at its end as a crash mid-write would leave it.
struct DamagedJournal {
  Job job;
  std::string path;
};

DamagedJournal finished_journal(const ScratchDir& dir) {
  DamagedJournal damaged{Job{"sleep",
                             "0:200",
                             200,
                             {"distribution=exponential", "mean=0.002"},
                             {"--threads", "4", "--journal", dir.file("job.journal"), "--quiet"}},
                         dir.file("job.journal")};
  const Finished first = run_job(dir, Launch{}, damaged.job);
  EXPECT_EQ(first.process.exit_code, 0) << describe(first);
  EXPECT_EQ(done_records(damaged.path).size(), 200u);
  return damaged;
}

TEST(Journal, ATruncatedLastRecordIsCutWithAWarningAndItsSubtaskRunsAgain) {
  ScratchDir dir;
  const DamagedJournal damaged = finished_journal(dir);
  fs::resize_file(damaged.path, fs::file_size(damaged.path) - 5);
  // The last record is gone: one subtask, or a run of several (run records).
  const std::size_t left = done_records(damaged.path).size();
  ASSERT_LT(left, 200u);
  const Finished run = run_job(dir, Launch{}, damaged.job);
  expect_resumed(run, damaged.job, left);
  EXPECT_TRUE(contains(run.process.err, "tasktrack: warning: ")) << run.process.err;
  EXPECT_TRUE(contains(run.process.err, "torn record")) << run.process.err;
  expect_each_subtask_journaled_done_once(damaged.path, 200);
}

TEST(Journal, ACorruptLastRecordIsCutWithAWarningAndItsSubtaskRunsAgain) {
  ScratchDir dir;
  const DamagedJournal damaged = finished_journal(dir);
  {
    std::fstream file(damaged.path, std::ios::in | std::ios::out | std::ios::binary);
    const auto at = static_cast<std::streamoff>(fs::file_size(damaged.path) - 8);
    file.seekg(at);
    char byte = 0;
    file.get(byte);
    file.seekp(at);
    file.put(static_cast<char>(byte ^ 0x5a));
  }
  const std::size_t left = done_records(damaged.path).size();
  ASSERT_LT(left, 200u);
  const Finished run = run_job(dir, Launch{3}, damaged.job);  // resumed under mpirun
  expect_resumed(run, damaged.job, left);
  EXPECT_TRUE(contains(run.process.err, "tasktrack: warning: ")) << run.process.err;
  EXPECT_TRUE(contains(run.process.err, "checksum mismatch")) << run.process.err;
  expect_each_subtask_journaled_done_once(damaged.path, 200);
}

class JournalOfAnotherJob : public ByLaunch {};

TEST_P(JournalOfAnotherJob, IsRefusedWithExit2NamingBothFingerprints) {
  ScratchDir dir;
  const DamagedJournal first = finished_journal(dir);
  const std::string before = read_text(first.path);
  Job other = first.job;
  other.range = "0:300";  // same kernel, params and subtasks; another range
  const Finished run = run_job(dir, GetParam(), other);
  EXPECT_FALSE(run.process.timed_out);
  EXPECT_EQ(run.process.exit_code, 2) << describe(run);
  const auto lines = testing::non_empty_lines(run.process.err);
  ASSERT_EQ(lines.size(), 1u) << run.process.err;
  const std::string theirs = fingerprint_digest(read_journal(first.path).fingerprint);
  const std::vector<std::string> args = other.run_args();
  const Command command =
      parse_command_line(std::vector<std::string>(args.begin() + 1, args.end()), kernel_registry());
  const std::string ours = fingerprint_digest(job_fingerprint(command.job));
  EXPECT_NE(theirs, ours);
  EXPECT_TRUE(contains(lines[0], theirs)) << lines[0];
  EXPECT_TRUE(contains(lines[0], ours)) << lines[0];
  EXPECT_TRUE(contains(lines[0], "another job")) << lines[0];
  EXPECT_EQ(read_text(first.path), before) << "the refused run touched the journal";
  EXPECT_FALSE(run.summary.is_object()) << "nothing should have started";
}

INSTANTIATE_TEST_SUITE_P(Launches, JournalOfAnotherJob, ::testing::Values(Launch{0}, Launch{3}),
                         param_name);

// ---- signals -----------------------------------------------------------------------------

// Starts `job` (journaled, with a JSON summary) and waits until its journal holds some
// finished work, so a signal lands mid-job.
class SignalledJob {
 public:
  SignalledJob(const ScratchDir& dir, const Launch& launch, const Job& job)
      : summary_path_(dir.file("interrupted.json")),
        process_(command(launch, job.with({"--summary-json", summary_path_})), dir, "interrupted") {
  }

  ::testing::AssertionResult wait_for_progress(const std::string& journal) {
    if (!wait_for_journal(journal, 20, in_seconds(60))) {
      return ::testing::AssertionFailure() << "no progress in the journal\n" << process_.err();
    }
    if (process_.poll()) {
      return ::testing::AssertionFailure() << "the job ended before the signal";
    }
    return ::testing::AssertionSuccess();
  }

  Spawned& process() { return process_; }
  json summary() const { return read_summary(summary_path_); }

 private:
  std::string summary_path_;
  Spawned process_;
};

TEST(Signals, Sigusr1ToMpirunDrainsWithinTheGraceAndExits3) {
  ScratchDir dir;
  const std::string journal = dir.file("job.journal");
  const Job job = journaled_sleep_job(dir, 500).with({"--grace", "2s"});
  SignalledJob signalled(dir, Launch{3}, job);
  ASSERT_TRUE(signalled.wait_for_progress(journal));
  signalled.process().signal(SIGUSR1);
  // grace (2 s) + 5 s, doubled for a loaded two-core machine.
  const auto code = signalled.process().wait(in_seconds(14));
  ASSERT_TRUE(code.has_value()) << "still running 14 s after SIGUSR1\n"
                                << signalled.process().err();
  EXPECT_EQ(*code, 3) << signalled.process().err();
  const json s = signalled.summary();
  ASSERT_TRUE(s.is_object()) << signalled.process().out() << signalled.process().err();
  EXPECT_EQ(s.at("status"), json("interrupted"));
  EXPECT_EQ(s.at("exit_code"), 3);
  EXPECT_TRUE(contains(s.at("stop_reason").get<std::string>(), "signal 10")) << s.at("stop_reason");
  EXPECT_GT(s.at("subtasks").at("done").get<int>(), 0);
  EXPECT_LT(s.at("subtasks").at("done").get<int>(), 500);
  EXPECT_TRUE(contains(signalled.process().out(), "interrupted")) << signalled.process().out();

  const std::size_t before = done_records(journal).size();
  EXPECT_EQ(before, s.at("subtasks").at("done").get<std::size_t>());
  const Finished resumed = run_job(dir, Launch{3}, job);
  expect_resumed(resumed, job, before);
  expect_each_subtask_journaled_done_once(journal, 500);
}

TEST(Signals, SigtermToMpirunLeavesAJournalThatResumesToTheSameResult) {
  ScratchDir dir;
  const std::string journal = dir.file("job.journal");
  const Job job = journaled_sleep_job(dir, 500);
  int done_in_status = 0;
  {
    SignalledJob signalled(dir, Launch{3}, job);
    ASSERT_TRUE(signalled.wait_for_progress(journal));
    signalled.process().signal(SIGTERM);
    const auto code = signalled.process().wait(in_seconds(30));
    ASSERT_TRUE(code.has_value()) << "still running 30 s after SIGTERM\n"
                                  << signalled.process().err();
    // mpirun's own exit code after it was told to terminate: not tasktrack's contract.
    std::cout << "mpirun exit code after SIGTERM: " << *code << "\n";
    RecordProperty("mpirun_exit_code", *code);
    EXPECT_NE(*code, 0);
  }
  const auto status = testing::run_process({TASKTRACK_FAULT_BINARY, "status", journal}, 30);
  EXPECT_EQ(status.exit_code, 0) << status.err;
  const auto done = status_done(status.out);
  ASSERT_TRUE(done.has_value()) << status.out;
  done_in_status = *done;
  EXPECT_GT(done_in_status, 0) << status.out;
  EXPECT_LT(done_in_status, 500) << status.out;
  EXPECT_EQ(static_cast<std::size_t>(done_in_status), done_records(journal).size());

  const Finished resumed = run_job(dir, Launch{3}, job);
  expect_resumed(resumed, job, static_cast<std::size_t>(done_in_status));
  expect_each_subtask_journaled_done_once(journal, 500);
}

TEST(Signals, SigtermToAOneProcessRunExits3WithASummaryAndResumes) {
  ScratchDir dir;
  const std::string journal = dir.file("job.journal");
  Job job = journaled_sleep_job(dir, 500);
  job.flags = {"--threads", "2", "--journal", journal, "--quiet"};  // about 5 s of work
  SignalledJob signalled(dir, Launch{}, job);
  ASSERT_TRUE(signalled.wait_for_progress(journal));
  signalled.process().signal(SIGTERM);
  const auto code = signalled.process().wait(in_seconds(30));
  ASSERT_TRUE(code.has_value()) << "still running 30 s after SIGTERM";
  EXPECT_EQ(*code, 3) << signalled.process().err();
  EXPECT_TRUE(contains(signalled.process().out(), "status     interrupted"))
      << signalled.process().out();
  const json s = signalled.summary();
  ASSERT_TRUE(s.is_object()) << signalled.process().err();
  EXPECT_EQ(s.at("status"), json("interrupted"));
  EXPECT_EQ(s.at("exit_code"), 3);
  EXPECT_TRUE(contains(s.at("stop_reason").get<std::string>(), "signal 15")) << s.at("stop_reason");
  const std::size_t before = done_records(journal).size();
  EXPECT_EQ(before, s.at("subtasks").at("done").get<std::size_t>());

  const Finished resumed = run_job(dir, Launch{}, job);
  expect_resumed(resumed, job, before);
  expect_each_subtask_journaled_done_once(journal, 500);
}

}  // namespace
}  // namespace tasktrack

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  tasktrack::testing::prepare_mpi_test(argc, argv);
  return RUN_ALL_TESTS();
}
