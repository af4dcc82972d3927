// Quantiles of a stream of positive durations in constant memory: a histogram with buckets
// that grow geometrically (32 per doubling, each at most ~3.1% wider than the last, from
// about 1 us to about a day), so p50/p99 are within ~3% whatever the number of samples.
// Rank 0 keeps one for dispatch-to-start latency; add() is on its hot path, so the bucket
// comes from the double's exponent and mantissa bits (frexp), not a logarithm.
#pragma once

#include <array>
#include <cstdint>

namespace tasktrack {

class LogHistogram {
 public:
  void add(double seconds);
  std::uint64_t count() const { return count_; }
  // The q-quantile (0 <= q <= 1) in seconds: the upper edge of the bucket holding it; 0 when
  // empty.
  double quantile(double q) const;

 private:
  static constexpr int sub_buckets = 32;       // per doubling
  static constexpr int lowest_exponent = -20;  // 2^-20 s ~ 1 us
  static constexpr int doublings = 38;         // up to 2^17 s ~ 1.5 days
  static constexpr int buckets = sub_buckets * doublings;
  std::array<std::uint64_t, buckets> counts_{};
  std::uint64_t count_ = 0;
};

}  // namespace tasktrack
