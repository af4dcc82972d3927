// JobState::fill_summary: what the summary says of a job once it ends, from the state's
// statistics and rules: the requirement classes and the hints drawn from what attempts cost.
// Runs once per job, never on rank 0's loop.
#include <fmt/format.h>

#include <algorithm>

#include "core/job_state.hpp"

namespace tasktrack {

namespace {

// The task classes of `rules`, or none when every task needs only one core.
std::vector<RequirementSummary> requirement_summary(const JobRules& rules) {
  std::vector<RequirementSummary> classes;
  if (rules.requirements.empty()) return classes;
  for (const Resources& need : rules.requirements) classes.push_back(RequirementSummary{need, 0});
  if (rules.class_of.empty()) {
    classes.resize(1);
    classes[0].tasks = rules.subtasks;
  } else {
    for (const std::uint16_t c : rules.class_of) {
      if (c < classes.size()) ++classes[c].tasks;
    }
  }
  std::erase_if(classes, [](const RequirementSummary& c) { return c.tasks == 0; });
  const bool only_one_core =
      std::all_of(classes.begin(), classes.end(),
                  [](const RequirementSummary& c) { return c.need == Resources{}; });
  if (only_one_core) classes.clear();
  return classes;
}

// Hints from what each class's measured attempts cost: far fewer cores used than given
// (CPU/wall under half the cores, over a class of more than one core), or a peak above the
// memory asked for.
std::vector<std::string> cost_hints(const JobRules& rules,
                                    const std::vector<AttemptCost>& class_costs) {
  std::vector<std::string> hints;
  for (std::size_t c = 0; c < class_costs.size() && c < rules.requirements.size(); ++c) {
    const Resources& need = rules.requirements[c];
    const AttemptCost& cost = class_costs[c];
    if (cost.measured == 0) continue;
    const double used = cost.cpu_per_wall();
    if (need.cores > 1 && cost.run_seconds > 0 && used < 0.5 * need.cores) {
      hints.push_back(fmt::format(
          "commands given {} cores kept {:.1f} busy on average (CPU/wall over {} measured "
          "attempt{}): ask for fewer cores, or check that they run that many threads",
          need.cores, used, cost.measured, cost.measured == 1 ? "" : "s"));
    }
    if (need.memory_bytes > 0 && cost.peak_rss_bytes > need.memory_bytes) {
      hints.push_back(fmt::format(
          "a command that asked for {} of memory peaked at {} (subtask {}, attempt {}): ask "
          "for more memory",
          describe_bytes(need.memory_bytes), describe_bytes(cost.peak_rss_bytes), cost.peak.subtask,
          cost.peak.attempt));
    }
  }
  return hints;
}

}  // namespace

void JobState::fill_summary(Summary& summary, double started, double wall_seconds) const {
  statistics_.fill(summary, tracker_, roster_.all(), started, wall_seconds);
  summary.requirements = requirement_summary(rules_);
  summary.hints = cost_hints(rules_, statistics_.class_costs());
  summary.interrupted = interrupted_;
  summary.stop_reason = stop_reason_;
  if (deadline_.enabled()) summary.deadline_unix = rules_.deadline_unix;
  // Held back: what the deadline drain left to run (queued ones it withdrew included).
  if (deadline_drain_) summary.held_back = tracker_.total() - tracker_.done() - tracker_.failed();
  summary.deadline_stop = deadline_drain_;
}

}  // namespace tasktrack
