// --timeout P%: a per-attempt time limit that follows the job's median run time.
#pragma once

#include <optional>

#include "core/quantiles.hpp"
#include "runtime/protocol.hpp"

namespace tasktrack {

// No limit until a few attempts have finished (GNU parallel waits for 3 too); then P% of
// the median run time of the finished attempts, never under a floor, so that a job of very
// short tasks does not kill them over scheduling noise. Recomputed every 16 finished
// attempts and announced only when it moved by a tenth or more: a message per worker now
// and then, nothing per subtask.
class AdaptiveTimeLimit {
 public:
  explicit AdaptiveTimeLimit(double percent) : percent_(percent) {}

  bool enabled() const { return percent_ > 0; }
  // Notes a done attempt's run time; returns the new limit when the workers must get it.
  std::optional<TimeLimit> note(double seconds);

 private:
  double percent_;
  LogHistogram run_times_;
  double sent_ = 0;  // the limit the workers have; 0 = none yet
};

}  // namespace tasktrack
