// worker_resources.hpp: what a worker owns, from each source in its order of precedence, and
// a node's cores, devices and memory split among the worker ranks on it. The environment
// and the files are a fake ResourceProbe; one test reads this process's real ones.
#include "runtime/worker_resources.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tasktrack/error.hpp"

namespace tasktrack {
namespace {

constexpr std::uint64_t mebibyte = 1024 * 1024;
constexpr std::uint64_t gibibyte = 1024 * mebibyte;

// A node with `online` cores whose process may run on `affinity`, the given environment
// and files, and nothing else.
struct FakeNode {
  unsigned online = 8;
  std::vector<unsigned> affinity = {0, 1, 2, 3, 4, 5, 6, 7};
  std::map<std::string, std::string> variables;
  std::map<std::string, std::string> files;

  ResourceProbe probe() const {
    ResourceProbe probe;
    probe.variable = [this](const std::string& name) -> std::optional<std::string> {
      const auto found = variables.find(name);
      if (found == variables.end()) return std::nullopt;
      return found->second;
    };
    probe.read_file = [this](const std::string& path) -> std::optional<std::string> {
      const auto found = files.find(path);
      if (found == files.end()) return std::nullopt;
      return found->second;
    };
    probe.affinity = affinity;
    probe.online_cores = online;
    return probe;
  }

