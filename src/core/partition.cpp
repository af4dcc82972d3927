#include "tasktrack/partition.hpp"

#include <algorithm>
#include <cassert>

#include "core/blocks.hpp"

namespace tasktrack {

Partition::Partition(Range range, std::uint32_t count)
    : range_(range), count_(count), base_(range.size() / count), remainder_(range.size() % count) {
  assert(range.lo < range.hi);
  assert(count >= 1 && count <= range.size());
}

Range Partition::subtask(SubtaskId id) const {
  assert(id < count_);
  const Range block = Blocks::block(id, base_, remainder_);
  return Range{range_.lo + block.lo, range_.lo + block.hi};
}

std::uint32_t Partition::default_count(Range range) {
  const std::int64_t size = range.size();
  const std::int64_t by_size = size / 10000 + (size % 10000 != 0 ? 1 : 0);  // no overflow
  const std::int64_t wanted = std::clamp<std::int64_t>(by_size, 64, 100000);
  return static_cast<std::uint32_t>(std::min(size, wanted));
}

}  // namespace tasktrack
