// JobState under a deadline (issue 14, --deadline): dispatch that lets a subtask go out
// only when DeadlinePolicy says it can end in time, and the drain that begins when nothing
// more can. The rest of JobState is in job_state.cpp.
#include <fmt/format.h>

#include <optional>

#include "core/job_state.hpp"

namespace tasktrack {

std::uint32_t JobState::assign_before_deadline(WorkerState& worker, std::uint32_t count, bool alone,
                                               double now) {
  const int rank = worker.info.rank;
  std::uint32_t given = 0;
  while (given < count) {
    // In dispatch order: the first subtask that may not start holds back those after it,
    // so that the order (retries first, then ids, barriers) stays the tracker's.
    const std::optional<SubtaskId> next = tracker_.peek_next(rank, alone);
    if (!next) break;
    const bool queued = tracker_.outstanding(rank) >= worker.info.threads;
    if (!deadline_.may_start(*next, now, queued)) break;
    if (tracker_.assign_next(rank, 1, runs_, alone) == 0) break;
    deadline_.note_dispatched(*next);
    ++given;
  }
  return given;
}

void JobState::drain_if_nothing_fits(double now) {
  if (!deadline_.enabled() || draining_) return;
  // The first pending subtask in dispatch order; none (or only those behind a barrier):
  // what runs decides what comes next, and this is asked again on the next tick.
  const std::optional<SubtaskId> next = tracker_.first_pending();
  if (!next || deadline_.may_start(*next, now, false)) return;
  // Time only moves on: what may not start now never may, nor (dispatch order holds) what
  // comes after it. Subtasks already queued on a worker passed the policy when they went
  // out and may still start: the drain, which withdraws them, waits until nothing is handed
  // out any more, or until deadline - grace, when nothing can start. What runs then has
  // until the deadline.
  if (tracker_.outstanding_total() > 0 && now < deadline_.latest_end()) return;
  interrupted_ = true;
  deadline_drain_ = true;
  if (rules_.tracing) effects_.trace_instant(now, 0, "deadline drain", "");
  begin_drain(deadline_.deadline(),
              fmt::format("deadline: no task left could end before it less --grace {} s; "
                          "running ones may finish until the deadline",
                          rules_.grace));
}

}  // namespace tasktrack
