#include "core/adaptive_time_limit.hpp"

#include <algorithm>
#include <cmath>

namespace tasktrack {

std::optional<TimeLimit> AdaptiveTimeLimit::note(double seconds) {
  constexpr std::uint64_t min_attempts = 3;
  constexpr double floor_seconds = 1.0;
  run_times_.add(seconds);
  const std::uint64_t finished = run_times_.count();
  if (finished < min_attempts) return std::nullopt;
  if (sent_ > 0 && finished % 16 != 0) return std::nullopt;
  const double median = run_times_.quantile(0.5);
  const double limit = std::max(floor_seconds, percent_ / 100 * median);
  if (sent_ > 0 && std::abs(limit - sent_) < 0.1 * sent_) return std::nullopt;
  sent_ = limit;
  return TimeLimit{limit, percent_, median};
}

}  // namespace tasktrack