  OwnedResources discover(unsigned threads = 0, const std::string& gpus = "auto",
                          const std::string& memory = "auto", NodeShare share = {}) const {
    return discover_owned_resources(threads, gpus, memory, share, probe());
  }
};

using Cores = std::vector<unsigned>;
using Devices = std::vector<std::string>;

// ---- cores ---------------------------------------------------------------------------------

TEST(WorkerResourcesCores, ThreadsTakeTheFirstIdsOfTheMask) {
  FakeNode node;
  node.affinity = {2, 3, 5, 7};
  EXPECT_EQ(node.discover(3).cores, (Cores{2, 3, 5}));
}

TEST(WorkerResourcesCores, MoreThreadsThanTheMaskWrapRoundIt) {
  FakeNode node;
  node.affinity = {4, 6};
  EXPECT_EQ(node.discover(5).cores, (Cores{4, 6, 4, 6, 4}));
}

TEST(WorkerResourcesCores, AMaskNarrowerThanTheNodeIsWhatItOwns) {
  FakeNode node;
  node.affinity = {1, 3, 4};
  node.variables["SLURM_CPUS_PER_TASK"] = "6";  // the mask wins: it is what the rank may use
  EXPECT_EQ(node.discover(0, "auto", "auto", NodeShare{1, 2}).cores, (Cores{1, 3, 4}));
}

TEST(WorkerResourcesCores, SlurmCpusPerTaskWhenTheMaskIsTheWholeNode) {
  FakeNode node;
  node.variables["SLURM_CPUS_PER_TASK"] = "3";
  EXPECT_EQ(node.discover().cores, (Cores{0, 1, 2}));
}

TEST(WorkerResourcesCores, AMalformedSlurmCpusPerTaskIsIgnored) {
  FakeNode node;
  node.variables["SLURM_CPUS_PER_TASK"] = "3x";
  EXPECT_EQ(node.discover().cores.size(), 8u);
}

TEST(WorkerResourcesCores, TheNodesCoresAreSlicedAmongItsRanks) {
  FakeNode node;
  std::multiset<unsigned> all;
  for (unsigned index = 0; index < 3; ++index) {
    const Cores cores = node.discover(0, "none", "auto", NodeShare{index, 3}).cores;
    EXPECT_EQ(cores.size(), 2u) << "8 cores among 3 ranks";
    for (const unsigned core : cores) all.insert(core);
  }
  EXPECT_EQ(all, (std::multiset<unsigned>{0, 1, 2, 3, 4, 5})) << "a core owned twice";
  EXPECT_EQ(node.discover(0, "none", "auto", NodeShare{1, 3}).cores, (Cores{2, 3}));
}

TEST(WorkerResourcesCores, ThreadsOnASharedNodeStartAtTheRanksSlice) {
  FakeNode node;
  EXPECT_EQ(node.discover(2, "none", "auto", NodeShare{0, 2}).cores, (Cores{0, 1}));
  EXPECT_EQ(node.discover(2, "none", "auto", NodeShare{1, 2}).cores, (Cores{2, 3}));
  // A rank with a mask of its own is not shifted.
  node.affinity = {6, 7};
  EXPECT_EQ(node.discover(2, "none", "auto", NodeShare{1, 2}).cores, (Cores{6, 7}));
}

TEST(WorkerResourcesCores, AlwaysAtLeastOne) {
  FakeNode node;
  node.online = 2;
  node.affinity = {0, 1};
  EXPECT_EQ(node.discover(0, "none", "auto", NodeShare{3, 4}).cores.size(), 1u);
}

// ---- GPUs ----------------------------------------------------------------------------------

TEST(WorkerResourcesGpus, AnExplicitListIsTaken) {
  FakeNode node;
  node.variables["CUDA_VISIBLE_DEVICES"] = "7";
  EXPECT_EQ(node.discover(0, "0, 1,2,3").gpus, (Devices{"0", "1", "2", "3"}));
  EXPECT_TRUE(node.discover(0, "none").gpus.empty());
}

TEST(WorkerResourcesGpus, AutoReadsTheVariablesInOrder) {
  FakeNode node;
  EXPECT_TRUE(node.discover().gpus.empty()) << "none set: no GPU";
  node.variables["ROCR_VISIBLE_DEVICES"] = "5";
  EXPECT_EQ(node.discover().gpus, (Devices{"5"}));
  node.variables["SLURM_JOB_GPUS"] = "4,5";
  EXPECT_EQ(node.discover().gpus, (Devices{"4", "5"}));
  node.variables["SLURM_STEP_GPUS"] = "3";
  EXPECT_EQ(node.discover().gpus, (Devices{"3"}));
  node.variables["CUDA_VISIBLE_DEVICES"] = "GPU-8f2c,GPU-11ab";
  EXPECT_EQ(node.discover().gpus, (Devices{"GPU-8f2c", "GPU-11ab"}));
  node.variables["CUDA_VISIBLE_DEVICES"] = "";
  EXPECT_TRUE(node.discover().gpus.empty()) << "set but empty means none";
}

TEST(WorkerResourcesGpus, CudaStopsAtAnInvalidDevice) {
  FakeNode node;
  node.variables["CUDA_VISIBLE_DEVICES"] = "2,-1,3";
  EXPECT_EQ(node.discover().gpus, (Devices{"2"}));
  node.variables["CUDA_VISIBLE_DEVICES"] = "NoDevFiles";
  EXPECT_TRUE(node.discover().gpus.empty());
}

TEST(WorkerResourcesGpus, ANodesDevicesAreSplitInBlocksNeverTwice) {
  FakeNode node;
  node.variables["CUDA_VISIBLE_DEVICES"] = "0,1,2,3,4";
  const auto share = [&](unsigned index, unsigned ranks) {
    return node.discover(0, "auto", "auto", NodeShare{index, ranks}).gpus;
  };
  EXPECT_EQ(share(0, 2), (Devices{"0", "1", "2"})) << "the remainder to the first ranks";
  EXPECT_EQ(share(1, 2), (Devices{"3", "4"}));
  std::multiset<std::string> all;
  for (unsigned index = 0; index < 7; ++index) {
    const Devices devices = share(index, 7);
    EXPECT_LE(devices.size(), 1u);
    all.insert(devices.begin(), devices.end());
  }
  EXPECT_EQ(all, (std::multiset<std::string>{"0", "1", "2", "3", "4"}));
  EXPECT_TRUE(share(6, 7).empty()) << "more ranks than devices: the last ones get none";
}

TEST(WorkerResourcesGpus, AnExplicitListIsSplitToo) {
  FakeNode node;
  EXPECT_EQ(node.discover(0, "0,1,2,3", "auto", NodeShare{1, 2}).gpus, (Devices{"2", "3"}));
}

// srun --gpus-per-task=1 with 4 tasks on a 4-GPU node: each task sees its own device, and
// Slurm's list is the node's 4. Splitting the one device among the 4 ranks would leave
// three of them none.
TEST(WorkerResourcesGpus, ARanksOwnDevicesUnderSrunGpusPerTaskAreNotSplitAgain) {
  FakeNode node;
  node.variables["SLURM_STEP_GPUS"] = "0,1,2,3";
  node.variables["SLURM_JOB_GPUS"] = "0,1,2,3";
  for (unsigned index = 0; index < 4; ++index) {
    node.variables["CUDA_VISIBLE_DEVICES"] = std::to_string(index);
    EXPECT_EQ(node.discover(0, "auto", "auto", NodeShare{index, 4}).gpus,
              (Devices{std::to_string(index)}))
        << "rank " << index << " of the node";
  }
  // The same for ROCm's variable, and against the job's list when there is no step's.
  node.variables.erase("CUDA_VISIBLE_DEVICES");
  node.variables.erase("SLURM_STEP_GPUS");
  node.variables["ROCR_VISIBLE_DEVICES"] = "2,3";
  EXPECT_EQ(node.discover(0, "auto", "auto", NodeShare{1, 2}).gpus, (Devices{"2", "3"}));
}

// mpirun inside an allocation of 4 GPUs per node: every rank sees the node's 4 (renumbered
// by Slurm's cgroup, so only their count matches Slurm's list), and shares them.
TEST(WorkerResourcesGpus, ANodeWideVisibleListIsSplitAmongTheNodesRanks) {
  FakeNode node;
  node.variables["SLURM_JOB_GPUS"] = "4,5,6,7";
  node.variables["CUDA_VISIBLE_DEVICES"] = "0,1,2,3";
  EXPECT_EQ(node.discover(0, "auto", "auto", NodeShare{0, 2}).gpus, (Devices{"0", "1"}));
  EXPECT_EQ(node.discover(0, "auto", "auto", NodeShare{1, 2}).gpus, (Devices{"2", "3"}));
  // Slurm's own lists are the node's too.
  node.variables.erase("CUDA_VISIBLE_DEVICES");
  EXPECT_EQ(node.discover(0, "auto", "auto", NodeShare{1, 2}).gpus, (Devices{"6", "7"}));
}

TEST(WorkerResourcesGpus, AMalformedListIsBadUsage) {
  FakeNode node;
  for (const std::string bad : {"0,,1", "1,1", ",", "0,"}) {
    SCOPED_TRACE(bad);
    try {
      node.discover(0, bad);
      ADD_FAILURE() << "accepted";
    } catch (const UsageError& error) {
      EXPECT_NE(std::string(error.what()).find("--gpus '" + bad + "'"), std::string::npos)
          << error.what();
    }
  }
}

// ---- memory --------------------------------------------------------------------------------

TEST(WorkerResourcesMemory, AGivenSizeIsTheWorkersOwn) {
  FakeNode node;
  EXPECT_EQ(node.discover(0, "none", "16G", NodeShare{0, 4}).memory_bytes, 16 * gibibyte);
  EXPECT_THROW(node.discover(0, "none", "lots"), UsageError);
}

TEST(WorkerResourcesMemory, CgroupV2LimitIsTheTightestOfItsAncestors) {
  FakeNode node;
  node.files["/proc/self/cgroup"] = "0::/job_7/step_0/task_1\n";
  node.files["/sys/fs/cgroup/job_7/step_0/task_1/memory.max"] = "max\n";
  node.files["/sys/fs/cgroup/job_7/step_0/memory.max"] = "8589934592\n";
  node.files["/sys/fs/cgroup/job_7/memory.max"] = "17179869184\n";
  node.files["/proc/meminfo"] = "MemTotal: 100 kB\nMemAvailable:   2048 kB\n";
  EXPECT_EQ(node.discover(0, "none").memory_bytes, 8 * gibibyte);
  EXPECT_EQ(node.discover(0, "none", "auto", NodeShare{1, 2}).memory_bytes, 4 * gibibyte);
}

TEST(WorkerResourcesMemory, CgroupV2WithoutALimitFallsThrough) {
  FakeNode node;
  node.files["/proc/self/cgroup"] = "0::/user.slice\n";
  node.files["/sys/fs/cgroup/user.slice/memory.max"] = "max\n";
  node.variables["SLURM_MEM_PER_NODE"] = "3072";
  EXPECT_EQ(node.discover(0, "none").memory_bytes, 3 * gibibyte);
}

TEST(WorkerResourcesMemory, CgroupV1Limit) {
  FakeNode node;
  // A hybrid host like this one: v1 controllers and an empty v2 hierarchy.
  node.files["/proc/self/cgroup"] = "4:memory:/process_api/abc\n3:cpuset:/\n0::/\n";
  node.files["/sys/fs/cgroup/memory/process_api/abc/memory.limit_in_bytes"] = "1073741824\n";
  node.files["/sys/fs/cgroup/memory/memory.limit_in_bytes"] = "9223372036854771712\n";
  EXPECT_EQ(node.discover(0, "none").memory_bytes, gibibyte);
}

TEST(WorkerResourcesMemory, CgroupV1HugeLimitIsNone) {
  FakeNode node;
  node.files["/proc/self/cgroup"] = "4:memory:/a\n";
  node.files["/sys/fs/cgroup/memory/a/memory.limit_in_bytes"] = "9223372036854771712\n";
  node.files["/proc/meminfo"] = "MemTotal: 100 kB\nMemAvailable:   2048 kB\n";
  EXPECT_EQ(node.discover(0, "none").memory_bytes, 2 * mebibyte);
}

TEST(WorkerResourcesMemory, SlurmMemoryPerNodeIsSharedAmongTheRanks) {
  FakeNode node;
  node.variables["SLURM_MEM_PER_NODE"] = "4096";
  node.files["/proc/meminfo"] = "MemAvailable:   2048 kB\n";
  EXPECT_EQ(node.discover(0, "none", "auto", NodeShare{0, 4}).memory_bytes, gibibyte);
}

TEST(WorkerResourcesMemory, AvailableMemoryLast) {
  FakeNode node;
  node.files["/proc/meminfo"] = "MemTotal:  9000 kB\nMemFree: 10 kB\nMemAvailable:   3072 kB\n";
  EXPECT_EQ(node.discover(0, "none", "auto", NodeShare{2, 3}).memory_bytes, mebibyte);
  node.files.clear();
  EXPECT_EQ(node.discover(0, "none").memory_bytes, 0u) << "nothing to read: none known";
}

// ---- this process ------------------------------------------------------------------------

TEST(WorkerResources, ThisProcessOwnsCoresOfItsMask) {
  const ResourceProbe probe = this_process_probe();
  ASSERT_FALSE(probe.affinity.empty());
  const OwnedResources owned = discover_owned_resources(0, "none", "auto", NodeShare{});
  ASSERT_FALSE(owned.cores.empty());
  for (const unsigned core : owned.cores) {
    EXPECT_NE(std::find(probe.affinity.begin(), probe.affinity.end(), core), probe.affinity.end())
        << "core " << core << " is not in the affinity mask";
  }
  EXPECT_GT(owned.memory_bytes, 0u) << "a cgroup limit or MemAvailable is always there";
  EXPECT_EQ(default_thread_count(1), owned.cores.size());
}

}  // namespace
}  // namespace tasktrack
