#include "tasktrack/quantiles.hpp"

#include <algorithm>
#include <cmath>

namespace tasktrack {

void LogHistogram::add(double seconds) {
  int bucket = 0;
  if (seconds > smallest) {
    bucket = static_cast<int>(std::ceil(std::log(seconds / smallest) / std::log(growth)));
  }
  ++counts_[static_cast<std::size_t>(std::clamp(bucket, 0, buckets - 1))];
  ++count_;
}

double LogHistogram::quantile(double q) const {
  if (count_ == 0) return 0;
  const auto rank = static_cast<std::uint64_t>(std::ceil(std::clamp(q, 0.0, 1.0) * count_));
  std::uint64_t seen = 0;
  for (int bucket = 0; bucket < buckets; ++bucket) {
    seen += counts_[static_cast<std::size_t>(bucket)];
    if (seen >= std::max<std::uint64_t>(rank, 1)) return smallest * std::pow(growth, bucket);
  }
  return smallest * std::pow(growth, buckets - 1);
}

}  // namespace tasktrack
