// command_list_kernel.hpp, issue 11: what a command is given, seen from inside real /bin/sh
// processes. Each command prints its environment and the Cpus_allowed_list of its
// /proc/self/status; the tests compare them with the cores and GPUs its attempt was given,
// with and without --bind cores, alone and through a pool running commands side by side.
#include "commands/command_list_kernel.hpp"

#include <sched.h>
#include <stdlib.h>  // setenv

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/outbox.hpp"
#include "runtime/thread_pool.hpp"
#include "runtime/worker_resources.hpp"
#include "temp_folder.hpp"

namespace tasktrack {
namespace {

using namespace std::chrono_literals;
using CpuIds = std::set<unsigned>;

// Prints what the tests look at: the environment, then the command's CPU mask.
const std::string report_command = "env; grep '^Cpus_allowed_list:' /proc/self/status";

// "0-2,5" -> {0, 1, 2, 5}
CpuIds parse_cpu_list(const std::string& text) {
  CpuIds ids;
  std::istringstream items(text);
  std::string item;
  while (std::getline(items, item, ',')) {
    const std::size_t dash = item.find('-');
    const unsigned first = static_cast<unsigned>(std::stoul(item.substr(0, dash)));
    const unsigned last = dash == std::string::npos
                              ? first
                              : static_cast<unsigned>(std::stoul(item.substr(dash + 1)));
    for (unsigned id = first; id <= last; ++id) ids.insert(id);
  }
  return ids;
}

// What one command printed: its environment, and its CPU mask.
struct CommandReport {
  std::map<std::string, std::string> environment;
  CpuIds cpus;

  std::string variable(const std::string& name) const {
    const auto found = environment.find(name);
    return found == environment.end() ? "<unset>" : found->second;
  }
};

CommandReport read_report(const std::string& path) {
  CommandReport report;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Cpus_allowed_list:", 0) == 0) {
      report.cpus = parse_cpu_list(line.substr(line.find_first_not_of(" \t", 18)));
      continue;
    }
    const std::size_t equals = line.find('=');
    if (equals != std::string::npos)
      report.environment[line.substr(0, equals)] = line.substr(equals + 1);
  }
  return report;
}

CpuIds this_thread_cpus() {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  if (::sched_getaffinity(0, sizeof(mask), &mask) != 0)
    throw std::runtime_error("sched_getaffinity");
  CpuIds ids;
  for (unsigned id = 0; id < CPU_SETSIZE; ++id) {
    if (CPU_ISSET(id, &mask)) ids.insert(id);
  }
  return ids;
}

TaskListJob task_list(const std::string& output_dir, std::vector<std::string> lines,
                      Resources requirement = {}) {
  TaskListJob list;
  list.task_file = "tasks.txt";
  list.output_dir = output_dir;
  list.output = OutputMode::files;  // the tests read each attempt's stdout file
  std::uint32_t number = 1;
  for (std::string& text : lines)
    list.tasks.push_back(TaskLine{number++, std::move(text), requirement});
  return list;
}

// Runs subtask `id` as attempt 0 with the given cores and GPUs; returns what it printed.
CommandReport run_line(const CommandListKernel& kernel, const std::string& output_dir, SubtaskId id,
                       const std::vector<unsigned>& cores, const std::vector<std::string>& gpus) {
  SubtaskContext context;
  context.id = id;
  context.cores = cores;
  context.gpus = gpus;
  kernel.run(context);
  return read_report(output_dir + "/" + attempt_file_stem(id, 0, 0) + ".out");
}

const char* const device_variables[] = {"CUDA_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES",
                                        "HIP_VISIBLE_DEVICES", "ZE_AFFINITY_MASK"};

TEST(CommandListKernelResources, ACommandSeesExactlyItsDevicesAndCores) {
  testing::TempFolder dir{"tasktrack-kernel"};
  const CommandListKernel kernel(task_list(dir.path(), {report_command}), KernelRegistry{}, 1, "j");
  const CommandReport report = run_line(kernel, dir.path(), 0, {1, 0, 3}, {"2", "GPU-5f"});
  for (const char* name : device_variables) {
    ASSERT_TRUE(report.environment.count(name)) << name << " not set";
    EXPECT_EQ(report.environment.at(name), "2,GPU-5f") << name;
  }
  EXPECT_EQ(report.variable("TASKTRACK_GPUS"), "2,GPU-5f");
  EXPECT_EQ(report.variable("TASKTRACK_CORES"), "1,0,3");
  EXPECT_EQ(report.variable("OMP_NUM_THREADS"), "3");
}

