// The worker's side of packing: which of its cores and GPUs each running attempt has. Rank
// 0 never sends more than fits (JobState), so take() normally finds enough free; it never
// blocks or fails. Thread-safe: pool threads take and release concurrently.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "core/resources.hpp"
#include "runtime/worker_resources.hpp"

namespace tasktrack {

struct Allocation {
  std::vector<unsigned> cores;
  std::vector<std::string> gpus;
};

class ResourceAllocator {
 public:
  explicit ResourceAllocator(OwnedResources owned);

  // `need.cores` cores and `need.gpus` GPUs, the lowest free ids first. When fewer are free
  // (only after a timed-out attempt's thread overran its report), it shares the least used
  // ones rather than wait. Memory is not handed out: it only counts at rank 0.
  Allocation take(const Resources& need);
  void release(const Allocation& allocation);

 private:
  std::mutex mutex_;
  OwnedResources owned_;
  std::vector<unsigned> core_users_;  // per owned core: attempts using it
  std::vector<unsigned> gpu_users_;   // per owned GPU
};

}  // namespace tasktrack
