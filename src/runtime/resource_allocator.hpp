// The worker's side of packing: which of its cores and GPUs each running attempt has. Rank
// 0 never sends more than fits (JobState), so take() normally finds enough free; it never
// blocks or fails. Thread-safe: pool threads take and release concurrently.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "core/resources.hpp"
#include "runtime/worker_resources.hpp"

namespace tasktrack {

struct Allocation {
  std::vector<unsigned> cores;  // ids, in the order the worker owns them
  std::vector<std::string> gpus;
  // The allocator's bookkeeping: which of the owned entries these are (owned ids may
  // repeat, e.g. more --threads than CPUs, so an id alone does not say).
  std::vector<std::uint32_t> core_slots;
  std::vector<std::uint32_t> gpu_slots;
};

class ResourceAllocator {
 public:
  explicit ResourceAllocator(OwnedResources owned);

  // `need.cores` cores and `need.gpus` GPUs, the lowest free ids first. When fewer are free
  // (only after a timed-out attempt's thread overran its report), it shares the least used
  // ones rather than wait; never more than the worker owns, and never one twice in the same
  // allocation. Memory is not handed out: it only counts at rank 0. The second form reuses
  // `into`'s storage (a pool thread keeps one), replacing what it held.
  Allocation take(const Resources& need);
  void take(const Resources& need, Allocation& into);
  // Gives back what take() handed out and empties `allocation`, so that releasing it again
  // gives back nothing.
  void release(Allocation& allocation);

  const OwnedResources& owned() const { return owned_; }

 private:
  std::mutex mutex_;
  const OwnedResources owned_;
  std::vector<unsigned> core_users_;  // per owned core: attempts using it
  std::vector<unsigned> gpu_users_;   // per owned GPU
};

}  // namespace tasktrack
