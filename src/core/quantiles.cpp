#include "core/quantiles.hpp"

#include <algorithm>
#include <cmath>

namespace tasktrack {

void LogHistogram::add(double seconds) {
  int bucket = 0;
  if (seconds > 0) {
    int exponent = 0;
    const double mantissa = std::frexp(seconds, &exponent);  // seconds = mantissa * 2^exponent
    // mantissa in [0.5, 1): its sub-bucket within this doubling.
    const int sub = static_cast<int>((mantissa - 0.5) * 2 * sub_buckets);
    bucket = (exponent - lowest_exponent) * sub_buckets + sub;
  }
  ++counts_[static_cast<std::size_t>(std::clamp(bucket, 0, buckets - 1))];
  ++count_;
}

double LogHistogram::quantile(double q) const {
  if (count_ == 0) return 0;
  const auto rank = static_cast<std::uint64_t>(std::ceil(std::clamp(q, 0.0, 1.0) * count_));
  std::uint64_t seen = 0;
  int bucket = buckets - 1;
  for (int b = 0; b < buckets; ++b) {
    seen += counts_[static_cast<std::size_t>(b)];
    if (seen >= std::max<std::uint64_t>(rank, 1)) {
      bucket = b;
      break;
    }
  }
  // The bucket's upper edge: (0.5 + (sub + 1) / (2 * sub_buckets)) * 2^exponent.
  const int exponent = bucket / sub_buckets + lowest_exponent;
  const int sub = bucket % sub_buckets;
  return std::ldexp(0.5 + (sub + 1.0) / (2.0 * sub_buckets), exponent);
}

}  // namespace tasktrack