TEST(CommandListKernelResources, ACommandWithoutGpusSeesNoneOfOurs) {
  testing::TempFolder dir{"tasktrack-kernel"};
  ASSERT_EQ(::setenv("CUDA_VISIBLE_DEVICES", "0,1,2,3", 1), 0);  // what the worker was given
  const CommandListKernel kernel(task_list(dir.path(), {report_command}), KernelRegistry{}, 1, "j");
  const CommandReport report = run_line(kernel, dir.path(), 0, {0}, {});
  ::unsetenv("CUDA_VISIBLE_DEVICES");
  for (const char* name : device_variables) {
    ASSERT_TRUE(report.environment.count(name)) << name << " not set: it would see every device";
    EXPECT_EQ(report.environment.at(name), "") << name;
  }
  EXPECT_EQ(report.variable("TASKTRACK_GPUS"), "");
  EXPECT_EQ(report.variable("TASKTRACK_CORES"), "0");
  EXPECT_EQ(report.variable("OMP_NUM_THREADS"), "1");
}

TEST(CommandListKernelResources, WithoutCoresOmpNumThreadsIsTheLinesRequirement) {
  testing::TempFolder dir{"tasktrack-kernel"};
  const CommandListKernel kernel(task_list(dir.path(), {report_command}, Resources{4, 0, 0}),
                                 KernelRegistry{}, 1, "j");
  const CommandReport report = run_line(kernel, dir.path(), 0, {}, {});
  EXPECT_EQ(report.variable("OMP_NUM_THREADS"), "4");
  EXPECT_EQ(report.variable("TASKTRACK_CORES"), "");
}

TEST(CommandListKernelResources, BoundACommandRunsOnItsCoresOnlyAndTheThreadIsPutBack) {
  const CpuIds ours = this_thread_cpus();
  ASSERT_FALSE(ours.empty());
  testing::TempFolder dir{"tasktrack-kernel"};
  const CommandListKernel kernel(task_list(dir.path(), {report_command, report_command}),
                                 KernelRegistry{}, 1, "j", Binding::cores);
  const unsigned last = *ours.rbegin();
  EXPECT_EQ(run_line(kernel, dir.path(), 0, {last}, {}).cpus, CpuIds{last});
  EXPECT_EQ(this_thread_cpus(), ours) << "the spawning thread kept the command's mask";
  if (ours.size() >= 2) {
    const unsigned first = *ours.begin();
    EXPECT_EQ(run_line(kernel, dir.path(), 1, {last, first}, {}).cpus, (CpuIds{first, last}));
  }
  EXPECT_EQ(this_thread_cpus(), ours);
}

TEST(CommandListKernelResources, UnboundACommandKeepsOurMask) {
  const CpuIds ours = this_thread_cpus();
  testing::TempFolder dir{"tasktrack-kernel"};
  const CommandListKernel kernel(task_list(dir.path(), {report_command}), KernelRegistry{}, 1, "j");
  EXPECT_EQ(run_line(kernel, dir.path(), 0, {*ours.rbegin()}, {}).cpus, ours);
}

TEST(CommandListKernelResources, ACoreOutsideOurMaskFailsTheAttempt) {
  testing::TempFolder dir{"tasktrack-kernel"};
  const CommandListKernel kernel(task_list(dir.path(), {report_command}), KernelRegistry{}, 1, "j",
                                 Binding::cores);
  // No core of this machine has that id: sched_setaffinity refuses it, nothing starts
  // (its output file was already created, empty).
  SubtaskContext context;
  const std::vector<unsigned> cores = {CPU_SETSIZE + 7};
  context.cores = cores;
  try {
    kernel.run(context);
    ADD_FAILURE() << "it ran";
  } catch (const std::exception& error) {
    EXPECT_NE(std::string(error.what()).find("sched_setaffinity"), std::string::npos)
        << error.what();
  }
  EXPECT_EQ(std::filesystem::file_size(dir.path() + "/subtask-000000.attempt-0.out"), 0u)
      << "the command ran anyway";
}

