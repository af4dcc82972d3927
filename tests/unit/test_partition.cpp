// partition.hpp: a range split into contiguous subtasks covering every id exactly once, sizes
// differing by at most one with the bigger ones first; the default subtask count; share_of.
#include "core/blocks.hpp"
#include "tasktrack/partition.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <ostream>
#include <vector>

namespace tasktrack {

static void PrintTo(const Range& range, std::ostream* out) {
  *out << "[" << range.lo << ", " << range.hi << ")";
}

namespace {

constexpr std::int64_t int64_min = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t int64_max = std::numeric_limits<std::int64_t>::max();
constexpr std::uint32_t uint32_max = std::numeric_limits<std::uint32_t>::max();

struct Case {
  Range range;
  std::uint32_t count;
};

std::ostream& operator<<(std::ostream& out, const Case& c) {
  return out << "[" << c.range.lo << ", " << c.range.hi << ") in " << c.count;
}

// Checks block `id` against the rule: the first size % count blocks hold one element more.
void expect_block_size(const Partition& partition, SubtaskId id) {
  const std::int64_t size = partition.range().size();
  const std::int64_t count = partition.count();
  const std::int64_t base = size / count;
  const std::int64_t bigger = size % count;
  EXPECT_EQ(partition.subtask(id).size(), base + (id < bigger ? 1 : 0)) << "subtask " << id;
}

class PartitionCover : public testing::TestWithParam<Case> {};

TEST_P(PartitionCover, EveryIdOnceContiguousBalancedBiggerFirst) {
  const Case c = GetParam();
  const Partition partition(c.range, c.count);
  ASSERT_EQ(partition.count(), c.count);
  ASSERT_EQ(partition.range(), c.range);

  std::int64_t expected_lo = c.range.lo;
  std::int64_t smallest = int64_max;
  std::int64_t largest = 0;
  std::int64_t previous_size = int64_max;
  for (SubtaskId id = 0; id < c.count; ++id) {
    const Range block = partition.subtask(id);
    ASSERT_EQ(block.lo, expected_lo) << "gap or overlap before subtask " << id;
    ASSERT_GT(block.hi, block.lo) << "empty subtask " << id;
    ASSERT_LE(block.size(), previous_size) << "a bigger block after a smaller one at " << id;
    smallest = std::min(smallest, block.size());
    largest = std::max(largest, block.size());
    previous_size = block.size();
    expected_lo = block.hi;
  }
  EXPECT_EQ(expected_lo, c.range.hi) << "the blocks do not end at the range's end";
  EXPECT_LE(largest - smallest, 1);
  EXPECT_EQ(smallest, c.range.size() / c.count);
  for (const SubtaskId id : {SubtaskId{0}, c.count / 2, c.count - 1}) {
    expect_block_size(partition, id);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Partition, PartitionCover,
    testing::Values(Case{{0, 10}, 3}, Case{{0, 10}, 10}, Case{{0, 10}, 1}, Case{{0, 1}, 1},
                    Case{{5, 6}, 1}, Case{{0, 100}, 7}, Case{{0, 1000}, 999}, Case{{-17, 5}, 4},
                    Case{{-1000, -1}, 64}, Case{{-3, 3}, 6}, Case{{0, 1'000'003}, 1000},
                    Case{{1, 1'000'000}, 100'000},
                    // Near the int64 limits, sizes that still fit an int64.
                    Case{{int64_max - 1'000'003, int64_max}, 7},
                    Case{{int64_min, int64_min + 1'000'003}, 13}, Case{{0, int64_max}, 100'000},
                    Case{{int64_min, -1}, 99'999},
                    Case{{-(std::int64_t{1} << 62), (std::int64_t{1} << 62) - 1}, 4096},
                    Case{{int64_min + 1, 0}, 3}));

TEST(Partition, CountEqualToSizeGivesOneIdEach) {
  const Partition partition({-4, 6}, 10);
  for (SubtaskId id = 0; id < 10; ++id) {
    const std::int64_t lo = -4 + std::int64_t{id};
    EXPECT_EQ(partition.subtask(id), (Range{lo, lo + 1}));
  }
}

TEST(Partition, CountOneIsTheWholeRange) {
  EXPECT_EQ(Partition({-7, 93}, 1).subtask(0), (Range{-7, 93}));
  EXPECT_EQ(Partition({0, int64_max}, 1).subtask(0), (Range{0, int64_max}));
  EXPECT_EQ(Partition({int64_min, -1}, 1).subtask(0), (Range{int64_min, -1}));
}

TEST(Partition, RemainderGoesToTheFirstBlocks) {
  // 22 = 4 * 5 + 2: two blocks of 6, then two of 5.
  const Partition partition({-17, 5}, 4);
  EXPECT_EQ(partition.subtask(0), (Range{-17, -11}));
  EXPECT_EQ(partition.subtask(1), (Range{-11, -5}));
  EXPECT_EQ(partition.subtask(2), (Range{-5, 0}));
  EXPECT_EQ(partition.subtask(3), (Range{0, 5}));
}

TEST(Partition, HugeRangeWithHugeCountDoesNotOverflow) {
  // Too many blocks to walk; check the ends, the remainder boundary and a sample of neighbours.
  const Range range{-(std::int64_t{1} << 62), (std::int64_t{1} << 62) - 1};  // size 2^63 - 1
  const Partition partition(range, uint32_max);
  const std::int64_t bigger = range.size() % uint32_max;
  ASSERT_GT(bigger, 0);
  EXPECT_EQ(partition.subtask(0).lo, range.lo);
  EXPECT_EQ(partition.subtask(uint32_max - 1).hi, range.hi);
  std::vector<SubtaskId> sample = {0,
                                   1,
                                   static_cast<SubtaskId>(bigger - 1),
                                   static_cast<SubtaskId>(bigger),
                                   uint32_max / 2,
                                   uint32_max - 2};
  for (SubtaskId id : sample) {
    EXPECT_EQ(partition.subtask(id).hi, partition.subtask(id + 1).lo) << "subtask " << id;
    expect_block_size(partition, id);
  }
  expect_block_size(partition, uint32_max - 1);
}

TEST(Partition, BlocksAtTheTopOfTheInt64Range) {
  const Range range{int64_max - 10, int64_max};
  const Partition partition(range, 3);  // 4, 3, 3
  EXPECT_EQ(partition.subtask(0), (Range{int64_max - 10, int64_max - 6}));
  EXPECT_EQ(partition.subtask(1), (Range{int64_max - 6, int64_max - 3}));
  EXPECT_EQ(partition.subtask(2), (Range{int64_max - 3, int64_max}));
}

TEST(Partition, DefaultCountRule) {
  // min(size, clamp(ceil(size / 10000), 64, 100000))
  EXPECT_EQ(Partition::default_count({0, 1}), 1u);
  EXPECT_EQ(Partition::default_count({0, 63}), 63u);
  EXPECT_EQ(Partition::default_count({0, 64}), 64u);
  EXPECT_EQ(Partition::default_count({0, 65}), 64u);
  EXPECT_EQ(Partition::default_count({0, 10'000}), 64u);
  EXPECT_EQ(Partition::default_count({0, 640'000}), 64u);
  EXPECT_EQ(Partition::default_count({0, 640'001}), 65u);  // ceil, not floor
  EXPECT_EQ(Partition::default_count({0, 1'000'000}), 100u);
  EXPECT_EQ(Partition::default_count({0, 1'000'001}), 101u);
  EXPECT_EQ(Partition::default_count({0, 999'990'000}), 99'999u);
  EXPECT_EQ(Partition::default_count({0, 999'990'001}), 100'000u);
  EXPECT_EQ(Partition::default_count({0, 1'000'000'000}), 100'000u);
  EXPECT_EQ(Partition::default_count({0, 1'000'000'000'000}), 100'000u);
}

TEST(Partition, DefaultCountDependsOnTheSizeOnly) {
  EXPECT_EQ(Partition::default_count({-5, 5}), 10u);
  EXPECT_EQ(Partition::default_count({-1'000'000, 0}), Partition::default_count({0, 1'000'000}));
  EXPECT_EQ(Partition::default_count({int64_max - 640'001, int64_max}), 65u);
  EXPECT_EQ(Partition::default_count({int64_min, int64_min + 50}), 50u);
}

TEST(Partition, DefaultCountOfTheLargestRangesIsTheCap) {
  // ceil(size / 10000) must not overflow for sizes close to INT64_MAX.
  EXPECT_EQ(Partition::default_count({0, int64_max}), 100'000u);
  EXPECT_EQ(Partition::default_count({int64_min, -1}), 100'000u);
  EXPECT_EQ(Partition::default_count({int64_min, int64_min + int64_max - 5000}), 100'000u);
}

TEST(Partition, DefaultCountIsAValidCount) {
  for (const std::int64_t size : {1, 2, 63, 64, 65, 9'999, 10'000, 10'001, 123'456'789}) {
    const std::uint32_t count = Partition::default_count({0, size});
    EXPECT_GE(count, 1u) << size;
    EXPECT_LE(count, size) << size;
  }
}

TEST(Partition, ShareOfSplitsLikePartition) {
  EXPECT_EQ(share_of(10, 3, 0), (Range{0, 4}));
  EXPECT_EQ(share_of(10, 3, 1), (Range{4, 7}));
  EXPECT_EQ(share_of(10, 3, 2), (Range{7, 10}));
  EXPECT_EQ(share_of(7, 1, 0), (Range{0, 7}));
  for (const std::uint32_t count : {1u, 5u, 64u, 1000u, 1001u}) {
    for (const std::uint32_t blocks : {1u, 2u, 3u, 7u, 64u}) {
      if (blocks > count) continue;
      const Partition partition({0, count}, blocks);
      for (std::uint32_t index = 0; index < blocks; ++index) {
        EXPECT_EQ(share_of(count, blocks, index), partition.subtask(index))
            << count << " in " << blocks << ", share " << index;
      }
    }
  }
}

TEST(Partition, ShareOfCoversEveryIdOnceEvenWithMoreBlocksThanIds) {
  for (const std::uint32_t count : {0u, 1u, 2u, 5u, 17u, 100u}) {
    for (const std::uint32_t blocks : {1u, 2u, 3u, 8u, 40u}) {
      std::int64_t expected_first = 0;
      std::int64_t smallest = std::numeric_limits<std::int64_t>::max();
      std::int64_t largest = 0;
      for (std::uint32_t index = 0; index < blocks; ++index) {
        const Range share = share_of(count, blocks, index);
        ASSERT_EQ(share.lo, expected_first) << count << " in " << blocks << ", share " << index;
        ASSERT_GE(share.size(), 0);
        smallest = std::min(smallest, share.size());
        largest = std::max(largest, share.size());
        expected_first = share.hi;
      }
      EXPECT_EQ(expected_first, count) << count << " in " << blocks;
      EXPECT_LE(largest - smallest, 1) << count << " in " << blocks;
    }
  }
  // More blocks than ids: the first ones get one id each, the rest are empty.
  EXPECT_EQ(share_of(2, 5, 0), (Range{0, 1}));
  EXPECT_EQ(share_of(2, 5, 1), (Range{1, 2}));
  EXPECT_EQ(share_of(2, 5, 4).size(), 0);
}

TEST(Partition, ShareOfTheLargestCount) {
  EXPECT_EQ(share_of(uint32_max, 1, 0), (Range{0, uint32_max}));
  EXPECT_EQ(share_of(uint32_max, 2, 0), (Range{0, std::int64_t{uint32_max} / 2 + 1}));
  EXPECT_EQ(share_of(uint32_max, 2, 1).hi, std::int64_t{uint32_max});
  EXPECT_EQ(share_of(uint32_max, uint32_max, uint32_max - 1), (Range{uint32_max - 1, uint32_max}));
}

}  // namespace
}  // namespace tasktrack
