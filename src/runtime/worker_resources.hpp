// What one worker rank owns: its cores, GPUs and memory, found from the options and the
// environment when the worker starts (issue 11), and reported in its hello.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/resources.hpp"

namespace tasktrack {

struct OwnedResources {
  std::vector<unsigned> cores;    // CPU ids, as sched_setaffinity numbers them
  std::vector<std::string> gpus;  // device ids as CUDA_VISIBLE_DEVICES names them
  std::uint64_t memory_bytes = 0;

  Resources capacity() const {
    return Resources{static_cast<std::uint32_t>(cores.size()),
                     static_cast<std::uint32_t>(gpus.size()), memory_bytes};
  }
};

// Where the worker sits among the worker ranks of its node (worker_ranks_on_node and this
// rank's index among them, 0-based): a node's devices and memory are shared among them.
struct NodeShare {
  unsigned index = 0;
  unsigned ranks = 1;
};

// Everything discovery reads from the process and the node, so that tests can give their
// own: this_process_probe() reads the real ones.
struct ResourceProbe {
  // An environment variable's value; nullopt when unset (set but empty is "").
  std::function<std::optional<std::string>(const std::string& name)> variable;
  // A file's whole text; nullopt when it cannot be read (missing, no permission).
  std::function<std::optional<std::string>(const std::string& path)> read_file;
  std::vector<unsigned> affinity;  // the CPU ids this process may run on, ascending
  unsigned online_cores = 1;       // the node's cores (sysconf(_SC_NPROCESSORS_ONLN))
};

// getenv, the file system, sched_getaffinity and sysconf of this process. Thread-safe only
// as far as getenv is: call it while no thread changes the environment.
ResourceProbe this_process_probe();

// What the worker owns.
//  - cores: `threads` of them when given (> 0), else the CPU affinity mask when it is
//    narrower than the node, else SLURM_CPUS_PER_TASK, else the node's cores shared among
//    the worker ranks on it. Ids come from the affinity mask: the first ones (wrapping
//    round it when there are more threads than ids), except that a rank whose mask is the
//    whole node and shares the node starts at its own slice (rank i of the node at id
//    i * count), so ranks that bind their commands do not pin them to the same cores.
//  - gpus: `gpus_option` "auto" reads CUDA_VISIBLE_DEVICES (set but empty: none), else
//    SLURM_STEP_GPUS, else SLURM_JOB_GPUS, else ROCR_VISIBLE_DEVICES, else none; "none" is
//    none; otherwise a comma-separated id list. A node's devices are split among its worker
//    ranks in contiguous blocks (the remainder to the first ranks), never the same device to
//    two ranks: with more ranks than devices some get none. A CUDA_VISIBLE_DEVICES (or
//    ROCR_VISIBLE_DEVICES) shorter than Slurm's SLURM_STEP_GPUS / SLURM_JOB_GPUS is this
//    rank's own already (srun --gpus-per-task) and is not split again.
//  - memory: `memory_option` "auto" reads the cgroup's limit (v2 memory.max, v1
//    memory.limit_in_bytes, the tightest of the process's cgroup and its ancestors), else
//    Slurm's per-node memory (SLURM_MEM_PER_NODE, MiB), else MemAvailable, shared among the
//    worker ranks on the node; otherwise a size ("64G", parse_memory_size), this worker's.
// Throws UsageError for a malformed option (naming --gpus or --mem).
OwnedResources discover_owned_resources(unsigned threads, const std::string& gpus_option,
                                        const std::string& memory_option, NodeShare share,
                                        const ResourceProbe& probe);
OwnedResources discover_owned_resources(unsigned threads, const std::string& gpus_option,
                                        const std::string& memory_option, NodeShare share);

// How many cores a worker owns when --threads is not given: the count part of the rule
// above, for `ranks_on_node` worker ranks on this node (at least 1).
unsigned default_thread_count(unsigned ranks_on_node);

}  // namespace tasktrack
