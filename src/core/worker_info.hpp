// What a worker rank says about itself in its hello.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/resources.hpp"

namespace tasktrack {

struct WorkerInfo {
  int rank = 0;
  std::string host;
  unsigned threads = 1;  // pool threads: subtasks it runs at once
  long pid = 0;
  // What it owns (runtime/worker_resources.hpp): the core packs tasks by these.
  unsigned cores = 1;
  std::vector<std::string> gpus;  // device ids as the node names them ("0", "3", a UUID)
  std::uint64_t memory_bytes = 0;

  // The ids of the GPUs an AttemptReport's mask names (bit i: gpus[i]).
  std::vector<std::string> gpus_of(std::uint64_t mask) const {
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < gpus.size() && i < 64; ++i) {
      if ((mask >> i) & 1u) ids.push_back(gpus[i]);
    }
    return ids;
  }

  Resources capacity() const {
    return Resources{cores, static_cast<std::uint32_t>(gpus.size()), memory_bytes};
  }
  friend bool operator==(const WorkerInfo&, const WorkerInfo&) = default;
};

}  // namespace tasktrack
