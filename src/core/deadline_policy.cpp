#include "core/deadline_policy.hpp"

#include <algorithm>

namespace tasktrack {

DeadlinePolicy::DeadlinePolicy(double deadline, double grace, std::vector<double> declared)
    : deadline_(deadline), latest_end_(deadline - grace), declared_(std::move(declared)) {}

void DeadlinePolicy::note_run_time(double seconds) {
  // LogHistogram holds positive durations; an attempt too short to measure still counts.
  run_times_.add(std::max(seconds, 1e-6));
}

double DeadlinePolicy::learned_seconds() const {
  if (run_times_.count() == 0) return 0;
  return margin * run_times_.quantile(quantile);
}

double DeadlinePolicy::expected_seconds(SubtaskId id) const {
  if (id < declared_.size() && declared_[id] > 0) return declared_[id];
  return learned_seconds();
}

bool DeadlinePolicy::may_start(SubtaskId id, double now, bool queued) const {
  if (!enabled()) return true;
  double start = now;
  if (queued) start += std::max(longest_declared_dispatched_, learned_seconds());
  return start + expected_seconds(id) <= latest_end_;
}

void DeadlinePolicy::note_dispatched(SubtaskId id) {
  if (id < declared_.size()) {
    longest_declared_dispatched_ = std::max(longest_declared_dispatched_, declared_[id]);
  }
}

}  // namespace tasktrack
