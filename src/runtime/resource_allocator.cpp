#include "runtime/resource_allocator.hpp"

#include <algorithm>
#include <limits>
#include <utility>

namespace tasktrack {

namespace {

// Picks `wanted` slots of `users` (at most all of them, each once), the free ones first in
// slot order, then the least used, and counts the new users. Returns them in slot order:
// two attempts that asked alike get alike-looking lists.
void pick(std::vector<unsigned>& users, std::uint32_t wanted, std::vector<std::uint32_t>& slots) {
  slots.clear();
  const auto total = static_cast<std::uint32_t>(users.size());
  wanted = std::min(wanted, total);
  for (std::uint32_t slot = 0; slot < total && slots.size() < wanted; ++slot) {
    if (users[slot] == 0) slots.push_back(slot);
  }
  // Short: share the least used, ties to the lowest slot. Only after an overrun, so rare and
  // small: a scan per slot is fine.
  while (slots.size() < wanted) {
    std::uint32_t best = 0;
    unsigned best_users = std::numeric_limits<unsigned>::max();
    for (std::uint32_t slot = 0; slot < total; ++slot) {
      if (users[slot] < best_users && std::find(slots.begin(), slots.end(), slot) == slots.end()) {
        best = slot;
        best_users = users[slot];
      }
    }
    slots.push_back(best);
  }
  std::sort(slots.begin(), slots.end());
  for (const std::uint32_t slot : slots) ++users[slot];
}

}  // namespace

ResourceAllocator::ResourceAllocator(OwnedResources owned)
    : owned_(std::move(owned)),
      core_users_(owned_.cores.size(), 0),
      gpu_users_(owned_.gpus.size(), 0) {}

Allocation ResourceAllocator::take(const Resources& need) {
  Allocation allocation;
  take(need, allocation);
  return allocation;
}

void ResourceAllocator::take(const Resources& need, Allocation& into) {
  {
    std::lock_guard lock(mutex_);
    pick(core_users_, need.cores, into.core_slots);
    pick(gpu_users_, need.gpus, into.gpu_slots);
  }
  // owned_ is const: the ids are read without the lock.
  into.cores.clear();
  for (const std::uint32_t slot : into.core_slots) into.cores.push_back(owned_.cores[slot]);
  into.gpus.clear();
  for (const std::uint32_t slot : into.gpu_slots) into.gpus.push_back(owned_.gpus[slot]);
}

void ResourceAllocator::release(Allocation& allocation) {
  {
    std::lock_guard lock(mutex_);
    for (const std::uint32_t slot : allocation.core_slots) --core_users_[slot];
    for (const std::uint32_t slot : allocation.gpu_slots) --gpu_users_[slot];
  }
  allocation.cores.clear();  // clear() keeps the storage for the next take()
  allocation.gpus.clear();
  allocation.core_slots.clear();
  allocation.gpu_slots.clear();
}

}  // namespace tasktrack
