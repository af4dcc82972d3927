// What rank 0 says at the end of a job: the text summary on stdout and the JSON summary.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "cli/job_spec.hpp"
#include "core/resources.hpp"
#include "tasktrack/attempt_report.hpp"
#include "tasktrack/subtask.hpp"

namespace tasktrack {

inline constexpr int summary_version = 1;

struct RankSummary {
  int rank = 0;
  std::string host;
  unsigned threads = 0;
  unsigned cores = 0;             // what it owns (issue 11)
  std::vector<std::string> gpus;  // device ids
  std::uint64_t memory_bytes = 0;
  std::uint64_t done = 0;    // subtasks this rank completed first
  std::uint64_t failed = 0;  // failed attempts on this rank
  double busy_seconds = 0;   // summed over every attempt this rank ran
  double utilization = 0;    // busy / (wall * threads)
  bool lost = false;         // went silent (or died) and its subtasks were reassigned
  bool quarantined = false;  // failed too often in a row and got no more work
};

struct FailureSummary {
  SubtaskId subtask = 0;
  std::uint32_t attempts = 0;
  FailureReason reason = FailureReason::none;
  std::string detail;
};

// One attempt the summary names.
struct AttemptRef {
  SubtaskId subtask = 0;
  std::uint32_t attempt = 0;
  int rank = 0;
  friend bool operator==(const AttemptRef&, const AttemptRef&) = default;
};

// What the attempts whose use was measured cost together (issue 12): for commands the
// rusage of each command's process, for kernels the thread's CPU time (no memory).
struct AttemptCost {
  std::uint64_t measured = 0;        // attempts with a measured usage
  double cpu_seconds = 0;            // user + system CPU, summed
  double run_seconds = 0;            // their run times, summed
  std::uint64_t peak_rss_bytes = 0;  // the largest peak resident memory of any of them
  AttemptRef peak;                   // the attempt with it (when peak_rss_bytes > 0)

  void add(const AttemptRef& ref, double seconds, const AttemptUsage& usage) {
    ++measured;
    cpu_seconds += usage.user_cpu_seconds + usage.system_cpu_seconds;
    run_seconds += seconds > 0 ? seconds : 0;
    if (usage.max_rss_bytes > peak_rss_bytes) {
      peak_rss_bytes = usage.max_rss_bytes;
      peak = ref;
    }
  }
  // CPU seconds per second of run time: about the number of cores kept busy. 0 when
  // nothing ran measurably long.
  double cpu_per_wall() const { return run_seconds > 0 ? cpu_seconds / run_seconds : 0; }
};

struct SlowSubtask {
  SubtaskId subtask = 0;
  int rank = 0;
  double seconds = 0;
};

// How many of the job's tasks need one requirement (issue 11): a class of the task list.
struct RequirementSummary {
  Resources need;
  std::uint32_t tasks = 0;
};

struct Summary {
  JobSpec job;
  int ranks = 1;                    // processes in the job, rank 0 included
  unsigned workers = 0;             // ranks that run subtasks
  unsigned threads_per_worker = 0;  // the largest pool among them
  double wall_seconds = 0;          // from the first dispatch to the last result
  std::uint32_t total = 0;
  std::uint32_t done = 0;
  std::uint32_t failed = 0;
  std::uint32_t retried = 0;     // attempts that failed and were tried again
  std::uint32_t timed_out = 0;   // attempts that ran past --timeout
  std::uint32_t reassigned = 0;  // subtasks taken back from lost workers
  std::uint32_t resumed = 0;     // subtasks a journal says finished in an earlier run
  std::uint32_t not_run = 0;     // neither done nor failed: the job stopped early
  std::uint32_t duplicates = 0;  // late reports of finished subtasks, dropped
  bool interrupted = false;      // a signal stopped the job (exit code 3)
  std::string stop_reason;       // why the job stopped early, if it did
  // Deadline-aware dispatch (issue 14): the job's deadline as a date (0: none), whether the
  // job drained because nothing more could end before it, and how many subtasks it then
  // held back (pending or withdrawn from a worker's queue, not started).
  double deadline_unix = 0;
  bool deadline_stop = false;
  std::uint32_t held_back = 0;
  // A growing task list whose input ended at a bad line (issue 13): where and why. The
  // tasks before it ran; the exit code is 2.
  std::string input_problem;
  nlohmann::json result;  // kernel-defined
  std::string result_line;
  double coordinator_cpu_seconds = 0;
  double start_latency_p50 = 0;  // seconds from dispatch to an attempt's start (log buckets)
  double start_latency_p99 = 0;
  double load_imbalance = 1;  // max / mean busy seconds across workers
  double tail_seconds = 0;    // from the last dispatch to the end
  std::vector<RankSummary> per_rank;
  // The task list's requirement classes in line order of their first task; empty when every
  // task needs just one core (range jobs, plain task lists).
  std::vector<RequirementSummary> requirements;
  std::vector<FailureSummary> failures;  // subtasks that failed for good, by id
  std::vector<SlowSubtask> slowest;      // longest attempts that completed, longest first
  AttemptCost cost;                      // every measured attempt's, this run
  std::vector<AttemptRef> capped;        // attempts whose output passed --output-limit
  std::uint32_t left_processes = 0;      // attempts whose command left processes running
  // Advice from the cost: commands that use far fewer cores than they were given, or more
  // memory than they asked for. One line each.
  std::vector<std::string> hints;
  // Under Slurm (read from rank 0's environment): job id, restart count (0 for the first
  // run, n after n requeues), submit dir. Empty outside Slurm.
  std::string slurm_job_id;
  std::string slurm_restart_count;
  std::string slurm_submit_dir;

  // 0 all done, 1 some failed or not run, 2 a growing list's input had a bad line,
  // 3 interrupted
  int exit_code() const;
  // "completed" | "completed_with_failures" | "bad_input" | "interrupted"
  std::string status_text() const;
};

// The compact human summary (rank 0's stdout).
void print_summary(std::ostream& out, const Summary& summary);
// The JSON summary (--summary-json); its keys are documented in README.
nlohmann::json summary_to_json(const Summary& summary);

}  // namespace tasktrack
