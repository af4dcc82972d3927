// Cores, GPUs and memory per task through the real binary (issue 11): real commands that
// record what they were given (their environment, the Cpus_allowed_list of
// /proc/self/status, their start and end), with no mpirun and under mpirun with 3 ranks.
// This machine has no GPUs: workers get stand-in device ids (--gpus, CUDA_VISIBLE_DEVICES).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "journal/journal.hpp"
#include "run_process.hpp"

namespace tasktrack {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

int processes = 0;  // 0: no mpirun; set by main from --np=N

// What one attempt recorded.
struct Attempt {
  int line = 0;
  int rank = 0;
  double start = 0;
  double end = 0;
  std::map<std::string, std::string> env;  // NAME -> value; unset variables are absent
  std::string cpus_allowed;                // Cpus_allowed_list
};

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  if (text.empty()) return parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, separator);) parts.push_back(part);
  return parts;
}

// "0-2,5" -> {0, 1, 2, 5}
std::set<int> cpu_list(const std::string& text) {
  std::set<int> cpus;
  for (const std::string& part : split(text, ',')) {
    const auto dash = part.find('-');
    const int first = std::stoi(part.substr(0, dash));
    const int last = dash == std::string::npos ? first : std::stoi(part.substr(dash + 1));
    for (int cpu = first; cpu <= last; ++cpu) cpus.insert(cpu);
  }
  return cpus;
}

class Resources : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tasktrack-resources-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "records");
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // A command for task `line` (an id of the test's own) that records what it was given, sleeping
  // `seconds` between its start and end stamps so that attempts overlap.
  std::string recorder(int line, double seconds) const {
    const std::string file = (dir_ / "records" / ("line-" + std::to_string(line))).string();
    std::ostringstream command;
    command << "{ echo start=$(date +%s.%N); echo line=" << line
            << "; for v in TASKTRACK_SUBTASK TASKTRACK_RANK TASKTRACK_CORES TASKTRACK_GPUS "
               "OMP_NUM_THREADS"
               " CUDA_VISIBLE_DEVICES ROCR_VISIBLE_DEVICES HIP_VISIBLE_DEVICES"
               " ZE_AFFINITY_MASK; do eval \"[ -n \\\"\\${$v+set}\\\" ] && echo env.$v=\\$$v\";"
               " done; grep Cpus_allowed_list /proc/self/status | tr -d ' \\t'; sleep "
            << seconds << "; echo end=$(date +%s.%N); } > " << file << ".$TASKTRACK_ATTEMPT";
    return command.str();
  }

  std::string write_tasks(const std::string& text) const {
    std::ofstream(path("tasks.txt"), std::ios::binary) << text;
    return path("tasks.txt");
  }

  struct Run {
    testing::ProcessResult process;
    json summary;
  };

  Run run(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) const {
    std::vector<std::string> argv;
    if (!env.empty()) {
      argv.push_back("/usr/bin/env");
      argv.insert(argv.end(), env.begin(), env.end());
    }
    if (processes > 0) {
      const auto prefix = testing::mpirun_prefix(processes);
      argv.insert(argv.end(), prefix.begin(), prefix.end());
      for (const std::string& assignment : env) {
        argv.insert(argv.end(), {"-x", assignment.substr(0, assignment.find('='))});
      }
    }
    argv.push_back(TASKTRACK_BINARY);
    argv.push_back("run");
    argv.insert(argv.end(), args.begin(), args.end());
    const std::string summary = path("summary.json");
    fs::remove(summary);
    argv.insert(argv.end(), {"--summary-json", summary, "--quiet", "--output-dir", path("output")});
    Run result{testing::run_process(argv, 300), {}};
    std::ifstream in(summary);
    if (in) result.summary = json::parse(in, nullptr, false);
    return result;
  }

  std::vector<Attempt> attempts() const {
    std::vector<Attempt> all;
    for (const auto& entry : fs::directory_iterator(dir_ / "records")) {
      std::ifstream in(entry.path());
      Attempt attempt;
      for (std::string text; std::getline(in, text);) {
        const auto equals = text.find('=');
        const auto colon = text.find(':');
        if (text.rfind("Cpus_allowed_list:", 0) == 0) {
          attempt.cpus_allowed = text.substr(colon + 1);
        } else if (text.rfind("env.", 0) == 0) {
          attempt.env[text.substr(4, equals - 4)] = text.substr(equals + 1);
        } else if (text.rfind("start=", 0) == 0) {
          attempt.start = std::stod(text.substr(6));
        } else if (text.rfind("end=", 0) == 0) {
          attempt.end = std::stod(text.substr(4));
        } else if (text.rfind("line=", 0) == 0) {
          attempt.line = std::stoi(text.substr(5));
        }
      }
      attempt.rank = std::stoi(attempt.env.at("TASKTRACK_RANK"));
      all.push_back(attempt);
    }
    return all;
  }

  fs::path dir_;
};

