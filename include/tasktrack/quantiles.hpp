// Quantiles of a stream of positive durations in constant memory: a histogram with
// logarithmic buckets (each 5% wider than the last, from 1 us to ~ a day), so p50/p99 are
// within 5% whatever the number of samples. Rank 0 keeps one for dispatch-to-start latency.
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
  static constexpr double smallest = 1e-6;
  static constexpr double growth = 1.05;
  static constexpr int buckets = 520;  // 1e-6 * 1.05^520 ~ 1e5 s
  std::array<std::uint64_t, buckets> counts_{};
  std::uint64_t count_ = 0;
};

}  // namespace tasktrack
