// What one worker rank owns: its cores, GPUs and memory, found from the options and the
// environment when the worker starts (issue 11), and reported in its hello.
#pragma once

#include <cstdint>
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

// What the worker owns.
//  - cores: `threads` of them when given (> 0), else the CPU affinity mask when it is
//    narrower than the node, else SLURM_CPUS_PER_TASK, else the node's cores shared among
//    the worker ranks on it (default_thread_count). Ids come from the affinity mask.
//  - gpus: `gpus_option` "auto" reads CUDA_VISIBLE_DEVICES, else SLURM_STEP_GPUS /
//    SLURM_JOB_GPUS, else ROCR_VISIBLE_DEVICES, else none; "none" is none; otherwise a
//    comma-separated id list. A node's devices are split among its worker ranks, never the
//    same device to two ranks.
//  - memory: `memory_option` "auto" reads the cgroup's limit, else Slurm's per-node memory
//    (SLURM_MEM_PER_NODE, MiB), else MemAvailable, shared among the worker ranks on the
//    node; otherwise a size ("64G", parse_memory_size).
// Throws UsageError for a malformed option.
OwnedResources discover_owned_resources(unsigned threads, const std::string& gpus_option,
                                        const std::string& memory_option, NodeShare share);

}  // namespace tasktrack