// A kernel line's kernel gets the attempt's context, cores and GPUs included.
TEST(CommandListKernelResources, AKernelLineGetsTheCoresAndGpus) {
  class ProbeKernel final : public Kernel {
   public:
    SubtaskResult run(const SubtaskContext& context) const override {
      std::string text;
      for (const unsigned core : context.cores) text += std::to_string(core) + ";";
      for (const std::string& gpu : context.gpus) text += gpu + ";";
      const auto* begin = reinterpret_cast<const std::byte*>(text.data());
      return SubtaskResult{context.range.hi, std::vector<std::byte>(begin, begin + text.size())};
    }
    std::unique_ptr<Reduction> make_reduction(const Partition&) const override { return nullptr; }
  };
  KernelRegistry registry;
  registry.add(KernelInfo{"probe", "returns what it was given", {}, [](const ParamValues&) {
                            return std::make_unique<ProbeKernel>();
                          }});
  testing::TempFolder dir{"tasktrack-kernel"};
  const CommandListKernel kernel(task_list(dir.path(), {"@probe 0:10"}), registry, 1, "j");
  SubtaskContext context;
  const std::vector<unsigned> cores = {4, 5};
  const std::vector<std::string> gpus = {"1"};
  context.cores = cores;
  context.gpus = gpus;
  const SubtaskResult result = kernel.run(context);
  EXPECT_EQ(result.value, 10) << "the kernel line's range";
  EXPECT_EQ(
      std::string(reinterpret_cast<const char*>(result.payload.data()), result.payload.size()),
      "4;5;1;");
}

// Through the pool: two threads run bound commands side by side, each asking for one core
// and one GPU of the two. Every command ran on exactly the core it was told, and no two
// commands that ran at once shared a core or a GPU (each holds a lock file while it runs).
TEST(CommandListKernelResources, PooledBoundCommandsRunOnTheirOwnCores) {
  const CpuIds ours = this_thread_cpus();
  if (ours.size() < 2) GTEST_SKIP() << "needs two CPUs in this process's mask";
  const std::vector<unsigned> two = {*ours.begin(), *std::next(ours.begin())};
  testing::TempFolder dir{"tasktrack-kernel"};
  const std::string locks = dir.path() + "/locks";
  std::filesystem::create_directories(locks);
  // mkdir is atomic: a command that finds its core's or GPU's lock taken records a clash.
  const std::string command = report_command +
                              "; for r in core$TASKTRACK_CORES gpu$TASKTRACK_GPUS; do mkdir " +
                              locks + "/$r || echo CLASH=$r; done; sleep 0.02; rmdir " + locks +
                              "/core$TASKTRACK_CORES " + locks + "/gpu$TASKTRACK_GPUS";
  constexpr std::uint32_t count = 12;
  const CommandListKernel kernel(
      task_list(dir.path(), std::vector<std::string>(count, command), Resources{1, 1, 0}),
      KernelRegistry{}, 1, "j", Binding::cores);
  const Partition partition({0, count}, count);
  Outbox outbox;
  const OwnedResources owned{two, {"a", "b"}, 0};
  ThreadPool pool(kernel, partition, 2, outbox, JobClock{}, 0, false,
                  AttemptResources{owned, [](SubtaskId) {
                                     return Resources{1, 1, 0};
                                   }});
  const std::vector<IdRun> runs = {IdRun{0, count, 0}};
  pool.enqueue(runs);
  std::vector<OutboxEntry> entries;
  std::vector<OutboxEntry> taken;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (entries.size() < count && std::chrono::steady_clock::now() < deadline) {
    outbox.wait_for(20ms);
    outbox.take(taken);
    for (OutboxEntry& entry : taken) entries.push_back(std::move(entry));
  }
  pool.stop();
  ASSERT_EQ(entries.size(), count);
  for (const OutboxEntry& entry : entries) {
    EXPECT_EQ(entry.record.state, SubtaskState::done) << "subtask " << entry.record.subtask;
  }
  for (SubtaskId id = 0; id < count; ++id) {
    SCOPED_TRACE(::testing::Message() << "subtask " << id);
    const CommandReport report =
        read_report(dir.path() + "/" + attempt_file_stem(id, 0, 0) + ".out");
    const std::string core = report.variable("TASKTRACK_CORES");
    ASSERT_FALSE(core.empty());
    EXPECT_EQ(core.find(','), std::string::npos) << "one core asked, got " << core;
    EXPECT_EQ(report.cpus, CpuIds{static_cast<unsigned>(std::stoul(core))});
    EXPECT_TRUE(report.variable("CUDA_VISIBLE_DEVICES") == "a" ||
                report.variable("CUDA_VISIBLE_DEVICES") == "b");
    EXPECT_EQ(report.variable("CLASH"), "<unset>");
  }
}

}  // namespace
}  // namespace tasktrack
