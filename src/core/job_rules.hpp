// The parts of a job that decide its scheduling: what the pure core reads of a JobSpec.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include "core/resources.hpp"
#include "core/schedule.hpp"
#include "tasktrack/subtask.hpp"

namespace tasktrack {

// A barrier of a task list (issue 13): the subtasks from `first_after` on start only once
// every subtask before it has finished (done, or failed for good). With `check` the job
// stops there instead when one of them failed for good. `line` names it in the summary.
struct BarrierRule {
  SubtaskId first_after = 0;
  bool check = false;
  std::uint32_t line = 0;
};

struct JobRules {
  std::uint32_t subtasks = 0;
  std::uint32_t retries = 2;  // extra attempts for a failed subtask
  Schedule schedule = Schedule::guided;
  std::uint32_t chunk = 0;             // --chunk; 0 = the schedule's default
  std::uint32_t quarantine_after = 5;  // failed first attempts in a row; 0 = off
  std::uint32_t max_failures = 0;      // failed for good before the job drains; 0 = off
  std::uint32_t crash_limit = 2;       // lost workers a running subtask may take down; 0 = off
  double worker_timeout = 30.0;        // seconds of silence before a worker is lost
  double grace = 10.0;                 // after a graceful stop signal
  double timeout_percent = 0;          // --timeout P%; 0 = off
  bool retry_failed = true;            // a resume runs subtasks that failed for good again
  bool journaling = false;             // emit journal records
  bool tracing = false;                // emit trace events
  double epoch_unix = 0;               // the job clock's zero as a date, for journal records
  // What a journal record of a subtask must carry to count on resume (Kernel::subtask_key).
  std::function<std::uint64_t(SubtaskId)> subtask_key = [](SubtaskId) { return 0; };

  // Resources (issue 11). Every subtask needs `requirements[class_of[id]]`; with
  // `class_of` empty every subtask needs `requirements[0]` (or one core when that too is
  // empty). More than one class: rank 0 packs subtasks onto workers' free resources.
  std::vector<Resources> requirements;
  std::vector<std::uint16_t> class_of;
  double reserve_after = 30.0;  // seconds a task fits nowhere before it reserves a worker

  // Barriers in file order, their first_after non-decreasing; none for most jobs.
  std::vector<BarrierRule> barriers;

  // A growing task list (issue 13): `subtasks` is 0 at the start and add_tasks() brings
  // more; the job is not over before end_of_tasks().
  bool growing = false;

  // Deadline-aware dispatch (issue 14, core/deadline_policy.hpp): the job's deadline in
  // job-clock seconds (infinity: none), resolved by rank 0 before the job starts;
  // `deadline_unix` is the same instant as a date, for the summary. `expected_seconds[id]`
  // is a subtask's declared duration (0 or missing: none declared).
  double deadline = std::numeric_limits<double>::infinity();
  double deadline_unix = 0;
  std::vector<double> expected_seconds;
};

}  // namespace tasktrack
