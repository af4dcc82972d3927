#include "tasktrack/reductions.hpp"

#include <stdexcept>
#include <utility>

namespace tasktrack {

SumReduction::SumReduction(std::string key) : key_(std::move(key)) {}

void SumReduction::add(SubtaskId id, Range, std::int64_t value, std::span<const std::byte>) {
  std::int64_t total = 0;
  if (__builtin_add_overflow(sum_, value, &total)) {
    throw std::overflow_error("sum of '" + key_ + "' leaves the 64-bit integer range at subtask " +
                              std::to_string(id));
  }
  sum_ = total;
}

nlohmann::json SumReduction::finish() {
  return {{key_, sum_}};
}

std::string SumReduction::describe() const {
  return key_ + ": " + std::to_string(sum_);
}

}  // namespace tasktrack