// Two attempts on one worker that ran at the same time.
bool overlapped(const Attempt& a, const Attempt& b) {
  return a.rank == b.rank && a.start < b.end && b.start < a.end;
}

TEST_F(Resources, EveryAttemptGetsWhatItAskedAndOverlappingOnesShareNoDeviceOrCore) {
  // Lines 2..9: sizes cycle 1 GPU, 2 GPUs, no GPU; 1 core each (2 cores for the 2-GPU ones).
  std::ostringstream tasks;
  std::map<int, std::pair<unsigned, unsigned>> asked;  // task -> cores, gpus
  for (int task = 0; task < 8; ++task) {
    const unsigned gpus = static_cast<unsigned>(task % 3);
    const unsigned cores = gpus == 2 ? 2 : 1;
    tasks << "#TASKTRACK cores=" << cores << " gpus=" << gpus << "\n"
          << recorder(task, 0.3) << "\n";
    asked[task] = {cores, gpus};
  }
  const Run result = run({"--task-file", write_tasks(tasks.str()), "--threads", "2", "--gpus",
                          "0,1,2,3", "--bind", "cores"});
  ASSERT_EQ(result.process.exit_code, 0) << result.process.err;
  ASSERT_EQ(result.summary.at("subtasks").at("done"), 8);
  const std::vector<Attempt> all = attempts();
  ASSERT_EQ(all.size(), 8u);
  for (const Attempt& a : all) {
    const auto [cores, gpus] = asked.at(a.line);
    const std::string devices = a.env.at("CUDA_VISIBLE_DEVICES");  // set, maybe empty
    EXPECT_EQ(split(devices, ',').size(), gpus) << "line " << a.line;
    for (const char* name :
         {"ROCR_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "ZE_AFFINITY_MASK", "TASKTRACK_GPUS"}) {
      EXPECT_EQ(a.env.at(name), devices) << name << ", line " << a.line;
    }
    EXPECT_EQ(a.env.at("OMP_NUM_THREADS"), std::to_string(cores)) << "line " << a.line;
    const std::vector<std::string> given = split(a.env.at("TASKTRACK_CORES"), ',');
    EXPECT_EQ(given.size(), cores) << "line " << a.line;
    std::set<int> given_cpus;
    for (const std::string& id : given) given_cpus.insert(std::stoi(id));
    EXPECT_EQ(cpu_list(a.cpus_allowed), given_cpus) << "--bind cores, line " << a.line;
  }
  int overlaps = 0;
  for (const Attempt& a : all) {
    for (const Attempt& b : all) {
      if (a.line >= b.line || !overlapped(a, b)) continue;
      ++overlaps;
      for (const std::string& device : split(a.env.at("CUDA_VISIBLE_DEVICES"), ',')) {
        EXPECT_EQ(split(b.env.at("CUDA_VISIBLE_DEVICES"), ',').end(),
                  std::find(split(b.env.at("CUDA_VISIBLE_DEVICES"), ',').begin(),
                            split(b.env.at("CUDA_VISIBLE_DEVICES"), ',').end(), device))
            << "lines " << a.line << " and " << b.line << " shared device " << device;
      }
      const std::set<int> a_cpus = cpu_list(a.cpus_allowed);
      for (int cpu : cpu_list(b.cpus_allowed)) {
        EXPECT_EQ(a_cpus.count(cpu), 0u)
            << "lines " << a.line << " and " << b.line << " shared core " << cpu;
      }
    }
  }
  EXPECT_GT(overlaps, 0) << "nothing ran at the same time: the test checked no sharing";
}

// Issue 11 item 6: what each attempt was given is in the journal, the trace and the report,
// and it is what the command itself saw.
TEST_F(Resources, TheJournalTraceAndReportNameTheCoresAndGpusEachCommandWasGiven) {
  std::ostringstream tasks;
  for (int task = 0; task < 6; ++task) {
    const unsigned gpus = task == 4 ? 2 : (task == 5 ? 0 : 1);
    tasks << "#TASKTRACK cores=" << (gpus == 2 ? 2 : 1) << " gpus=" << gpus << "\n"
          << recorder(task, 0.2) << "\n";
  }
  const Run result =
      run({"--task-file", write_tasks(tasks.str()), "--threads", "2", "--gpus", "0,1,2,3",
           "--journal", path("run.journal"), "--trace", path("trace.json")});
  ASSERT_EQ(result.process.exit_code, 0) << result.process.err;
  // The summary: the list's requirement classes, in the order of their first line.
  EXPECT_EQ(result.summary.at("requirements"),
            json::parse(R"([{"cores":1,"gpus":1,"memory_bytes":0,"tasks":4},
                            {"cores":2,"gpus":2,"memory_bytes":0,"tasks":1},
                            {"cores":1,"gpus":0,"memory_bytes":0,"tasks":1}])"));
  const std::vector<Attempt> all = attempts();
  ASSERT_EQ(all.size(), 6u);
  std::map<SubtaskId, const Attempt*> by_subtask;
  for (const Attempt& a : all) {
    by_subtask[static_cast<SubtaskId>(std::stoul(a.env.at("TASKTRACK_SUBTASK")))] = &a;
  }
  ASSERT_EQ(by_subtask.size(), 6u);

  // The journal: one record per attempt, with the command's own cores and devices.
  const JournalContents journal = read_journal(path("run.journal"));
  ASSERT_EQ(journal.attempts.size(), 6u);
  for (const JournalAttempt& record : journal.attempts) {
    const Attempt& seen = *by_subtask.at(record.subtask);
    EXPECT_EQ(record.rank, seen.rank) << "subtask " << record.subtask;
    EXPECT_EQ(record.cores, split(seen.env.at("TASKTRACK_CORES"), ',').size())
        << "subtask " << record.subtask;
    EXPECT_EQ(record.gpus, split(seen.env.at("TASKTRACK_GPUS"), ','))
        << "subtask " << record.subtask;
  }

  // The trace: a track per GPU, and each attempt's slice on its thread and on its GPUs'.
  std::ifstream trace_file(path("trace.json"));
  const json trace = json::parse(trace_file);
  std::map<std::pair<int, int>, std::string> track_names;  // (rank, tid) -> name
  std::map<SubtaskId, std::set<std::string>> gpu_slices;   // subtask -> GPU track names
  for (const json& event : trace.at("traceEvents")) {
    if (event.at("name") == "thread_name") {
      track_names[{event.at("pid").get<int>(), event.at("tid").get<int>()}] =
          event.at("args").at("name").get<std::string>();
    }
  }
  for (const json& event : trace.at("traceEvents")) {
    if (event.value("cat", "") != "attempt") continue;
    const auto id = event.at("args").at("subtask").get<SubtaskId>();
    const std::string track = track_names[{event.at("pid").get<int>(), event.at("tid").get<int>()}];
    if (track.rfind("GPU ", 0) == 0) gpu_slices[id].insert(track.substr(4));
    const Attempt& seen = *by_subtask.at(id);
    EXPECT_EQ(event.at("args").at("gpus").get<std::vector<std::string>>(),
              split(seen.env.at("TASKTRACK_GPUS"), ','))
        << "subtask " << id;
  }
  for (const auto& [id, seen] : by_subtask) {
    const std::vector<std::string> devices = split(seen->env.at("TASKTRACK_GPUS"), ',');
    EXPECT_EQ(gpu_slices[id], std::set<std::string>(devices.begin(), devices.end()))
        << "subtask " << id << "'s slices on GPU tracks";
  }

  // The report: a chart per GPU, and every attempt's tooltip names its cores and devices.
  const testing::ProcessResult report = testing::run_process(
      {TASKTRACK_BINARY, "report", path("run.journal"), "--html", path("report.html")}, 60);
  ASSERT_EQ(report.exit_code, 0) << report.err;
  std::ifstream html_file(path("report.html"));
  const std::string html((std::istreambuf_iterator<char>(html_file)),
                         std::istreambuf_iterator<char>());
  EXPECT_NE(html.find("Attempts per GPU"), std::string::npos);
  std::set<std::string> gpu_rows;
  for (const auto& [id, seen] : by_subtask) {
    const std::vector<std::string> devices = split(seen->env.at("TASKTRACK_GPUS"), ',');
    for (const std::string& device : devices) {
      gpu_rows.insert("rank " + seen->env.at("TASKTRACK_RANK") + " \xC2\xB7 GPU " + device);
    }
    const std::string cores = seen->env.at("OMP_NUM_THREADS");
    std::string named = " \xC2\xB7 " + cores + (cores == "1" ? " core" : " cores");
    if (!devices.empty()) {
      named += std::string(" \xC2\xB7 GPU") + (devices.size() == 1 ? " " : "s ") +
               seen->env.at("TASKTRACK_GPUS");
    }
    EXPECT_NE(html.find("<title>subtask " + std::to_string(id) + " \xC2\xB7"), std::string::npos);
    EXPECT_NE(html.find(named), std::string::npos) << "subtask " << id << ": " << named;
  }
  for (const std::string& row : gpu_rows) {
    EXPECT_NE(html.find(">" + row + "</text>"), std::string::npos) << row;
  }
}

TEST_F(Resources, WorkersTakeTheirShareOfCudaVisibleDevicesNeverTheSameOne) {
  const Run result = run({"--task-file", write_tasks(recorder(1, 0) + "\n"), "--threads", "1"},
                         {"CUDA_VISIBLE_DEVICES=0,1,2,3"});
  ASSERT_EQ(result.process.exit_code, 0) << result.process.err;
  std::multiset<std::string> devices;
  for (const json& rank : result.summary.at("per_rank")) {
    for (const json& device : rank.at("gpus")) devices.insert(device.get<std::string>());
  }
  EXPECT_EQ(devices, (std::multiset<std::string>{"0", "1", "2", "3"}));
}

TEST_F(Resources, ALargeTaskIsNotStarvedByAStreamOfSmallOnes) {
  // One 2-core task early in a list of 1-core tasks, on workers of 2 cores: with one small
  // task always running, it fits only once a worker is held for it (--reserve-after).
  std::ostringstream tasks;
  for (int task = 0; task < 24; ++task) {
    if (task == 2) {
      tasks << "#TASKTRACK cores=2\n" << recorder(task, 0.05) << "\n#TASKTRACK cores=1\n";
    } else {
      tasks << recorder(task, 0.15) << "\n";
    }
  }
  const Run result =
      run({"--task-file", write_tasks(tasks.str()), "--threads", "2", "--reserve-after", "0.3s"});
  ASSERT_EQ(result.process.exit_code, 0) << result.process.err;
  const std::vector<Attempt> all = attempts();
  ASSERT_EQ(all.size(), 24u);
  const auto large = std::find_if(
      all.begin(), all.end(), [](const Attempt& a) { return a.env.at("OMP_NUM_THREADS") == "2"; });
  ASSERT_NE(large, all.end());
  const double last_small_start =
      std::max_element(all.begin(), all.end(), [](const Attempt& a, const Attempt& b) {
        return a.start < b.start;
      })->start;
  EXPECT_LT(large->start, last_small_start) << "the 2-core task waited for every small one";
  for (const Attempt& a : all) {
    if (&a != &*large) {
      EXPECT_FALSE(overlapped(a, *large)) << "line " << a.line;
    }
  }
}

TEST_F(Resources, ATaskNoWorkerCanHoldIsBadInputNamingTheLineAndTheLargestWorker) {
  const std::string tasks = write_tasks("true\n#TASKTRACK cores=1 gpus=3\ntrue\n");
  const Run result = run({"--task-file", tasks, "--threads", "1", "--gpus", "0,1"});
  EXPECT_EQ(result.process.exit_code, 2) << result.process.err;
  const std::vector<std::string> lines = testing::non_empty_lines(result.process.err);
  ASSERT_EQ(lines.size(), 1u) << result.process.err;
  EXPECT_NE(lines[0].find("line 3 needs 1 core, 3 GPUs"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("the largest worker"), std::string::npos) << lines[0];
  EXPECT_FALSE(fs::exists(path("output")) && !fs::is_empty(path("output")));
}

}  // namespace
}  // namespace tasktrack
