// The one block formula (design.md rule 6): [0, total) split into `count` contiguous blocks
// whose sizes differ by at most one, the remainder spread over the first blocks. The
// Partition splits a job's range with it, and the static schedule splits what is left of a
// job among the workers' threads with it.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstdint>

#include "tasktrack/partition.hpp"

namespace tasktrack {

class Blocks {
 public:
  // Preconditions: count >= 1.
  Blocks(std::int64_t total, std::int64_t count)
      : count_(count), base_(total / count), remainder_(total % count) {
    assert(count >= 1);
  }

  std::int64_t count() const { return count_; }
  // Where block `index` starts; first(count) is the total. O(1).
  std::int64_t first(std::int64_t index) const { return block(index, base_, remainder_).lo; }
  // Block `index` as [first, first + size).
  Range block(std::int64_t index) const { return block(index, base_, remainder_); }

  // The formula itself, for a holder of the two numbers (the Partition keeps them so that
  // its public header needs no private one): base = total / count, remainder = total % count.
  static Range block(std::int64_t index, std::int64_t base, std::int64_t remainder) {
    const std::int64_t lo = index * base + std::min(index, remainder);
    return Range{lo, lo + base + (index < remainder ? 1 : 0)};
  }

 private:
  std::int64_t count_;
  std::int64_t base_;       // the smallest block's size
  std::int64_t remainder_;  // how many blocks are one larger (the first ones)
};

// Share `index` of `count` subtasks split into `blocks` shares, as [first, last).
inline Range share_of(std::uint32_t count, std::uint32_t blocks, std::uint32_t index) {
  return Blocks(count, blocks).block(index);
}

}  // namespace tasktrack
