// Pure partitioning of an integer range into contiguous subtasks (design.md rule 6).
#pragma once

#include <cstdint>

#include "tasktrack/subtask.hpp"

namespace tasktrack {

// A half-open integer range [lo, hi).
struct Range {
  std::int64_t lo = 0;
  std::int64_t hi = 0;
  std::int64_t size() const { return hi - lo; }
  friend bool operator==(const Range&, const Range&) = default;
};

// Splits [lo, hi) into `count` contiguous blocks whose sizes differ by at most one; the
// remainder goes to the first blocks. Computes a block's range on demand in O(1), so a job
// of ten million subtasks costs no memory here. Immutable and thread-safe.
class Partition {
 public:
  // Preconditions (checked by JobSpec validation, asserted here): lo < hi and
  // 1 <= count <= hi - lo.
  Partition(Range range, std::uint32_t count);

  std::uint32_t count() const { return count_; }
  Range range() const { return range_; }
  Range subtask(SubtaskId id) const;

  // The default number of subtasks depends on the range only:
  // min(size, clamp(ceil(size / 10000), 64, 100000)).
  // Enough subtasks to balance, while each still covers a meaningful share of the range.
  static std::uint32_t default_count(Range range);

 private:
  Range range_;
  std::uint32_t count_;
  // The block formula's two numbers (core/blocks.hpp computes the blocks from them).
  std::int64_t base_;       // smallest block size
  std::int64_t remainder_;  // number of blocks of size base_ + 1 (the first ones)
};

}  // namespace tasktrack
