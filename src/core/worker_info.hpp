// What a worker rank says about itself in its hello.
#pragma once

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

  Resources capacity() const {
    return Resources{cores, static_cast<std::uint32_t>(gpus.size()), memory_bytes};
  }
  friend bool operator==(const WorkerInfo&, const WorkerInfo&) = default;
};

}  // namespace tasktrack
