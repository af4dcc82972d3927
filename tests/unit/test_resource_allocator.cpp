// resource_allocator.hpp: attempts get disjoint cores and GPUs, the lowest free first; when
// short (an overrun attempt still holds its share) the least used are shared, never one
// twice in an allocation. Race-free by design: it also runs under ThreadSanitizer.
#include "runtime/resource_allocator.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace tasktrack {
namespace {

using Cores = std::vector<unsigned>;
using Devices = std::vector<std::string>;

OwnedResources four_cores_two_gpus() {
  return OwnedResources{{10, 11, 12, 13}, {"0", "1"}, 0};
}

TEST(ResourceAllocator, TakesTheLowestFreeFirstAndReleasesThem) {
  ResourceAllocator allocator(four_cores_two_gpus());
  Allocation first = allocator.take(Resources{2, 1, 0});
  EXPECT_EQ(first.cores, (Cores{10, 11}));
  EXPECT_EQ(first.gpus, (Devices{"0"}));
  const Allocation second = allocator.take(Resources{1, 1, 0});
  EXPECT_EQ(second.cores, (Cores{12}));
  EXPECT_EQ(second.gpus, (Devices{"1"}));
  allocator.release(first);
  const Allocation third = allocator.take(Resources{3, 0, 0});
  EXPECT_EQ(third.cores, (Cores{10, 11, 13})) << "the freed ones, then the next free";
  EXPECT_TRUE(third.gpus.empty());
}

TEST(ResourceAllocator, WhenShortItSharesTheLeastUsedOnce) {
  ResourceAllocator allocator(four_cores_two_gpus());
  const Allocation overran = allocator.take(Resources{3, 1, 0});  // cores 10-12, GPU 0
  const Allocation next = allocator.take(Resources{2, 2, 0});
  EXPECT_EQ(next.cores, (Cores{10, 13})) << "13 free, then the least used, lowest first";
  EXPECT_EQ(next.gpus, (Devices{"0", "1"}));
  // Now 10 has two users, 11 and 12 one, 13 one: the least used are 11 and 12.
  const Allocation more = allocator.take(Resources{2, 0, 0});
  EXPECT_EQ(more.cores, (Cores{11, 12}));
}

TEST(ResourceAllocator, NeverMoreThanItOwnsNorOneTwice) {
  ResourceAllocator allocator(four_cores_two_gpus());
  const Allocation all = allocator.take(Resources{9, 5, 0});
  EXPECT_EQ(all.cores, (Cores{10, 11, 12, 13}));
  EXPECT_EQ(all.gpus, (Devices{"0", "1"}));
  ResourceAllocator empty(OwnedResources{});
  const Allocation none = empty.take(Resources{2, 1, 0});
  EXPECT_TRUE(none.cores.empty());
  EXPECT_TRUE(none.gpus.empty());
}

TEST(ResourceAllocator, RepeatedIdsAreSeparateSlots) {
  // More --threads than CPUs: the owned list wraps round the mask.
  ResourceAllocator allocator(OwnedResources{{0, 1, 0, 1}, {}, 0});
  Allocation first = allocator.take(Resources{2, 0, 0});
  const Allocation second = allocator.take(Resources{2, 0, 0});
  EXPECT_EQ(first.cores, (Cores{0, 1}));
  EXPECT_EQ(second.cores, (Cores{0, 1}));
  allocator.release(first);
  const Allocation third = allocator.take(Resources{1, 0, 0});
  EXPECT_EQ(third.core_slots, (std::vector<std::uint32_t>{0})) << "the slot first released";
}

TEST(ResourceAllocator, ASecondReleaseGivesBackNothing) {
  ResourceAllocator allocator(four_cores_two_gpus());
  Allocation first = allocator.take(Resources{1, 1, 0});
  const Allocation second = allocator.take(Resources{1, 1, 0});  // core 11, GPU 1
  allocator.release(first);
  EXPECT_TRUE(first.cores.empty());
  allocator.release(first);
  // Had core 10 been given back twice its count would have wrapped round, and the lowest
  // free core would no longer be 10.
  const Allocation third = allocator.take(Resources{2, 1, 0});
  EXPECT_EQ(third.cores, (Cores{10, 12}));
  EXPECT_EQ(third.gpus, (Devices{"0"}));
  EXPECT_EQ(second.cores, (Cores{11}));
}

TEST(ResourceAllocator, ReusedStorageIsReplaced) {
  ResourceAllocator allocator(four_cores_two_gpus());
  Allocation mine;
  allocator.take(Resources{3, 2, 0}, mine);
  allocator.release(mine);
  allocator.take(Resources{1, 0, 0}, mine);
  EXPECT_EQ(mine.cores, (Cores{10}));
  EXPECT_TRUE(mine.gpus.empty());
}

// Threads take and release concurrently within the capacity: no two running holders ever
// share a core or a GPU.
TEST(ResourceAllocator, ConcurrentHoldersWithinCapacityNeverShare) {
  constexpr unsigned threads = 4;
  constexpr int rounds = 2000;
  ResourceAllocator allocator(OwnedResources{{0, 1, 2, 3, 4, 5, 6, 7}, {"a", "b", "c", "d"}, 0});
  std::vector<std::atomic<int>> core_holders(8);
  std::vector<std::atomic<int>> gpu_holders(4);
  std::atomic<int> shared{0};
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      Allocation allocation;
      for (int round = 0; round < rounds; ++round) {
        allocator.take(Resources{1 + (t + round) % 2, 1, 0}, allocation);
        for (const unsigned core : allocation.cores) {
          if (core_holders[core].fetch_add(1) != 0) shared.fetch_add(1);
        }
        for (const std::string& gpu : allocation.gpus) {
          if (gpu_holders[static_cast<std::size_t>(gpu[0] - 'a')].fetch_add(1) != 0) {
            shared.fetch_add(1);
          }
        }
        for (const unsigned core : allocation.cores) core_holders[core].fetch_sub(1);
        for (const std::string& gpu : allocation.gpus) {
          gpu_holders[static_cast<std::size_t>(gpu[0] - 'a')].fetch_sub(1);
        }
        allocator.release(allocation);
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  EXPECT_EQ(shared.load(), 0);
  const Allocation everything = allocator.take(Resources{8, 4, 0});
  EXPECT_EQ(everything.cores, (Cores{0, 1, 2, 3, 4, 5, 6, 7})) << "something never released";
}

}  // namespace
}  // namespace tasktrack
