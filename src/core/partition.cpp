#include "tasktrack/partition.hpp"

#include <algorithm>
#include <cassert>

namespace tasktrack {

Partition::Partition(Range range, std::uint32_t count)
    : range_(range), count_(count), base_(range.size() / count), remainder_(range.size() % count) {
  assert(range.lo < range.hi);
  assert(count >= 1 && count <= range.size());
}

Range Partition::subtask(SubtaskId id) const {
  assert(id < count_);
  const std::int64_t i = id;
  // The first `remainder_` blocks hold base_ + 1 elements each.
  const std::int64_t lo = range_.lo + i * base_ + std::min(i, remainder_);
  const std::int64_t size = base_ + (i < remainder_ ? 1 : 0);
  return Range{lo, lo + size};
}

std::uint32_t Partition::default_count(Range range) {
  const std::int64_t size = range.size();
  const std::int64_t by_size = size / 10000 + (size % 10000 != 0 ? 1 : 0);  // no overflow
  const std::int64_t wanted = std::clamp<std::int64_t>(by_size, 64, 100000);
  return static_cast<std::uint32_t>(std::min(size, wanted));
}

Range share_of(std::uint32_t count, std::uint32_t blocks, std::uint32_t index) {
  const std::int64_t base = count / blocks;
  const std::int64_t remainder = count % blocks;
  const std::int64_t i = index;
  const std::int64_t first = i * base + std::min(i, remainder);
  return Range{first, first + base + (i < remainder ? 1 : 0)};
}

}  // namespace tasktrack
